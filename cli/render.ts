/**
 * `npm run --silent render -- <example> [--config KEY=VALUE]... [--out DIR]`, or
 * `node dist/cli/render.js ...` after `npm run build`: prints, as multi-document YAML in dependency
 * order, every Kubernetes object the example program registers, by running examples/index.ts (the
 * program Pulumi.yaml runs) under the Pulumi runtime's mocks. YAML, ordering and file names come
 * from the pure render (sdk/render.ts).
 *
 * Exit codes: 0 rendered; 1 the program failed (e.g. a bad argument); 2 bad usage.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { rebuildIfStale } from "./fresh";

const USAGE = `usage: npm run --silent render -- <example> [--config KEY=VALUE]... [--out DIR]
       node dist/cli/render.js <example> [--config KEY=VALUE]... [--out DIR]
  --config KEY=VALUE  stack configuration for the program, repeatable (e.g. --config replicas=5)
  --out DIR           write one file per object into DIR instead of printing
  -h, --help          print this help`;

class UsageError extends Error {}

interface Invocation {
  example: string;
  config: Record<string, string>;
  out?: string;
}

/** Reads the command line, or throws a UsageError; `undefined` means help was asked for. */
function parse(argv: string[]): Invocation | undefined {
  let parsed: ReturnType<typeof parseOptions>;
  try {
    parsed = parseOptions(argv);
  } catch (err) {
    const { code, message } = err as { code?: string; message: string };
    const option = /'(-[^' ]+)/.exec(message)?.[1];
    if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") throw new UsageError(`unknown option ${option}`);
    if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") throw new UsageError(`${option} needs a value`);
    throw new UsageError(message);
  }
  const { values, positionals } = parsed;
  if (values.help) return undefined;
  if (positionals.length !== 1) throw new UsageError("name exactly one example");
  if (values.out === "") throw new UsageError("--out needs a value");
  const config: Record<string, string> = {};
  for (const pair of values.config ?? []) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new UsageError(`--config takes KEY=VALUE, got "${pair}"`);
    const key = pair.slice(0, eq);
    if (key === "example" || key.endsWith(":example"))
      throw new UsageError("the example is named by the argument, not by --config example=...");
    config[key] = pair.slice(eq + 1);
  }
  return { example: positionals[0]!, config, ...(values.out !== undefined ? { out: values.out } : {}) };
}

function parseOptions(argv: string[]) {
  return parseArgs({
    args: argv,
    strict: true,
    allowPositionals: true,
    options: {
      out: { type: "string" },
      config: { type: "string", multiple: true },
      help: { type: "boolean", short: "h" },
    },
  });
}

async function main(argv: string[]): Promise<number> {
  let inv: Invocation | undefined;
  try {
    inv = parse(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`render: ${err.message}\n${USAGE}\n`);
    return 2;
  }
  if (!inv) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  // Loaded only now: these start the Pulumi runtime and load the components.
  const { EXAMPLES } = await import("../examples/catalog");
  if (!(inv.example in EXAMPLES)) {
    process.stderr.write(
      `render: unknown example "${inv.example}"; known examples: ${Object.keys(EXAMPLES).join(", ")}\n`,
    );
    return 2;
  }
  const { renderProgram } = await import("../testing/render");
  const { fileNameFor, toYaml } = await import("../sdk/render");
  const rendered = await renderProgram(() => import("../examples/index"), {
    config: { ...inv.config, example: inv.example },
  });
  const objects = rendered.map((r) => r.object);
  if (inv.out !== undefined) {
    mkdirSync(inv.out, { recursive: true });
    for (const o of objects) writeFileSync(join(inv.out, fileNameFor(o)), toYaml([o]));
    process.stderr.write(`render: wrote ${objects.length} files to ${inv.out}\n`);
  } else process.stdout.write(toYaml(objects));
  return 0;
}

/** Exits once everything written has reached stdout and stderr (a pipe is written asynchronously). */
function exit(code: number): void {
  let pending = 2;
  const done = () => {
    if (--pending === 0) process.exit(code);
  };
  process.stdout.write("", done);
  process.stderr.write("", done);
}

const argv = process.argv.slice(2);
if (!rebuildIfStale(__filename, argv))
  main(argv).then(exit, (err: unknown) => {
    process.stderr.write(`render: ${err instanceof Error ? err.message : String(err)}\n`);
    exit(1);
  });
