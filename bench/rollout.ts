/**
 * `npm run --silent bench -- rollout`: a 50-pod ordered rollout on the simulator (in its own
 * process, as a cluster would be), each pod Ready 20 ms after it starts, waited for by the rollout
 * provider; then, in the same run, the same rollout waited for by a naive loop that lists pods once
 * a second. Overhead = total time minus the 50 x 20 ms the pods themselves take. Last line: JSON.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { waitForRollout } from "../sdk/rollout/provider";
import { inputsFor } from "../test/support/rollout-fixture";

const REPLICAS = 50;
const READY_MS = 20;

/** A simulator process and a way to ask it one thing at a time. */
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

async function providerRun(
  name: string,
): Promise<{ totalMs: number; requests: number; lagMs: number; clusterMs: number }> {
  const sim = await startSim();
  try {
    const inputs = {
      ...inputsFor({ kubeconfig: () => sim.kubeconfig }, name, { replicas: REPLICAS, volumes: [] }),
      timeoutSeconds: 120,
    };
    const { deployed } = await sim.ask(`deploy ${name} ${REPLICAS}`);
    await waitForRollout(inputs, () => {});
    const done = Date.now();
    const stats = await sim.ask("stats");
    return {
      totalMs: done - deployed,
      requests: stats.requests,
      lagMs: done - stats.lastReadyAt,
      clusterMs: stats.lastReadyAt - deployed,
    };
  } finally {
    sim.stop();
  }
}

async function pollingRun(name: string): Promise<{ totalMs: number; requests: number }> {
  const sim = await startSim();
  try {
    const url = /server: (\S+)/.exec(sim.kubeconfig)![1];
    const { deployed } = await sim.ask(`deploy ${name} ${REPLICAS}`);
    for (;;) {
      const res = await fetch(
        `${url}/api/v1/namespaces/default/pods?labelSelector=app.kubernetes.io%2Fname%3D${name}`,
      );
      const list = (await res.json()) as {
        items: { status?: { conditions?: { type: string; status: string }[] } }[];
      };
      const ready = list.items.filter((p) =>
        p.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True"),
      ).length;
      if (ready === REPLICAS) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    const done = Date.now();
    return { totalMs: done - deployed, requests: (await sim.ask("stats")).requests };
  } finally {
    sim.stop();
  }
}

export async function benchRollout(): Promise<Record<string, number>> {
  await providerRun("warmup"); // module loading and JIT
  const p = await providerRun("bench");
  const n = await pollingRun("bench");
  const floor = REPLICAS * READY_MS;
  process.stdout.write(
    `rollout: provider ${p.totalMs} ms (${p.lagMs} ms after the last pod turned Ready) with ${p.requests} requests; polling ${n.totalMs} ms with ${n.requests} requests; the pods alone ${floor} ms\n`,
  );
  return {
    replicas: REPLICAS,
    ready_delay_ms: READY_MS,
    overhead_ms: p.totalMs - floor,
    requests: p.requests,
    polling_overhead_ms: n.totalMs - floor,
    // Of overhead_ms: what the simulated cluster itself took beyond 50 x 20 ms, and what the
    // provider took after the last pod turned Ready.
    cluster_overhead_ms: p.clusterMs - floor,
    provider_lag_ms: p.lagMs,
  };
}
