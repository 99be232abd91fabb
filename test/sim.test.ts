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

/** Reads a watch stream until `n` events (or an event `n` accepts), the stream ends, or the timeout. */
async function watchEvents(
  path: string,
  n: number | ((event: any) => boolean),
  timeoutMs = 2000,
): Promise<{ status: number; events: any[] }> {
  const enough =
    typeof n === "number" ? (events: any[]) => events.length >= n : (events: any[]) => events.some(n);
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
      if (enough(events)) break;
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
      // Go omits the empty group of the core API.
      details: { name: "nope", kind: "pods" },
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
        // Only dependents with blockOwnerDeletion hold a foreground deletion (garbagecollector's blockingDependents).
        ownerReferences: [
          { apiVersion: "v1", kind: "ConfigMap", name: "o2", uid: o2.metadata.uid, blockOwnerDeletion: true },
        ],
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
    // The garbage collector removes the reference, then the owner's `orphan` finalizer; the emptied list is
    // omitted, as Go's omitempty does.
    await until("orphaned", () => !sim.store.get("configmaps", "default", "o3"));
    expect(sim.store.get("configmaps", "default", "kept")?.metadata.ownerReferences).toBeUndefined();

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
    // Long ready and grace times, so that "at once" holds on a loaded machine too.
    sim = await Sim.start({ readyAfterMs: 5000, graceMs: 5000 });
    sim.apply("statefulsets", "default", setManifest("p", { replicas: 3, podManagementPolicy: "Parallel" }));
    await until("3 pods", () => sim.pods().length === 3, 2000);
    expect(readyPods()).toBe(0);
    // Scaling to 0 marks every pod for deletion at once, without waiting for any to be gone.
    const set = sim.store.get("statefulsets", "default", "p")!;
    sim.apply("statefulsets", "default", { metadata: { name: "p" }, spec: { ...set.spec, replicas: 0 } });
    await until(
      "3 terminating",
      () => sim.pods().filter((p) => p.metadata.deletionTimestamp).length === 3,
      2000,
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
      {
        apiVersion: "apps/v1",
        kind: "StatefulSet",
        name: "k",
        uid: set.metadata.uid,
        controller: true,
        blockOwnerDeletion: true,
      },
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

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const setOf = (name: string, ns = "default") => sim.store.get("statefulsets", ns, name);
const claimOf = (name: string, ns = "default") => sim.store.get("persistentvolumeclaims", ns, name);
const readyOf = (name: string) =>
  sim.store.get("pods", "default", name)?.status?.conditions?.find((c: any) => c.type === "Ready")?.status ===
  "True";
/** Applies a change to a live set's spec in-process (as `kubectl apply` would). */
const respec = (name: string, change: (spec: any) => void) => {
  const spec = structuredClone(setOf(name)!.spec);
  change(spec);
  sim.apply("statefulsets", "default", { metadata: { name }, spec });
};
/** Names of the pods marked for deletion, in the order the marks happened. */
function deletionOrder(): string[] {
  const order: string[] = [];
  sim.store.subscribe((e) => {
    if (
      e.resource === "pods" &&
      e.object.metadata.deletionTimestamp &&
      !e.old?.metadata.deletionTimestamp &&
      e.type !== "DELETED"
    )
      order.push(e.object.metadata.name);
  });
  return order;
}

const FORBIDDEN_SPEC =
  "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden";

describe("fidelity items found missing in review", () => {
  it("16. rejects changes to immutable StatefulSet fields on PUT and every PATCH type, with upstream's Status", async () => {
    sim = await Sim.start();
    const created = (await call("POST", `${APPS}/statefulsets`, setManifest("web", { replicas: 0 }))).body;
    // The apps/v1 defaulter runs before validation, so an update that omits a defaulted field is no change.
    expect(created.spec).toMatchObject({
      podManagementPolicy: "OrderedReady",
      revisionHistoryLimit: 10,
      updateStrategy: { type: "RollingUpdate", rollingUpdate: { partition: 0 } },
      persistentVolumeClaimRetentionPolicy: { whenDeleted: "Retain", whenScaled: "Retain" },
    });
    expect(created.spec.volumeClaimTemplates[0].spec.volumeMode).toBe("Filesystem");
    const rejected = {
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message: `StatefulSet.apps "web" is invalid: spec: Forbidden: ${FORBIDDEN_SPEC}`,
      reason: "Invalid",
      details: {
        name: "web",
        group: "apps",
        kind: "StatefulSet",
        causes: [{ reason: "FieldValueForbidden", message: `Forbidden: ${FORBIDDEN_SPEC}`, field: "spec" }],
      },
      code: 422,
    };
    // Updates without a resourceVersion (unconditional; the controller writes status meanwhile).
    const latest0 = () => {
      const { status: _s, ...o } = setOf("web")!;
      return { ...o, metadata: { ...o.metadata, resourceVersion: undefined } };
    };
    const put = await call("PUT", `${APPS}/statefulsets/web`, {
      ...latest0(),
      spec: { ...created.spec, serviceName: "other" },
    });
    expect([put.status, put.body]).toEqual([422, rejected]);
    const p = (body: unknown, type: string, q = "") =>
      call("PATCH", `${APPS}/statefulsets/web${q}`, body, type);
    expect((await p({ spec: { volumeClaimTemplates: [] } }, "application/merge-patch+json")).body).toEqual(
      rejected,
    );
    expect(
      (await p({ spec: { podManagementPolicy: "Parallel" } }, "application/strategic-merge-patch+json")).body,
    ).toEqual(rejected);
    expect(
      (
        await p(
          [{ op: "replace", path: "/spec/revisionHistoryLimit", value: 3 }],
          "application/json-patch+json",
        )
      ).body,
    ).toEqual(rejected);
    expect(
      // Forced: without force the change is first a conflict with the creator's field ownership.
      (await p("spec:\n  serviceName: other\n", "application/apply-patch+yaml", "?fieldManager=t&force=true"))
        .body,
    ).toEqual(rejected);
    expect([setOf("web")!.metadata.generation, setOf("web")!.spec.serviceName]).toEqual([1, "web-h"]);

    // The six mutable fields change together.
    const template = structuredClone(created.spec.template);
    template.spec.containers[0].image = "i:2";
    const allowed = await call("PUT", `${APPS}/statefulsets/web`, {
      ...latest0(),
      spec: {
        ...created.spec,
        replicas: 0,
        minReadySeconds: 2,
        ordinals: { start: 3 },
        updateStrategy: { type: "OnDelete" },
        persistentVolumeClaimRetentionPolicy: { whenDeleted: "Delete", whenScaled: "Retain" },
        template,
      },
    });
    expect(allowed.status).toBe(200);
    const { podManagementPolicy: _p, revisionHistoryLimit: _r, ...withoutDefaults } = allowed.body.spec;
    expect(
      (await call("PUT", `${APPS}/statefulsets/web`, { ...latest0(), spec: withoutDefaults })).status,
    ).toBe(200);

    // metadata.name and metadata.namespace come from the URL; metadata.uid is immutable.
    const latest = setOf("web")!;
    const renamed = await p({ metadata: { name: "other" } }, "application/merge-patch+json");
    expect([renamed.status, renamed.body.reason, renamed.body.message]).toEqual([
      400,
      "BadRequest",
      "the name of the object (other) does not match the name on the URL (web)",
    ]);
    const moved = await call("PUT", `${APPS}/statefulsets/web`, {
      ...latest,
      metadata: { ...latest.metadata, namespace: "other" },
    });
    expect([moved.status, moved.body.reason, moved.body.message]).toEqual([
      400,
      "BadRequest",
      "the namespace of the provided object does not match the namespace sent on the request",
    ]);
    const reuid = await call("PUT", `${APPS}/statefulsets/web`, {
      ...latest,
      metadata: { ...latest.metadata, uid: "x" },
    });
    expect([reuid.status, reuid.body.message, reuid.body.details.causes]).toEqual([
      422,
      'StatefulSet.apps "web" is invalid: metadata.uid: Invalid value: "x": field is immutable',
      [
        {
          reason: "FieldValueInvalid",
          message: 'Invalid value: "x": field is immutable',
          field: "metadata.uid",
        },
      ],
    ]);
    // The in-process path a test uses (as `kubectl apply` would) meets the same rule.
    expect(() =>
      respec("web", (s) => {
        s.serviceName = "x";
      }),
    ).toThrow(FORBIDDEN_SPEC);
  });

  it("17. a set deleted with propagationPolicy Orphan leaves its pods running; a new set adopts them", async () => {
    sim = await Sim.start();
    await call("POST", `${APPS}/statefulsets`, setManifest("web", { replicas: 2 }));
    await until("2 ready", () => setOf("web")?.status?.readyReplicas === 2);
    const uids = () => sim.pods().map((p) => `${p.metadata.name}/${p.metadata.uid}`);
    const before = uids();
    const revision = sim.store.get("pods", "default", "web-0")!.metadata.labels!["controller-revision-hash"];
    const del = await call("DELETE", `${APPS}/statefulsets/web`, { propagationPolicy: "Orphan" });
    expect(del.status).toBe(200);
    expect(del.body.metadata.finalizers).toEqual(["orphan"]);
    expect(del.body.metadata.deletionTimestamp).toBeDefined();
    await until("set gone", () => !setOf("web"));
    await sleep(50);
    expect(uids()).toEqual(before);
    expect(sim.pods().map((p) => [p.metadata.ownerReferences, p.metadata.deletionTimestamp])).toEqual([
      [undefined, undefined],
      [undefined, undefined],
    ]);
    expect(readyPods()).toBe(2);

    const created = (await call("POST", `${APPS}/statefulsets`, setManifest("web", { replicas: 2 }))).body;
    expect(created.metadata.uid).not.toBe(del.body.metadata.uid);
    await until("adopted", () =>
      sim.pods().every((p) => p.metadata.ownerReferences?.[0]?.uid === created.metadata.uid),
    );
    await until("status", () => setOf("web")?.status?.readyReplicas === 2);
    expect(uids()).toEqual(before);
    expect(sim.store.get("pods", "default", "web-1")!.metadata.ownerReferences).toEqual([
      {
        apiVersion: "apps/v1",
        kind: "StatefulSet",
        name: "web",
        uid: created.metadata.uid,
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
    expect(sim.pods().map((p) => p.metadata.labels!["controller-revision-hash"])).toEqual([
      revision,
      revision,
    ]);
    expect(setOf("web")!.status).toMatchObject({
      replicas: 2,
      updatedReplicas: 2,
      currentRevision: revision,
    });
  });

  it("17. adopted pods keep their revision label, so a changed template rolls them, highest first", async () => {
    sim = await Sim.start();
    sim.apply("statefulsets", "default", setManifest("web", { replicas: 2 }));
    await until("2 ready", () => setOf("web")?.status?.readyReplicas === 2);
    const old = sim.store.get("pods", "default", "web-0")!.metadata.labels!["controller-revision-hash"];
    await call("DELETE", `${APPS}/statefulsets/web?propagationPolicy=Orphan`);
    await until("set gone", () => !setOf("web"));
    const order = deletionOrder();
    const next = setManifest("web", { replicas: 2 });
    (next.spec.template.spec.containers[0] as { image: string }).image = "i:2";
    sim.apply("statefulsets", "default", next);
    await until("rolled", () => {
      const s = setOf("web")?.status;
      return s?.updatedReplicas === 2 && s.readyReplicas === 2 && s.currentRevision === s.updateRevision;
    });
    expect(order).toEqual(["web-1", "web-0"]);
    const now = setOf("web")!.status.updateRevision;
    expect(now).not.toBe(old);
    expect(
      sim.pods().map((p) => [p.metadata.labels!["controller-revision-hash"], p.spec.containers[0].image]),
    ).toEqual([
      [now, "i:2"],
      [now, "i:2"],
    ]);
  });

  it("17. adopts only pods that match its selector, carry its name, are not terminating and have no controller", async () => {
    sim = await Sim.start();
    const pod = (name: string, labels: Record<string, string>, extra: Record<string, unknown> = {}) =>
      call("POST", `${NS}/pods`, {
        metadata: { name, labels, ...extra },
        spec: { containers: [{ name: "c" }] },
      });
    // Owners that exist (the garbage collector deletes dependents whose owners are all absent).
    const owner = (await call("POST", `${NS}/configmaps`, { metadata: { name: "owner" } })).body;
    const ref = { apiVersion: "v1", kind: "ConfigMap", name: "owner", uid: owner.metadata.uid };
    await pod("web-0", { app: "other" });
    await pod("webx-0", { app: "web" });
    await pod("web-1", { app: "web" }, { ownerReferences: [{ ...ref, controller: true }] });
    await pod("web-2", { app: "web" }, { finalizers: ["example.com/hold"] });
    await call("DELETE", `${NS}/pods/web-2`);
    await pod("web-3", { app: "web" }, { ownerReferences: [ref] });
    await until(
      "web-2 stays terminating",
      () => sim.store.get("pods", "default", "web-2")?.metadata.deletionGracePeriodSeconds === 0,
    );
    const set = (await call("POST", `${APPS}/statefulsets`, setManifest("web", { replicas: 0 }))).body;
    // web-3 is adopted (its non-controller owner stays), and as a condemned pod of a 0-replica set, deleted.
    await until("web-3 adopted and deleted", () => !sim.store.get("pods", "default", "web-3"));
    await sleep(50);
    expect(sim.store.get("pods", "default", "web-0")!.metadata.ownerReferences).toBeUndefined();
    expect(sim.store.get("pods", "default", "webx-0")!.metadata.ownerReferences).toBeUndefined();
    expect(sim.store.get("pods", "default", "web-1")!.metadata.ownerReferences).toEqual([
      { ...ref, controller: true },
    ]);
    expect(sim.store.get("pods", "default", "web-2")!.metadata.ownerReferences).toBeUndefined();
    expect(set.metadata.uid).toBeDefined();
  });

  it("18. scale-down: a condemned pod that is the first unhealthy pod goes; one behind another unhealthy pod waits", async () => {
    sim = await Sim.start({ graceMs: 20 });
    sim.apply("statefulsets", "default", setManifest("d", { replicas: 4 }));
    await until("4 ready", () => readyPods() === 4);
    // d-3 alone is unhealthy: it is the first unhealthy pod, so it may go.
    sim.kubelet.setReady("default", "d-3", false);
    const order = deletionOrder();
    respec("d", (s) => {
      s.replicas = 2;
    });
    await until("2 left", () => sim.pods().length === 2);
    expect(order).toEqual(["d-3", "d-2"]);

    // d-5 and d-4 unhealthy: d-4 is the first unhealthy pod, d-5 (highest, processed first) is not: blocked.
    respec("d", (s) => {
      s.replicas = 6;
    });
    await until("6 ready", () => readyPods() === 6);
    sim.kubelet.setReady("default", "d-5", false);
    sim.kubelet.setReady("default", "d-4", false);
    order.length = 0;
    respec("d", (s) => {
      s.replicas = 4;
    });
    await sleep(150);
    expect(order).toEqual([]);
    sim.kubelet.setReady("default", "d-4", true);
    await until("4 left", () => sim.pods().length === 4);
    expect(order).toEqual(["d-5", "d-4"]);
  });

  it("18. scale-down waits for in-range pods to be Running, Ready, available and not terminating; Parallel does not", async () => {
    sim = await Sim.start({ graceMs: 1000, readyAfterMs: 5 });
    sim.apply("statefulsets", "default", setManifest("d", { replicas: 3 }));
    await until("3 ready", () => readyPods() === 3);
    const order = deletionOrder();
    // An in-range pod terminating blocks the scale-down until its replacement is Ready.
    await call("DELETE", `${NS}/pods/d-0`);
    respec("d", (s) => {
      s.replicas = 2;
    });
    await sleep(200);
    expect(order).toEqual(["d-0"]);
    await until("d-2 gone", () => !sim.store.get("pods", "default", "d-2"), 5000);
    expect(order).toEqual(["d-0", "d-2"]);
    expect(readyOf("d-0")).toBe(true);
    // minReadySeconds: a Ready pod that is not yet available blocks it too.
    respec("d", (s) => {
      s.replicas = 2;
      s.minReadySeconds = 1;
    });
    sim.kubelet.setReady("default", "d-0", false);
    sim.kubelet.setReady("default", "d-0", true);
    order.length = 0;
    respec("d", (s) => {
      s.replicas = 1;
    });
    await sleep(300);
    expect(order).toEqual([]);
    await until("d-1 marked", () => order.includes("d-1"), 3000);

    // Parallel: every condemned pod at once, whatever the health of the others.
    sim.apply("statefulsets", "default", setManifest("p", { replicas: 4, podManagementPolicy: "Parallel" }));
    await until(
      "4 ready",
      () =>
        sim.pods().filter((x) => x.metadata.name.startsWith("p-") && readyOf(x.metadata.name)).length === 4,
    );
    sim.kubelet.setReady("default", "p-0", false);
    order.length = 0;
    respec("p", (s) => {
      s.replicas = 1;
    });
    await until("3 marked", () => order.length === 3, 1000);
    expect([...order].sort()).toEqual(["p-1", "p-2", "p-3"]);
  });

  it("19. status counts: terminating pods count in replicas and readyReplicas, not in current/updated; availableReplicas honours minReadySeconds", async () => {
    sim = await Sim.start({ graceMs: 1500 });
    sim.apply("statefulsets", "default", setManifest("s", { replicas: 3 }));
    await until("3 ready", () => setOf("s")?.status?.readyReplicas === 3);
    respec("s", (x) => {
      x.replicas = 2;
    });
    await until(
      "s-2 terminating",
      () => !!sim.store.get("pods", "default", "s-2")?.metadata.deletionTimestamp,
    );
    await until("status", () => setOf("s")!.status.currentReplicas === 2);
    expect(setOf("s")!.status).toMatchObject({
      replicas: 3,
      readyReplicas: 3,
      availableReplicas: 3,
      currentReplicas: 2,
      updatedReplicas: 2,
    });
    await until("s-2 gone", () => setOf("s")!.status.replicas === 2);

    sim.apply("statefulsets", "default", setManifest("m", { replicas: 1, minReadySeconds: 1 }));
    await until("m-0 ready", () => setOf("m")?.status?.readyReplicas === 1);
    expect(setOf("m")!.status.availableReplicas).toBe(0);
    const readyAt = Date.now();
    await until("m-0 available", () => setOf("m")!.status.availableReplicas === 1, 3000);
    expect(Date.now() - readyAt).toBeGreaterThan(500);
  });

  it("20. claim references are controller references, reconciled on every sync, also when the policy changes on a live set", async () => {
    sim = await Sim.start({ graceMs: 1000 });
    const controllerRef = (kind: string, name: string, uid: string) => ({
      apiVersion: kind === "Pod" ? "v1" : "apps/v1",
      kind,
      name,
      uid,
      controller: true,
      blockOwnerDeletion: true,
    });
    // whenDeleted=Delete: the set is the claims' controller.
    sim.apply(
      "statefulsets",
      "default",
      setManifest("k", {
        replicas: 1,
        persistentVolumeClaimRetentionPolicy: { whenDeleted: "Delete", whenScaled: "Retain" },
      }),
    );
    await until("k ready", () => setOf("k")?.status?.readyReplicas === 1);
    const k = setOf("k")!;
    await until("set ref", () => claimOf("data-k-0")?.metadata.ownerReferences !== undefined);
    expect(claimOf("data-k-0")!.metadata.ownerReferences).toEqual([
      controllerRef("StatefulSet", "k", k.metadata.uid!),
    ]);
    // Retain/Retain on the live set: the reference goes at the next sync.
    respec("k", (s) => {
      s.persistentVolumeClaimRetentionPolicy = { whenDeleted: "Retain", whenScaled: "Retain" };
    });
    await until("ref removed", () => claimOf("data-k-0")!.metadata.ownerReferences === undefined);

    // whenScaled=Delete: a condemned pod's claim is controlled by that pod; back to Retain removes the
    // reference before the pod is gone, so the claim is kept.
    sim.apply(
      "statefulsets",
      "default",
      setManifest("w", {
        replicas: 3,
        persistentVolumeClaimRetentionPolicy: { whenDeleted: "Retain", whenScaled: "Delete" },
      }),
    );
    await until("w ready", () => setOf("w")?.status?.readyReplicas === 3);
    expect(["data-w-0", "data-w-1", "data-w-2"].map((c) => claimOf(c)!.metadata.ownerReferences)).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
    respec("w", (s) => {
      s.replicas = 1;
    });
    const w1 = sim.store.get("pods", "default", "w-1")!;
    await until(
      "w-1's claim owned by w-1",
      () => claimOf("data-w-1")?.metadata.ownerReferences?.[0]?.uid === w1.metadata.uid,
    );
    expect(claimOf("data-w-1")!.metadata.ownerReferences).toEqual([
      controllerRef("Pod", "w-1", w1.metadata.uid!),
    ]);
    expect(sim.store.get("pods", "default", "w-2")!.metadata.deletionTimestamp).toBeDefined();
    respec("w", (s) => {
      s.persistentVolumeClaimRetentionPolicy = { whenDeleted: "Retain", whenScaled: "Retain" };
    });
    await until(
      "w-1 and w-2 gone",
      () => sim.pods().filter((p) => p.metadata.name.startsWith("w-")).length === 1,
      5000,
    );
    await sleep(50);
    expect(["data-w-1", "data-w-2"].map((c) => [!!claimOf(c), claimOf(c)?.metadata.ownerReferences])).toEqual(
      [
        [true, undefined],
        [true, undefined],
      ],
    );

    // whenScaled=Delete kept: the claim of a scaled-down pod goes with the pod.
    respec("w", (s) => {
      s.replicas = 2;
      s.persistentVolumeClaimRetentionPolicy = { whenDeleted: "Retain", whenScaled: "Delete" };
    });
    await until("w 2 ready", () => setOf("w")?.status?.readyReplicas === 2 && readyOf("w-1"));
    respec("w", (s) => {
      s.replicas = 1;
    });
    await until("data-w-1 deleted", () => !claimOf("data-w-1"), 5000);
    expect(claimOf("data-w-2")).toBeDefined();
  });

  it("21. a watch with a label selector sends DELETED when an object stops matching and ADDED when it starts again", async () => {
    sim = await Sim.start();
    const rv = sim.store.resourceVersion;
    const live = watchEvents(`${NS}/configmaps?watch=true&resourceVersion=${rv}&labelSelector=x%3Dy`, 5);
    await sleep(30);
    const cm = (await call("POST", `${NS}/configmaps`, { metadata: { name: "a", labels: { x: "y" } } })).body;
    const relabelled = (
      await call(
        "PATCH",
        `${NS}/configmaps/a`,
        { metadata: { labels: { x: "z" } } },
        "application/merge-patch+json",
      )
    ).body;
    await call("PATCH", `${NS}/configmaps/a`, { data: { k: "1" } }, "application/merge-patch+json");
    await call(
      "PATCH",
      `${NS}/configmaps/a`,
      { metadata: { labels: { x: "y" } } },
      "application/merge-patch+json",
    );
    await call("PATCH", `${NS}/configmaps/a`, { data: { k: "2" } }, "application/merge-patch+json");
    await call("DELETE", `${NS}/configmaps/a`);
    const expected = ["ADDED y", "DELETED y", "ADDED y", "MODIFIED y", "DELETED y"];
    const seen = (await live).events.map((e) => `${e.type} ${e.object.metadata.labels.x}`);
    expect(seen).toEqual(expected);
    // The DELETED for leaving the selector carries the previous content with the event's resourceVersion.
    const leaving = (await live).events[1].object;
    expect(leaving.metadata.resourceVersion).toBe(relabelled.metadata.resourceVersion);
    expect(cm.metadata.uid).toBe(leaving.metadata.uid);
    // The same from history.
    const resumed = await watchEvents(
      `${NS}/configmaps?watch=true&resourceVersion=${rv}&labelSelector=x%3Dy`,
      5,
    );
    expect(resumed.events.map((e) => `${e.type} ${e.object.metadata.labels.x}`)).toEqual(expected);
  });

  it("22. namespaces: deleting one marks it Terminating, refuses new content, deletes everything in it, claims included", async () => {
    sim = await Sim.start({ graceMs: 50 });
    const list = (await call("GET", "/api/v1/namespaces")).body;
    expect(list.kind).toBe("NamespaceList");
    expect(list.items.map((n: any) => n.metadata.name)).toEqual(
      expect.arrayContaining(["default", "kube-system", "kube-public", "kube-node-lease"]),
    );
    const created = await call("POST", "/api/v1/namespaces", { metadata: { name: "team" } });
    expect([created.status, created.body.status, created.body.spec]).toEqual([
      201,
      { phase: "Active" },
      { finalizers: ["kubernetes"] },
    ]);
    const T = "/api/v1/namespaces/team";
    await call("POST", `/apis/apps/v1/namespaces/team/statefulsets`, setManifest("db", { replicas: 2 }));
    await call("POST", `${T}/configmaps`, { metadata: { name: "conf" } });
    await until("2 ready", () => sim.pods("team").filter((p) => p.status?.phase === "Running").length === 2);
    const nsWatch = watchEvents(
      `/api/v1/namespaces?watch=true&resourceVersion=${sim.store.resourceVersion}`,
      (e) => e.type === "DELETED",
      5000,
    );
    await sleep(30);
    const del = await call("DELETE", T);
    expect([del.status, del.body.status.phase, !!del.body.metadata.deletionTimestamp]).toEqual([
      200,
      "Terminating",
      true,
    ]);
    const late = await call("POST", `${T}/configmaps`, { metadata: { name: "late" } });
    expect([late.status, late.body]).toEqual([
      403,
      {
        kind: "Status",
        apiVersion: "v1",
        metadata: {},
        status: "Failure",
        message:
          'configmaps "late" is forbidden: unable to create new content in namespace team because it is being terminated',
        reason: "Forbidden",
        details: {
          name: "late",
          kind: "configmaps",
          causes: [
            {
              reason: "NamespaceTerminating",
              message: "namespace team is being terminated",
              field: "metadata.namespace",
            },
          ],
        },
        code: 403,
      },
    ]);
    await until("namespace gone", () => !sim.store.get("namespaces", "", "team"), 5000);
    expect([
      sim.pods("team"),
      sim.claims("team"),
      sim.store.list("configmaps", "team"),
      sim.store.list("statefulsets", "team"),
    ]).toEqual([[], [], [], []]);
    // Terminating first; the namespace controller's finalize (MODIFIED) comes before the DELETED.
    const nsEvents = (await nsWatch).events.filter((e) => e.object.metadata.name === "team");
    expect(nsEvents.map((e) => `${e.type} ${e.object.status.phase}`)).toEqual([
      "MODIFIED Terminating",
      "MODIFIED Terminating",
      "DELETED Terminating",
    ]);
    expect(nsEvents[1].object.spec).toEqual({});
    const gone = await call("GET", T);
    expect([gone.status, gone.body.message]).toEqual([404, 'namespaces "team" not found']);
    const keep = await call("DELETE", "/api/v1/namespaces/default");
    expect([keep.status, keep.body.message]).toEqual([
      403,
      'namespaces "default" is forbidden: this namespace may not be deleted',
    ]);
    // Lenient by default: a namespace never created takes objects (see test/sim/index.ts).
    expect(
      (await call("POST", "/api/v1/namespaces/ghost/configmaps", { metadata: { name: "c" } })).status,
    ).toBe(201);
  });

  it("22. strictNamespaces: creating in a namespace that does not exist is refused as NamespaceLifecycle does", async () => {
    sim = await Sim.start({ strictNamespaces: true });
    const res = await call("POST", "/api/v1/namespaces/ghost/configmaps", { metadata: { name: "c" } });
    expect([res.status, res.body.reason, res.body.message]).toEqual([
      404,
      "NotFound",
      'namespaces "ghost" not found',
    ]);
    expect((await call("POST", `${NS}/configmaps`, { metadata: { name: "c" } })).status).toBe(201);
  });
});

describe("transport faults and exec (item 23)", () => {
  it("23. a request that never answers hangs until the client gives up", async () => {
    sim = await Sim.start();
    sim.faults = (r) => (r.resource === "configmaps" ? [{ kind: "hang" }] : []);
    const t0 = Date.now();
    await expect(fetch(`${sim.url}${NS}/configmaps`, { signal: AbortSignal.timeout(300) })).rejects.toThrow();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
    await until("the server saw the client go", () => sim.server.hanging === 0);
    expect((await call("GET", `${NS}/pods`)).status).toBe(200);
  });

  it("23. a connection reset, a refused connection, and the server back on the same port", async () => {
    sim = await Sim.start();
    const k8s = await import("@kubernetes/client-node");
    const kc = new k8s.KubeConfig();
    kc.loadFromString(sim.kubeconfig());
    const core = kc.makeApiClient(k8s.CoreV1Api);
    sim.faults = () => [{ kind: "reset" }];
    await expect(core.listNamespacedPod({ namespace: "default" })).rejects.toThrow(
      /socket hang up|ECONNRESET/,
    );
    sim.faults = undefined;
    await sim.server.down();
    const refused = await core.listNamespacedPod({ namespace: "default" }).catch((e) => e);
    expect(`${refused?.code} ${refused?.message}`).toMatch(/ECONNREFUSED/);
    await sim.server.up();
    expect((await core.listNamespacedPod({ namespace: "default" })).items).toEqual([]);
  });

  it("23. HTTPS with a certificate the kubeconfig's CA verifies; without that CA, verification fails", async () => {
    sim = await Sim.start({ tls: true });
    expect(sim.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const k8s = await import("@kubernetes/client-node");
    const client = (yaml: string) => {
      const kc = new k8s.KubeConfig();
      kc.loadFromString(yaml);
      return kc.makeApiClient(k8s.CoreV1Api);
    };
    expect((await client(sim.kubeconfig()).listNamespacedPod({ namespace: "default" })).kind).toBe("PodList");
    for (const ca of ["none", "other"] as const) {
      const err = await client(sim.kubeconfig({ ca }))
        .listNamespacedPod({ namespace: "default" })
        .catch((e) => e);
      expect(`${err?.code} ${err?.message}`).toMatch(
        /UNABLE_TO_VERIFY_LEAF_SIGNATURE|unable to verify the first certificate/,
      );
    }
    const skip = await client(sim.kubeconfig({ ca: "none", insecure: true })).listNamespacedPod({
      namespace: "default",
    });
    expect(skip.kind).toBe("PodList");
    // Exec goes over wss:// with the same verification.
    sim.exec = () => ({ stdout: "tls", exitCode: 0 });
    sim.apply("statefulsets", "default", setManifest("t", { replicas: 1 }));
    await until("t-0 ready", () => readyOf("t-0"));
    const { PassThrough } = await import("node:stream");
    const execOver = async (yaml: string) => {
      const kc = new k8s.KubeConfig();
      kc.loadFromString(yaml);
      const out = new PassThrough();
      let stdout = "";
      out.on("data", (d) => {
        stdout += d;
      });
      return new Promise<string>((resolve, reject) => {
        new k8s.Exec(kc)
          .exec("default", "t-0", "c", ["x"], out, null, null, false, () => resolve(stdout))
          .catch(reject);
      }).catch((e) => `refused: ${e?.message ?? e}`);
    };
    expect(await execOver(sim.kubeconfig())).toBe("tls");
    expect(await execOver(sim.kubeconfig({ ca: "other" }))).toMatch(/^refused: .*(certificate|verify)/);
  });

  it("23. 401 and 403 answers are Status objects, as a real API server sends them", async () => {
    sim = await Sim.start({ token: "right" });
    const k8s = await import("@kubernetes/client-node");
    const kc = new k8s.KubeConfig();
    kc.loadFromString(sim.kubeconfig({ token: "wrong" }));
    const err = await kc
      .makeApiClient(k8s.CoreV1Api)
      .listNamespacedPod({ namespace: "default" })
      .catch((e) => e);
    expect(err.code).toBe(401);
    // client-node drops the body of a 401; read it as it comes.
    const raw = await fetch(`${sim.url}${NS}/pods`, { headers: { Authorization: "Bearer wrong" } });
    expect(raw.status).toBe(401);
    expect(await raw.json()).toEqual({
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message: "Unauthorized",
      reason: "Unauthorized",
      code: 401,
    });
    const ok = new k8s.KubeConfig();
    ok.loadFromString(sim.kubeconfig());
    const apps = ok.makeApiClient(k8s.AppsV1Api);
    sim.faults = () => [{ kind: "status", code: 403 }];
    const denied = await apps
      .readNamespacedStatefulSetScale({ namespace: "default", name: "web" })
      .catch((e) => e);
    const deniedBody = typeof denied.body === "string" ? JSON.parse(denied.body) : denied.body;
    expect([denied.code, deniedBody]).toEqual([
      403,
      {
        kind: "Status",
        apiVersion: "v1",
        metadata: {},
        status: "Failure",
        message:
          'statefulsets.apps "web" is forbidden: User "sim" cannot get resource "statefulsets/scale" in API group "apps" in the namespace "default"',
        reason: "Forbidden",
        details: { name: "web", group: "apps", kind: "statefulsets" },
        code: 403,
      },
    ]);
    const listDenied = await fetch(`${sim.url}${NS}/pods`, {
      headers: { Authorization: "Bearer right" },
    }).then((r) => r.json() as Promise<{ message: string }>);
    expect(listDenied.message).toBe(
      'pods is forbidden: User "sim" cannot list resource "pods" in API group "" in the namespace "default"',
    );
    sim.faults = () => [{ kind: "status", code: 401 }];
    expect(
      (await apps.readNamespacedStatefulSet({ namespace: "default", name: "web" }).catch((e) => e)).code,
    ).toBe(401);
  });

  it("23. seeded faults draw resets always, and hangs, 401 and 403 only when asked", () => {
    const kinds = (rates: Parameters<typeof seededFaults>[1]) => {
      const f = seededFaults(3, rates);
      return new Set(
        Array.from({ length: 400 }, (_, i) =>
          f({
            method: "GET",
            path: "/x",
            watch: false,
            verb: "get",
            resource: "pods",
            namespace: "default",
            name: `p${i}`,
          }),
        )
          .flat()
          .map((x) => (x.kind === "status" ? `status ${x.code}` : x.kind)),
      );
    };
    const base = { serverError: 0.1, tooMany: 0.1, slow: 0.1, reset: 0.1 };
    expect([...kinds(base)].sort()).toEqual(["delay", "reset", "status 429", "status 500", "status 503"]);
    expect([...kinds({ ...base, hang: 0.05, unauthorized: 0.05, forbidden: 0.05 })]).toEqual(
      expect.arrayContaining(["hang", "status 401", "status 403"]),
    );
  });

  it("23. exec over WebSocket as client-node's Exec speaks it: stdout, stderr, stdin, exit codes, and upstream errors", async () => {
    sim = await Sim.start({ readyAfterMs: 5 });
    const calls: unknown[] = [];
    sim.exec = async (req) => {
      calls.push(req);
      if (req.command[0] === "fail") return { stdout: "", stderr: "bad\n", exitCode: 3 };
      return { stdout: `out:${req.command.join(" ")}:${req.stdin}`, stderr: "err", exitCode: 0 };
    };
    sim.apply("statefulsets", "default", setManifest("x", { replicas: 1 }));
    await until("x-0 ready", () => readyOf("x-0"));
    const k8s = await import("@kubernetes/client-node");
    const { PassThrough, Readable } = await import("node:stream");
    const kc = new k8s.KubeConfig();
    kc.loadFromString(sim.kubeconfig());
    const run = async (pod: string, command: string[], stdin?: string) => {
      const out = new PassThrough();
      const err = new PassThrough();
      let stdout = "";
      let stderr = "";
      out.on("data", (d) => {
        stdout += d;
      });
      err.on("data", (d) => {
        stderr += d;
      });
      const status = await new Promise<any>((resolve, reject) => {
        new k8s.Exec(kc)
          .exec(
            "default",
            pod,
            "c",
            command,
            out,
            err,
            stdin === undefined ? null : Readable.from([stdin]),
            false,
            resolve,
          )
          .catch(reject);
      });
      return { stdout, stderr, status };
    };
    expect(await run("x-0", ["echo", "hi"])).toEqual({
      stdout: "out:echo hi:",
      stderr: "err",
      status: { metadata: {}, status: "Success" },
    });
    expect((await run("x-0", ["cat"], "typed")).stdout).toBe("out:cat:typed");
    expect(calls[1]).toEqual({
      namespace: "default",
      pod: "x-0",
      container: "c",
      command: ["cat"],
      stdin: "typed",
    });
    expect(await run("x-0", ["fail"])).toEqual({
      stdout: "",
      stderr: "bad\n",
      status: {
        metadata: {},
        status: "Failure",
        message: "command terminated with non-zero exit code: error executing command [fail], exit code 3",
        reason: "NonZeroExitCode",
        details: { causes: [{ reason: "ExitCode", message: "3" }] },
      },
    });
    // A pod that does not exist, a container it does not have, a pod not scheduled: refused before the upgrade.
    const refused = async (pod: string, container: string) =>
      new k8s.Exec(kc).exec("default", pod, container, ["true"], new PassThrough(), null, null, false).then(
        () => "connected",
        (e) => String(e?.message ?? e),
      );
    expect(await refused("nope", "c")).toMatch(/404/);
    expect(await refused("x-0", "other")).toMatch(/400/);
    await call("POST", `${NS}/pods`, {
      metadata: { name: "unscheduled" },
      spec: { containers: [{ name: "c" }] },
    });
    sim.kubelet.stop();
    await call("POST", `${NS}/pods`, {
      metadata: { name: "pending" },
      spec: { containers: [{ name: "c" }] },
    });
    expect(await refused("pending", "c")).toMatch(/400/);
    const direct = await call("GET", `${NS}/pods/pending/exec?command=true&container=c&stdout=true`);
    expect([direct.status, direct.body.message]).toEqual([400, "Upgrade request required"]);
  });

  it("23. exec into a pod whose container is not running reports an internal error on the status channel", async () => {
    sim = await Sim.start();
    sim.exec = async () => ({ stdout: "", stderr: "", exitCode: 0 });
    sim.behaviors.set("c-0", { crash: true });
    sim.apply("statefulsets", "default", setManifest("c", { replicas: 1 }));
    await until(
      "c-0 crashed",
      () =>
        sim.store.get("pods", "default", "c-0")?.status?.containerStatuses?.[0]?.state?.waiting !== undefined,
    );
    const k8s = await import("@kubernetes/client-node");
    const { PassThrough } = await import("node:stream");
    const kc = new k8s.KubeConfig();
    kc.loadFromString(sim.kubeconfig());
    const status = await new Promise<any>((resolve, reject) => {
      new k8s.Exec(kc)
        .exec("default", "c-0", "c", ["true"], new PassThrough(), null, null, false, resolve)
        .catch(reject);
    });
    expect([status.status, status.reason, status.code]).toEqual(["Failure", "InternalError", 500]);
  });
});

describe("more stored resources and kubelet hooks", () => {
  it("stores HorizontalPodAutoscalers (autoscaling/v2) and Secrets (v1): CRUD, list, watch", async () => {
    sim = await Sim.start();
    const k8s = await import("@kubernetes/client-node");
    const kc = new k8s.KubeConfig();
    kc.loadFromString(sim.kubeconfig());
    const hpa = kc.makeApiClient(k8s.AutoscalingV2Api);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const H = "/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers";
    const watch = watchEvents(`${H}?watch=true&resourceVersion=${sim.store.resourceVersion}`, 3);
    await sleep(30);
    const created = await hpa.createNamespacedHorizontalPodAutoscaler({
      namespace: "default",
      body: {
        metadata: { name: "web" },
        spec: { scaleTargetRef: { apiVersion: "apps/v1", kind: "StatefulSet", name: "web" }, maxReplicas: 5 },
      },
    });
    expect(created.spec?.minReplicas).toBe(1);
    expect(created.spec?.metrics?.[0]?.resource?.name).toBe("cpu");
    created.spec!.maxReplicas = 7;
    expect(
      (
        await hpa.replaceNamespacedHorizontalPodAutoscaler({
          namespace: "default",
          name: "web",
          body: created,
        })
      ).spec?.maxReplicas,
    ).toBe(7);
    expect((await hpa.listNamespacedHorizontalPodAutoscaler({ namespace: "default" })).items.length).toBe(1);
    await hpa.deleteNamespacedHorizontalPodAutoscaler({ namespace: "default", name: "web" });
    expect((await watch).events.map((e) => e.type)).toEqual(["ADDED", "MODIFIED", "DELETED"]);

    const secret = await core.createNamespacedSecret({
      namespace: "default",
      body: { metadata: { name: "s" }, stringData: { password: "hunter2" } },
    });
    expect([secret.type, secret.data, (secret as any).stringData]).toEqual([
      "Opaque",
      { password: Buffer.from("hunter2").toString("base64") },
      undefined,
    ]);
    expect(
      (await core.listNamespacedSecret({ namespace: "default" })).items.map((s) => s.metadata?.name),
    ).toEqual(["s"]);
    await core.deleteNamespacedSecret({ namespace: "default", name: "s" });
    expect((await call("GET", `${NS}/secrets/s`)).status).toBe(404);

    // A test acts as the autoscaler by writing the scale subresource.
    sim.apply("statefulsets", "default", setManifest("web", { replicas: 1 }));
    const apps = kc.makeApiClient(k8s.AppsV1Api);
    await apps.patchNamespacedStatefulSetScale(
      { namespace: "default", name: "web", body: { spec: { replicas: 2 } } },
      k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch),
    );
    await until("2 pods", () => sim.pods().length === 2);
  });

  it("runs pods on a pluggable runtime: start, readiness by polling, stop bounded by the grace period", async () => {
    sim = await Sim.start();
    const log: string[] = [];
    const ready = new Map<string, boolean>();
    let stopHangs = false;
    sim.kubelet.readinessPeriodMs = 20;
    sim.kubelet.runtime = {
      start: async (pod) => {
        log.push(`start ${pod.metadata.name}`);
        return { podIP: `127.0.0.${10 + Number(pod.metadata.name.split("-")[1])}` };
      },
      ready: async (pod) => ready.get(pod.metadata.name) ?? false,
      stop: async (pod) => {
        log.push(`stop ${pod.metadata.name}`);
        if (stopHangs) await new Promise(() => {});
        await sleep(50);
        log.push(`stopped ${pod.metadata.name}`);
      },
    };
    sim.apply("statefulsets", "default", setManifest("z", { replicas: 2 }));
    await until("z-0 running", () => sim.store.get("pods", "default", "z-0")?.status?.phase === "Running");
    await sleep(100);
    expect(readyOf("z-0")).toBe(false);
    expect(sim.store.get("pods", "default", "z-1")).toBeUndefined();
    const flipAt = Date.now();
    ready.set("z-0", true);
    await until("z-0 ready", () => readyOf("z-0"));
    const cond = sim.store
      .get("pods", "default", "z-0")!
      .status.conditions.find((c: any) => c.type === "Ready");
    expect(Date.parse(cond.lastTransitionTime)).toBeGreaterThanOrEqual(flipAt - 5);
    ready.set("z-1", true);
    await until("z-1 ready", () => readyOf("z-1"));
    expect(sim.store.get("pods", "default", "z-1")!.status).toMatchObject({
      podIP: "127.0.0.11",
      podIPs: [{ ip: "127.0.0.11" }],
    });
    ready.set("z-0", false);
    await until("z-0 unready", () => !readyOf("z-0"));
    expect(log).toEqual(["start z-0", "start z-1"]);
    // Deleting a pod stops it; the pod goes once stop resolves.
    await call("DELETE", `${NS}/pods/z-1`);
    await until("z-1 gone", () => !sim.store.get("pods", "default", "z-1"));
    expect(log.slice(2, 4)).toEqual(["stop z-1", "stopped z-1"]);
    // A stop that never resolves is cut off at the grace period.
    stopHangs = true;
    respec("z", (s) => {
      s.replicas = 0;
    });
    const t0 = Date.now();
    await call("DELETE", `${NS}/pods/z-0?gracePeriodSeconds=1`);
    await until("z-0 gone", () => !sim.store.get("pods", "default", "z-0"), 3000);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    // Stopping the simulator stops what still runs: no process outlives it.
    stopHangs = false;
    log.length = 0;
    respec("z", (s) => {
      s.replicas = 1;
    });
    await until(
      "z-0 running again",
      () => sim.store.get("pods", "default", "z-0")?.status?.phase === "Running",
    );
    await sim.stop();
    expect(log).toEqual(["start z-0", "stop z-0", "stopped z-0"]);
  });
});
