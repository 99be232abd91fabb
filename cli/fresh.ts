/**
 * Keeps a compiled command in step with the sources of the clone it runs in: run from `dist/`, with
 * a source file newer than its compiled output (or never compiled), it runs `npm run build`'s tsc
 * and then itself again. Run from sources (tsx), or from an installed package (no
 * tsconfig.build.json beside `dist/`), it does nothing. Costs a few milliseconds of `stat`s.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";

const REBUILT = "PULUMI_STATEFUL_REBUILT";

function sources(root: string, include: string[]): string[] {
  const files: string[] = [];
  const walk = (path: string) => {
    if (!existsSync(path)) return;
    if (statSync(path).isDirectory()) for (const e of readdirSync(path)) walk(join(path, e));
    else if (path.endsWith(".ts") && !path.endsWith(".d.ts")) files.push(path);
  };
  for (const i of include) walk(join(root, i));
  return files;
}

/** The first source (relative to the root) whose compiled output is missing or older, if any. */
export function staleSource(root: string, outDir: string, include: string[]): string | undefined {
  for (const src of sources(root, include)) {
    const rel = relative(root, src);
    const out = join(outDir, rel.replace(/\.ts$/, ".js"));
    if (!existsSync(out) || statSync(out).mtimeMs < statSync(src).mtimeMs) return rel;
  }
  return undefined;
}

/**
 * Rebuilds and runs `entry` again with `argv` when the build is stale; true when it did (the exit
 * code is then set), false when the caller should go on.
 */
export function rebuildIfStale(entry: string, argv: string[]): boolean {
  if (!entry.endsWith(".js") || process.env[REBUILT]) return false;
  const outDir = join(dirname(entry), "..");
  const root = dirname(outDir);
  const config = join(root, "tsconfig.build.json");
  if (!existsSync(config)) return false;
  const include = (JSON.parse(readFileSync(config, "utf8")) as { include: string[] }).include;
  const stale = staleSource(root, outDir, include);
  if (!stale) return false;
  process.stderr.write(`${stale} is newer than its build: building dist/ (npm run build)\n`);
  const tsc = spawnSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", config], {
    cwd: root,
    stdio: ["ignore", 2, 2],
  });
  if (tsc.status !== 0) {
    process.stderr.write("the build failed; fix the errors above, or run from sources with tsx\n");
    process.exitCode = 1;
    return true;
  }
  const again = spawnSync(process.execPath, [entry, ...argv], {
    stdio: "inherit",
    env: { ...process.env, [REBUILT]: "1" },
  });
  process.exitCode = again.status ?? 1;
  return true;
}
