/**
 * `npm run --silent bench -- sdk`: ZooKeeperEnsembles under Pulumi's mocks against the same
 * Kubernetes resources written by hand with @pulumi/kubernetes (bench/raw-zookeeper.ts), at 200 and
 * 1000 ensembles (`SDK_BENCH_APPS=200,1000`). Every measurement is a process of its own
 * (bench/sdk-child.ts), so its peak RSS is its own; rounds rotate the order of the variants and
 * the medians are compared:
 * - `ratio_<n>`: ensembles with `rollout: false` (the same Kubernetes objects as the hand-written
 *   program, test/bench-sdk-reference.test.ts, plus the component and its credentials resource)
 *   over raw;
 * - `ratio_with_rollout_<n>`: the default, which also registers the two rollout resources, over raw;
 * - `peak_memory_ratio_<n>`: peak RSS of the default over raw;
 * - `floor_ratio_<n>`: raw plus the least this design registers beyond it (a component and three
 *   dynamic resources with one packed input each, bench/sdk-child.ts `floor`) over raw: what
 *   `ratio_with_rollout` cannot go below without fewer resources;
 * - `ratio_with_rollout_over_static_<n>`: the default over `raw_static`, the seed's kind of
 *   hand-written ensemble (static server list, one-line start command: smaller objects, and no
 *   safe membership change), the reference this bench used before the component's objects grew;
 * - `first_component_ms`: the first default ensemble constructed and settled in a process, modules
 *   already loaded (`first_raw_ms`: the same for the hand-written resources).
 * Last line: one JSON object.
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const VARIANTS = ["raw", "raw_static", "components", "with_rollout", "floor"] as const;
type Variant = (typeof VARIANTS)[number];

interface Sample {
  first_ms: number;
  ms: number;
  peak_mb: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const round2 = (x: number) => Math.round(x * 100) / 100;

async function sample(variant: Variant, apps: number): Promise<Sample> {
  const { stdout } = await run(
    process.execPath,
    ["--import", "tsx", join(__dirname, "sdk-child.ts"), variant, String(apps)],
    { cwd: join(__dirname, ".."), maxBuffer: 16 * 1024 * 1024 },
  );
  return JSON.parse(stdout.trim().split("\n").pop()!) as Sample;
}

const perVariant = <T>() => Object.fromEntries(VARIANTS.map((v) => [v, [] as T[]])) as Record<Variant, T[]>;

export async function benchSdk(): Promise<Record<string, number>> {
  // The children load the compiled package (dist/), as a user's program does.
  await run("npm", ["run", "--silent", "build"], { cwd: join(__dirname, "..") });
  const sizes = (process.env.SDK_BENCH_APPS ?? "200,1000").split(",").map(Number);
  const result: Record<string, number> = {};
  const firsts = perVariant<number>();
  for (const apps of sizes) {
    const rounds = apps >= 1000 ? 3 : 5;
    const samples = perVariant<Sample>();
    for (let r = 0; r < rounds; r++)
      for (let k = 0; k < VARIANTS.length; k++) {
        const variant = VARIANTS[(k + r) % VARIANTS.length]!;
        const s = await sample(variant, apps);
        samples[variant].push(s);
        firsts[variant].push(s.first_ms);
      }
    const ms = (v: Variant) => median(samples[v].map((s) => s.ms));
    const peak = (v: Variant) => median(samples[v].map((s) => s.peak_mb));
    process.stdout.write(
      `sdk ${apps} ensembles, medians of ${rounds} rounds: raw ${Math.round(ms("raw"))} ms ${Math.round(peak("raw"))} MB, ` +
        `raw_static ${Math.round(ms("raw_static"))} ms ${Math.round(peak("raw_static"))} MB, ` +
        `components ${Math.round(ms("components"))} ms ${Math.round(peak("components"))} MB, ` +
        `with rollout ${Math.round(ms("with_rollout"))} ms ${Math.round(peak("with_rollout"))} MB, ` +
        `floor ${Math.round(ms("floor"))} ms ${Math.round(peak("floor"))} MB\n`,
    );
    Object.assign(result, {
      [`raw_ms_${apps}`]: Math.round(ms("raw")),
      [`components_ms_${apps}`]: Math.round(ms("components")),
      [`with_rollout_ms_${apps}`]: Math.round(ms("with_rollout")),
      [`ratio_${apps}`]: round2(ms("components") / ms("raw")),
      [`ratio_with_rollout_${apps}`]: round2(ms("with_rollout") / ms("raw")),
      [`peak_memory_ratio_${apps}`]: round2(peak("with_rollout") / peak("raw")),
      [`floor_ratio_${apps}`]: round2(ms("floor") / ms("raw")),
      [`ratio_with_rollout_over_static_${apps}`]: round2(ms("with_rollout") / ms("raw_static")),
      [`raw_peak_mb_${apps}`]: Math.round(peak("raw")),
      [`with_rollout_peak_mb_${apps}`]: Math.round(peak("with_rollout")),
    });
  }
  return {
    first_component_ms: Math.round(median(firsts.with_rollout)),
    first_raw_ms: Math.round(median(firsts.raw)),
    ...result,
  };
}
