/**
 * Arguments given as Outputs and Promises: the components register the same objects as with the
 * plain values (once resolved), hashes follow the resolved values, secrets stay secret, and plain
 * mistakes still fail at construction. Bad values inside Outputs: test/inputs-bad.test.ts.
 */
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { statefulAppManifests } from "../sdk/manifests";
import { flatten } from "../sdk/rollout/entry";
import { resolveZooKeeper } from "../sdk/zookeeper/ensemble";
import {
  installMocks,
  outputValue,
  type Registered,
  registered,
  reveal,
  SECRET_SIG,
  settled,
} from "./support/mocks";

type Components = typeof import("../components");
let c: Components;

beforeAll(async () => {
  await installMocks();
  c = await import("../components");
});

/** Every resource a component registered (itself included), by type and name without the component's. */
function childrenOf(component: string): Map<string, Registered> {
  return new Map(
    registered
      .filter((r) => r.name === component || r.name.startsWith(`${component}-`))
      .map((r) => [`${r.type} ${r.name.slice(component.length)}`, r]),
  );
}

/**
 * The registered inputs as the provider sees them (secrets revealed; a rollout resource's pack
 * flattened, since which fields stay top-level depends on which are Outputs), with the
 * component's name generic.
 */
function normalized(component: string, r: Registered): unknown {
  const inputs = reveal(r.inputs);
  const seen = r.type === "pulumi-nodejs:dynamic:Resource" ? flatten(inputs) : inputs;
  return JSON.parse(JSON.stringify(seen).replaceAll(`"${component}-rollout"`, '"<c>-rollout"'));
}

function expectSameObjects(plain: string, outs: string): void {
  const a = childrenOf(plain);
  const b = childrenOf(outs);
  expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
  for (const [suffix, r] of a)
    expect({ [suffix]: normalized(outs, b.get(suffix)!) }).toEqual({ [suffix]: normalized(plain, r) });
}

const SET = "kubernetes:apps/v1:StatefulSet ";

const common = {
  name: "same",
  replicas: 3,
  ports: [{ name: "web", containerPort: 8080 }],
  volumes: [{ name: "data", size: "1Gi", mountPath: "/data" }],
  clientService: true,
  podDisruptionBudget: { maxUnavailable: 1 },
};

describe("StatefulApp with Outputs", () => {
  it("registers the same objects as with the plain values, once resolved", async () => {
    new c.StatefulApp("plain", {
      ...common,
      image: "nginx:1.27",
      env: { MODE: "primary", TOKEN: "s3cret" },
      extraEnv: [{ name: "POD", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } }],
      config: { mountPath: "/etc/app", files: { "app.conf": "level=1\n", "static.conf": "x\n" } },
      podAnnotations: { "example.com/team": "data" },
      resources: { requests: { cpu: "250m", memory: "256Mi" }, limits: { memory: "512Mi" } },
      readinessProbe: { httpGet: { path: "/ready", port: "web" }, periodSeconds: 5 },
    });
    const outs = new c.StatefulApp("outs", {
      ...common,
      image: pulumi.output("nginx:1.27"),
      env: { MODE: Promise.resolve("primary"), TOKEN: pulumi.secret("s3cret") },
      extraEnv: [{ name: "POD", valueFrom: { fieldRef: { fieldPath: pulumi.output("metadata.name") } } }],
      config: {
        mountPath: "/etc/app",
        files: { "app.conf": pulumi.output("level=1\n"), "static.conf": "x\n" },
      },
      podAnnotations: { "example.com/team": pulumi.output("data") },
      resources: pulumi.output({
        requests: { cpu: pulumi.output("250m"), memory: "256Mi" },
        limits: { memory: "512Mi" },
      }),
      readinessProbe: { httpGet: { path: "/ready", port: pulumi.output("web") }, periodSeconds: 5 },
    });
    await settled();
    expectSameObjects("plain", "outs");
    // Names stay known at construction.
    expect(outs.podNames).toEqual(["same-0", "same-1", "same-2"]);
    expect(outs.claimNames).toEqual(["data-same-0", "data-same-1", "data-same-2"]);
    // The resolved spec holds the checked values.
    expect(await outputValue(pulumi.output(outs.spec.image))).toBe("nginx:1.27");
    expect(await outputValue(pulumi.output(outs.spec.config!.files["app.conf"]!))).toBe("level=1\n");
  });

  it("keeps a secret value secret; objects it does not feed stay plain", () => {
    const kids = childrenOf("outs");
    // The runtime marks the whole top-level property that holds a secret, as for any resource.
    const spec = kids.get(SET)!.inputs.spec;
    expect(spec[SECRET_SIG]).toBeDefined();
    expect(spec.value.template.spec.containers[0].env).toContainEqual({ name: "TOKEN", value: "s3cret" });
    for (const key of ["kubernetes:core/v1:ConfigMap -config", "kubernetes:core/v1:Service -headless"])
      expect(JSON.stringify(kids.get(key)!.inputs)).not.toContain(SECRET_SIG);
  });

  it("rolls the pods when an Output's value changes: config hash and rollout template hash follow it", async () => {
    const app = (name: string, level: pulumi.Input<string>) =>
      new c.StatefulApp(name, {
        name: "same",
        image: "x:1",
        config: { mountPath: "/etc/app", files: { "app.conf": level } },
      });
    app("h1", "level=1\n");
    app("h2", pulumi.output("level=2\n"));
    app("h3", "level=2\n");
    await settled();
    const hashes = (n: string) => {
      const kids = childrenOf(n);
      return {
        config: kids.get(SET)!.inputs.spec.template.metadata.annotations["stateful.pulumi.com/config-hash"],
        template: flatten<{ templateHash: string }>(
          kids.get("pulumi-nodejs:dynamic:Resource -rollout")!.inputs,
        ).templateHash,
      };
    };
    expect(hashes("h2")).toEqual(hashes("h3"));
    expect(hashes("h2").config).not.toBe(hashes("h1").config);
    expect(hashes("h2").template).not.toBe(hashes("h1").template);
  });

  it("still reports plain mistakes at construction, before anything registers", () => {
    const before = registered.length;
    expect(
      () =>
        new c.StatefulApp("early", {
          image: pulumi.output("x:1"),
          replicas: -1,
          env: { "1BAD": pulumi.output("v") },
        }),
    ).toThrow(
      [
        'StatefulApp "early": 2 problems:',
        "  - replicas (-1) must be an integer from 0 to 10000",
        "  - env key (\"1BAD\") must be a C identifier-like name: letters, digits, '_', '-' or '.', not starting with a digit",
      ].join("\n"),
    );
    expect(registered.slice(before)).toEqual([]);
  });
});

describe("ZooKeeperEnsemble with Outputs", () => {
  it("writes jvmFlags given as an Output into java.env, as the plain list would", async () => {
    const flags = ["-Djute.maxbuffer=4194304", "-XX:+UseG1GC"];
    new c.ZooKeeperEnsemble("zjvm", { jvmFlags: pulumi.output(flags) });
    await settled();
    const plain = statefulAppManifests(resolveZooKeeper("zjvm", { jvmFlags: flags }).app);
    const configMap = reveal(childrenOf("zjvm").get("kubernetes:core/v1:ConfigMap -config")!.inputs);
    expect(configMap.data["java.env"]).toBe(plain.configMap!.data!["java.env"]);
    expect(configMap.data["java.env"]).toContain("-Djute.maxbuffer=4194304 -XX:+UseG1GC");
  });

  it("registers what the pure builders make of the resolved image, resources and extraConfig", async () => {
    const resolved = {
      replicas: 3,
      image: "zookeeper:3.9.3",
      resources: { requests: { cpu: "1", memory: "2Gi" } },
      extraConfig: { snapCount: "200000", quorumListenOnAllIPs: "true" },
    };
    const zk = new c.ZooKeeperEnsemble("zouts", {
      ...resolved,
      image: pulumi.output("zookeeper:3.9.3"),
      resources: { requests: { cpu: pulumi.output("1"), memory: "2Gi" } },
      extraConfig: { snapCount: pulumi.output("200000"), quorumListenOnAllIPs: "true" },
    });
    await settled();
    const m = statefulAppManifests(resolveZooKeeper("zouts", resolved).app);
    const kids = childrenOf("zouts");
    const objects = [
      [SET, m.statefulSet],
      ["kubernetes:core/v1:ConfigMap -config", m.configMap],
      ["kubernetes:core/v1:Service -headless", m.headlessService],
      ["kubernetes:core/v1:Service -client", m.clientService],
      ["kubernetes:policy/v1:PodDisruptionBudget -pdb", m.podDisruptionBudget],
    ] as const;
    for (const [key, manifest] of objects)
      expect({ [key]: JSON.parse(JSON.stringify(reveal(kids.get(key)!.inputs))) }).toEqual({
        [key]: manifest,
      });
    expect(zk.connectString).toBe(
      [0, 1, 2].map((i) => `zouts-${i}.zouts-headless.default.svc.cluster.local:2181`).join(","),
    );
  });
});
