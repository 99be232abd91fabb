/**
 * Pulumi's real dynamic-provider host over gRPC (test/support/host.ts): a provider the SDK
 * serialized under mocks, and the rollout providers on the simulator, driven the way the engine
 * drives them — configure first, secrets stripped (the host does not accept them), unknowns only
 * in previews, partial failures read from the gRPC status details, `delete` with the `__provider`
 * text stored at create, from another working directory.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Sim, until } from "./sim";
import {
  DynamicProviderHost,
  isSecret,
  makeSecret,
  type PropertyMap,
  ProviderError,
  resolveHostScript,
  UNKNOWN,
} from "./support/host";
import { installMocks, registered, settled } from "./support/mocks";

const root = join(__dirname, "..");
const TYPE = "pulumi-nodejs:dynamic:Resource";
const ref = (name: string) => ({ urn: `urn:pulumi:test::test::${TYPE}::${name}`, name, type: TYPE });
let sim: Sim;
let scratch: string;
const hosts: DynamicProviderHost[] = [];

async function startHost(options: Parameters<typeof DynamicProviderHost.start>[0] = {}) {
  const h = await DynamicProviderHost.start(options);
  hosts.push(h);
  return h;
}

/** The error `p` rejects with (the test fails if it resolves). */
async function failure(p: Promise<unknown>): Promise<ProviderError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(ProviderError);
  return e as ProviderError;
}

/** The inputs a dynamic resource registered, in the form the monitor receives them. */
function inputsOf(name: string): PropertyMap {
  return registered.find((r) => r.name === name)!.inputs as PropertyMap;
}

beforeAll(async () => {
  sim = await Sim.start({ readyAfterMs: 30 });
  scratch = mkdtempSync(join(tmpdir(), "host-test-"));
  await installMocks();
  // A trivial provider. It is defined here, not at the top of the file: under vitest a closure
  // that captures an import cannot be serialized (DESIGN.md, dynamic provider fact 1).
  const thing: pulumi.dynamic.ResourceProvider = {
    async check(_olds, news) {
      console.log(`check secret-as=${typeof news.secret} n=${news.n}`);
      return { inputs: news };
    },
    async diff(id, olds, news) {
      console.log(`diff ${id} ${olds.n}->${news.n}`);
      return { changes: olds.n !== news.n, replaces: news.replace ? ["n"] : [] };
    },
    async create(inputs) {
      console.log(`create n=${inputs.n}`);
      if (inputs.fail)
        throw Object.assign(new Error("half made"), {
          id: "half-1",
          properties: { n: inputs.n, secret: inputs.secret },
          reasons: ["not ready yet"],
        });
      return { id: `thing-${inputs.n}`, outs: { n: inputs.n, secret: inputs.secret, made: true } };
    },
    async update(id, olds, news) {
      console.log(`update ${id} ${olds.n}->${news.n}`);
      if (news.fail) throw Object.assign(new Error("half updated"), { id, properties: { n: news.n } });
      return { outs: { n: news.n, made: true } };
    },
    async delete(id, props) {
      console.log(`delete ${id} n=${props.n}`);
    },
  };
  class Thing extends pulumi.dynamic.Resource {}
  new Thing(thing, "thing", { n: 1, secret: pulumi.secret("s3cret") });
  await settled();
});

afterAll(async () => {
  for (const h of hosts) await h.stop();
  await sim.stop();
  rmSync(scratch, { recursive: true, force: true });
});

describe("the dynamic-provider host, as the engine calls it", () => {
  it("configure negotiates no secrets and no previews; every CRUD call reaches the provider, whose lines arrive in order", async () => {
    const host = await startHost({ cwd: root });
    expect(await host.configure()).toEqual({
      acceptSecrets: false,
      acceptResources: false,
      supportsPreview: false,
    });
    expect(await host.version()).toBe("3.248.0");
    const news = inputsOf("thing");
    expect(typeof news.__provider).toBe("string");
    expect(isSecret(news.secret)).toBe(true);

    // The engine strips secrets for a provider that does not accept them, and marks same-named
    // results secret again.
    const checked = await host.check({ ...ref("thing"), news, allowUnknowns: false });
    expect(checked.failures).toEqual([]);
    expect(checked.inputs.secret).toEqual(makeSecret("s3cret"));
    expect(checked.inputs.__provider).toBe(news.__provider);

    const created = await host.create({ ...ref("thing"), properties: checked.inputs, preview: false });
    expect(created.id).toBe("thing-1");
    // The host adds the current `__provider` to the outputs: read and delete use it later.
    expect(created.properties).toEqual({
      n: 1,
      secret: makeSecret("s3cret"),
      made: true,
      __provider: news.__provider,
    });

    const next = { ...checked.inputs, n: 2 };
    const diff = await host.diff({
      ...ref("thing"),
      id: created.id,
      oldInputs: checked.inputs,
      oldOutputs: created.properties,
      newInputs: next,
      ignoreChanges: [],
      allowUnknowns: false,
    });
    expect(diff).toMatchObject({ changes: "some", replaces: [], deleteBeforeReplace: false });
    const updated = await host.update({
      ...ref("thing"),
      id: created.id,
      oldInputs: checked.inputs,
      oldOutputs: created.properties,
      newInputs: next,
      ignoreChanges: [],
      preview: false,
    });
    // `update` returned no `secret`: it is gone from the outputs.
    expect(updated.properties).toEqual({ n: 2, made: true, __provider: news.__provider });

    // Without a `read` method, the host returns the state it was given and no inputs.
    const read = await host.read({
      ...ref("thing"),
      id: created.id,
      inputs: next,
      properties: updated.properties,
    });
    expect(read).toEqual({ id: "thing-1", properties: updated.properties, inputs: undefined });

    await host.delete({ ...ref("thing"), id: created.id, inputs: next, outputs: updated.properties });
    await host.flush();
    expect(host.stdout).toEqual([
      "check secret-as=string n=1",
      "create n=1",
      "diff thing-1 1->2",
      "update thing-1 1->2",
      "delete thing-1 n=2",
    ]);
    expect(host.stderr).toEqual([]);
  });

  it("unknowns reach check and diff only in a preview; a preview create or update does not call the provider", async () => {
    const host = await startHost({ cwd: root });
    const news = { ...inputsOf("thing"), n: UNKNOWN };
    const checked = await host.check({ ...ref("thing"), news, allowUnknowns: true });
    expect(checked.inputs.n).toBe(UNKNOWN);
    // Outside a preview the engine drops unknowns before the call (there are none in an update).
    const strict = await host.check({ ...ref("thing"), news, allowUnknowns: false });
    expect("n" in strict.inputs).toBe(false);

    const planned = await host.create({ ...ref("thing"), properties: checked.inputs, preview: true });
    expect(planned).toEqual({ id: "", properties: checked.inputs });
    const plannedUpdate = await host.update({
      ...ref("thing"),
      id: "thing-1",
      oldInputs: inputsOf("thing"),
      oldOutputs: inputsOf("thing"),
      newInputs: checked.inputs,
      ignoreChanges: [],
      preview: true,
    });
    expect(plannedUpdate.properties).toEqual(checked.inputs);
    await host.flush();
    expect(host.stdout).toEqual([
      `check secret-as=string n=${UNKNOWN}`,
      "check secret-as=string n=undefined",
    ]);
  });

  it("a partial failure carries id and properties; the engine's message is the reasons, not the provider's", async () => {
    const host = await startHost({ cwd: root });
    const news = { ...inputsOf("thing"), fail: true };
    const err = await failure(host.create({ ...ref("thing"), properties: news, preview: false }));
    expect(err).toMatchObject({
      message: "not ready yet",
      providerMessage: "half made",
      reasons: ["not ready yet"],
      partial: { id: "half-1", properties: { n: 1, secret: makeSecret("s3cret") } },
    });
    // The host packs `properties` as given: no `__provider`. Recorded as the outputs, they leave
    // read and delete unable to load the provider.
    expect(err.partial!.properties.__provider).toBeUndefined();
    const del = await failure(
      host.delete({ ...ref("thing"), id: "half-1", inputs: news, outputs: err.partial!.properties }),
    );
    expect(del.message).toMatch(/code must be a string/);

    // Without reasons the engine can only say "resource init failed".
    const upd = await failure(
      host.update({
        ...ref("thing"),
        id: "thing-1",
        oldInputs: inputsOf("thing"),
        oldOutputs: inputsOf("thing"),
        newInputs: { ...inputsOf("thing"), n: 3, fail: true },
        ignoreChanges: [],
        preview: false,
      }),
    );
    expect(upd).toMatchObject({
      message: "resource init failed",
      providerMessage: "half updated",
      partial: { id: "thing-1", properties: { n: 3 } },
    });
  });

  it("stop ends the process and keeps every line it printed", async () => {
    const host = await DynamicProviderHost.start({ cwd: root });
    await host.check({ ...ref("thing"), news: inputsOf("thing"), allowUnknowns: false });
    await host.stop();
    expect(host.stdout).toEqual(["check secret-as=string n=1"]);
    await expect(host.configure()).resolves.toBeDefined(); // configured once, before stop
    await expect(host.version()).rejects.toThrow();
  });

  it("the host script is resolved from the working directory, as the CLI's plugin script does", () => {
    expect(resolveHostScript(root)).toBe(require.resolve("@pulumi/pulumi/cmd/dynamic-provider"));
    expect(() => resolveHostScript(mkdtempSync(join(scratch, "no-sdk-")))).toThrow(/cannot be resolved/);
  });
});

describe("the rollout providers through the host, on the simulator", () => {
  it(
    "watcher create waits for the pods; guard update refuses; delete with the stored provider text, from another directory, tears down",
    { timeout: 180_000 },
    async () => {
      const { StatefulApp } = await import("../components");
      new StatefulApp("hosted", {
        image: "x:1",
        replicas: 2,
        volumes: [{ name: "d", size: "1Gi", mountPath: "/d" }],
        rollout: { timeoutSeconds: 30, kubeconfig: sim.kubeconfig() },
      });
      await settled();
      const set = registered.find((r) => r.name === "hosted" && r.type === "kubernetes:apps/v1:StatefulSet")!;
      const watcher = inputsOf("hosted-rollout");
      const guard = inputsOf("hosted-guard");
      expect(isSecret(watcher.kubeconfig)).toBe(true);

      // Where the program ran (the project root), as `pulumi up` starts the host.
      const host = await startHost({ cwd: root });
      sim.apply("statefulsets", "default", { metadata: set.inputs.metadata, spec: set.inputs.spec });
      const created = await host.create({ ...ref("hosted-rollout"), properties: watcher, preview: false });
      expect(created.id).toBe("default/hosted");
      expect(created.properties.readyPods).toEqual(["hosted-0", "hosted-1"]);
      // The kubeconfig went in plain (the host accepts no secrets) and is marked secret again.
      expect(isSecret(created.properties.kubeconfig)).toBe(true);
      await host.flush();
      expect(host.stdout.map((l) => l.replace(/ after .*/, ""))).toEqual([
        "hosted-0 ready (1/2)",
        "hosted-1 ready (2/2)",
        "hosted: 2/2 pods ready",
      ]);

      sim.kubelet.setReady("default", "hosted-0", false);
      const refused = await failure(
        host.update({
          ...ref("hosted-guard"),
          id: "default/hosted",
          oldInputs: guard,
          oldOutputs: guard,
          newInputs: { ...guard, replicas: 1 },
          ignoreChanges: [],
          preview: false,
        }),
      );
      expect(refused.message).toMatch(
        /^refusing to scale StatefulSet "hosted" from 2 to 1: every pod must be Ready/,
      );
      expect(refused.partial).toBeUndefined();
      sim.kubelet.setReady("default", "hosted-0", true);

      // A later `pulumi destroy` from another project directory: the host starts where
      // pulumi-stateful is installed as a package (linked, as `npm link` would) beside
      // @pulumi/pulumi, not where the program ran, and gets the text stored at create.
      const elsewhere = join(scratch, "elsewhere");
      mkdirSync(join(elsewhere, "node_modules"), { recursive: true });
      symlinkSync(root, join(elsewhere, "node_modules", "pulumi-stateful"), "dir");
      symlinkSync(join(root, "node_modules", "@pulumi"), join(elsewhere, "node_modules", "@pulumi"), "dir");
      writeFileSync(join(elsewhere, "package.json"), "{}");
      const later = await startHost({ cwd: elsewhere });
      await later.delete({
        ...ref("hosted-rollout"),
        id: created.id,
        inputs: watcher,
        outputs: created.properties,
      });
      await until("no pods", () => sim.pods().length === 0, 60_000);
      expect(
        sim
          .claims()
          .map((c) => c.metadata.name)
          .sort(),
      ).toEqual(["d-hosted-0", "d-hosted-1"]);
      await later.flush();
      expect(later.stdout.at(-1)).toMatch(/^hosted: kept 2 claims: d-hosted-0, d-hosted-1/);
    },
  );

  it(
    "a ZooKeeper ensemble's credentials: made once by create in the host, kept by update, nothing to undo on delete",
    { timeout: 120_000 },
    async () => {
      const { superDigest } = await import("../sdk/zookeeper/config");
      const { ZooKeeperEnsemble } = await import("../components");
      new ZooKeeperEnsemble("hostedzk", { rollout: false });
      await settled();
      const creds = inputsOf("hostedzk-super");
      const host = await startHost({ cwd: root });
      const created = await host.create({ ...ref("hostedzk-super"), properties: creds, preview: false });
      const { password, digest } = created.properties as { password: string; digest: string };
      expect(password).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(digest).toBe(superDigest(password));
      const again = await host.create({ ...ref("hostedzk-super"), properties: creds, preview: false });
      expect((again.properties as { password: string }).password).not.toBe(password);
      const diff = await host.diff({
        ...ref("hostedzk-super"),
        id: created.id,
        oldInputs: creds,
        oldOutputs: created.properties,
        newInputs: creds,
        ignoreChanges: [],
        allowUnknowns: false,
      });
      expect(diff.changes).toBe("none");
      const updated = await host.update({
        ...ref("hostedzk-super"),
        id: created.id,
        oldInputs: creds,
        oldOutputs: created.properties,
        newInputs: creds,
        ignoreChanges: [],
        preview: false,
      });
      expect(updated.properties).toMatchObject({ password, digest });
      await host.delete({
        ...ref("hostedzk-super"),
        id: created.id,
        inputs: creds,
        outputs: created.properties,
      });
      await host.flush();
      expect(host.stdout.join("\n")).not.toContain(password);
    },
  );

  it(
    "a ZooKeeper ensemble through the host: the watcher adds the joiners, the guard removes members before the lower replicas are applied; the password stays secret and out of every line",
    { timeout: 180_000 },
    async () => {
      const { FakeZooKeeper } = await import("./support/fake-zookeeper");
      const { outputValue } = await import("./support/mocks");
      const zsim = await Sim.start({ graceMs: 5 });
      try {
        const { ZooKeeperEnsemble } = await import("../components");
        const zk = new ZooKeeperEnsemble("hzk", {
          replicas: 3,
          rollout: { timeoutSeconds: 60, kubeconfig: zsim.kubeconfig() },
        });
        await settled();
        const password = await outputValue(zk.credentials.password);
        const model = new FakeZooKeeper(zsim, { setName: "hzk", password });
        const set = registered.find((r) => r.name === "hzk" && r.type === "kubernetes:apps/v1:StatefulSet")!;
        const watcher = inputsOf("hzk-rollout");
        const guard = inputsOf("hzk-guard");
        expect(isSecret(watcher.zookeeper)).toBe(true);

        const host = await startHost({ cwd: root });
        const guardOut = await host.create({ ...ref("hzk-guard"), properties: guard, preview: false });
        zsim.apply("statefulsets", "default", { metadata: set.inputs.metadata, spec: set.inputs.spec });
        const created = await host.create({ ...ref("hzk-rollout"), properties: watcher, preview: false });
        expect(created.properties.votingMembers).toEqual(["hzk-0", "hzk-1", "hzk-2"]);
        expect(model.votingPods()).toEqual(["hzk-0", "hzk-1", "hzk-2"]);
        // The password went in plain (the host accepts no secrets) and is marked secret again.
        expect(isSecret(created.properties.zookeeper)).toBe(true);

        const down = { ...guard, replicas: 1 };
        const diff = await host.diff({
          ...ref("hzk-guard"),
          id: guardOut.id,
          oldInputs: guard,
          oldOutputs: guardOut.properties,
          newInputs: down,
          ignoreChanges: [],
          allowUnknowns: false,
        });
        expect(diff.changes).toBe("some");
        await host.update({
          ...ref("hzk-guard"),
          id: guardOut.id,
          oldInputs: guard,
          oldOutputs: guardOut.properties,
          newInputs: down,
          ignoreChanges: [],
          preview: false,
        });
        expect(model.votingPods()).toEqual(["hzk-0"]);
        // Removed by the guard while every pod still runs: the apply stops them afterwards.
        expect(
          zsim
            .pods()
            .map((p) => p.metadata.name)
            .sort(),
        ).toEqual(["hzk-0", "hzk-1", "hzk-2"]);
        zsim.apply("statefulsets", "default", {
          metadata: set.inputs.metadata,
          spec: { ...set.inputs.spec, replicas: 1 },
        });
        const updated = await host.update({
          ...ref("hzk-rollout"),
          id: created.id,
          oldInputs: watcher,
          oldOutputs: created.properties,
          newInputs: { ...watcher, replicas: 1 },
          ignoreChanges: [],
          preview: false,
        });
        expect(updated.properties.votingMembers).toEqual(["hzk-0"]);
        expect(model.events.filter((e) => e.startsWith("reconfig"))).toEqual([
          "reconfig -add 2",
          "reconfig -add 3",
          "reconfig -remove 3",
          "reconfig -remove 2",
        ]);
        await host.flush();
        expect(host.stdout.some((l) => l.includes("hzk: voting members hzk-0, hzk-1, hzk-2"))).toBe(true);
        expect([...host.stdout, ...host.stderr].join("\n")).not.toContain(password);
      } finally {
        await zsim.stop();
      }
    },
  );

  it(
    "from a directory where pulumi-stateful is not installed, delete fails saying to install it",
    { timeout: 120_000 },
    async () => {
      const bare = mkdtempSync(join(scratch, "bare-"));
      // The CLI's plugin script would not even find the host there; start it by path.
      const host = await startHost({ cwd: bare, script: resolveHostScript(root) });
      const watcher = inputsOf("hosted-rollout");
      const err = await failure(
        host.delete({ ...ref("hosted-rollout"), id: "default/hosted", inputs: watcher, outputs: watcher }),
      );
      expect(err.message).toMatch(
        /^pulumi-stateful: cannot load its rollout provider from .*bare-\w+ \(install pulumi-stateful in this Pulumi project: npm install pulumi-stateful\): Cannot find module 'pulumi-stateful\/provider'/,
      );
    },
  );
});
