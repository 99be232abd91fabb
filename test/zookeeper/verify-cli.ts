/**
 * `npm run --silent verify:zookeeper`: progress lines, then one JSON line. Exit 1 unless every check
 * holds. ZK_OLD_RUNS (default 1) replays the old procedure that many times (and again, up to 3,
 * until one run fails the check).
 */
import { passed, verifyZooKeeper } from "./verify";

const oldRuns = Number(process.env.ZK_OLD_RUNS ?? "1");

verifyZooKeeper((line) => process.stdout.write(`${line}\n`), oldRuns).then(
  (result) => {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    process.exit(passed(result) ? 0 : 1);
  },
  (err: unknown) => {
    process.stderr.write(
      `verify:zookeeper: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(1);
  },
);
