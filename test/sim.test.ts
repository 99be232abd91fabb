/**
 * The simulator checked against ../shared/KUBERNETES.md, item by item, over real HTTP. Only what
 * these tests check is what the rollout tests may rely on.
 */
import { afterEach, describe, expect, it } from "vitest";
import { prng, Sim, seededFaults, until } from "./sim";

let sim: Sim;
afterEach(async () => {
  await sim?.stop();
});

async function call(method: string, path: string, body?: unknown, contentType = "application/json") {
  const res = await fetch(`${sim.url}${path}`, {
    method,
    ...(body !== undefined
      ? {
          body: typeof body === "string" ? body : JSON.stringify(body),
          headers: { "Content-Type": contentType },
        }
      : {}),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

const NS = "/api/v1/namespaces/default";
const APPS = "/apis/apps/v1/namespaces/default";

function setManifest(name: string, spec: Record<string, unknown> = {}) {
  return {
    metadata: { name },
    spec: {
      serviceName: `${name}-h`,
      replicas: 3,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: "c", image: "i:1" }] } },
      volumeClaimTemplates: [
        {
          metadata: { name: "data" },
          spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } },
        },
      ],
      ...spec,
    },
  };
}

const podNames = () =>
  sim
    .pods()
    .map((p) => p.metadata.name)
    .sort();
const readyPods = () =>
  sim.pods().filter((p) => p.status?.conditions?.some((c: any) => c.type === "Ready" && c.status === "True"))
    .length;

/** Reads a watch stream until `n` events or the stream ends. */
async function watchEvents(
  path: string,
  n: number,
  timeoutMs = 2000,
): Promise<{ status: number; events: any[] }> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), timeoutMs);
  const res = await fetch(`${sim.url}${path}`, { signal: ac.signal });
  const events: any[] = [];
  let buf = "";
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buf += Buffer.from(chunk).toString();
      let i = buf.indexOf("\n");
      while (i >= 0) {
        events.push(JSON.parse(buf.slice(0, i)));
        buf = buf.slice(i + 1);
        i = buf.indexOf("\n");
      }
      if (events.length >= n) break;
    }
  } catch {
    // aborted
  } finally {
    clearTimeout(timer);
    ac.abort();
  }
  return { status: res.status, events };
}

describe("API server", () => {
  it("1. serves every path of the resources the provider uses", async () => {
    sim = await Sim.start();
    const paths: [string, unknown][] = [
      [`${NS}/pods`, { metadata: { name: "p" }, spec: { containers: [{ name: "c", image: "i" }] } }],
      [`${NS}/persistentvolumeclaims`, { metadata: { name: "c" }, spec: {} }],
      [`${NS}/services`, { metadata: { name: "s" }, spec: { clusterIP: "None" } }],
      [`${NS}/configmaps`, { metadata: { name: "m" }, data: { a: "b" } }],
      [`${APPS}/statefulsets`, setManifest("s", { replicas: 0 })],
      [
        "/apis/policy/v1/namespaces/default/poddisruptionbudgets",
        { metadata: { name: "b" }, spec: { selector: { matchLabels: { app: "guarded" } }, minAvailable: 1 } },
      ],
    ];
    for (const [path, body] of paths) {
      expect((await call("POST", path, body)).status).toBe(201);
      const name = (body as { metadata: { name: string } }).metadata.name;
      expect((await call("GET", `${path}/${name}`)).body.metadata.name).toBe(name);
    }
    expect((await call("GET", `${APPS}/statefulsets/s/scale`)).body.kind).toBe("Scale");
    const pod = (await call("GET", `${NS}/pods/p`)).body;
    expect(
      (await call("PUT", `${NS}/pods/p/status`, { ...pod, status: { phase: "Running" } })).body.status.phase,
    ).toBe("Running");
    expect((await call("POST", `${NS}/pods/p/eviction`, { metadata: { name: "p" } })).status).toBe(201);
    // An eviction that would break a budget is refused with 429.
    await call("POST", `${NS}/pods`, { metadata: { name: "g", labels: { app: "guarded" } }, spec: {} });
    const refused = await call("POST", `${NS}/pods/g/eviction`, { metadata: { name: "g" } });
    expect([refused.status, refused.body.reason]).toEqual([429, "TooManyRequests"]);
    expect((await call("GET", "/api/v1/namespaces/default/widgets")).status).toBe(404);
  });

  it("2. lists with kind, apiVersion, resourceVersion and label selectors", async () => {
    sim = await Sim.start();
    for (const [n, l] of [
      ["a", { tier: "db", env: "prod" }],
      ["b", { tier: "web", env: "prod" }],
      ["c", { tier: "db" }],
    ] as const)
      await call("POST", `${NS}/configmaps`, { metadata: { name: n, labels: l } });
    const list = (await call("GET", `${NS}/configmaps`)).body;
    expect(list.kind).toBe("ConfigMapList");
    expect(list.apiVersion).toBe("v1");
    expect(list.metadata.resourceVersion).toBe(String(sim.store.resourceVersion));
    const names = async (sel: string) =>
      (await call("GET", `${NS}/configmaps?labelSelector=${encodeURIComponent(sel)}`)).body.items.map(
        (i: any) => i.metadata.name,
      );
    expect(await names("tier=db")).toEqual(["a", "c"]);
    expect(await names("tier=db,env=prod")).toEqual(["a"]);
    expect(await names("tier!=db")).toEqual(["b"]);
    expect(await names("tier in (web,cache)")).toEqual(["b"]);
    expect(await names("tier notin (web)")).toEqual(["a", "c"]);
    expect(await names("!env")).toEqual(["c"]);
    expect(await names("env")).toEqual(["a", "b"]);
  });

  it("3. answers errors with Status objects and the right codes", async () => {
    sim = await Sim.start();
    const nf = await call("GET", `${NS}/pods/nope`);
    expect(nf.status).toBe(404);
    expect(nf.body).toEqual({
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message: 'pods "nope" not found',
      reason: "NotFound",
      details: { name: "nope", group: "", kind: "pods" },
      code: 404,
    });
    await call("POST", `${NS}/configmaps`, { metadata: { name: "x" } });
    const dup = await call("POST", `${NS}/configmaps`, { metadata: { name: "x" } });
    expect([dup.status, dup.body.reason]).toEqual([409, "AlreadyExists"]);
    const stale = await call("PUT", `${NS}/configmaps/x`, {
      metadata: { name: "x", resourceVersion: "999" },
      data: {},
    });
    expect([stale.status, stale.body.reason]).toEqual([409, "Conflict"]);
    const invalid = await call("POST", `${NS}/configmaps`, { metadata: {} });
    expect([invalid.status, invalid.body.reason]).toEqual([422, "Invalid"]);
    await call("POST", `${APPS}/statefulsets`, setManifest("s", { replicas: 0 }));
    const badScale = await call("PUT", `${APPS}/statefulsets/s/scale`, { spec: { replicas: -1 } });
    expect([badScale.status, badScale.body.reason]).toEqual([422, "Invalid"]);
    sim.faults = (r) =>
      r.resource === "configmaps" ? [{ kind: "status", code: 429, retryAfterSeconds: 2 }] : [];
    const tooMany = await call("GET", `${NS}/configmaps/x`);
    expect([
      tooMany.status,
      tooMany.body.reason,
      tooMany.headers.get("retry-after"),
      tooMany.body.details.retryAfterSeconds,
    ]).toEqual([429, "TooManyRequests", "2", 2]);
    sim.faults = () => [{ kind: "status", code: 503 }];
    expect((await call("GET", `${NS}/configmaps/x`)).body.reason).toBe("ServiceUnavailable");
    sim.faults = () => [{ kind: "status", code: 500 }];
    expect((await call("GET", `${NS}/configmaps/x`)).status).toBe(500);
  });

  it("4. keeps one resourceVersion counter for every write; generation grows only with the spec", async () => {
    sim = await Sim.start();
    // A PodDisruptionBudget: a spec/status object no simulated controller writes to.
    const PDB = "/apis/policy/v1/namespaces/default/poddisruptionbudgets";
    const a = (await call("POST", PDB, { metadata: { name: "b" }, spec: { minAvailable: 1 } })).body;
    const b = (await call("POST", `${NS}/configmaps`, { metadata: { name: "m" } })).body;
    expect(Number(b.metadata.resourceVersion)).toBe(Number(a.metadata.resourceVersion) + 1);
    expect(a.metadata.generation).toBe(1);
    const st = (await call("PUT", `${PDB}/b/status`, { ...a, status: { disruptionsAllowed: 0 } })).body;
    expect(Number(st.metadata.resourceVersion)).toBe(Number(b.metadata.resourceVersion) + 1);
    expect(st.metadata.generation).toBe(1);
    const labelled = (
      await call("PUT", `${PDB}/b`, { ...st, metadata: { ...st.metadata, labels: { x: "y" } } })
    ).body;
    expect(labelled.metadata.generation).toBe(1);
    expect(labelled.status).toEqual({ disruptionsAllowed: 0 });
    const changed = (await call("PUT", `${PDB}/b`, { ...labelled, spec: { minAvailable: 2 } })).body;
    expect(changed.metadata.generation).toBe(2);
    expect(Number(changed.metadata.resourceVersion)).toBe(sim.store.resourceVersion);
  });

  it("5. accepts merge, strategic merge, JSON and apply patches", async () => {
    sim = await Sim.start();
    await call("POST", `${APPS}/statefulsets`, setManifest("s", { replicas: 0 }));
    const p = (body: unknown, type: string, q = "") =>
      call("PATCH", `${APPS}/statefulsets/s${q}`, body, type);
    expect((await p({ spec: { replicas: 1 } }, "application/merge-patch+json")).body.spec.replicas).toBe(1);
    const sm = await p(
      { spec: { template: { spec: { containers: [{ name: "side", image: "s:1" }] } } } },
      "application/strategic-merge-patch+json",
    );
    expect(sm.body.spec.template.spec.containers.map((c: any) => c.name)).toEqual(["c", "side"]);
    const jp = await p(
      [
        { op: "replace", path: "/spec/replicas", value: 0 },
        { op: "add", path: "/metadata/labels", value: { a: "b" } },
      ],
      "application/json-patch+json",
    );
    expect([jp.body.spec.replicas, jp.body.metadata.labels]).toEqual([0, { a: "b" }]);
    expect(
      (await p([{ op: "test", path: "/spec/replicas", value: 9 }], "application/json-patch+json")).status,
    ).toBe(422);
    expect((await p("spec:\n  minReadySeconds: 5\n", "application/apply-patch+yaml")).status).toBe(400);
    const ap = await p("spec:\n  minReadySeconds: 5\n", "application/apply-patch+yaml", "?fieldManager=test");
    expect(ap.body.spec.minReadySeconds).toBe(5);
    expect((await p({}, "text/plain")).status).toBe(415);
  });

  it("6. deletes with propagation policies, finalizers and pod grace periods", async () => {
    sim = await Sim.start({ graceMs: 30 });
    const owner = (await call("POST", `${NS}/configmaps`, { metadata: { name: "owner" } })).body;
    const ref = [{ apiVersion: "v1", kind: "ConfigMap", name: "owner", uid: owner.metadata.uid }];
    await call("POST", `${NS}/configmaps`, { metadata: { name: "dep", ownerReferences: ref } });
    await call("DELETE", `${NS}/configmaps/owner`);
    await until("background GC", () => !sim.store.get("configmaps", "default", "dep"));

    const o2 = (await call("POST", `${NS}/configmaps`, { metadata: { name: "o2" } })).body;
    await call("POST", `${NS}/pods`, {
      metadata: {
        name: "dp",
        ownerReferences: [{ apiVersion: "v1", kind: "ConfigMap", name: "o2", uid: o2.metadata.uid }],
      },
      spec: {},
    });
    await call("DELETE", `${NS}/configmaps/o2?propagationPolicy=Foreground`);
    const during = sim.store.get("configmaps", "default", "o2");
    expect(during?.metadata.deletionTimestamp).toBeDefined();
    expect(during?.metadata.finalizers).toEqual(["foregroundDeletion"]);
    await until(
      "foreground done",
      () => !sim.store.get("configmaps", "default", "o2") && !sim.store.get("pods", "default", "dp"),
    );

    const o3 = (await call("POST", `${NS}/configmaps`, { metadata: { name: "o3" } })).body;
    await call("POST", `${NS}/configmaps`, {
      metadata: {
        name: "kept",
        ownerReferences: [{ apiVersion: "v1", kind: "ConfigMap", name: "o3", uid: o3.metadata.uid }],
      },
    });
    await call("DELETE", `${NS}/configmaps/o3`, { propagationPolicy: "Orphan" });
    await new Promise((r) => setTimeout(r, 20));
    expect(sim.store.get("configmaps", "default", "kept")?.metadata.ownerReferences).toEqual([]);

    await call("POST", `${NS}/configmaps`, { metadata: { name: "fin", finalizers: ["example.com/hold"] } });
    await call("DELETE", `${NS}/configmaps/fin`);
    const held = sim.store.get("configmaps", "default", "fin")!;
    expect(held.metadata.deletionTimestamp).toBeDefined();
    await call("PUT", `${NS}/configmaps/fin`, { ...held, metadata: { ...held.metadata, finalizers: [] } });
    expect(sim.store.get("configmaps", "default", "fin")).toBeUndefined();

    await call("POST", `${NS}/pods`, {
      metadata: { name: "graceful" },
      spec: { terminationGracePeriodSeconds: 30 },
    });
    await call("DELETE", `${NS}/pods/graceful`);
    expect(sim.store.get("pods", "default", "graceful")?.metadata.deletionGracePeriodSeconds).toBe(30);
    await until("kubelet ends the grace period", () => !sim.store.get("pods", "default", "graceful"));
  });

  it("7. watches: synthetic ADDED, resume from a resourceVersion, 410 for an old one, bookmarks", async () => {
    sim = await Sim.start();
    await call("POST", `${NS}/configmaps`, { metadata: { name: "a" } });
    const rv = sim.store.resourceVersion;
    await call("POST", `${NS}/configmaps`, { metadata: { name: "b" } });
    const all = await watchEvents(`${NS}/configmaps?watch=true`, 2);
    expect(all.events.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(["ADDED a", "ADDED b"]);
    const resumed = await watchEvents(
      `${NS}/configmaps?watch=true&resourceVersion=${rv}&allowWatchBookmarks=true`,
      2,
    );
    expect(resumed.events.map((e) => e.type)).toEqual(["ADDED", "BOOKMARK"]);
    expect(resumed.events[0].object.metadata.name).toBe("b");
    const live = watchEvents(
      `${NS}/configmaps?watch=true&resourceVersion=${sim.store.resourceVersion}&labelSelector=x%3Dy`,
      1,
    );
    await new Promise((r) => setTimeout(r, 50));
    await call("POST", `${NS}/configmaps`, { metadata: { name: "c", labels: { x: "y" } } });
    expect((await live).events.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(["ADDED c"]);
    sim.store.compact();
    const gone = await watchEvents(`${NS}/configmaps?watch=true&resourceVersion=${rv}`, 5);
    expect(gone.status).toBe(200);
    expect(gone.events).toHaveLength(1);
    expect(gone.events[0].type).toBe("ERROR");
    expect(gone.events[0].object).toMatchObject({ kind: "Status", code: 410, reason: "Expired" });
    sim.faults = (r) => (r.watch ? [{ kind: "cutWatchAfter", ms: 20 }] : []);
    const cut = await watchEvents(
      `${NS}/configmaps?watch=true&resourceVersion=${sim.store.resourceVersion}`,
      10,
      1000,
    );
    expect(cut.events).toEqual([]);
  });

  it("8. serves the scale subresource with the set's resourceVersion as precondition", async () => {
    sim = await Sim.start();
    await call("POST", `${APPS}/statefulsets`, setManifest("s", { replicas: 0 }));
    const scale = (await call("GET", `${APPS}/statefulsets/s/scale`)).body;
    expect(scale).toMatchObject({
      kind: "Scale",
      apiVersion: "autoscaling/v1",
      spec: { replicas: 0 },
      status: { replicas: 0, selector: "app=s" },
    });
    expect(scale.metadata.resourceVersion).toBe(
      sim.store.get("statefulsets", "default", "s")!.metadata.resourceVersion,
    );
    const ok = await call("PUT", `${APPS}/statefulsets/s/scale`, { ...scale, spec: { replicas: 1 } });
    expect(ok.body.spec.replicas).toBe(1);
    const stale = await call("PUT", `${APPS}/statefulsets/s/scale`, { ...scale, spec: { replicas: 2 } });
    expect(stale.status).toBe(409);
  });
});

describe("StatefulSet controller", () => {
  it("9. names pods by ordinal from ordinals.start, with the labels, hostname, subdomain and owner", async () => {
    sim = await Sim.start();
    sim.apply("statefulsets", "default", setManifest("db", { replicas: 2, ordinals: { start: 5 } }));
    await until("2 pods", () => readyPods() === 2);
    expect(podNames()).toEqual(["db-5", "db-6"]);
    const pod = sim.store.get("pods", "default", "db-5")!;
    const set = sim.store.get("statefulsets", "default", "db")!;
    expect(pod.metadata.labels).toEqual({
      app: "db",
      "statefulset.kubernetes.io/pod-name": "db-5",
      "apps.kubernetes.io/pod-index": "5",
      "controller-revision-hash": set.status.updateRevision,
    });
    expect([pod.spec.hostname, pod.spec.subdomain]).toEqual(["db-5", "db-h"]);
    expect(pod.metadata.ownerReferences).toEqual([
      {
        apiVersion: "apps/v1",
        kind: "StatefulSet",
        name: "db",
        uid: set.metadata.uid,
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
  });

  it("10. OrderedReady creates one pod at a time, each after the lower ones are Ready and available", async () => {
    sim = await Sim.start({ readyAfterMs: 15 });
    const created: { name: string; readyBefore: number }[] = [];
    sim.store.subscribe((e) => {
      if (e.resource === "pods" && e.type === "ADDED")
        created.push({ name: e.object.metadata.name, readyBefore: readyPods() });
    });
    sim.apply("statefulsets", "default", setManifest("o", { replicas: 3, minReadySeconds: 1 }));
    await until("3 ready", () => readyPods() === 3, 5000);
    expect(created).toEqual([
      { name: "o-0", readyBefore: 0 },
      { name: "o-1", readyBefore: 1 },
      { name: "o-2", readyBefore: 2 },
    ]);
    // minReadySeconds: o-1 came at least a second after o-0 turned Ready.
    const pods = sim.pods();
    const readyAt = (n: string) =>
      Date.parse(
        pods.find((p) => p.metadata.name === n)!.status.conditions.find((c: any) => c.type === "Ready")
          .lastTransitionTime,
      );
    const createdAt = (n: string) =>
      Date.parse(pods.find((p) => p.metadata.name === n)!.metadata.creationTimestamp!);
    expect(createdAt("o-1") - readyAt("o-0")).toBeGreaterThanOrEqual(1000);
  });

  it("10. Parallel creates and deletes all at once", async () => {
    sim = await Sim.start({ readyAfterMs: 1000, graceMs: 300 });
    sim.apply("statefulsets", "default", setManifest("p", { replicas: 3, podManagementPolicy: "Parallel" }));
    await until("3 pods", () => sim.pods().length === 3, 500);
    expect(readyPods()).toBe(0);
    // Scaling to 0 marks every pod for deletion at once, without waiting for any to be gone.
    const set = sim.store.get("statefulsets", "default", "p")!;
    sim.apply("statefulsets", "default", { metadata: { name: "p" }, spec: { ...set.spec, replicas: 0 } });
    await until(
      "3 terminating",
      () => sim.pods().filter((p) => p.metadata.deletionTimestamp).length === 3,
      250,
    );
    expect(sim.pods()).toHaveLength(3);
  });

  it("11. scales down highest first, one at a time, and not while a pod is unhealthy", async () => {
    sim = await Sim.start({ graceMs: 20 });
    sim.apply("statefulsets", "default", setManifest("d", { replicas: 4 }));
    await until("4 ready", () => readyPods() === 4);
    sim.kubelet.setReady("default", "d-1", false);
    sim.apply("statefulsets", "default", {
      metadata: { name: "d" },
      spec: { ...sim.store.get("statefulsets", "default", "d")!.spec, replicas: 2 },
    });
    await new Promise((r) => setTimeout(r, 100));
    expect(podNames()).toEqual(["d-0", "d-1", "d-2", "d-3"]);
    const terminating: string[][] = [];
    sim.store.subscribe((e) => {
      if (e.resource === "pods")
        terminating.push(
          sim
            .pods()
            .filter((p) => p.metadata.deletionTimestamp)
            .map((p) => p.metadata.name),
        );
    });
    sim.kubelet.setReady("default", "d-1", true);
    await until("2 pods", () => sim.pods().length === 2);
    expect(podNames()).toEqual(["d-0", "d-1"]);
    expect(terminating.every((t) => t.length <= 1)).toBe(true);
    expect(terminating.flat().filter((n, i, a) => a.indexOf(n) === i)).toEqual(["d-3", "d-2"]);
  });

  it("12. rolls from the highest ordinal down to the partition; completes the revision; OnDelete touches nothing", async () => {
    sim = await Sim.start();
    sim.apply(
      "statefulsets",
      "default",
      setManifest("r", {
        replicas: 3,
        updateStrategy: { type: "RollingUpdate", rollingUpdate: { partition: 1 } },
      }),
    );
    // The controller writes status just after the pods change: wait for the status, not the pods.
    await until(
      "3 ready in status",
      () => sim.store.get("statefulsets", "default", "r")?.status?.readyReplicas === 3,
    );
    const before = sim.store.get("statefulsets", "default", "r")!;
    expect(before.status).toMatchObject({
      replicas: 3,
      readyReplicas: 3,
      availableReplicas: 3,
      currentReplicas: 3,
      updatedReplicas: 3,
      observedGeneration: 1,
    });
    expect(before.status.currentRevision).toBe(before.status.updateRevision);
    const deletions: string[] = [];
    sim.store.subscribe((e) => {
      if (e.resource === "pods" && e.type === "DELETED") deletions.push(e.object.metadata.name);
    });
    const spec = structuredClone(before.spec);
    spec.template.spec.containers[0].image = "i:2";
    sim.apply("statefulsets", "default", { metadata: { name: "r" }, spec });
    await until("updated", () => {
      const s = sim.store.get("statefulsets", "default", "r")!;
      return s.status.updatedReplicas === 2 && s.status.readyReplicas === 3;
    });
    expect(deletions).toEqual(["r-2", "r-1"]);
    const after = sim.store.get("statefulsets", "default", "r")!;
    expect(after.status.currentRevision).toBe(before.status.currentRevision);
    expect(sim.store.get("pods", "default", "r-0")!.spec.containers[0].image).toBe("i:1");
    // Partition 0 completes the update: currentRevision := updateRevision.
    const s2 = structuredClone(after.spec);
    s2.updateStrategy.rollingUpdate.partition = 0;
    sim.apply("statefulsets", "default", { metadata: { name: "r" }, spec: s2 });
    await until("complete", () => {
      const s = sim.store.get("statefulsets", "default", "r")!;
      return (
        s.status.currentRevision === s.status.updateRevision &&
        s.status.updatedReplicas === 3 &&
        s.status.readyReplicas === 3
      );
    });
    // OnDelete never touches pods.
    const s3 = structuredClone(sim.store.get("statefulsets", "default", "r")!.spec);
    s3.updateStrategy = { type: "OnDelete" };
    s3.template.spec.containers[0].image = "i:3";
    deletions.length = 0;
    sim.apply("statefulsets", "default", { metadata: { name: "r" }, spec: s3 });
    await new Promise((r) => setTimeout(r, 100));
    expect(deletions).toEqual([]);
    expect(sim.store.get("statefulsets", "default", "r")!.status.updatedReplicas).toBe(0);
  });

  it("13. creates claims before their pod, reuses them, and implements the retention policy with owners", async () => {
    sim = await Sim.start();
    const order: string[] = [];
    sim.store.subscribe((e) => {
      if (e.type === "ADDED" && (e.resource === "pods" || e.resource === "persistentvolumeclaims"))
        order.push(e.object.metadata.name);
    });
    sim.apply(
      "statefulsets",
      "default",
      setManifest("k", {
        replicas: 2,
        persistentVolumeClaimRetentionPolicy: { whenDeleted: "Delete", whenScaled: "Delete" },
      }),
    );
    await until("2 ready", () => readyPods() === 2);
    expect(order).toEqual(["data-k-0", "k-0", "data-k-1", "k-1"]);
    const set = sim.store.get("statefulsets", "default", "k")!;
    expect(sim.store.get("persistentvolumeclaims", "default", "data-k-0")!.metadata.ownerReferences).toEqual([
      { apiVersion: "apps/v1", kind: "StatefulSet", name: "k", uid: set.metadata.uid },
    ]);
    // whenScaled=Delete: the condemned pod's claim goes with it.
    sim.apply("statefulsets", "default", { metadata: { name: "k" }, spec: { ...set.spec, replicas: 1 } });
    await until("claim of k-1 gone", () => !sim.store.get("persistentvolumeclaims", "default", "data-k-1"));
    // whenDeleted=Delete: the set's claims go with the set.
    sim.store.markDeleted(sim.rt("statefulsets"), "default", "k");
    await until("all gone", () => sim.claims().length === 0 && sim.pods().length === 0);

    // Retain (the default): claims have no owner, are kept and reused.
    sim.apply("statefulsets", "default", setManifest("keep", { replicas: 1 }));
    await until("1 ready", () => readyPods() === 1);
    const claim = sim.store.get("persistentvolumeclaims", "default", "data-keep-0")!;
    expect(claim.metadata.ownerReferences).toBeUndefined();
    sim.store.markDeleted(sim.rt("statefulsets"), "default", "keep");
    await until("pods gone", () => sim.pods().length === 0);
    sim.apply("statefulsets", "default", setManifest("keep", { replicas: 1 }));
    await until("1 ready again", () => readyPods() === 1);
    expect(sim.store.get("persistentvolumeclaims", "default", "data-keep-0")!.metadata.uid).toBe(
      claim.metadata.uid,
    );
  });
});

describe("kubelet stand-in", () => {
  it("14. runs pods Pending -> Running -> Ready with conditions, as each test decides", async () => {
    sim = await Sim.start({ readyAfterMs: 10 });
    sim.behaviors.set("b-1", { neverReady: true });
    sim.behaviors.set("c-0", { crash: true });
    sim.behaviors.set("u-0", { readyAfterMs: 5, unreadyAfterMs: 30 });
    const phases: string[] = [];
    sim.store.subscribe((e) => {
      if (e.resource === "pods" && e.object.metadata.name === "b-0") phases.push(e.object.status?.phase);
    });
    sim.apply("statefulsets", "default", setManifest("b", { replicas: 2, podManagementPolicy: "Parallel" }));
    sim.apply("statefulsets", "default", setManifest("c", { replicas: 1 }));
    sim.apply("statefulsets", "default", setManifest("u", { replicas: 1 }));
    await until("b-0 ready", () =>
      sim.store
        .get("pods", "default", "b-0")
        ?.status?.conditions?.some((c: any) => c.type === "Ready" && c.status === "True"),
    );
    expect(phases[0]).toBe("Pending");
    expect(phases.at(-1)).toBe("Running");
    const b0 = sim.store.get("pods", "default", "b-0")!;
    expect(b0.status.conditions.map((c: any) => `${c.type}=${c.status}`)).toEqual([
      "PodScheduled=True",
      "Initialized=True",
      "ContainersReady=True",
      "Ready=True",
    ]);
    expect(b0.status.conditions.every((c: any) => !Number.isNaN(Date.parse(c.lastTransitionTime)))).toBe(
      true,
    );
    await new Promise((r) => setTimeout(r, 120));
    expect(
      sim.store.get("pods", "default", "b-1")!.status.conditions.find((c: any) => c.type === "Ready").status,
    ).toBe("False");
    const c0 = sim.store.get("pods", "default", "c-0")!;
    expect(c0.status.containerStatuses[0].state.waiting.reason).toBe("CrashLoopBackOff");
    expect(c0.status.containerStatuses[0].lastState.terminated.exitCode).toBe(1);
    expect(
      sim.store.get("pods", "default", "u-0")!.status.conditions.find((c: any) => c.type === "Ready").status,
    ).toBe("False");
  });
});

describe("fault injection", () => {
  it("15. draws the same faults from the same seed", () => {
    const draw = (seed: number) => {
      const f = seededFaults(seed, {
        serverError: 0.2,
        tooMany: 0.1,
        conflict: 0.1,
        slow: 0.2,
        cutWatch: 0.3,
        expireWatch: 0.2,
      });
      return Array.from({ length: 200 }, (_, i) =>
        f({ method: i % 3 ? "GET" : "PUT", path: "/x", watch: i % 5 === 0, verb: "get", resource: "pods" }),
      );
    };
    expect(draw(7)).toEqual(draw(7));
    expect(draw(7)).not.toEqual(draw(8));
    expect(prng(1)()).toBe(prng(1)());
  });

  it("15. injects slow responses and restarts the API server with its state kept", async () => {
    sim = await Sim.start();
    await call("POST", `${NS}/configmaps`, { metadata: { name: "persist" } });
    sim.faults = () => [{ kind: "delay", ms: 80 }];
    const t0 = Date.now();
    await call("GET", `${NS}/configmaps/persist`);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(75);
    sim.faults = undefined;
    const port = sim.server.port;
    const restarting = sim.server.restart(100);
    await new Promise((r) => setTimeout(r, 20));
    await expect(fetch(`${sim.url}${NS}/configmaps/persist`)).rejects.toThrow();
    await restarting;
    expect(sim.server.port).toBe(port);
    expect((await call("GET", `${NS}/configmaps/persist`)).body.metadata.name).toBe("persist");
  });
});
