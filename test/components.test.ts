/** Resource graphs under Pulumi's mocks: children, names, parents, dependencies, inputs, outputs. */

import { join } from "node:path";
import type * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { statefulAppManifests } from "../sdk/manifests";
import { resolveStatefulApp } from "../sdk/stateful-app";
import { installMocks, outputValue, registered, reveal, SECRET_SIG, settled } from "./support/mocks";

const root = join(__dirname, "..");

type Components = typeof import("../components");
let c: Components;

beforeAll(async () => {
  await installMocks();
  c = await import("../components");
});

/** Records the options every resource of a component tree is constructed with. */
function recorder() {
  const seen: { type: string; name: string; opts: pulumi.CustomResourceOptions }[] = [];
  const t: pulumi.ResourceTransformation = (args) => {
    seen.push({ type: args.type, name: args.name, opts: args.opts });
    return undefined;
  };
  return { seen, t };
}

function childrenOf(prefix: string) {
  return registered.filter((r) => r.name === prefix || r.name.startsWith(`${prefix}-`));
}

describe("StatefulApp", () => {
  it("registers its children with explicit names, under itself, in dependency order", async () => {
    const rec = recorder();
    const app = new c.StatefulApp(
      "shop",
      {
        image: "nginx:1.27",
        replicas: 3,
        ports: [{ name: "http", containerPort: 8080, servicePort: 80 }],
        volumes: [{ name: "data", size: "5Gi", mountPath: "/data", storageClass: "fast" }],
        config: { mountPath: "/etc/shop", files: { "shop.conf": "a=1\n" } },
        clientService: true,
        podDisruptionBudget: { maxUnavailable: 1 },
      },
      { transformations: [rec.t] },
    );
    await settled();
    const kids = childrenOf("shop");
    expect(kids.map((k) => `${k.type} ${k.name} ${k.inputs.metadata?.name ?? ""}`).sort()).toEqual([
      "kubernetes:apps/v1:StatefulSet shop shop",
      "kubernetes:core/v1:ConfigMap shop-config shop-config",
      "kubernetes:core/v1:Service shop-client shop",
      "kubernetes:core/v1:Service shop-headless shop-headless",
      "kubernetes:policy/v1:PodDisruptionBudget shop-pdb shop-pdb",
      "pulumi-nodejs:dynamic:Resource shop-guard ",
      "pulumi-nodejs:dynamic:Resource shop-rollout ",
      "stateful:index:StatefulApp shop ",
    ]);
    // Every child is parented to the component.
    for (const r of [
      app.statefulSet,
      app.headlessService,
      app.configMap!,
      app.clientService!,
      app.podDisruptionBudget!,
    ])
      expect(await outputValue(r.urn)).toMatch(/::stateful:index:StatefulApp\$kubernetes:/);
    expect(
      rec.seen
        .filter((s) => s.type.startsWith("kubernetes:"))
        .map((s) => s.name)
        .sort(),
    ).toEqual(["shop", "shop-client", "shop-config", "shop-headless", "shop-pdb"]);
    // The set waits for its governing Service, its configuration and the rollout guard; the
    // rollout watcher waits for the set.
    const setOpts = rec.seen.find((s) => s.type === "kubernetes:apps/v1:StatefulSet")!.opts;
    expect(setOpts.dependsOn).toEqual([app.headlessService, app.configMap, app.rolloutGuard]);
    const watcherOpts = rec.seen.find((s) => s.name === "shop-rollout")!.opts;
    expect(watcherOpts.dependsOn).toEqual([app.statefulSet]);
    // `zookeeper` carries a ZooKeeper ensemble's super-user password (absent for a StatefulApp).
    expect(watcherOpts.additionalSecretOutputs).toEqual(["kubeconfig", "zookeeper"]);
    // Outputs: stable identities for every ordinal.
    expect(app.podNames).toEqual(["shop-0", "shop-1", "shop-2"]);
    expect(app.podFqdns).toEqual([
      "shop-0.shop-headless.default.svc.cluster.local",
      "shop-1.shop-headless.default.svc.cluster.local",
      "shop-2.shop-headless.default.svc.cluster.local",
    ]);
    expect(app.claimNames).toEqual(["data-shop-0", "data-shop-1", "data-shop-2"]);
    expect(app.serviceName).toBe("shop-headless");
    expect(app.statefulSetName).toBe("shop");
  });

  it("builds the StatefulSet's inputs from the arguments", () => {
    const set = childrenOf("shop").find((k) => k.type === "kubernetes:apps/v1:StatefulSet")!.inputs;
    expect(set.spec.serviceName).toBe("shop-headless");
    expect(set.spec.replicas).toBe(3);
    expect(set.spec.selector).toEqual({ matchLabels: { "app.kubernetes.io/name": "shop" } });
    expect(set.spec.persistentVolumeClaimRetentionPolicy).toEqual({
      whenDeleted: "Retain",
      whenScaled: "Retain",
    });
    expect(set.spec.volumeClaimTemplates).toEqual([
      {
        metadata: { name: "data" },
        spec: {
          accessModes: ["ReadWriteOnce"],
          storageClassName: "fast",
          resources: { requests: { storage: "5Gi" } },
        },
      },
    ]);
    const pod = set.spec.template.spec;
    expect(pod.securityContext).toEqual({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
    expect(pod.containers[0].securityContext).toEqual({
      allowPrivilegeEscalation: false,
      capabilities: { drop: ["ALL"] },
    });
    expect(pod.containers[0].volumeMounts).toEqual([
      { name: "data", mountPath: "/data" },
      { name: "config", mountPath: "/etc/shop", readOnly: true },
    ]);
    expect(set.spec.template.metadata.annotations["stateful.pulumi.com/config-hash"]).toMatch(
      /^[0-9a-f]{16}$/,
    );
    const client = childrenOf("shop").find((k) => k.name === "shop-client")!.inputs;
    expect(client.spec.ports).toEqual([{ name: "http", port: 80, targetPort: "http", protocol: "TCP" }]);
    const headless = childrenOf("shop").find((k) => k.name === "shop-headless")!.inputs;
    expect(headless.metadata.annotations).toEqual({ "pulumi.com/skipAwait": "true" });
    expect(headless.spec.clusterIP).toBe("None");
  });

  it("rolls the pods when the configuration changes, and only then", () => {
    const h = (files: Record<string, string>, n: string) =>
      statefulAppManifests(
        resolveStatefulApp(n, { image: "x:1", name: "same", config: { mountPath: "/c", files } }),
      ).statefulSet.spec!.template.metadata!.annotations!["stateful.pulumi.com/config-hash"];
    expect(h({ a: "1" }, "h1")).toBe(h({ a: "1" }, "h2"));
    expect(h({ a: "1" }, "h3")).not.toBe(h({ a: "2" }, "h4"));
  });

  it("adopts a given HeadlessService instead of creating one", async () => {
    const hs = new c.HeadlessService("gov", { selector: { app: "db" }, ports: [{ name: "pg", port: 5432 }] });
    const app = new c.StatefulApp("db", {
      image: "postgres:17",
      selectorLabels: { app: "db" },
      headlessService: hs,
    });
    await settled();
    expect(app.headlessService).toBe(hs.service);
    expect(app.serviceName).toBe("gov");
    expect(childrenOf("db").filter((k) => k.type === "kubernetes:core/v1:Service")).toEqual([]);
    const set = childrenOf("db").find((k) => k.type === "kubernetes:apps/v1:StatefulSet")!.inputs;
    expect(set.spec.serviceName).toBe("gov");
    expect(hs.domain).toBe("gov.default.svc.cluster.local");
  });

  it("passes resource options through: protect and providers reach the children", async () => {
    const rec = recorder();
    const provider = new (await import("@pulumi/kubernetes")).Provider("k", {});
    const app = new c.StatefulApp(
      "keep",
      { image: "x:1" },
      { protect: true, providers: { kubernetes: provider }, transformations: [rec.t] },
    );
    await settled();
    // The SDK keeps a resource's effective options in these fields (no public accessor exists).
    const set = app.statefulSet as unknown as { __protect?: boolean; __prov?: unknown };
    expect(set.__protect).toBe(true);
    expect(set.__prov).toBe(provider);
    expect(rec.seen.filter((s) => s.type.startsWith("kubernetes:")).map((s) => s.name)).toEqual([
      "keep-headless",
      "keep",
    ]);
  });
});

describe("rollout resources", () => {
  it("give the guard and the watcher the set's identity, policy and a secret kubeconfig", async () => {
    const app = new c.StatefulApp("ro", {
      image: "x:1",
      replicas: 2,
      volumes: [{ name: "d", size: "1Gi", mountPath: "/d" }],
      partition: 1,
      rollout: { timeoutSeconds: 120, kubeconfig: "apiVersion: v1\nkind: Config\n" },
    });
    await settled();
    const watcher = registered.find((r) => r.name === "ro-rollout")!.inputs;
    // `replicas` and the secrets top-level, the rest packed into one property: the runtime's cost
    // is per top-level property (docs/performance.md), so a resource registers few.
    expect(Object.keys(watcher).sort()).toEqual(["__provider", "kubeconfig", "replicas", "role", "rollout"]);
    expect(watcher).toMatchObject({ role: "watcher", replicas: 2 });
    expect(watcher.rollout).toMatchObject({
      namespace: "default",
      name: "ro",
      partition: 1,
      updateStrategy: "RollingUpdate",
      whenDeleted: "Retain",
      whenScaled: "Retain",
      minReadySeconds: 0,
      serviceName: "ro-headless",
      podManagementPolicy: "OrderedReady",
      claimTemplates: [{ name: "d", storage: "1Gi", accessModes: ["ReadWriteOnce"] }],
      selector: { "app.kubernetes.io/name": "ro" },
      timeoutSeconds: 120,
      allowReplacement: false,
      allowUnhealthyRemoval: false,
      deleteUnreachable: false,
      owner: "ro-rollout",
    });
    // The provider is loaded by package name in the engine's host: no path of this machine in state.
    expect(watcher.__provider).toContain('"pulumi-stateful/provider"');
    expect(watcher.__provider).not.toContain(root);
    // Sent as a secret (the runtime's secret envelope), never as plain text.
    expect(watcher.kubeconfig).toEqual({
      [SECRET_SIG]: "1b47061264138c4ac30d75fd1eb44270",
      value: "apiVersion: v1\nkind: Config\n",
    });
    expect(app.rolloutWatcher).toBeDefined();
    expect(registered.find((r) => r.name === "ro-guard")!.inputs.role).toBe("guard");
    const set = registered.find(
      (r) => r.type === "kubernetes:apps/v1:StatefulSet" && r.name === "ro",
    )!.inputs;
    expect(set.metadata.annotations).toEqual({
      "pulumi.com/skipAwait": "true",
      "stateful.pulumi.com/rollout": "ro-rollout",
    });
    // The set's replicas are the guard's approved output.
    expect(set.spec.replicas).toBe(2);
  });

  it("are absent with rollout: false, and the Kubernetes provider awaits the set itself", async () => {
    const app = new c.StatefulApp("plain", { image: "x:1", rollout: false });
    await settled();
    expect(app.rolloutGuard).toBeUndefined();
    expect(
      registered.filter((r) => r.name.startsWith("plain-") && r.type.startsWith("pulumi-nodejs")),
    ).toEqual([]);
    const set = registered.find(
      (r) => r.type === "kubernetes:apps/v1:StatefulSet" && r.name === "plain",
    )!.inputs;
    expect(set.metadata.annotations).toBeUndefined();
  });

  it("keeps the template hash secret when a secret feeds the pod template: top-level, where the engine re-marks the output of the same name", async () => {
    const { secret } = await import("@pulumi/pulumi");
    const { annotateSecrets, isSecret } = await import("./support/host");
    const { flatten } = await import("../sdk/rollout/entry");
    new c.StatefulApp("sealed", {
      image: "registry.example/app:1",
      ports: [{ name: "web", containerPort: 8080 }],
      env: { TOKEN: secret("s3cret") },
    });
    await settled();
    for (const n of ["sealed-guard", "sealed-rollout"]) {
      const inputs = registered.find((r) => r.name === n)!.inputs;
      expect(isSecret(inputs.templateHash)).toBe(true);
      expect("templateHash" in inputs.rollout).toBe(false);
      // The host takes no secrets: its flat outputs are secret only where an input of the same
      // name was (or additionalSecretOutputs names them), as the engine re-marks them.
      const outs = { ...reveal(flatten<Record<string, unknown>>(inputs)), server: "https://x" };
      const stored = annotateSecrets(outs as never, inputs);
      expect(isSecret(stored.templateHash)).toBe(true);
      expect(isSecret(stored.name)).toBe(false);
    }
  });
});

describe("ZooKeeperEnsemble", () => {
  it("is a StatefulApp with a quorum budget, generated configuration and a connect string", async () => {
    const zk = new c.ZooKeeperEnsemble("coord", { replicas: 5, namespace: "infra" });
    await settled();
    expect(zk.connectString).toBe(
      [0, 1, 2, 3, 4].map((i) => `coord-${i}.coord-headless.infra.svc.cluster.local:2181`).join(","),
    );
    expect(zk.quorum).toBe(3);
    expect(await outputValue(zk.statefulSet.urn)).toMatch(
      /::stateful:index:ZooKeeperEnsemble\$kubernetes:apps\/v1:StatefulSet::coord$/,
    );
    const kids = childrenOf("coord");
    const pdb = kids.find((k) => k.type === "kubernetes:policy/v1:PodDisruptionBudget")!.inputs;
    expect(pdb.spec.minAvailable).toBe(3);
    const cfg = kids.find((k) => k.type === "kubernetes:core/v1:ConfigMap")!.inputs.data["zoo.cfg"] as string;
    expect(cfg).not.toMatch(/^server\./m);
    expect(cfg).toContain("reconfigEnabled=true\n");
    const headless = kids.find((k) => k.name === "coord-headless")!.inputs;
    expect(headless.spec.publishNotReadyAddresses).toBe(true);
    const client = kids.find((k) => k.name === "coord-client")!.inputs;
    expect(client.spec.ports).toEqual([
      { name: "client", port: 2181, targetPort: "client", protocol: "TCP" },
    ]);
  });

  it("passes rollout.kubeconfig to its rollout resources, as a secret", async () => {
    new c.ZooKeeperEnsemble("zkcreds", { rollout: { timeoutSeconds: 90, kubeconfig: "kind: Config\n" } });
    await settled();
    for (const n of ["zkcreds-guard", "zkcreds-rollout"]) {
      const inputs = registered.find((r) => r.name === n)!.inputs;
      expect(inputs.kubeconfig).toEqual({
        [SECRET_SIG]: "1b47061264138c4ac30d75fd1eb44270",
        value: "kind: Config\n",
      });
      expect(inputs.rollout.timeoutSeconds).toBe(90);
    }
  });

  it("gives the servers the super user's digest from a Secret made before the set; the password stays in state", async () => {
    const { superDigest } = await import("../sdk/zookeeper/config");
    const rec = recorder();
    const zk = new c.ZooKeeperEnsemble("creds", {}, { transformations: [rec.t] });
    await settled();
    const password = await outputValue(zk.credentials.password);
    expect(await outputValue(zk.credentials.digest)).toBe(superDigest(password));
    // The engine keeps both secret in state (mocks do not apply additionalSecretOutputs).
    const credOpts = rec.seen.find(
      (s) => s.name === "creds-super" && s.type.startsWith("pulumi-nodejs"),
    )!.opts;
    expect(credOpts.additionalSecretOutputs).toEqual(["password", "digest"]);
    const secret = registered.find(
      (r) => r.name === "creds-super" && r.type === "kubernetes:core/v1:Secret",
    )!;
    expect(secret.inputs.metadata.name).toBe("creds-zookeeper-super");
    expect(secret.inputs.type).toBe("Opaque");
    // Only the digest, and as a secret.
    expect(secret.inputs.stringData).toEqual({
      [SECRET_SIG]: "1b47061264138c4ac30d75fd1eb44270",
      value: { superDigest: superDigest(password) },
    });
    // The pods read it; it exists before the set.
    const set = registered.find((r) => r.name === "creds" && r.type === "kubernetes:apps/v1:StatefulSet")!;
    const env = set.inputs.spec.template.spec.containers[0].env as { name: string; valueFrom?: any }[];
    expect(env.find((e) => e.name === "ZK_SUPER_DIGEST")?.valueFrom).toEqual({
      secretKeyRef: { name: "creds-zookeeper-super", key: "superDigest" },
    });
    const setOpts = rec.seen.find((s) => s.type === "kubernetes:apps/v1:StatefulSet")!.opts;
    expect(setOpts.dependsOn).toContain(zk.superUserSecret);
    // The password is in no Kubernetes object.
    for (const r of childrenOf("creds").filter((k) => k.type.startsWith("kubernetes:")))
      expect(JSON.stringify(r.inputs)).not.toContain(password);
  });

  it("gives its rollout the servers and the super user's password, secret, and exposes the watcher's votingMembers output", async () => {
    const zk = new c.ZooKeeperEnsemble("members", { replicas: 3, namespace: "infra" });
    await settled();
    const password = await outputValue(zk.credentials.password);
    for (const n of ["members-guard", "members-rollout"]) {
      const inputs = registered.find((r) => r.name === n)!.inputs;
      expect(inputs.rollout.updateStrategy).toBe("OnDelete");
      expect(inputs.zookeeper).toEqual({
        [SECRET_SIG]: "1b47061264138c4ac30d75fd1eb44270",
        value: {
          container: "zookeeper",
          clientPort: 2181,
          serverPort: 2888,
          electionPort: 3888,
          serviceDomain: "members-headless.infra.svc.cluster.local",
          superPassword: password,
        },
      });
    }
    // The component's output is the watcher's (the mocks echo inputs, so its value is not known here).
    expect(zk.votingMembers).toBe(zk.rolloutWatcher!.votingMembers);
  });

  it("with rollout: false keeps RollingUpdate, manages no membership and says so", async () => {
    const pulumi = await import("@pulumi/pulumi");
    const warned: string[] = [];
    const warn = pulumi.log.warn;
    pulumi.log.warn = (msg: string) => {
      warned.push(msg);
      return Promise.resolve();
    };
    try {
      const zk = new c.ZooKeeperEnsemble("unmanaged", { rollout: false });
      await settled();
      const set = registered.find(
        (r) => r.name === "unmanaged" && r.type === "kubernetes:apps/v1:StatefulSet",
      )!;
      expect(set.inputs.spec.updateStrategy.type).toBe("RollingUpdate");
      expect(zk.rolloutWatcher).toBeUndefined();
      expect(await outputValue(zk.votingMembers)).toBeUndefined();
      expect(warned).toEqual([
        "rollout is false: ZooKeeper membership is not managed. Do not change replicas of this ensemble once it runs (new servers would stay non-voting, and a scale-down would stop voting members); pod template changes roll with the controller's RollingUpdate, not leader last.",
      ]);
    } finally {
      pulumi.log.warn = warn;
    }
  });

  it("runs a single server as a one-member ensemble that can grow, without a budget", async () => {
    const zk = new c.ZooKeeperEnsemble("solo", { replicas: 1 });
    await settled();
    expect(zk.podDisruptionBudget).toBeUndefined();
    expect(zk.spec.config!.files["zoo.cfg"]).toContain("standaloneEnabled=false\n");
  });
});
