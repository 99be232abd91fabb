/**
 * `npm run --silent bench -- rollout`: ordered rollouts of 50, 200 and 1000 pods on the simulator
 * (in its own process, as a cluster would be), each pod Ready 20 ms after it starts, waited for by
 * the rollout provider in this process (after a warm-up run, so module loading and JIT are not
 * counted). Figures per run:
 *   provider_lag_ms  how long after the last pod turned Ready the provider returned (headline);
 *   provider_cpu_ms  CPU time (user + system) this process spent in the wait;
 *   events           watch events the provider received (pods and the set);
 *   requests         HTTP requests the simulator served (a watch counts once);
 *   cluster_ms       the simulated cluster's own time: deploy to last pod Ready.
 * `cpu_per_pod_ratio` is provider CPU per pod at 1000 over that at 50: 1 means linear in replicas.
 * No polling reference: a poll's lag depends on its phase against the last Ready, which no run fixes.
 * Last line: JSON with the 1000-pod figures, the ratio and the per-pod CPU at each size.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { waitForRollout } from "../sdk/rollout/provider";
import { inputsFor } from "../test/support/rollout-fixture";

const READY_MS = 20;
const SIZES = [50, 200, 1000];

/** The simulator process's answers (bench/sim-process.ts). */
type Reply = { deployed: number; requests: number; lastReadyAt: number };

async function startSim(): Promise<{
  kubeconfig: string;
  ask: (line: string) => Promise<Reply>;
  stop: () => void;
}> {
  const child = spawn(
    join(__dirname, "..", "node_modules", ".bin", "tsx"),
    [join(__dirname, "sim-process.ts"), String(READY_MS)],
    { stdio: ["pipe", "pipe", "inherit"] },
  );
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async () => JSON.parse((await lines.next()).value as string);
  const hello = await next();
  return {
    kubeconfig: hello.kubeconfig,
    ask: async (line) => {
      child.stdin.write(`${line}\n`);
      return next();
    },
    stop: () => {
      child.stdin.write("quit\n");
    },
  };
}

interface Run {
  replicas: number;
  provider_lag_ms: number;
  provider_cpu_ms: number;
  events: number;
  requests: number;
  cluster_ms: number;
}

async function providerRun(replicas: number): Promise<Run> {
  const sim = await startSim();
  try {
    const inputs = {
      ...inputsFor({ kubeconfig: () => sim.kubeconfig }, "bench", { replicas, volumes: [] }),
      timeoutSeconds: 600,
    };
    const stats = { events: 0 };
    const { deployed } = await sim.ask(`deploy bench ${replicas}`);
    const cpu = process.cpuUsage();
    await waitForRollout(inputs, () => {}, undefined, 30_000, stats);
    const used = process.cpuUsage(cpu);
    const done = Date.now();
    const s = await sim.ask("stats");
    return {
      replicas,
      provider_lag_ms: done - s.lastReadyAt,
      provider_cpu_ms: Math.round((used.user + used.system) / 1000),
      events: stats.events,
      requests: s.requests,
      cluster_ms: s.lastReadyAt - deployed,
    };
  } finally {
    sim.stop();
  }
}

export async function benchRollout(): Promise<Record<string, number>> {
  await providerRun(20); // warm-up: module loading and JIT
  const runs: Run[] = [];
  for (const n of SIZES) {
    const r = await providerRun(n);
    runs.push(r);
    process.stdout.write(
      `rollout ${n} pods: returned ${r.provider_lag_ms} ms after the last pod turned Ready; provider CPU ${r.provider_cpu_ms} ms (${(r.provider_cpu_ms / n).toFixed(3)} ms/pod) for ${r.events} events, ${r.requests} requests; cluster ${r.cluster_ms} ms\n`,
    );
  }
  const perPod = (r: Run) => r.provider_cpu_ms / r.replicas;
  const small = runs[0]!;
  const big = runs.at(-1)!;
  return {
    ...big,
    cpu_per_pod_ratio: Number((perPod(big) / perPod(small)).toFixed(2)),
    ...Object.fromEntries(runs.map((r) => [`cpu_per_pod_ms_${r.replicas}`, Number(perPod(r).toFixed(3))])),
  };
}
