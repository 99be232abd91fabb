/** `npm run --silent verify:zookeeper`: progress lines, then one JSON line. Exit 1 unless every check holds. */
import { verifyZooKeeper } from "./verify";

verifyZooKeeper((line) => process.stdout.write(`${line}\n`)).then(
  (result) => {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    process.exit(Object.values(result).every((v) => v !== false) ? 0 : 1);
  },
  (err: unknown) => {
    process.stderr.write(`verify:zookeeper: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
