/**
 * The engine model (test/support/engine.ts), one rule per test, on tiny programs: a few Kubernetes
 * objects on the simulator and a trivial dynamic resource run by Pulumi's real dynamic-provider
 * host. The rollout's own semantics are tested elsewhere; the last tests reproduce the review's
 * finding with the current rollout code.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { afterEach, describe, expect, it } from "vitest";
import { ROLLOUT_ANNOTATION as MARKER } from "../sdk/rollout/protocol";
import { Sim, until } from "./sim";
import { Engine, type ResourceState, type Step } from "./support/engine";
import { isSecret, UNKNOWN } from "./support/host";
import { KubernetesProvider } from "./support/k8s-provider-model";

// A trivial dynamic provider. Its closure captures no import (DESIGN.md, dynamic provider fact 1).
// What it does shows in `engine.log`: the host's stdout.
const thingProvider: pulumi.dynamic.ResourceProvider = {
  async check(_olds, news) {
    if (news.invalid)
      return { inputs: news, failures: [{ property: "value", reason: "must not be invalid" }] };
    return { inputs: news };
  },
  async diff(_id, olds, news) {
    const changes = olds.value !== news.value;
    console.log(`v1 diff ${news.label}: ${changes}`);
    return { changes, replaces: changes && news.replaceOnChange ? ["value"] : [] };
  },
  async create(inputs) {
    console.log(`v1 create ${inputs.label}`);
    if (inputs.fail) throw new Error(`${inputs.label} cannot be created`);
    if (inputs.failPartially)
      throw Object.assign(new Error(`${inputs.label} is half made`), {
        id: inputs.label,
        properties: { ...inputs, half: true },
        reasons: [`${inputs.label}: not ready`],
      });
    return { id: inputs.label, outs: { ...inputs, created: true } };
  },
  async update(id, _olds, news) {
    console.log(`v1 update ${id}`);
    return { outs: { ...news, created: true } };
  },
  async delete(id) {
    console.log(`v1 delete ${id}`);
  },
};

/** The same provider, a new version: a different serialized text. */
const thingProviderV2: pulumi.dynamic.ResourceProvider = {
  async diff(_id, olds, news) {
    const changes = olds.value !== news.value;
    console.log(`v2 diff ${news.label}: ${changes}`);
    return { changes };
  },
  async create(inputs) {
    console.log(`v2 create ${inputs.label}`);
    return { id: inputs.label, outs: { ...inputs, created: true } };
  },
  async update(id, _olds, news) {
    console.log(`v2 update ${id}`);
    return { outs: { ...news, created: true } };
  },
  async delete(id) {
    console.log(`v2 delete ${id}`);
  },
};

class Thing extends pulumi.dynamic.Resource {
  declare readonly value: pulumi.Output<string>;
  declare readonly created: pulumi.Output<boolean>;
  constructor(
    name: string,
    args: Record<string, pulumi.Input<unknown>> = {},
    opts?: pulumi.CustomResourceOptions,
    provider = thingProvider,
  ) {
    super(provider, name, { label: name, value: "1", created: undefined, ...args }, opts);
  }
}

class Group extends pulumi.ComponentResource {
  constructor(name: string, opts?: pulumi.ComponentResourceOptions) {
    super("test:index:Group", name, {}, opts);
  }
}

const configMap = (
  name: string,
  data: Record<string, pulumi.Input<string>> = { k: "v" },
  opts?: pulumi.CustomResourceOptions,
) => new k8s.core.v1.ConfigMap(name, { metadata: { name }, data }, opts);

const statefulSet = (
  name: string,
  o: { k8sName?: string; serviceName?: string; replicas?: number; skipAwait?: boolean } = {},
  opts?: pulumi.CustomResourceOptions,
) =>
  new k8s.apps.v1.StatefulSet(
    name,
    {
      metadata: {
        name: o.k8sName ?? name,
        annotations: o.skipAwait ? { "pulumi.com/skipAwait": "true" } : undefined,
      },
      spec: {
        serviceName: o.serviceName ?? `${name}-svc`,
        replicas: o.replicas ?? 1,
        selector: { matchLabels: { app: name } },
        template: {
          metadata: { labels: { app: name } },
          spec: { containers: [{ name: "c", image: "x:1" }] },
        },
      },
    },
    opts,
  );

let sims: Sim[] = [];
async function fresh(): Promise<{ sim: Sim; engine: Engine }> {
  const sim = await Sim.start({ readyAfterMs: 20 });
  sims.push(sim);
  return { sim, engine: new Engine(sim) };
}
afterEach(async () => {
  for (const s of sims) await s.stop();
  sims = [];
});

const CM = "kubernetes:core/v1:ConfigMap";
const STS = "kubernetes:apps/v1:StatefulSet";
const THING = "pulumi-nodejs:dynamic:Resource";
const short = (urn: string) => urn.split("::").at(-1)!;
const ops = (steps: Step[], filter?: (s: Step) => boolean) =>
  steps
    .filter(filter ?? (() => true))
    .map((s) => `${s.op} ${short(s.urn)}${s.skipped ? ` (${s.skipped})` : ""}`);
const inSim = (sim: Sim, plural: string, name: string) =>
  sim.store.get(plural, "default", name) !== undefined;
const stateOf = (engine: Engine, name: string, type: string): ResourceState | undefined =>
  engine.resources.find((r) => short(r.urn) === name && r.type === type);

async function ok(engine: Engine, program: () => unknown, options?: Parameters<Engine["up"]>[1]) {
  await engine.up(program, options);
  expect(engine.errors.map((e) => e.message)).toEqual([]);
}

describe("registrations", () => {
  it(
    "the monitor sees the whole request, and the engine fills protect, retainOnDelete and deletedWith from the parent",
    { timeout: 120_000 },
    async () => {
      const { engine } = await fresh();
      await ok(engine, () => {
        const anchor = configMap("anchor");
        const group = new Group("g", { protect: true, retainOnDelete: true, deletedWith: anchor });
        const a = configMap("a", { k: "v" }, { parent: group, ignoreChanges: ["data"] });
        new Thing(
          "t",
          { ref: a.metadata.name },
          { parent: group, dependsOn: [anchor], deleteBeforeReplace: true, aliases: [{ name: "old-t" }] },
        );
      });
      const reg = (name: string) => engine.registrations.find((r) => r.name === name)!;
      const group = reg("g");
      expect(group).toMatchObject({ custom: false, protect: true, retainOnDelete: true, inherited: [] });
      expect(reg("a")).toMatchObject({
        parent: group.urn,
        custom: true,
        ignoreChanges: ["data"],
        // The SDK copies protect from the parent itself; the engine adds the other two.
        protect: true,
        retainOnDelete: true,
        deletedWith: reg("anchor").urn,
        inherited: ["deletedWith", "retainOnDelete"],
      });
      const t = reg("t");
      expect(t.urn).toBe(
        "urn:pulumi:e2e::pulumi-stateful::test:index:Group$pulumi-nodejs:dynamic:Resource::t",
      );
      expect(t.dependencies.sort()).toEqual([reg("a").urn, reg("anchor").urn].sort());
      expect(t.propertyDependencies.ref).toEqual([reg("a").urn]);
      expect(t.deleteBeforeReplace).toBe(true);
      expect(t.aliases).toContainEqual(expect.objectContaining({ name: "old-t" }));
      expect(typeof t.inputs.__provider).toBe("string");
      // The state keeps what the engine decided.
      expect(stateOf(engine, "a", CM)).toMatchObject({
        protect: true,
        retainOnDelete: true,
        deletedWith: reg("anchor").urn,
      });
    },
  );
});

describe("up", () => {
  it(
    "creates Kubernetes objects through the pulumi-kubernetes model and a dynamic resource through the host, dependencies first",
    { timeout: 120_000 },
    async () => {
      const { sim, engine } = await fresh();
      await ok(engine, () => {
        const cm = configMap("cm");
        const set = statefulSet("web", { replicas: 2 }, { dependsOn: [cm] });
        new Thing("t", { setName: set.metadata.name });
      });
      expect(inSim(sim, "configmaps", "cm")).toBe(true);
      expect(inSim(sim, "statefulsets", "web")).toBe(true);
      expect(ops(engine.steps)).toEqual(["create cm", "create web", "create t"]);
      // pulumi-kubernetes waited for the StatefulSet (no skipAwait): its recorded live object is ready.
      const web = stateOf(engine, "web", STS)!;
      expect(web.id).toBe("default/web");
      expect((web.outputs as any).status.readyReplicas).toBe(2);
      expect((web.outputs as any).__inputs.spec.replicas).toBe(2);
      const t = stateOf(engine, "t", THING)!;
      expect(t).toMatchObject({ id: "t", outputs: { created: true, setName: "web" } });
      expect(typeof t.outputs.__provider).toBe("string");
      expect(engine.log).toEqual(["v1 create t"]);
    },
  );

  it(
    "the same program again: check and diff only, every step a same, no create/update/delete",
    { timeout: 120_000 },
    async () => {
      const { engine } = await fresh();
      const program = () => {
        configMap("cm");
        new Thing("t");
      };
      await ok(engine, program);
      await ok(engine, program);
      expect(ops(engine.steps).sort()).toEqual(["same cm", "same t"]);
      expect(engine.log).toEqual(["v1 diff t: false"]);
    },
  );

  it(
    "Kubernetes diffs are against the checkpoint, not the cluster: drift shows only after a refresh",
    { timeout: 120_000 },
    async () => {
      const { sim, engine } = await fresh();
      const program = () => statefulSet("web", { replicas: 2, skipAwait: true });
      await ok(engine, program);
      const live = sim.store.get("statefulsets", "default", "web")!;
      sim.apply("statefulsets", "default", { ...live, spec: { ...live.spec, replicas: 0 } });

      await ok(engine, program);
      expect(ops(engine.steps)).toEqual(["same web"]);
      expect(sim.store.get("statefulsets", "default", "web")!.spec.replicas).toBe(0);

      await engine.refresh();
      expect(engine.errors).toEqual([]);
      expect(stateOf(engine, "web", STS)!.inputs.spec).toMatchObject({ replicas: 0 });
      await ok(engine, program);
      expect(ops(engine.steps)).toEqual(["update web"]);
      expect(sim.store.get("statefulsets", "default", "web")!.spec.replicas).toBe(2);
    },
  );
});

describe("the end of an update: deletes", () => {
  it(
    "what the program no longer registers is deleted after every registration, dependents first",
    { timeout: 120_000 },
    async () => {
      const { sim, engine } = await fresh();
      await ok(engine, () => {
        const cm = configMap("cm");
        const t1 = new Thing("t1", {}, { dependsOn: [cm] });
        new Thing("t2", { after: t1.id });
        configMap("kept");
      });
      await ok(engine, () => {
        configMap("kept");
        configMap("new");
      });
      const seq = ops(engine.steps);
      expect(seq.slice(0, 2).sort()).toEqual(["create new", "same kept"]);
      expect(seq.slice(2)).toEqual(["delete t2", "delete t1", "delete cm"]);
      expect(engine.log).toEqual(["v1 delete t2", "v1 delete t1"]);
      expect(inSim(sim, "configmaps", "cm")).toBe(false);
      expect(engine.resources.map((r) => short(r.urn)).sort()).toEqual(["kept", "new"]);
    },
  );

  it(
    "check, diff and update run with the program's provider text; delete with the text stored in state",
    { timeout: 120_000 },
    async () => {
      const { engine } = await fresh();
      await ok(engine, () => new Thing("same"));
      // A new provider version: a same step keeps the outputs, and with them the old text.
      await ok(engine, () => new Thing("same", {}, {}, thingProviderV2));
      expect(engine.log).toEqual(["v2 diff same: false"]);
      await ok(engine, () => configMap("other"));
      expect(engine.log).toEqual(["v1 delete same"]);

      // An update stores the text it ran with.
      await ok(engine, () => new Thing("updated"));
      await ok(engine, () => new Thing("updated", { value: "2" }, {}, thingProviderV2));
      expect(engine.log).toEqual(["v2 diff updated: true", "v2 update updated"]);
      await ok(engine, () => configMap("other"));
      expect(engine.log).toEqual(["v2 delete updated"]);
    },
  );

  it(
    "a renamed resource is re-created and the old one deleted, unless an alias names its old identity (a component's alias carries to its children)",
    { timeout: 120_000 },
    async () => {
      const { sim, engine } = await fresh();
      await ok(engine, () => {
        new Thing("a", { label: "x" });
        const g = new Group("g1");
        new k8s.core.v1.ConfigMap("g1-cm", { metadata: { name: "cm" }, data: { k: "v" } }, { parent: g });
      });
      await ok(engine, () => {
        new Thing("b", { label: "x" }, { aliases: [{ name: "a" }] });
        const g = new Group("g2", { aliases: [{ name: "g1" }] });
        new k8s.core.v1.ConfigMap("g2-cm", { metadata: { name: "cm" }, data: { k: "v" } }, { parent: g });
      });
      expect(ops(engine.steps).sort()).toEqual(["same b", "same g2", "same g2-cm"]);
      await ok(engine, () => {
        new Thing("c", { label: "x" });
        const g = new Group("g2");
        new k8s.core.v1.ConfigMap("g2-cm", { metadata: { name: "cm" }, data: { k: "v" } }, { parent: g });
      });
      expect(ops(engine.steps).sort()).toEqual(["create c", "delete b", "same g2", "same g2-cm"]);
      expect(engine.log).toEqual(["v1 create x", "v1 delete x"]);
      expect(inSim(sim, "configmaps", "cm")).toBe(true);
    },
  );

  it(
    "a failed step stops the update: finished steps stay, dependents are never registered, nothing is deleted",
    { timeout: 120_000 },
    async () => {
      const { sim, engine } = await fresh();
      await ok(engine, () => {
        configMap("kept");
        configMap("unregistered");
      });
      await engine.up(() => {
        configMap("kept", { k: "changed" });
        const bad = new Thing("bad", { fail: true });
        configMap("after-bad", {}, { dependsOn: [bad] });
      });
      expect(engine.errors.map((e) => e.message)).toEqual(["bad cannot be created"]);
      expect(inSim(sim, "configmaps", "after-bad")).toBe(false);
      expect(engine.steps.some((s) => s.op === "delete")).toBe(false);
      expect(inSim(sim, "configmaps", "unregistered")).toBe(true);
      expect(stateOf(engine, "unregistered", CM)).toBeDefined();
      // A failed create without an id leaves nothing in state.
      expect(stateOf(engine, "bad", THING)).toBeUndefined();
      // The independent step ran (a ConfigMap data change is a delete-before-replace).
      expect(sim.store.get("configmaps", "default", "kept")!.data).toEqual({ k: "changed" });
    },
  );

  it(
    "a partially failed create is recorded with its id, outputs and reasons; the next up updates it without a diff",
    { timeout: 120_000 },
    async () => {
      const { engine } = await fresh();
      await engine.up(() => new Thing("half", { failPartially: true }));
      expect(engine.errors.map((e) => e.message)).toEqual(["half: not ready"]);
      expect(stateOf(engine, "half", THING)).toMatchObject({
        id: "half",
        outputs: { half: true },
        initErrors: ["half: not ready"],
      });
      await ok(engine, () => new Thing("half", { failPartially: true }));
      expect(engine.log).toEqual(["v1 diff half: false", "v1 update half"]);
      expect(ops(engine.steps)).toEqual(["update half"]);
      expect(stateOf(engine, "half", THING)!.initErrors).toEqual([]);
    },
  );

  it(
    "protect: removing a protected resource fails the update; other deletes run; what it depends on stays",
    { timeout: 120_000 },
    async () => {
      const { sim, engine } = await fresh();
      await ok(engine, () => {
        const base = configMap("base");
        configMap("guarded", {}, { protect: true, dependsOn: [base] });
        configMap("free");
        configMap("kept");
      });
      await engine.up(() => configMap("kept"));
      expect(engine.errors.map((e) => e.message.split("\n")[0])).toEqual([
        `resource "${engine.urnOf("guarded")}" cannot be deleted`,
      ]);
      expect(ops(engine.steps, (s) => s.op === "delete" && !s.error)).toEqual(["delete free"]);
      expect(inSim(sim, "configmaps", "guarded")).toBe(true);
      expect(inSim(sim, "configmaps", "base")).toBe(true);
      expect(inSim(sim, "configmaps", "free")).toBe(false);
    },
  );

  it(
    "retainOnDelete skips the provider (the object stays in the cluster); a component's is inherited by its children",
    { timeout: 120_000 },
    async () => {
      const { sim, engine } = await fresh();
      await ok(engine, () => {
        configMap("retained", {}, { retainOnDelete: true });
        const g = new Group("g", { retainOnDelete: true });
        configMap("child", {}, { parent: g });
        new Thing("thing-child", {}, { parent: g });
      });
      await engine.destroy();
      expect(engine.errors).toEqual([]);
      // DeleteStep.Apply tests retainOnDelete before it tests for a component: g reports it too.
      expect(ops(engine.steps).sort()).toEqual(
        [
          "delete child (retainOnDelete)",
          "delete g (retainOnDelete)",
          "delete retained (retainOnDelete)",
          "delete thing-child (retainOnDelete)",
        ].sort(),
      );
      expect(inSim(sim, "configmaps", "retained")).toBe(true);
      expect(inSim(sim, "configmaps", "child")).toBe(true);
      expect(engine.log).toEqual([]);
      expect(engine.resources).toEqual([]);
    },
  );

  it(
    "deletedWith skips the provider only when the other resource is deleted in the same operation",
    { timeout: 120_000 },
    async () => {
      const { engine } = await fresh();
      const both = () => {
        const owner = configMap("owner");
        new Thing("a", {}, { deletedWith: owner });
        new Thing("b", {}, { deletedWith: owner });
      };
      await ok(engine, both);
      await ok(engine, () => {
        const owner = configMap("owner");
        new Thing("a", {}, { deletedWith: owner });
      });
      expect(engine.log).toEqual(["v1 diff a: false", "v1 delete b"]);
      await engine.destroy();
      expect(engine.errors).toEqual([]);
      expect(ops(engine.steps)).toEqual(["delete a (deletedWith)", "delete owner"]);
      expect(engine.log).toEqual([]);
    },
  );
});

describe("replacement", () => {
  it(
    "a StatefulSet whose serviceName changes is deleted, pods and all, before the new one is created; a dependsOn dependent is untouched",
    { timeout: 120_000 },
    async () => {
      const { sim, engine } = await fresh();
      const program = (serviceName: string) => () => {
        const set = statefulSet("web", { serviceName, replicas: 2 });
        new Thing("watch", {}, { dependsOn: [set] });
      };
      await ok(engine, program("a"));
      const events: string[] = [];
      sim.store.subscribe((e) => {
        if (e.resource === "statefulsets" && e.type !== "MODIFIED")
          events.push(`${e.type} ${e.object.spec.serviceName}`);
      });
      await ok(engine, program("b"));
      expect(ops(engine.steps)).toEqual([
        "delete-replaced web",
        "replace web",
        "create-replacement web",
        "same watch",
      ]);
      expect(engine.steps.find((s) => s.op === "replace")).toMatchObject({
        replaces: ["spec.serviceName"],
        deleteBeforeReplace: true,
      });
      expect(events).toEqual(["DELETED a", "ADDED b"]);
      expect(
        sim
          .pods()
          .map((p) => p.metadata.name)
          .sort(),
      ).toEqual(["web-0", "web-1"]);
    },
  );

  it(
    "a new Kubernetes name is create-before-delete: the old object goes at the end of the update",
    { timeout: 120_000 },
    async () => {
      const { sim, engine } = await fresh();
      await ok(engine, () => {
        statefulSet("web", { k8sName: "web-a", skipAwait: true });
        configMap("cm");
      });
      await ok(engine, () => {
        statefulSet("web", { k8sName: "web-b", skipAwait: true });
        configMap("cm");
        configMap("late", {}, {});
      });
      // Registrations without dependencies between them run concurrently: only the last step is ordered.
      const seq = ops(engine.steps);
      expect(seq.slice(0, -1).sort()).toEqual([
        "create late",
        "create-replacement web",
        "replace web",
        "same cm",
      ]);
      expect(seq.at(-1)).toBe("delete-replaced web");
      expect(inSim(sim, "statefulsets", "web-a")).toBe(false);
      expect(inSim(sim, "statefulsets", "web-b")).toBe(true);
    },
  );

  it(
    "the old copy of a create-before-delete stays in state, marked, when the update fails; the next successful update deletes it",
    { timeout: 120_000 },
    async () => {
      const { sim, engine } = await fresh();
      await ok(engine, () => statefulSet("web", { k8sName: "web-a", skipAwait: true }));
      await engine.up(() => {
        const set = statefulSet("web", { k8sName: "web-b", skipAwait: true });
        new Thing("bad", { fail: true }, { dependsOn: [set] });
      });
      expect(engine.errors.map((e) => e.message)).toEqual(["bad cannot be created"]);
      expect(engine.resources.filter((r) => r.type === STS).map((r) => [r.id, r.delete])).toEqual([
        ["default/web-b", false],
        ["default/web-a", true],
      ]);
      expect(inSim(sim, "statefulsets", "web-a")).toBe(true);
      await ok(engine, () => statefulSet("web", { k8sName: "web-b", skipAwait: true }));
      expect(ops(engine.steps)).toEqual(["same web", "delete-replaced web"]);
      expect(inSim(sim, "statefulsets", "web-a")).toBe(false);
    },
  );

  it(
    "deleteBeforeReplace: false overrides pulumi-kubernetes; a replacement with the same name then fails: AlreadyExists",
    { timeout: 120_000 },
    async () => {
      const { engine } = await fresh();
      await ok(engine, () => configMap("cm", { k: "1" }, { deleteBeforeReplace: false }));
      await engine.up(() => configMap("cm", { k: "2" }, { deleteBeforeReplace: false }));
      expect(engine.errors).toHaveLength(1);
      expect(engine.errors[0]!.message).toMatch(/already exists/);
    },
  );

  it(
    "delete-before-replace takes along dependents whose inputs come from the replaced resource and would be replaced; dependsOn alone does not",
    { timeout: 120_000 },
    async () => {
      const { engine } = await fresh();
      const program = (data: string) => () => {
        const a = configMap("a", { k: data });
        new k8s.core.v1.ConfigMap("b", {
          metadata: { name: a.metadata.name.apply((n) => `${n}-b`) },
          data: { k: "b" },
        });
        configMap("c", {}, { dependsOn: [a] });
        new Thing("t", { from: a.metadata.name });
      };
      await ok(engine, program("1"));
      await ok(engine, program("2"));
      const seq = ops(engine.steps, (s) => ["a", "b", "c", "t"].includes(short(s.urn)));
      // b's name would be unknown after a's replacement: pulumi-kubernetes says "replace", so b goes
      // first. t's provider does not ask for a replacement: t stays.
      expect(seq.slice(0, 4)).toEqual([
        "delete-replaced b",
        "delete-replaced a",
        "replace a",
        "create-replacement a",
      ]);
      expect(seq).toContain("create-replacement b");
      expect(seq).toContain("same c");
      expect(seq).toContain("same t");
    },
  );

  it("a protected resource cannot be replaced", { timeout: 120_000 }, async () => {
    const { sim, engine } = await fresh();
    await ok(engine, () => configMap("cm", { k: "1" }, { protect: true }));
    await engine.up(() => configMap("cm", { k: "2" }, { protect: true }));
    expect(engine.errors[0]!.message).toMatch(/^unable to replace resource .* marked for protection/s);
    expect(sim.store.get("configmaps", "default", "cm")!.data).toEqual({ k: "1" });
  });
});

describe("destroy and refresh", () => {
  it("destroy deletes everything, dependents first, components last", { timeout: 120_000 }, async () => {
    const { sim, engine } = await fresh();
    await ok(engine, () => {
      const g = new Group("g");
      const cm = configMap("cm", {}, { parent: g });
      const set = statefulSet("web", { skipAwait: true }, { parent: g, dependsOn: [cm] });
      new Thing("t", {}, { parent: g, dependsOn: [set] });
    });
    await engine.destroy();
    expect(engine.errors).toEqual([]);
    expect(ops(engine.steps)).toEqual(["delete t", "delete web", "delete cm", "delete g"]);
    expect(sim.store.list("statefulsets")).toEqual([]);
    expect(engine.resources).toEqual([]);
  });

  it(
    "refresh reads Kubernetes objects from the cluster (a deleted one leaves the state); a dynamic resource without read keeps its state",
    { timeout: 120_000 },
    async () => {
      const { sim, engine } = await fresh();
      const program = () => {
        configMap("cm");
        new Thing("t");
      };
      await ok(engine, program);
      const before = stateOf(engine, "t", THING)!;
      sim.store.markDeleted(sim.rt("configmaps"), "default", "cm");
      await engine.refresh();
      expect(engine.errors).toEqual([]);
      expect(ops(engine.steps).sort()).toEqual(["refresh cm", "refresh t"]);
      expect(stateOf(engine, "cm", CM)).toBeUndefined();
      expect(stateOf(engine, "t", THING)).toEqual(before);
      await ok(engine, program);
      expect(ops(engine.steps).sort()).toEqual(["create cm", "same t"]);
    },
  );
});

describe("--target", () => {
  it(
    "only targeted resources change; untargeted ones keep their old state, new ones are not created, removed ones are not deleted",
    { timeout: 120_000 },
    async () => {
      const { sim, engine } = await fresh();
      await ok(engine, () => {
        configMap("x", { k: "1" });
        configMap("y", { k: "1" });
        configMap("removed");
      });
      await ok(
        engine,
        () => {
          configMap("x", { k: "2" });
          configMap("y", { k: "2" });
          configMap("new");
        },
        { target: [engine.urnOf("x")] },
      );
      expect(ops(engine.steps).sort()).toEqual(
        ["create-replacement x", "delete-replaced x", "replace x", "same y", "skipped-create new"].sort(),
      );
      expect(sim.store.get("configmaps", "default", "y")!.data).toEqual({ k: "1" });
      expect(stateOf(engine, "y", CM)!.inputs.data).toEqual({ k: "1" });
      expect(inSim(sim, "configmaps", "new")).toBe(false);
      expect(inSim(sim, "configmaps", "removed")).toBe(true);
    },
  );

  it(
    "a targeted resource that depends on an untargeted new one fails; deleting a target's dependents needs --target-dependents",
    { timeout: 120_000 },
    async () => {
      const { engine } = await fresh();
      await ok(engine, () => configMap("x"));
      await engine.up(
        () => {
          const dep = configMap("dep");
          configMap("x", { k: "v" }, { dependsOn: [dep] });
        },
        { target: [engine.urnOf("x")] },
      );
      expect(engine.errors[0]!.message).toMatch(
        /depends on '.*::dep' which was was not specified in --target list/,
      );

      await ok(engine, () => {
        const base = configMap("base");
        configMap("on-base", {}, { dependsOn: [base] });
      });
      await engine.destroy({ target: [engine.urnOf("base")] });
      expect(engine.errors[0]!.message).toMatch(
        /on-base' will be destroyed but was not specified in --target list/,
      );
      await engine.destroy({ target: [engine.urnOf("base")], targetDependents: true });
      expect(engine.errors).toEqual([]);
      expect(ops(engine.steps)).toEqual(["delete on-base", "delete base"]);
    },
  );
});

describe("preview", () => {
  it(
    "checks and diffs through the providers, changes nothing, and reports the planned steps",
    { timeout: 120_000 },
    async () => {
      const { sim, engine } = await fresh();
      await ok(engine, () => {
        configMap("cm", { k: "1" });
        new Thing("t");
        configMap("gone");
      });
      const before = engine.resources;
      const steps = await engine.preview(() => {
        configMap("cm", { k: "2" });
        new Thing("t", { value: "2" });
        new Thing("new");
      });
      expect(engine.errors).toEqual([]);
      expect(ops(steps).sort()).toEqual(
        [
          "delete-replaced cm (preview)",
          "replace cm",
          "create-replacement cm",
          "update t",
          "create new",
          "delete gone (preview)",
        ].sort(),
      );
      // Diff ran in the host; create and update did not (the host does not support previews).
      expect(engine.log).toEqual(["v1 diff t: true"]);
      expect(engine.resources).toBe(before);
      expect(sim.store.get("configmaps", "default", "cm")!.data).toEqual({ k: "1" });
    },
  );

  it(
    "in a preview an updated dynamic resource's outputs are its new inputs; outputs that are not inputs are unknown",
    { timeout: 120_000 },
    async () => {
      const { engine } = await fresh();
      const program = (value: string) => () => {
        const t = new Thing("t", { value });
        configMap("fed", { value: t.value, created: t.created.apply(String) });
      };
      await ok(engine, program("1"));
      await engine.preview(program("2"));
      const fed = engine.registrations.find((r) => r.name === "fed")!;
      expect(fed.inputs.data).toEqual({ value: "2", created: UNKNOWN });
    },
  );

  it("a check failure is reported in a preview as in an update", { timeout: 120_000 }, async () => {
    const { engine } = await fresh();
    await engine.preview(() => new Thing("t", { invalid: true }));
    expect(engine.errors.map((e) => e.message)).toEqual([
      `resource ${engine.urnOf("t")} is invalid: value: must not be invalid`,
    ]);
  });
});

describe("secrets", () => {
  it(
    "a secret input reaches the dynamic provider in plain text and its output is kept secret",
    { timeout: 120_000 },
    async () => {
      const { engine } = await fresh();
      await ok(engine, () => new Thing("t", { token: pulumi.secret("s3cret") }));
      const t = stateOf(engine, "t", THING)!;
      expect(isSecret(t.inputs.token)).toBe(true);
      expect(isSecret(t.outputs.token)).toBe(true);
    },
  );
});

describe("the review's finding: removing the rollout never touches the live set", () => {
  const app = (sim: Sim, rollout: boolean) => async () => {
    const { StatefulApp } = await import("../components");
    new StatefulApp("app", {
      image: "x:1",
      replicas: 2,
      volumes: [{ name: "d", size: "1Gi", mountPath: "/d" }],
      rollout: rollout ? { timeoutSeconds: 60, kubeconfig: sim.kubeconfig() } : false,
    });
  };

  it(
    "`rollout: false` on a live app: the apply has removed the set's marker when the engine deletes guard and watcher, so the teardown leaves set and pods alone, and a refresh finds no drift",
    { timeout: 240_000 },
    async () => {
      const { sim, engine } = await fresh();
      await ok(engine, app(sim, true));
      const marker = () => sim.store.get("statefulsets", "default", "app")!.metadata.annotations?.[MARKER];
      expect(marker()).toBe("app-rollout");

      await ok(engine, app(sim, false));
      expect(ops(engine.steps, (s) => s.op === "delete").sort()).toEqual([
        "delete app-guard",
        "delete app-rollout",
      ]);
      // pulumi-kubernetes' apply no longer sends the annotation; its field manager owned it (the create's
      // entry, moved to it by fixCSAFieldManagers), so the API server removed it.
      expect(marker()).toBeUndefined();
      expect(engine.log.join("\n")).toMatch(
        /app: StatefulSet "default\/app" is no longer managed by this rollout/,
      );
      expect(sim.store.get("statefulsets", "default", "app")!.spec.replicas).toBe(2);
      expect(sim.pods()).toHaveLength(2);
      expect(engine.log.join("\n")).not.toMatch(/kept \d+ claims/);

      await ok(engine, app(sim, false), { refresh: true });
      expect(ops(engine.steps, (s) => s.op !== "same")).toEqual([]);
      expect(sim.pods()).toHaveLength(2);
    },
  );

  it(
    "a limit: `rollout: false` with `up --target` on the watcher alone deletes it while the set, not targeted, still carries the marker, so the teardown runs",
    { timeout: 240_000 },
    async () => {
      const { sim, engine } = await fresh();
      await ok(engine, app(sim, true));
      const watcher = engine.urnOf("app-rollout");
      await ok(engine, app(sim, false), { target: [watcher] });
      expect(ops(engine.steps, (s) => s.op === "delete")).toEqual(["delete app-rollout"]);
      expect(sim.store.get("statefulsets", "default", "app")!.metadata.annotations?.[MARKER]).toBe(
        "app-rollout",
      );
      expect(sim.store.get("statefulsets", "default", "app")!.spec.replicas).toBe(0);
    },
  );
});

describe("the rollout through the engine's lifecycle", () => {
  const rolloutApp =
    (
      sim: Sim,
      o: { name?: string; replicas?: number; whenScaled?: "Retain" | "Delete" } = {},
      opts?: pulumi.ComponentResourceOptions,
    ) =>
    async () => {
      const { StatefulApp } = await import("../components");
      return new StatefulApp(
        o.name ?? "app",
        {
          name: "app",
          image: "x:1",
          replicas: o.replicas ?? 3,
          volumes: [{ name: "d", size: "1Gi", mountPath: "/d" }],
          retention: { whenScaled: o.whenScaled ?? "Retain" },
          rollout: { timeoutSeconds: 60, kubeconfig: sim.kubeconfig() },
        },
        opts,
      );
    };
  const liveSet = (sim: Sim) => sim.store.get("statefulsets", "default", "app");

  it(
    "a destroy stopped half-way, then `up --refresh`: pulumi-kubernetes' apply is not refused by the rollout's own writes (it released spec.replicas and the retention it set), and the set is back at full size",
    { timeout: 240_000 },
    async () => {
      const { sim, engine } = await fresh();
      await ok(engine, rolloutApp(sim, { whenScaled: "Delete" }));
      expect(sim.pods()).toHaveLength(3);
      // Once the teardown's first scale has landed, further scale writes are refused for good (403 fails at
      // once): it stops after one pod. (Judged from the stored set, so a retried first write still lands.)
      sim.faults = (req) =>
        req.subresource === "scale" && req.verb === "update" && liveSet(sim)!.spec.replicas < 3
          ? [{ kind: "status", code: 403 }]
          : [];
      await engine.destroy();
      expect(engine.errors.map((e) => e.message).join("\n")).toMatch(/forbidden/i);
      sim.faults = undefined;
      expect(liveSet(sim)!.spec.replicas).toBe(2);
      expect(liveSet(sim)!.spec.persistentVolumeClaimRetentionPolicy.whenScaled).toBe("Retain");
      // Nothing of the rollout's writes is left owned by it on the set.
      expect(
        (liveSet(sim)!.metadata.managedFields as { manager: string }[]).map((e) => e.manager),
      ).not.toContain("pulumi-stateful-rollout");

      await ok(engine, rolloutApp(sim, { whenScaled: "Delete" }), { refresh: true });
      expect(ops(engine.steps, (s) => s.op === "update" && s.urn.includes(STS))).toEqual(["update app"]);
      expect(liveSet(sim)!.spec.replicas).toBe(3);
      expect(liveSet(sim)!.spec.persistentVolumeClaimRetentionPolicy.whenScaled).toBe("Delete");
      expect(sim.pods()).toHaveLength(3);
    },
  );
});

describe("the rollout through the engine's lifecycle: renames, retention, --target, inherited options", () => {
  const program =
    (
      sim: Sim,
      o: {
        component?: string;
        k8sName?: string;
        replicas?: number;
        whenScaled?: "Retain" | "Delete";
        namespace?: string;
      } = {},
      opts?: pulumi.ComponentResourceOptions,
    ) =>
    async () => {
      const { StatefulApp } = await import("../components");
      return new StatefulApp(
        o.component ?? "app",
        {
          ...(o.k8sName ? { name: o.k8sName } : {}),
          ...(o.namespace ? { namespace: o.namespace } : {}),
          image: "x:1",
          replicas: o.replicas ?? 3,
          volumes: [{ name: "d", size: "1Gi", mountPath: "/d" }],
          retention: { whenScaled: o.whenScaled ?? "Retain" },
          rollout: { timeoutSeconds: 60, kubeconfig: sim.kubeconfig() },
        },
        opts,
      );
    };
  const podNames = (sim: Sim, ns = "default") =>
    sim
      .pods(ns)
      .map((p) => p.metadata.name)
      .sort();
  const claimNames = (sim: Sim, ns = "default") =>
    sim
      .claims(ns)
      .map((c) => c.metadata.name)
      .sort();
  const gone = (engine: Engine) =>
    engine.log.filter((l) => / gone \(/.test(l)).map((l) => l.replace(/ after .*/, ""));

  it(
    "rename without alias, names following the component: the new set comes up, then the old watcher drains the old set N-1..0 (it is deleted in the same update) and keeps its claims",
    { timeout: 240_000 },
    async () => {
      const { sim, engine } = await fresh();
      await ok(engine, program(sim, { component: "app" }));
      await ok(engine, program(sim, { component: "web" }));
      expect(ops(engine.steps, (s) => s.op === "delete" && s.urn.includes("StatefulSet"))).toEqual([
        "delete app",
      ]);
      expect(gone(engine)).toEqual(["app-2 gone (2 left)", "app-1 gone (1 left)", "app-0 gone (0 left)"]);
      expect(podNames(sim)).toEqual(["web-0", "web-1", "web-2"]);
      expect(claimNames(sim)).toEqual(["d-app-0", "d-app-1", "d-app-2", "d-web-0", "d-web-1", "d-web-2"]);
      expect(
        sim
          .claims()
          .filter((c) => c.metadata.name.includes("app"))
          .every((c) => c.metadata.annotations?.["stateful.pulumi.com/released-from"] === "default/app"),
      ).toBe(true);
    },
  );

  it(
    "rename without alias, the set keeping its identity (an alias on the set alone): the old watcher's delete leaves the set alone, since the marker now names the new watcher",
    { timeout: 240_000 },
    async () => {
      const { sim, engine } = await fresh();
      await ok(engine, program(sim, { component: "app" }));
      // The Kubernetes objects keep their identity (each aliased to its old URN); guard and watcher are new
      // resources, the old ones deleted at the end of the update.
      const aliasObjects: pulumi.ResourceTransformation = (a) =>
        a.type.startsWith("kubernetes:")
          ? {
              props: a.props,
              opts: { ...a.opts, aliases: [engine.urnOf(a.name.replace(/^web/, "app"), a.type)] },
            }
          : undefined;
      await ok(
        engine,
        program(sim, { component: "web", k8sName: "app" }, { transformations: [aliasObjects] }),
      );
      expect(ops(engine.steps, (s) => s.op === "delete").sort()).toEqual([
        "delete app",
        "delete app-guard",
        "delete app-rollout",
      ]);
      // "delete app" is the old component (no provider call); the set, now "web" in state, was not deleted.
      expect(stateOf(engine, "web", STS)?.id).toBe("default/app");
      const set = sim.store.get("statefulsets", "default", "app")!;
      expect(set.metadata.annotations?.[MARKER]).toBe("web-rollout");
      expect(set.spec.replicas).toBe(3);
      expect(podNames(sim)).toEqual(["app-0", "app-1", "app-2"]);
      expect(engine.log.join("\n")).toMatch(
        /no longer managed by this rollout \(annotation stateful\.pulumi\.com\/rollout is "web-rollout", not "app-rollout"\)/,
      );
    },
  );

  it(
    "rename without alias, the Kubernetes names unchanged: the update fails before any delete, and the set and its pods are as they were",
    { timeout: 240_000 },
    async () => {
      const { sim, engine } = await fresh();
      await ok(engine, program(sim, { component: "app" }));
      await engine.up(program(sim, { component: "web", k8sName: "app" }));
      expect(engine.errors.map((e) => e.message).join("\n")).toMatch(/already exists/);
      expect(ops(engine.steps, (s) => s.op === "delete")).toEqual([]);
      const set = sim.store.get("statefulsets", "default", "app")!;
      expect([set.spec.replicas, set.metadata.annotations?.[MARKER]]).toEqual([3, "app-rollout"]);
      expect(podNames(sim)).toEqual(["app-0", "app-1", "app-2"]);
    },
  );

  it(
    "destroy with whenScaled Delete and whenDeleted Retain: every claim survives, marked released",
    { timeout: 240_000 },
    async () => {
      const { sim, engine } = await fresh();
      await ok(engine, program(sim, { whenScaled: "Delete" }));
      await engine.destroy();
      expect(engine.errors).toEqual([]);
      expect(gone(engine)).toEqual(["app-2 gone (2 left)", "app-1 gone (1 left)", "app-0 gone (0 left)"]);
      expect(sim.store.list("statefulsets")).toEqual([]);
      expect(claimNames(sim)).toEqual(["d-app-0", "d-app-1", "d-app-2"]);
      expect(
        sim
          .claims()
          .every((c) => c.metadata.annotations?.["stateful.pulumi.com/released-from"] === "default/app"),
      ).toBe(true);
    },
  );

  it(
    "an unhealthy scale-down is refused whatever the run: --target on the set applies the last approved count; --refresh then a full update is refused by the guard against the live cluster",
    { timeout: 240_000 },
    async () => {
      const { sim, engine } = await fresh();
      await ok(engine, program(sim, { replicas: 3 }));
      sim.kubelet.setReady("default", "app-0", false);
      const set = engine.urnOf("app", STS);

      await ok(engine, program(sim, { replicas: 1 }), { target: [set] });
      expect(sim.store.get("statefulsets", "default", "app")!.spec.replicas).toBe(3);

      await ok(engine, program(sim, { replicas: 1 }), { target: [set], refresh: true });
      expect(sim.store.get("statefulsets", "default", "app")!.spec.replicas).toBe(3);

      await engine.up(program(sim, { replicas: 1 }), { refresh: true });
      expect(engine.errors.map((e) => e.message).join("\n")).toMatch(
        /^refusing to scale StatefulSet "app" from 3 to 1: every pod must be Ready before a scale-down, and this one is not:\n {2}- app-0: /,
      );
      expect(sim.store.get("statefulsets", "default", "app")!.spec.replicas).toBe(3);
      expect(podNames(sim)).toEqual(["app-0", "app-1", "app-2"]);
    },
  );

  it(
    "retainOnDelete on the component: destroy leaves set, pods and claims as they are (the watcher inherits it: no teardown)",
    { timeout: 240_000 },
    async () => {
      const { sim, engine } = await fresh();
      await ok(engine, program(sim, {}, { retainOnDelete: true }));
      await engine.destroy();
      expect(engine.errors).toEqual([]);
      expect(ops(engine.steps, (s) => short(s.urn) === "app-rollout")).toEqual([
        "delete app-rollout (retainOnDelete)",
      ]);
      expect(sim.store.get("statefulsets", "default", "app")!.spec.replicas).toBe(3);
      expect(podNames(sim)).toEqual(["app-0", "app-1", "app-2"]);
      expect(gone(engine)).toEqual([]);
    },
  );

  it(
    "protect on the component: destroy fails on the protected children and scales nothing",
    { timeout: 240_000 },
    async () => {
      const { sim, engine } = await fresh();
      await ok(engine, program(sim, {}, { protect: true }));
      await engine.destroy();
      expect(engine.errors.length).toBeGreaterThan(0);
      expect(engine.errors.every((e) => (e as { kind?: string }).kind === "protect")).toBe(true);
      expect(sim.store.get("statefulsets", "default", "app")!.spec.replicas).toBe(3);
      expect(podNames(sim)).toEqual(["app-0", "app-1", "app-2"]);
      expect(gone(engine)).toEqual([]);
    },
  );

  it(
    "deletedWith a namespace deleted in the same destroy: no teardown runs, and the namespace takes pods and claims with it (a documented limit)",
    { timeout: 240_000 },
    async () => {
      const { sim, engine } = await fresh();
      await ok(engine, async () => {
        const ns = new k8s.core.v1.Namespace("ns", { metadata: { name: "team" } });
        return (await program(sim, { namespace: "team" }, { deletedWith: ns, dependsOn: [ns] }))();
      });
      expect(podNames(sim, "team")).toEqual(["app-0", "app-1", "app-2"]);
      await engine.destroy();
      expect(engine.errors).toEqual([]);
      expect(
        ops(engine.steps, (s) => ["app", "app-guard", "app-rollout"].includes(short(s.urn))).sort(),
      ).toEqual([
        // The component and the StatefulSet.
        "delete app (deletedWith)",
        "delete app (deletedWith)",
        "delete app-guard (deletedWith)",
        "delete app-rollout (deletedWith)",
      ]);
      expect(gone(engine)).toEqual([]);
      await until(
        "the namespace is gone",
        () => sim.store.get("namespaces", "", "team") === undefined,
        60_000,
      );
      expect(claimNames(sim, "team")).toEqual([]);
    },
  );
});

describe("the pulumi-kubernetes model's diff of a StatefulSet (diff.go's force-new fields)", () => {
  const inputs = {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: { name: "web", namespace: "default", labels: { app: "web" } },
    spec: {
      serviceName: "web-headless",
      replicas: 2,
      selector: { matchLabels: { app: "web" } },
      template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "c", image: "x:1" }] } },
      volumeClaimTemplates: [
        {
          metadata: { name: "data" },
          spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } },
        },
      ],
    },
  };
  // The checkpoint: the live object (with server defaults and status) plus the inputs it came from.
  const live = {
    ...structuredClone(inputs),
    metadata: { ...inputs.metadata, uid: "u", resourceVersion: "7", generation: 1 },
    spec: { ...structuredClone(inputs.spec), podManagementPolicy: "OrderedReady", revisionHistoryLimit: 10 },
    status: { replicas: 2, readyReplicas: 2 },
  };
  const checkpoint = {
    ...live,
    __inputs: inputs,
    __initialApiVersion: "apps/v1",
    __fieldManager: "pulumi-kubernetes-x",
  };
  const model = new KubernetesProvider({ server: "http://unused" });
  /** A change that sets `path` (dotted; numeric parts index arrays) to `value`. */
  const set =
    (path: string, value: unknown) =>
    (o: any): void => {
      const parts = path.split(".");
      const last = parts.pop()!;
      let cur = o;
      for (const part of parts) cur = cur[part];
      cur[last] = value;
    };
  const diff = async (
    change: (o: any) => void,
    provider = model,
    base: any = inputs,
    state: any = checkpoint,
  ) => {
    const news = structuredClone(base);
    change(news);
    return provider.diff({
      urn: "urn:pulumi:s::p::kubernetes:apps/v1:StatefulSet::web",
      name: "web",
      type: STS,
      id: "default/web",
      oldInputs: base,
      oldOutputs: state,
      newInputs: news,
      ignoreChanges: [],
      allowUnknowns: false,
    });
  };

  it("in place: replicas, the pod template, labels; server defaults and status are not a diff", async () => {
    expect(await diff(() => {})).toMatchObject({ changes: "none", replaces: [] });
    for (const change of [
      set("spec.replicas", 3),
      set("spec.template.spec.containers.0.image", "x:2"),
      set("metadata.labels.tier", "db"),
    ])
      expect(await diff(change)).toMatchObject({ changes: "some", replaces: [], deleteBeforeReplace: false });
  });

  it("replaced, delete-before-replace (same name): serviceName, selector, claim templates, podManagementPolicy, revisionHistoryLimit", async () => {
    const cases: Array<[string, unknown, string]> = [
      ["spec.serviceName", "other", "spec.serviceName"],
      ["spec.selector.matchLabels.app", "other", "spec.selector.matchLabels.app"],
      [
        "spec.volumeClaimTemplates.0.spec.resources.requests.storage",
        "2Gi",
        "spec.volumeClaimTemplates[0].spec.resources.requests.storage",
      ],
      ["spec.podManagementPolicy", "Parallel", "spec.podManagementPolicy"],
      ["spec.revisionHistoryLimit", 5, "spec.revisionHistoryLimit"],
    ];
    for (const [at, value, path] of cases)
      expect(await diff(set(at, value))).toMatchObject({
        changes: "some",
        replaces: [path],
        deleteBeforeReplace: true,
      });
  });

  it("a force-new field the inputs did not have before replaces, even at the server's default value", async () => {
    // The live object has podManagementPolicy OrderedReady (a default), but the recorded inputs did
    // not: the pruned checkpoint lacks it, so writing it out is an "add".
    expect(await diff(set("spec.podManagementPolicy", "OrderedReady"))).toMatchObject({
      replaces: ["spec.podManagementPolicy"],
      detailedDiff: { "spec.podManagementPolicy": "add-replace" },
    });
  });

  it("a new name or namespace is create-before-delete", async () => {
    expect(await diff(set("metadata.name", "web2"))).toMatchObject({
      replaces: ["metadata.name"],
      deleteBeforeReplace: false,
    });
    expect(await diff(set("metadata.namespace", "other"))).toMatchObject({
      replaces: ["metadata.namespace"],
      deleteBeforeReplace: false,
    });
  });

  it("ConfigMap data is force-new unless enableConfigMapMutable", async () => {
    const cm = {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "cm", namespace: "default" },
      data: { k: "1" },
    };
    const state = { ...cm, metadata: { ...cm.metadata, uid: "u" }, __inputs: cm };
    const change = set("data.k", "2");
    expect(await diff(change, model, cm, state)).toMatchObject({
      replaces: ["data.k"],
      deleteBeforeReplace: true,
    });
    const mutable = new KubernetesProvider({ server: "http://unused", enableConfigMapMutable: true });
    expect(await diff(change, mutable, cm, state)).toMatchObject({ changes: "some", replaces: [] });
  });
});
