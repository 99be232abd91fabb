/**
 * Two benchmarks of the pure render (sdk/render.ts); each prints one JSON line last.
 *
 * `npm run --silent bench -- render`: throughput and memory of making N ZooKeeper ensembles'
 * manifests as one YAML stream (bench/render-contenders.ts: this library, cdk8s-plus synth of the
 * same objects in one Chart, kubernetes-models constructing the same objects), first checked to be
 * the same objects (cdk8s-plus's own additions listed and taken out).
 * - `<contender>_ms_<N>`: median over ROUNDS rounds of the time to make N ensembles' YAML, in one
 *   process, rounds rotating the contenders' order, after a warm-up; at N = 10 a sample renders the
 *   10 ensembles 20 times and the figure is per 10.
 * - `cdk8s_over_pure_<N>`, `models_over_pure_<N>`: those medians side by side (goal: cdk8s ≥ 3).
 * - `<contender>_peak_rss_mb`: peak resident memory of a process that loads the contender and
 *   renders 1000 ensembles once (the OS's maximum, so no peak is missed), median of MEMORY_ROUNDS
 *   processes; `<contender>_work_rss_mb`: that peak minus the process's RSS once the modules are
 *   loaded, i.e. what the rendering itself adds (goal: pure ≤ models on both).
 *
 * `npm run --silent bench -- cli`: wall time of whole processes that print the zookeeper example's
 * YAML, each checked to print the golden bytes, CLI_ROUNDS rotating rounds, medians:
 * - `floor_ms`: `node -e 'require("@pulumi/pulumi"); require("@pulumi/kubernetes")'`, the least a
 *   process that runs a Pulumi program can take;
 * - `tsx_cli_ms`: the CLI from TypeScript sources through tsx (what `npm run render` ran before;
 *   npm's own ~0.2 s not included, so this understates the old command);
 * - `compiled_cli_ms`: `node dist/cli/render.js zookeeper`, the program under mocks, compiled;
 * - `npm_cli_ms`: `npm run --silent render -- zookeeper`, the README's command (npm + the above);
 * - `pure_ms`: `node -e` requiring dist/sdk/render.js and writing the same objects: no Pulumi;
 * - `compiled_over_floor` (goal ≤ 1.5) and `pure_over_tsx_cli` (goal ≤ 1/3).
 */
import { spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { staleSource } from "../cli/fresh";
import { CONTENDERS, type Contender, checkEquivalence, loadContender } from "./render-contenders";

const SIZES = [10, 100, 1000];
const ROUNDS = 7;
const MEMORY_ENSEMBLES = 1000;
const MEMORY_ROUNDS = 3;
const CLI_ROUNDS = 5;

const root = join(__dirname, "..");
const tsx = join(root, "node_modules", ".bin", "tsx");

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const round1 = (x: number) => Math.round(x * 10) / 10;
const round2 = (x: number) => Math.round(x * 100) / 100;

/** Runs `bench/render-child.ts` for one contender and reads its JSON line. */
function child(contender: Contender, n: number): Promise<Record<string, number>> {
  return new Promise((resolve, reject) => {
    const p = spawn(tsx, [join(__dirname, "render-child.ts"), contender, String(n)], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    p.stdout.on("data", (d) => {
      out += d;
    });
    p.on("close", (code) =>
      code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`${contender} child exited ${code}`)),
    );
  });
}

export async function benchRender(): Promise<Record<string, unknown>> {
  const additions = await checkEquivalence(3);
  process.stdout.write(
    `render: the three contenders' objects are equal for 3 ensembles, once these cdk8s-plus additions are taken out:\n${additions.map((a) => `  - ${a}\n`).join("")}`,
  );
  const render = Object.fromEntries(
    await Promise.all(CONTENDERS.map(async (c) => [c, await loadContender(c)] as const)),
  ) as Record<Contender, (n: number) => string>;
  const result: Record<string, number> = {};
  for (const n of SIZES) {
    const reps = Math.max(1, Math.ceil(200 / n));
    const sample = (c: Contender) => {
      const start = performance.now();
      for (let i = 0; i < reps; i++) render[c](n);
      return (performance.now() - start) / reps;
    };
    for (const c of CONTENDERS) sample(c); // warm-up
    const times: Record<Contender, number[]> = { pure: [], cdk8s: [], models: [] };
    for (let r = 0; r < ROUNDS; r++)
      for (let k = 0; k < CONTENDERS.length; k++) {
        const c = CONTENDERS[(k + r) % CONTENDERS.length]!;
        times[c].push(sample(c));
      }
    for (const c of CONTENDERS) result[`${c}_ms_${n}`] = round1(median(times[c]));
    result[`cdk8s_over_pure_${n}`] = round2(median(times.cdk8s) / median(times.pure));
    result[`models_over_pure_${n}`] = round2(median(times.models) / median(times.pure));
    process.stdout.write(
      `render: ${n} ensembles: ${CONTENDERS.map((c) => `${c} ${result[`${c}_ms_${n}`]} ms`).join(", ")}\n`,
    );
  }
  const memory: Record<Contender, Record<string, number>[]> = { pure: [], cdk8s: [], models: [] };
  for (let r = 0; r < MEMORY_ROUNDS; r++)
    for (let k = 0; k < CONTENDERS.length; k++) {
      const c = CONTENDERS[(k + r) % CONTENDERS.length]!;
      memory[c].push(await child(c, MEMORY_ENSEMBLES));
    }
  for (const c of CONTENDERS) {
    result[`${c}_peak_rss_mb`] = median(memory[c].map((m) => m.peak_rss_mb!));
    result[`${c}_work_rss_mb`] = median(memory[c].map((m) => m.peak_rss_mb! - m.loaded_rss_mb!));
  }
  process.stdout.write(
    `render: peak RSS rendering ${MEMORY_ENSEMBLES} ensembles: ${CONTENDERS.map((c) => `${c} ${result[`${c}_peak_rss_mb`]} MB (${result[`${c}_work_rss_mb`]} MB for the work)`).join(", ")}\n`,
  );
  return { ensembles: SIZES, ...result };
}

/** The zookeeper example's arguments (examples/zookeeper), for the pure render; checked against the golden file. */
const ZOOKEEPER_EXAMPLE = {
  replicas: 3,
  serviceName: "zk-headless",
  selectorLabels: { app: "zk" },
  heap: "2G",
  tickTime: 2000,
  initLimit: 10,
  syncLimit: 5,
  maxClientCnxns: 60,
  snapRetainCount: 3,
  purgeInterval: 1,
  storageSize: "20Gi",
  resources: { requests: { memory: "4Gi", cpu: "1" } },
  antiAffinity: { type: "required", topology: "hostname" },
  podDisruptionBudget: { name: "zk-budget" },
};

const PURE_SCRIPT = `const r = require("./dist/sdk/render.js");
process.stdout.write(r.toYaml(r.renderZooKeeperEnsemble("zk", ${JSON.stringify(ZOOKEEPER_EXAMPLE)})));`;

const COMMANDS: Record<string, [string, string[]]> = {
  floor: [process.execPath, ["-e", 'require("@pulumi/pulumi"); require("@pulumi/kubernetes")']],
  tsx_cli: [tsx, ["cli/render.ts", "zookeeper"]],
  compiled_cli: [process.execPath, ["dist/cli/render.js", "zookeeper"]],
  npm_cli: ["npm", ["run", "--silent", "render", "--", "zookeeper"]],
  pure: [process.execPath, ["-e", PURE_SCRIPT]],
};

function run(label: string): { ms: number; stdout: string } {
  const [cmd, args] = COMMANDS[label]!;
  const start = performance.now();
  const p = spawnSync(cmd, args, { cwd: root, encoding: "utf8", maxBuffer: 64 * 2 ** 20 });
  const ms = performance.now() - start;
  if (p.status !== 0) throw new Error(`${label} exited ${p.status}: ${p.stderr}`);
  return { ms, stdout: p.stdout };
}

export async function benchCli(): Promise<Record<string, number>> {
  const include = (
    JSON.parse(readFileSync(join(root, "tsconfig.build.json"), "utf8")) as { include: string[] }
  ).include;
  if (staleSource(root, join(root, "dist"), include)) {
    process.stdout.write("cli: building dist/ first (npm run build)\n");
    const b = spawnSync("npm", ["run", "--silent", "build"], { cwd: root, stdio: "inherit" });
    if (b.status !== 0) throw new Error("npm run build failed");
  }
  const golden = readFileSync(join(root, "test", "golden", "zookeeper.yaml"), "utf8");
  const labels = Object.keys(COMMANDS);
  for (const label of labels) {
    const { stdout } = run(label); // also the warm-up: file caches
    if (label !== "floor" && stdout !== golden)
      throw new Error(`${label} did not print the golden zookeeper.yaml`);
  }
  const times: Record<string, number[]> = Object.fromEntries(labels.map((l) => [l, []]));
  for (let r = 0; r < CLI_ROUNDS; r++)
    for (let k = 0; k < labels.length; k++) {
      const label = labels[(k + r) % labels.length]!;
      times[label]!.push(run(label).ms);
    }
  const m = (l: string) => median(times[l]!);
  const result: Record<string, number> = {};
  for (const l of labels) result[`${l}_ms`] = Math.round(m(l));
  result.compiled_over_floor = round2(m("compiled_cli") / m("floor"));
  result.pure_over_tsx_cli = round2(m("pure") / m("tsx_cli"));
  process.stdout.write(
    `cli: medians of ${CLI_ROUNDS} rounds: ${labels.map((l) => `${l} ${result[`${l}_ms`]} ms`).join(", ")}\n`,
  );
  return result;
}
