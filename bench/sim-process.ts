/**
 * The simulator in its own process, as a cluster is to a real provider: the benchmark's provider
 * then shares no event loop with the simulated pods. Protocol (one line each way):
 *   out: {"url":...,"kubeconfig":...}   on start
 *   in:  deploy <name> <replicas>        -> out: {"deployed":<epoch ms>}
 *        stats                           -> out: {"requests":n,"lastReadyAt":<epoch ms>}
 *        quit
 */
import { createInterface } from "node:readline";
import { Sim } from "../test/sim";
import { deploy } from "../test/support/rollout-fixture";

async function main() {
  const sim = await Sim.start({ readyAfterMs: Number(process.argv[2] ?? 20) });
  let lastReadyAt = 0;
  sim.store.subscribe((e) => {
    if (
      e.resource === "pods" &&
      e.object.status?.conditions?.some(
        (c: { type: string; status: string }) => c.type === "Ready" && c.status === "True",
      )
    )
      lastReadyAt = Date.now();
  });
  const say = (o: unknown) => process.stdout.write(`${JSON.stringify(o)}\n`);
  say({ url: sim.url, kubeconfig: sim.kubeconfig() });
  for await (const line of createInterface({ input: process.stdin })) {
    const [cmd, name, replicas] = line.trim().split(/\s+/);
    if (cmd === "deploy") {
      deploy(sim, name!, { replicas: Number(replicas), volumes: [] });
      say({ deployed: Date.now() });
    } else if (cmd === "stats") say({ requests: sim.requests.length, lastReadyAt });
    else if (cmd === "quit") break;
  }
  await sim.stop();
  process.exit(0);
}

void main();
