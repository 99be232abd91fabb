/** `npm run --silent bench -- <name>`: runs one benchmark; its last line of output is JSON. */
import { benchCli, benchRender } from "./render";
import { benchRollout } from "./rollout";
import { benchSdk } from "./sdk";

const BENCHES: Record<string, () => Promise<Record<string, unknown>>> = {
  sdk: benchSdk,
  rollout: benchRollout,
  render: benchRender,
  cli: benchCli,
};

async function main(): Promise<number> {
  const name = process.argv[2];
  const bench = name ? BENCHES[name] : undefined;
  if (!bench) {
    process.stderr.write(`bench: name one of ${Object.keys(BENCHES).join(", ")}\n`);
    return 2;
  }
  process.stdout.write(`${JSON.stringify(await bench())}\n`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
