/**
 * End to end: the `zookeeper` example program through the engine model (test/support/engine.ts):
 * the Kubernetes objects go to the simulator through the pulumi-kubernetes model, the rollout
 * resources through Pulumi's real dynamic-provider host, in the order and with the deletes the
 * engine uses. The provider finds the cluster through the ambient KUBECONFIG, as it would on a
 * user's machine. Each pod runs a model ZooKeeper server (test/support/fake-zookeeper.ts), which
 * checks the super user against the digest in the Secret the program made, as real servers do.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runExample } from "../examples/catalog";
import { RELEASED_FROM } from "../sdk/rollout/provider";
import { Sim, until } from "./sim";
import { Engine } from "./support/engine";
import { FakeZooKeeper } from "./support/fake-zookeeper";

let sim: Sim;
let engine: Engine;
let zk: FakeZooKeeper;
let dir: string;
const program = () => runExample("zookeeper");
const podNames = () =>
  sim
    .pods()
    .map((p) => p.metadata.name)
    .sort();
/** The claims of zk-0..zk-4: once created, they must outlive every later step. */
const ALL_FIVE_CLAIMS = [0, 1, 2, 3, 4].map((i) => `datadir-zk-${i}`);
/** Pod names in the order they became Ready in the simulator (a re-created pod counts again). */
function watchReadiness(): () => string[] {
  const ready = (p: { status?: { conditions?: { type: string; status: string }[] } }) =>
    (p.status?.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True");
  const seen = new Set(
    sim
      .pods()
      .filter(ready)
      .map((p) => p.metadata.uid),
  );
  const order: string[] = [];
  const unsubscribe = sim.store.subscribe((e) => {
    if (e.resource !== "pods" || e.type === "DELETED" || seen.has(e.object.metadata.uid) || !ready(e.object))
      return;
    seen.add(e.object.metadata.uid);
    order.push(e.object.metadata.name);
  });
  return () => {
    unsubscribe();
    return order;
  };
}
const ready = (p: { status?: { conditions?: { type: string; status: string }[] } }) =>
  (p.status?.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True");
const claimNames = () =>
  sim
    .claims()
    .map((c) => c.metadata.name)
    .sort();

beforeAll(async () => {
  sim = await Sim.start({ readyAfterMs: 40 });
  zk = new FakeZooKeeper(sim, { setName: "zk" });
  dir = mkdtempSync(join(tmpdir(), "e2e-"));
  writeFileSync(join(dir, "kubeconfig"), sim.kubeconfig());
  process.env.KUBECONFIG = join(dir, "kubeconfig");
  engine = new Engine(sim);
});

afterAll(async () => {
  await sim.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("the zookeeper example through the rollout provider", () => {
  it("up: 3 servers Ready in ordinal order, one progress line each", async () => {
    await engine.up(program);
    expect(engine.errors).toEqual([]);
    expect(podNames()).toEqual(["zk-0", "zk-1", "zk-2"]);
    expect(engine.log.filter((l) => / ready \(/.test(l)).map((l) => l.replace(/ after .*/, ""))).toEqual([
      "zk-0 ready (1/3)",
      "zk-1 ready (2/3)",
      "zk-2 ready (3/3)",
    ]);
    const kinds = sim.store
      .list("services")
      .map((s) => s.metadata.name)
      .sort();
    expect(kinds).toEqual(["zk-client", "zk-headless"]);
    expect(
      (sim.store.get("configmaps", "default", "zk-config")?.data as Record<string, string>)["zoo.cfg"],
    ).not.toMatch(/^server\./m);
    // zk-0 bootstrapped alone; the others joined as non-voting followers and were added.
    expect(zk.votingPods()).toEqual(["zk-0", "zk-1", "zk-2"]);
    expect(engine.log).toContain("zk: voting members zk-0, zk-1, zk-2");
  });

  it("scale to 5: only the new servers start; the configuration is unchanged, so no running server restarts", async () => {
    const readiness = watchReadiness();
    await engine.up(program, { config: { replicas: "5" } });
    expect(engine.errors).toEqual([]);
    expect(podNames()).toEqual(["zk-0", "zk-1", "zk-2", "zk-3", "zk-4"]);
    // Parallel pods: zk-3 and zk-4 start together; nothing else restarts.
    expect(readiness().sort()).toEqual(["zk-3", "zk-4"]);
    expect(zk.votingPods()).toEqual(["zk-0", "zk-1", "zk-2", "zk-3", "zk-4"]);
    expect(sim.store.get("poddisruptionbudgets", "default", "zk-budget")?.spec.minAvailable).toBe(3);
    // Every pod ends on the new configuration.
    const set = sim.store.get("statefulsets", "default", "zk")!;
    expect(
      sim.pods().every((p) => p.metadata.labels!["controller-revision-hash"] === set.status.updateRevision),
    ).toBe(true);
  });

  it("scale to 3 is refused while zk-4 is unhealthy, and nothing changes", async () => {
    // zk-4's server stops serving; its readiness probe says so.
    zk.notServing.add(4);
    await until("zk-4 not Ready", () => !ready(sim.store.get("pods", "default", "zk-4")!));
    const setBefore = sim.store.get("statefulsets", "default", "zk")!;
    await engine.up(program, { config: { replicas: "3" } });
    expect(engine.errors.map((e) => e.message)).toEqual([
      [
        'refusing to scale StatefulSet "zk" from 5 to 3: every pod must be Ready before a scale-down, and this one is not:',
        "  - zk-4: phase Running, conditions ContainersReady=False, Ready=False, container running",
        "Nothing was changed. Fix the pods (or wait for them) and run the update again; if only pods being removed are unhealthy, rollout.allowUnhealthyRemoval lets them go.",
      ].join("\n"),
    ]);
    const setAfter = sim.store.get("statefulsets", "default", "zk")!;
    expect(setAfter.spec).toEqual(setBefore.spec);
    expect(podNames()).toEqual(["zk-0", "zk-1", "zk-2", "zk-3", "zk-4"]);
  });

  it("scale to 3 is accepted once zk-4 is healthy: zk-4 then zk-3 go, their claims stay", async () => {
    zk.notServing.delete(4);
    await until("zk-4 Ready", () => ready(sim.store.get("pods", "default", "zk-4")!));
    const mark = zk.events.length;
    await engine.up(program, { config: { replicas: "3" } });
    expect(engine.errors).toEqual([]);
    // Removed from the membership, highest first, before their pods were asked to stop.
    const down = zk.events.slice(mark).filter((e) => /^(reconfig|stop)/.test(e));
    expect(down.slice(0, 2)).toEqual(["reconfig -remove 5", "reconfig -remove 4"]);
    expect(down.slice(2).sort()).toEqual(["stop zk-3", "stop zk-4"]);
    expect(zk.votingPods()).toEqual(["zk-0", "zk-1", "zk-2"]);
    expect(podNames()).toEqual(["zk-0", "zk-1", "zk-2"]);
    expect(engine.log).toContain("zk: claims of removed pods kept: datadir-zk-3, datadir-zk-4");
    expect(claimNames()).toEqual(ALL_FIVE_CLAIMS);
  });

  it("destroy: pods torn down 2, 1, 0; every object gone but the 5 claims, kept and marked", async () => {
    await engine.destroy();
    expect(engine.log.filter((l) => / gone /.test(l)).map((l) => l.replace(/ after .*/, ""))).toEqual([
      "zk-2 gone (2 left)",
      "zk-1 gone (1 left)",
      "zk-0 gone (0 left)",
    ]);
    expect(podNames()).toEqual([]);
    expect(sim.store.list("statefulsets")).toEqual([]);
    expect(claimNames()).toEqual(ALL_FIVE_CLAIMS);
    expect(sim.claims().every((c) => c.metadata.annotations?.[RELEASED_FROM] === "default/zk")).toBe(true);
    expect(engine.log.at(-1)).toMatch(
      /^zk: kept 5 claims: datadir-zk-0, datadir-zk-1, datadir-zk-2, datadir-zk-3, datadir-zk-4/,
    );
  });
});
