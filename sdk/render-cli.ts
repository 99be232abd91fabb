/**
 * `npm run --silent render -- <example> [--out DIR]`: prints, as multi-document YAML, every
 * Kubernetes object the example program registers, by running examples/index.ts (the program
 * Pulumi.yaml runs) under the Pulumi runtime's mocks.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { EXAMPLES } from "../examples/catalog";
import { fileNameFor, renderProgram, toYaml } from "./render";

function usage(): string {
  return `usage: npm run --silent render -- <example> [--out DIR]\nknown examples: ${Object.keys(EXAMPLES).join(", ")}`;
}

async function main(argv: string[]): Promise<number> {
  const positional: string[] = [];
  let out: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--out") {
      out = argv[++i];
      if (!out) {
        process.stderr.write(`render: --out needs a directory\n${usage()}\n`);
        return 2;
      }
    } else if (a === "--help" || a === "-h") {
      process.stdout.write(`${usage()}\n`);
      return 0;
    } else positional.push(a);
  }
  if (positional.length !== 1) {
    process.stderr.write(`render: name exactly one example\n${usage()}\n`);
    return 2;
  }
  const example = positional[0]!;
  if (!(example in EXAMPLES)) {
    process.stderr.write(
      `render: unknown example "${example}"; known examples: ${Object.keys(EXAMPLES).join(", ")}\n`,
    );
    return 2;
  }
  const objects = await renderProgram(() => import("../examples/index"), { config: { example } });
  if (out) {
    mkdirSync(out, { recursive: true });
    for (const o of objects) writeFileSync(join(out, fileNameFor(o)), toYaml([o]));
    process.stderr.write(`render: wrote ${objects.length} files to ${out}\n`);
  } else process.stdout.write(toYaml(objects));
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`render: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
