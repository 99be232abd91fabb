/**
 * `npm run --silent bench -- sdk`: constructs 200 ZooKeeperEnsembles under Pulumi's mocks and, in
 * the same run, the same Kubernetes resources written by hand with @pulumi/kubernetes. Rounds
 * alternate between the two and the medians are compared. Last line: one JSON object.
 */
import { performance } from "node:perf_hooks";
import * as pulumi from "@pulumi/pulumi";

const APPS = 200;
const ROUNDS = 5;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export async function benchSdk(): Promise<Record<string, number>> {
  let registrations = 0;
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        registrations++;
        return { id: args.inputs?.metadata?.name ?? args.name, state: args.inputs };
      },
      call: (args) => args.inputs,
    },
    "bench",
    "bench",
    false,
  );
  const { ZooKeeperEnsemble } = await import("../components");
  const { rawZooKeeper } = await import("./raw-zookeeper");
  const settings = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs(): Promise<void> };

  async function time(build: (name: string) => void, round: number, prefix: string): Promise<number> {
    const start = performance.now();
    for (let i = 0; i < APPS; i++) build(`${prefix}${round}x${i}`);
    await settings.waitForRPCs();
    return performance.now() - start;
  }

  // Warm-up: JIT and module caches for both paths.
  await time((n) => new ZooKeeperEnsemble(n), 0, "wc");
  await time(rawZooKeeper, 0, "wr");
  const comp: number[] = [];
  const raw: number[] = [];
  for (let r = 1; r <= ROUNDS; r++) {
    if (r % 2) {
      comp.push(await time((n) => new ZooKeeperEnsemble(n), r, "c"));
      raw.push(await time(rawZooKeeper, r, "r"));
    } else {
      raw.push(await time(rawZooKeeper, r, "r"));
      comp.push(await time((n) => new ZooKeeperEnsemble(n), r, "c"));
    }
  }
  const components_ms = Math.round(median(comp));
  const raw_ms = Math.round(median(raw));
  process.stdout.write(
    `sdk: ${registrations} registrations; component rounds ${comp.map(Math.round).join(", ")} ms; raw rounds ${raw.map(Math.round).join(", ")} ms\n`,
  );
  return { apps: APPS, components_ms, raw_ms, ratio: Math.round((median(comp) / median(raw)) * 100) / 100 };
}
