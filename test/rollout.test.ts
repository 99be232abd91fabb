/** The rollout provider's operations against the simulator, through the real client over HTTP. */
import { afterEach, describe, expect, it } from "vitest";
import { guardUpdate, RELEASED_FROM, teardown, waitForRollout } from "../sdk/rollout/provider";
import { Sim, until } from "./sim";
import { deploy, inputsFor } from "./support/rollout-fixture";

let sim: Sim;
afterEach(async () => {
  await sim?.stop();
});

function logger() {
  const lines: string[] = [];
  return { lines, log: (l: string) => lines.push(l) };
}

describe("create and scale-up", () => {
  it("completes when pods 0..N-1 are Ready, observed in ascending order with a line each", async () => {
    sim = await Sim.start({ readyAfterMs: 30 });
    deploy(sim, "web", { replicas: 3 });
    const { lines, log } = logger();
    const r = await waitForRollout(inputsFor(sim, "web", { replicas: 3 }), log);
    expect(r.readyPods).toEqual(["web-0", "web-1", "web-2"]);
    expect(lines.filter((l) => / ready \(/.test(l)).map((l) => l.replace(/ after .*/, ""))).toEqual([
      "web-0 ready (1/3)",
      "web-1 ready (2/3)",
      "web-2 ready (3/3)",
    ]);
    expect(lines.at(-1)).toMatch(/^web: 3\/3 pods ready after \d+\.\ds$/);
  });

  it("scales up, reporting only the new pods", async () => {
    sim = await Sim.start();
    deploy(sim, "web", { replicas: 2 });
    await waitForRollout(inputsFor(sim, "web", { replicas: 2 }), () => {});
    deploy(sim, "web", { replicas: 4 });
    const { lines, log } = logger();
    await waitForRollout(inputsFor(sim, "web", { replicas: 4 }), log, inputsFor(sim, "web", { replicas: 2 }));
    expect(lines.filter((l) => / ready \(/.test(l)).map((l) => l.replace(/ after .*/, ""))).toEqual([
      "web-2 ready (3/4)",
      "web-3 ready (4/4)",
    ]);
  });

  it("fails at the deadline naming the stuck pod, its phase, conditions and last container state", async () => {
    sim = await Sim.start();
    sim.behaviors.set("web-1", { crash: true });
    deploy(sim, "web", { replicas: 3 });
    const err = await waitForRollout(
      inputsFor(sim, "web", { replicas: 3 }, { timeoutSeconds: 1 }),
      () => {},
    ).catch((e) => e);
    expect(err.name).toBe("RolloutError");
    expect(err.message).toBe(
      [
        'timed out after 1s waiting for StatefulSet "default/web" (1/3 ready):',
        "  web-1: phase Running, conditions ContainersReady=False, Ready=False, container waiting (CrashLoopBackOff: back-off restarting failed container), last terminated (Error, exit 1), 1 restarts — not Ready",
      ].join("\n"),
    );
    expect(sim.store.get("pods", "default", "web-2")).toBeUndefined();
  });
});

describe("scale-down", () => {
  it("is refused before any pod is touched while a pod is not Ready, naming it", async () => {
    sim = await Sim.start();
    deploy(sim, "web", { replicas: 4 });
    await waitForRollout(inputsFor(sim, "web", { replicas: 4 }), () => {});
    sim.kubelet.setReady("default", "web-2", false);
    const before = sim.requests.length;
    const err = await guardUpdate(
      inputsFor(sim, "web", { replicas: 4 }),
      inputsFor(sim, "web", { replicas: 2 }),
      () => {},
    ).catch((e) => e);
    expect(err.message.split("\n")).toEqual([
      'refusing to scale StatefulSet "web" from 4 to 2: every pod must be Ready before a scale-down, and this one is not:',
      "  - web-2: phase Running, conditions ContainersReady=False, Ready=False, container running",
      "Nothing was changed. Fix the pods (or wait for them) and run the update again; if only pods being removed are unhealthy, rollout.allowUnhealthyRemoval lets them go.",
    ]);
    expect(sim.requests.slice(before).filter((r) => !["get", "list", "watch"].includes(r.verb))).toEqual([]);
    expect(sim.store.get("statefulsets", "default", "web")!.spec.replicas).toBe(4);
  });

  it("goes highest ordinal first, each gone before the next, and keeps the claims", async () => {
    sim = await Sim.start();
    deploy(sim, "web", { replicas: 4 });
    await waitForRollout(inputsFor(sim, "web", { replicas: 4 }), () => {});
    await guardUpdate(
      inputsFor(sim, "web", { replicas: 4 }),
      inputsFor(sim, "web", { replicas: 2 }),
      () => {},
    );
    const order: string[] = [];
    const overlaps: string[] = [];
    const unsub = sim.store.subscribe((e) => {
      if (e.resource === "pods" && e.type === "DELETED") order.push(e.object.metadata.name);
      // A pod starts terminating only when no other pod is terminating.
      if (e.resource === "pods" && e.type === "MODIFIED" && e.object.metadata.deletionTimestamp) {
        const others = sim
          .pods()
          .filter((p) => p.metadata.deletionTimestamp && p.metadata.name !== e.object.metadata.name);
        if (others.length > 0)
          overlaps.push(`${e.object.metadata.name} with ${others.map((p) => p.metadata.name)}`);
      }
    });
    deploy(sim, "web", { replicas: 2 });
    const { lines, log } = logger();
    const r = await waitForRollout(
      inputsFor(sim, "web", { replicas: 2 }),
      log,
      inputsFor(sim, "web", { replicas: 4 }),
    );
    unsub();
    expect(overlaps).toEqual([]);
    expect(order).toEqual(["web-3", "web-2"]);
    expect(r.keptClaims).toEqual(["data-web-2", "data-web-3"]);
    expect(lines).toContain("web: claims of removed pods kept: data-web-2, data-web-3");
    expect(
      sim
        .claims()
        .map((c) => c.metadata.name)
        .sort(),
    ).toEqual(["data-web-0", "data-web-1", "data-web-2", "data-web-3"]);
  });
});

describe("template changes", () => {
  it("waits only for ordinals at or above the partition", async () => {
    sim = await Sim.start();
    deploy(sim, "web", { replicas: 4, partition: 2 });
    await waitForRollout(inputsFor(sim, "web", { replicas: 4, partition: 2 }), () => {});
    deploy(sim, "web", { replicas: 4, partition: 2, image: "registry.example/app:2" });
    await waitForRollout(
      inputsFor(sim, "web", { replicas: 4, partition: 2, image: "registry.example/app:2" }),
      () => {},
    );
    const images = sim
      .pods()
      .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))
      .map((p) => p.spec.containers[0].image);
    expect(images).toEqual([
      "registry.example/app:1",
      "registry.example/app:1",
      "registry.example/app:2",
      "registry.example/app:2",
    ]);
  });

  it("does not wait for OnDelete pods, and says so", async () => {
    sim = await Sim.start();
    deploy(sim, "web", { replicas: 2, updateStrategy: "OnDelete" });
    await waitForRollout(inputsFor(sim, "web", { replicas: 2, updateStrategy: "OnDelete" }), () => {});
    deploy(sim, "web", { replicas: 2, updateStrategy: "OnDelete", image: "registry.example/app:2" });
    await until(
      "new revision",
      () => sim.store.get("statefulsets", "default", "web")!.status.observedGeneration === 2,
    );
    const { lines, log } = logger();
    await waitForRollout(
      inputsFor(sim, "web", { replicas: 2, updateStrategy: "OnDelete", image: "registry.example/app:2" }),
      log,
    );
    expect(lines).toContain(
      "web: updateStrategy OnDelete: web-0, web-1 still run the old revision; delete them yourself to update them",
    );
    expect(sim.pods().every((p) => p.spec.containers[0].image === "registry.example/app:1")).toBe(true);
  });

  it("refuses a change that would replace the set, unless allowed", async () => {
    sim = await Sim.start();
    deploy(sim, "web", { replicas: 2 });
    const before = {
      ...inputsFor(sim, "web", { replicas: 2 }),
      ...(await waitForRollout(inputsFor(sim, "web", { replicas: 2 }), () => {})),
    };
    const bigger = { volumes: [{ name: "data", size: "2Gi", mountPath: "/data" }], replicas: 2 };
    const err = await guardUpdate(before, inputsFor(sim, "web", bigger), () => {}).catch((e) => e);
    expect(err.message).toContain(
      "  - spec.volumeClaimTemplates: [data 1Gi (default class) ReadWriteOnce] -> [data 2Gi (default class) ReadWriteOnce]",
    );
    await guardUpdate(
      before,
      inputsFor(sim, "web", { ...bigger, rollout: { allowReplacement: true, timeoutSeconds: 10 } }),
      () => {},
    );
  });
});

describe("destroy", () => {
  it("tears down N-1..0, each pod gone before the next, and keeps every claim, marked", async () => {
    sim = await Sim.start();
    deploy(sim, "web", { replicas: 3 });
    await waitForRollout(inputsFor(sim, "web", { replicas: 3 }), () => {});
    const deleted: string[] = [];
    const violations: string[] = [];
    const unsub = sim.store.subscribe((e) => {
      if (
        e.resource === "pods" &&
        e.type === "MODIFIED" &&
        e.object.metadata.deletionTimestamp &&
        !deleted.includes(e.object.metadata.name)
      ) {
        // When a pod starts terminating, every higher pod is already gone.
        const ord = Number(e.object.metadata.name.split("-")[1]);
        const higher = sim.pods().filter((p) => Number(p.metadata.name.split("-")[1]) > ord);
        if (higher.length > 0)
          violations.push(`${e.object.metadata.name} before ${higher.map((p) => p.metadata.name)}`);
        deleted.push(e.object.metadata.name);
      }
    });
    const { lines, log } = logger();
    const r = await teardown(inputsFor(sim, "web", { replicas: 3 }), log);
    unsub();
    expect(violations).toEqual([]);
    expect(deleted).toEqual(["web-2", "web-1", "web-0"]);
    expect(r.keptClaims).toEqual(["data-web-0", "data-web-1", "data-web-2"]);
    expect(sim.claims().map((c) => c.metadata.annotations?.[RELEASED_FROM])).toEqual([
      "default/web",
      "default/web",
      "default/web",
    ]);
    expect(lines.at(-1)).toMatch(/^web: kept 3 claims: data-web-0, data-web-1, data-web-2/);
    // The scale writes left no field owned by the rollout (this set had no other manager: reset).
    expect(sim.store.get("statefulsets", "default", "web")!.metadata.managedFields).toBeUndefined();
  });

  it("deletes claims only for whenDeleted Delete, and only after every pod is gone", async () => {
    sim = await Sim.start();
    const args = { replicas: 2, retention: { whenDeleted: "Delete" as const } };
    deploy(sim, "web", args);
    await waitForRollout(inputsFor(sim, "web", args), () => {});
    let podsWhenFirstClaimWent = -1;
    const unsub = sim.store.subscribe((e) => {
      if (
        e.resource === "persistentvolumeclaims" &&
        (e.type === "DELETED" || e.object.metadata.deletionTimestamp) &&
        podsWhenFirstClaimWent < 0
      )
        podsWhenFirstClaimWent = sim.pods().length;
    });
    await teardown(inputsFor(sim, "web", args), () => {});
    // The Kubernetes provider then deletes the set; the garbage collector takes the claims it owns.
    sim.store.markDeleted(sim.rt("statefulsets"), "default", "web");
    await until("claims gone", () => sim.claims().length === 0);
    unsub();
    expect(podsWhenFirstClaimWent).toBe(0);
  });
});

describe("an API server that never answers", () => {
  it("fails at the deadline saying what it could not read", async () => {
    sim = await Sim.start();
    deploy(sim, "web", { replicas: 1 });
    sim.faults = () => [{ kind: "status", code: 503 }];
    const started = Date.now();
    const err = await waitForRollout(
      inputsFor(sim, "web", { replicas: 1 }, { timeoutSeconds: 2 }),
      () => {},
    ).catch((e) => e);
    expect(err.name).toBe("RolloutError");
    expect(err.message).toMatch(
      /^timed out after 2s: StatefulSet "default\/web" could not be read \(last error: .*503.*\)$/,
    );
    expect(Date.now() - started).toBeLessThan(3500);
  });
});

describe("progress on long waits", () => {
  it("says what it still waits for when nothing else happens", async () => {
    sim = await Sim.start();
    sim.behaviors.set("web-0", { readyAfterMs: 700 });
    deploy(sim, "web", { replicas: 1 });
    const { lines, log } = logger();
    await waitForRollout(inputsFor(sim, "web", { replicas: 1 }), log, undefined, 200);
    const beats = lines.filter((l) => l.includes("waiting for"));
    expect(beats.length).toBeGreaterThanOrEqual(2);
    expect(beats[0]).toMatch(/^web: 0\/1 ready after \d+s; waiting for web-0: not Ready$/);
  });
});

describe("teardown details", () => {
  it("keeps and marks only this set's claims, not those of a set whose name starts the same", async () => {
    sim = await Sim.start();
    deploy(sim, "web", { replicas: 1, selectorLabels: { tier: "web" } });
    deploy(sim, "web-x", { replicas: 1, selectorLabels: { tier: "web" }, serviceName: "webx" });
    await until(
      "2 ready",
      () =>
        sim
          .pods()
          .filter((p) => p.status?.conditions?.some((c: any) => c.type === "Ready" && c.status === "True"))
          .length === 2,
    );
    const { lines, log } = logger();
    await teardown(inputsFor(sim, "web", { replicas: 1, selectorLabels: { tier: "web" } }), log, 50);
    expect(
      sim.store.get("persistentvolumeclaims", "default", "data-web-x-0")!.metadata.annotations?.[
        RELEASED_FROM
      ],
    ).toBeUndefined();
    expect(
      sim.store.get("persistentvolumeclaims", "default", "data-web-0")!.metadata.annotations?.[RELEASED_FROM],
    ).toBe("default/web");
    expect(lines.at(-1)).toMatch(/^web: kept 1 claims: data-web-0 /);
    expect(sim.pods().map((p) => p.metadata.name)).toEqual(["web-x-0"]);
  });

  it("says what it waits for while a pod takes long to go", async () => {
    sim = await Sim.start({ graceMs: 400 });
    deploy(sim, "web", { replicas: 1 });
    await waitForRollout(inputsFor(sim, "web", { replicas: 1 }), () => {});
    const { lines, log } = logger();
    await teardown(inputsFor(sim, "web", { replicas: 1 }), log, 100);
    expect(lines.some((l) => /^web: waiting for web-0: phase Running \(terminating\)/.test(l))).toBe(true);
  });
});

describe("watches", () => {
  it("restart a stream that has gone quiet (watchdog), and stay current", async () => {
    sim = await Sim.start();
    const { Cluster, WatchedSet } = await import("../sdk/rollout/client");
    const cluster = await Cluster.connect({
      kubeconfig: sim.kubeconfig(),
      deadline: Date.now() + 10_000,
      log: () => {},
    });
    const path = "/api/v1/namespaces/default/configmaps";
    const list = () => cluster.core.listNamespacedConfigMap({ namespace: "default" });
    const watched = new WatchedSet(cluster, path, {}, list, 150);
    await watched.start();
    const opened = () => sim.requests.filter((r) => r.watch && r.resource === "configmaps").length;
    expect(opened()).toBe(1);
    await until("two watchdog restarts", () => opened() >= 3, 3000);
    sim.apply("configmaps", "default", { metadata: { name: "after-restarts" } });
    await until("the change seen", () => watched.objects.has("after-restarts"), 3000);
    watched.stop();
  });
});
