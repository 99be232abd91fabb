/**
 * `npm run --silent bench -- sdk`: constructs 200 ZooKeeperEnsembles under Pulumi's mocks and, in
 * the same run, the same Kubernetes resources written by hand with @pulumi/kubernetes. Rounds
 * rotate the order and the medians are compared. `ratio` compares like with like: ensembles with
 * `rollout: false` register exactly the Kubernetes objects the hand-written version does (plus the
 * component itself). `ratio_with_rollout` is the default, which also registers the two rollout
 * resources a hand-written program does not have. Last line: one JSON object.
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
  const { settled } = await import("../testing/render");

  async function time(build: (name: string) => void, round: number, prefix: string): Promise<number> {
    const start = performance.now();
    for (let i = 0; i < APPS; i++) build(`${prefix}${round}x${i}`);
    await settled();
    return performance.now() - start;
  }

  const variants: [string, (name: string) => void][] = [
    ["components", (n) => new ZooKeeperEnsemble(n, { rollout: false })],
    ["raw", rawZooKeeper],
    ["with_rollout", (n) => new ZooKeeperEnsemble(n)],
  ];
  // Warm-up: JIT and module caches for every path.
  for (const [label, build] of variants) await time(build, 0, `w${label.replace("_", "-")}-`);
  const times: Record<string, number[]> = { components: [], raw: [], with_rollout: [] };
  for (let r = 1; r <= ROUNDS; r++) {
    // Rotate the order each round so that no variant always runs first.
    for (let k = 0; k < variants.length; k++) {
      const [label, build] = variants[(k + r) % variants.length]!;
      times[label]!.push(await time(build, r, `${label.replace("_", "-")}-`));
    }
  }
  const m = (label: string) => median(times[label]!);
  process.stdout.write(
    `sdk: ${registrations} registrations; medians: components ${Math.round(m("components"))} ms, raw ${Math.round(m("raw"))} ms, with rollout ${Math.round(m("with_rollout"))} ms\n`,
  );
  return {
    apps: APPS,
    components_ms: Math.round(m("components")),
    raw_ms: Math.round(m("raw")),
    ratio: Math.round((m("components") / m("raw")) * 100) / 100,
    with_rollout_ms: Math.round(m("with_rollout")),
    ratio_with_rollout: Math.round((m("with_rollout") / m("raw")) * 100) / 100,
  };
}
