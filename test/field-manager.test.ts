/**
 * Server-side apply field ownership in the simulator (test/sim/field-manager.ts): the pure rules, then the same
 * over HTTP. Each rule is the one its upstream function states (see the module's comments).
 */
import { afterEach, describe, expect, it } from "vitest";
import { Sim } from "./sim";
import {
  ApplyConflict,
  compare,
  conflictMessage,
  fieldSet,
  fromFieldsV1,
  type ManagedFieldsEntry,
  managerId,
  recordApply,
  recordUpdate,
  requestManagedFields,
  toFieldsV1,
} from "./sim/field-manager";
import { replaceFieldManagers } from "./support/k8s-provider-model";

const V = "apps/v1";
const NOW = new Date("2026-12-03T07:00:00.123Z");
const paths = (s: Set<string>) => [...s].map((k) => (JSON.parse(k) as string[]).join(".")).sort();
const owners = (entries: ManagedFieldsEntry[], path: string) =>
  entries
    .filter((e) => paths(fromFieldsV1(e.fieldsV1)).includes(path))
    .map((e) => `${e.manager}/${e.operation}${e.subresource ? `/${e.subresource}` : ""}`)
    .sort();

const set = (annotations: Record<string, string> = {}, replicas = 2) => ({
  apiVersion: V,
  kind: "StatefulSet",
  metadata: { name: "s", namespace: "default", uid: "u", resourceVersion: "7", annotations },
  spec: { replicas, template: { spec: { containers: [{ name: "c", image: "x:1" }] } } },
  status: { replicas: 2 },
});

describe("field sets", () => {
  it("hold leaves, lists whole, and never status, identity or server-set metadata", () => {
    expect(paths(fieldSet(set({ a: "1" })))).toEqual([
      "metadata.annotations.a",
      "spec.replicas",
      "spec.template.spec.containers",
    ]);
    expect(paths(fieldSet(set(), "status"))).toEqual(["status.replicas"]);
    expect(paths(fieldSet(set(), "scale"))).toEqual(["spec.replicas"]);
  });

  it("round-trip through the fieldsV1 trie", () => {
    const s = fieldSet(set({ "stateful.pulumi.com/rollout": "x" }));
    const f = toFieldsV1(s);
    expect(f).toEqual({
      "f:metadata": { "f:annotations": { "f:stateful.pulumi.com/rollout": {} } },
      "f:spec": { "f:replicas": {}, "f:template": { "f:spec": { "f:containers": {} } } },
    });
    expect(fromFieldsV1(f)).toEqual(s);
  });

  it("compare: added, modified, removed leaves", () => {
    const c = compare(set({ a: "1", b: "1" }, 2), set({ a: "2", c: "1" }, 2));
    expect([paths(c.added), paths(c.modified), paths(c.removed)]).toEqual([
      ["metadata.annotations.c"],
      ["metadata.annotations.a"],
      ["metadata.annotations.b"],
    ]);
  });

  it("manager identity: operation and subresource count, an applier's apiVersion does not", () => {
    const base = { manager: "m", apiVersion: V };
    expect(managerId({ ...base, operation: "Apply" })).not.toBe(managerId({ ...base, operation: "Update" }));
    expect(managerId({ ...base, operation: "Update" })).not.toBe(
      managerId({ ...base, operation: "Update", subresource: "scale" }),
    );
    expect(managerId({ ...base, operation: "Apply" })).toBe(
      managerId({ ...base, operation: "Apply", apiVersion: "apps/v2" }),
    );
  });

  it("a request's managedFields count unless missing or empty (the live ones stay); [{}] resets them; a subresource cannot set them", () => {
    const live = { metadata: { managedFields: [{ manager: "a" }] } };
    expect(requestManagedFields(live, { metadata: {} })).toEqual([{ manager: "a" }]);
    expect(requestManagedFields(live, { metadata: { managedFields: [{ manager: "b" }] } })).toEqual([
      { manager: "b" },
    ]);
    expect(requestManagedFields(live, { metadata: { managedFields: [] } })).toEqual([{ manager: "a" }]);
    expect(requestManagedFields(live, { metadata: { managedFields: [{}] } })).toEqual([]);
    expect(requestManagedFields(live, { metadata: { managedFields: [{ manager: "b" }] } }, "scale")).toEqual([
      { manager: "a" },
    ]);
  });
});

describe("updates", () => {
  it("a create owns every field it sets; a later update takes what it changes from the others", () => {
    const created = recordUpdate({
      live: undefined,
      next: set({ a: "1" }),
      entries: [],
      manager: "c",
      apiVersion: V,
      now: NOW,
    });
    expect(created).toEqual([
      expect.objectContaining({
        manager: "c",
        operation: "Update",
        apiVersion: V,
        time: "2026-12-03T07:00:00Z",
      }),
    ]);
    const edited = recordUpdate({
      live: set({ a: "1" }),
      next: set({ a: "2" }),
      entries: created,
      manager: "e",
      apiVersion: V,
    });
    expect(owners(edited, "metadata.annotations.a")).toEqual(["e/Update"]);
    expect(owners(edited, "spec.replicas")).toEqual(["c/Update"]);
  });

  it("an update that changes nothing records nothing", () => {
    const created = recordUpdate({ live: undefined, next: set(), entries: [], manager: "c", apiVersion: V });
    expect(recordUpdate({ live: set(), next: set(), entries: created, manager: "x", apiVersion: V })).toEqual(
      created,
    );
  });

  it("a scale write owns spec.replicas with subresource scale, and takes it from its owner only when the value changes", () => {
    const applied = recordApply({
      live: undefined,
      config: set(),
      entries: [],
      manager: "p",
      apiVersion: V,
      force: false,
    }).entries;
    const same = recordUpdate({
      live: set(),
      next: set(),
      entries: applied,
      manager: "r",
      apiVersion: V,
      subresource: "scale",
    });
    expect(owners(same, "spec.replicas")).toEqual(["p/Apply"]);
    const scaled = recordUpdate({
      live: set({}, 2),
      next: set({}, 1),
      entries: applied,
      manager: "r",
      apiVersion: V,
      subresource: "scale",
    });
    expect(owners(scaled, "spec.replicas")).toEqual(["r/Update/scale"]);
    expect(paths(fromFieldsV1(scaled.find((e) => e.manager === "r")!.fieldsV1))).toEqual(["spec.replicas"]);
  });
});

describe("apply", () => {
  const first = () =>
    recordApply({
      live: undefined,
      config: set({ mark: "x" }),
      entries: [],
      manager: "p",
      apiVersion: V,
      force: false,
    });

  it("removes a field the manager applied before, no longer applies and nobody else owns", () => {
    const { object, entries } = first();
    const next = recordApply({
      live: object,
      config: set(),
      entries,
      manager: "p",
      apiVersion: V,
      force: false,
    });
    expect(next.object.metadata.annotations).toBeUndefined();
    expect(owners(next.entries, "metadata.annotations.mark")).toEqual([]);
  });

  it("keeps such a field when another manager owns it too", () => {
    const { object, entries } = first();
    const shared = recordApply({
      live: object,
      config: { metadata: { annotations: { mark: "x" } } },
      entries,
      manager: "q",
      apiVersion: V,
      force: false,
    });
    expect(owners(shared.entries, "metadata.annotations.mark")).toEqual(["p/Apply", "q/Apply"]);
    const next = recordApply({
      live: shared.object,
      config: set(),
      entries: shared.entries,
      manager: "p",
      apiVersion: V,
      force: false,
    });
    expect(next.object.metadata.annotations).toEqual({ mark: "x" });
  });

  it("a change to a field another manager owns is a conflict naming manager and path; force takes the field", () => {
    const { object, entries } = first();
    const scaled = recordUpdate({
      live: object,
      next: set({ mark: "x" }, 1),
      entries,
      manager: "r",
      apiVersion: V,
      subresource: "scale",
    });
    const live = {
      ...object,
      spec: { ...object.spec, replicas: 1 },
      metadata: { ...object.metadata, managedFields: scaled },
    };
    const apply = (force: boolean) =>
      recordApply({
        live,
        config: set({ mark: "x" }, 2),
        entries: scaled,
        manager: "p",
        apiVersion: V,
        force,
      });
    expect(apply).toThrow(ApplyConflict);
    expect(() => apply(false)).toThrow(
      'Apply failed with 1 conflict: conflict with "r" with subresource "scale" using apps/v1: .spec.replicas',
    );
    const forced = apply(true);
    expect(forced.object.spec.replicas).toBe(2);
    expect(owners(forced.entries, "spec.replicas")).toEqual(["p/Apply"]);
  });

  it("applying the value another manager set is no conflict: both own it", () => {
    const { object, entries } = first();
    const scaled = recordUpdate({
      live: object,
      next: set({ mark: "x" }, 1),
      entries,
      manager: "r",
      apiVersion: V,
      subresource: "scale",
    });
    const live = { ...object, spec: { ...object.spec, replicas: 1 } };
    const { entries: out } = recordApply({
      live,
      config: set({ mark: "x" }, 1),
      entries: scaled,
      manager: "p",
      apiVersion: V,
      force: false,
    });
    expect(owners(out, "spec.replicas")).toEqual(["p/Apply", "r/Update/scale"]);
  });

  it("an apply to an object with no managed fields first records them as before-first-apply's", () => {
    const { entries } = recordApply({
      live: set({ a: "1" }),
      config: { metadata: { labels: { l: "1" } } },
      entries: [],
      manager: "p",
      apiVersion: V,
      force: false,
    });
    expect(owners(entries, "metadata.annotations.a")).toEqual(["before-first-apply/Update"]);
    expect(owners(entries, "metadata.labels.l")).toEqual(["p/Apply"]);
  });

  it("several conflicts are grouped by manager, managers sorted", () => {
    const m = (name: string) => managerId({ manager: name, operation: "Apply", apiVersion: V });
    expect(
      conflictMessage([
        { manager: m("b"), path: ["spec", "replicas"] },
        { manager: m("a"), path: ["metadata", "labels", "x"] },
        { manager: m("b"), path: ["spec", "paused"] },
      ]),
    ).toBe(
      'Apply failed with 3 conflicts: conflicts with "a":\n- .metadata.labels.x\nconflicts with "b":\n- .spec.replicas\n- .spec.paused',
    );
  });
});

describe("over HTTP", () => {
  let sim: Sim;
  afterEach(async () => {
    await sim?.stop();
  });
  const STS = "/apis/apps/v1/namespaces/default/statefulsets";
  async function call(method: string, path: string, body: unknown, contentType = "application/json") {
    const res = await fetch(`${sim.url}${path}`, {
      method,
      body: typeof body === "string" ? body : JSON.stringify(body),
      headers: { "Content-Type": contentType, "User-Agent": "some-client/1.2 (linux)" },
    });
    return { status: res.status, body: (await res.json()) as any };
  }
  const manifest = (annotations: Record<string, string>, replicas = 2) => ({
    apiVersion: V,
    kind: "StatefulSet",
    metadata: { name: "s", annotations },
    spec: {
      serviceName: "h",
      replicas,
      selector: { matchLabels: { app: "s" } },
      template: { metadata: { labels: { app: "s" } }, spec: { containers: [{ name: "c", image: "x:1" }] } },
    },
  });

  it("a create records its manager (from the user agent without fieldManager), an apply removes what it stopped applying, a scale write conflicts with a later apply", async () => {
    sim = await Sim.start();
    const created = await call("POST", STS, manifest({ mark: "x" }));
    expect(created.status).toBe(201);
    expect(created.body.metadata.managedFields.map((e: any) => [e.manager, e.operation])).toEqual([
      ["some-client", "Update"],
    ]);
    // The creator's entry moved to the applier, as pulumi-kubernetes' fixCSAFieldManagers does by JSON patch.
    const [entry] = created.body.metadata.managedFields;
    const moved = await call(
      "PATCH",
      `${STS}/s`,
      [
        {
          op: "replace",
          path: "/metadata/managedFields",
          value: [{ ...entry, manager: "p", operation: "Apply" }],
        },
      ],
      "application/json-patch+json",
    );
    expect(moved.body.metadata.managedFields.map((e: any) => [e.manager, e.operation])).toEqual([
      ["p", "Apply"],
    ]);
    const applied = await call(
      "PATCH",
      `${STS}/s?fieldManager=p`,
      manifest({}),
      "application/apply-patch+yaml",
    );
    expect(applied.status).toBe(200);
    expect(applied.body.metadata.annotations).toBeUndefined();

    const scaled = await call("PUT", `${STS}/s/scale?fieldManager=r`, { spec: { replicas: 1 } });
    expect(scaled.status).toBe(200);
    const refused = await call(
      "PATCH",
      `${STS}/s?fieldManager=p`,
      manifest({}),
      "application/apply-patch+yaml",
    );
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({
      kind: "Status",
      reason: "Conflict",
      code: 409,
      message:
        'Apply failed with 1 conflict: conflict with "r" with subresource "scale" using apps/v1: .spec.replicas',
      details: { causes: [{ reason: "FieldManagerConflict", field: ".spec.replicas" }] },
    });
    const forced = await call(
      "PATCH",
      `${STS}/s?fieldManager=p&force=true`,
      manifest({}),
      "application/apply-patch+yaml",
    );
    expect(forced.status).toBe(200);
    expect(forced.body.spec.replicas).toBe(2);
  });

  it("an apply may not carry managedFields", async () => {
    sim = await Sim.start();
    const m = { ...manifest({}), metadata: { name: "s", managedFields: [] } };
    const res = await call("PATCH", `${STS}/s?fieldManager=p`, m, "application/apply-patch+yaml");
    expect(res.status).toBe(400);
  });
});

describe("the pulumi-kubernetes model's fixCSAFieldManagers (fluxcd/pkg/ssa PatchReplaceFieldsManagers)", () => {
  const e = (manager: string, operation: "Apply" | "Update", f: string, subresource?: string) => ({
    manager,
    operation,
    apiVersion: V,
    fieldsType: "FieldsV1" as const,
    fieldsV1: { [`f:${f}`]: {} },
    ...(subresource ? { subresource } : {}),
  });

  it("moves the create's pulumi-kubernetes Update entry to the SSA manager's Apply entry, merged, last; takes `kubectl*` too, leaves other managers and subresources alone", () => {
    const out = replaceFieldManagers(
      [
        e("pulumi-kubernetes-1", "Apply", "a"),
        e("pulumi-kubernetes", "Update", "b"),
        e("pulumi-stateful-rollout", "Update", "c", "scale"),
        e("kubectl-edit", "Update", "d"),
        e("kube-controller-manager", "Update", "s"),
      ],
      "pulumi-kubernetes-1",
    );
    expect(
      out?.map((x) => [
        x.manager,
        x.operation,
        Object.keys(x.fieldsV1 ?? {})
          .sort()
          .join(),
      ]),
    ).toEqual([
      ["pulumi-stateful-rollout", "Update", "f:c"],
      ["kube-controller-manager", "Update", "f:s"],
      // Names match by prefix: `kubectl-edit` is taken as `kubectl`.
      ["pulumi-kubernetes-1", "Apply", "f:a,f:b,f:d"],
    ]);
  });

  it("renames the first match when the SSA manager has no entry yet; nothing to move is no patch", () => {
    expect(replaceFieldManagers([e("pulumi-kubernetes", "Update", "b")], "p")).toEqual([
      { ...e("pulumi-kubernetes", "Update", "b"), manager: "p", operation: "Apply" },
    ]);
    expect(replaceFieldManagers([e("p", "Apply", "a"), e("x", "Update", "b")], "p")).toBeUndefined();
  });
});
