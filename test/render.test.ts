/**
 * The pure render (sdk/render.ts) against the components under Pulumi's mocks: for every example,
 * with the arguments the example passes, and for argument variations, the pure objects equal what
 * the components register (the rollout's dynamic resources aside, which are not Kubernetes
 * objects), the YAML equals the reviewed golden files byte for byte, and bad arguments fail with
 * the components' own StatefulArgsErrors.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { stringify } from "yaml";
import { StatefulArgsError } from "../sdk/errors";
import {
  dependencyOrder,
  fileNameFor,
  type KubeObject,
  renderHeadlessService,
  renderStatefulApp,
  renderZooKeeperEnsemble,
  toYaml,
} from "../sdk/render";
import { renderProgram } from "../testing/render";

type Components = typeof import("../components");

/** Every component the examples construct, with the arguments they pass. */
const constructed = vi.hoisted(() => [] as { kind: string; name: string; args: any }[]);

vi.mock("../components", async (importOriginal) => {
  const real = await importOriginal<Components>();
  class StatefulApp extends real.StatefulApp {
    constructor(name: string, args: any, opts?: any) {
      constructed.push({ kind: "StatefulApp", name, args });
      super(name, args, opts);
    }
  }
  class ZooKeeperEnsemble extends real.ZooKeeperEnsemble {
    constructor(name: string, args?: any, opts?: any) {
      constructed.push({ kind: "ZooKeeperEnsemble", name, args });
      super(name, args, opts);
    }
  }
  class HeadlessService extends real.HeadlessService {
    constructor(name: string, args: any, opts?: any) {
      constructed.push({ kind: "HeadlessService", name, args });
      super(name, args, opts);
    }
  }
  return { ...real, StatefulApp, ZooKeeperEnsemble, HeadlessService };
});

const root = join(__dirname, "..");

/** What the components register when `program` runs under mocks, Kubernetes objects only. */
async function registered(program: (c: Components) => unknown): Promise<KubeObject[]> {
  const rendered = await renderProgram(async () => program(await import("../components")));
  return rendered.map((r) => r.object);
}

/**
 * The registered objects as YAML in the key order the mocks hand them over (sorted, top level and
 * metadata in Kubernetes order), without the pure render's own ordering: equal bytes show that
 * order is the registered one.
 */
function registeredYaml(objects: KubeObject[]): string {
  return objects.map((o) => `---\n${stringify(o, { lineWidth: 0, aliasDuplicateObjects: false })}`).join("");
}

/** The pure render of one constructed component. */
function pure(c: { kind: string; name: string; args: any }): KubeObject[] {
  if (c.kind === "ZooKeeperEnsemble") return renderZooKeeperEnsemble(c.name, c.args);
  if (c.kind === "HeadlessService") return renderHeadlessService(c.name, c.args);
  return renderStatefulApp(c.name, c.args);
}

describe.each(["web", "zookeeper", "kubia"])("example %s", (example) => {
  it("renders purely, from the arguments the example passes, what its program registers, and the golden bytes", async () => {
    constructed.length = 0;
    const { runExample } = await import("../examples/catalog");
    const viaMocks = await registered(() => runExample(example));
    expect(constructed.map((c) => c.kind)).toEqual([
      example === "zookeeper" ? "ZooKeeperEnsemble" : "StatefulApp",
    ]);
    const objects = pure(constructed[0]!);
    expect(objects).toStrictEqual(viaMocks);
    expect(toYaml(objects)).toBe(registeredYaml(viaMocks));
    expect(toYaml(objects)).toBe(readFileSync(join(root, "test", "golden", `${example}.yaml`), "utf8"));
  });
});

describe("argument variations", () => {
  const apps: [string, any][] = [
    [
      "everything optional",
      {
        image: "nginx:1.27",
        namespace: "shop",
        replicas: 4,
        labels: { team: "web" },
        podAnnotations: { "example.com/a": "1" },
        ports: [
          { name: "http", containerPort: 8080, servicePort: 80 },
          { name: "peer", containerPort: 7000, clientService: false, protocol: "TCP" },
        ],
        volumes: [
          { name: "data", size: "5Gi", mountPath: "/data", storageClass: "fast" },
          { name: "logs", size: "1Gi", mountPath: "/logs", accessModes: ["ReadWriteOncePod"] },
        ],
        config: { mountPath: "/etc/shop", files: { "shop.conf": "a=1\nb=2\n", "empty.txt": "" } },
        env: { MODE: "prod", EMPTY: "" },
        extraEnv: [{ name: "POD", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } }],
        clientService: { name: "shop-public", type: "LoadBalancer" },
        podDisruptionBudget: { maxUnavailable: "25%" },
        antiAffinity: { type: "required", topology: "zone" },
        topologySpread: [{ topology: "hostname", maxSkew: 2, whenUnsatisfiable: "DoNotSchedule" }],
        startupProbe: { httpGet: { path: "/", port: "http" }, failureThreshold: 30 },
        resources: { requests: { cpu: "250m", memory: "1Gi" }, limits: { memory: "2Gi" } },
        security: { profile: "baseline", readOnlyRootFilesystem: true },
        updateStrategy: "RollingUpdate",
        partition: 2,
        minReadySeconds: 5,
        ordinalsStart: 1,
        retention: { whenDeleted: "Delete" },
        terminationGracePeriodSeconds: 60,
        serviceAccountName: "shop",
        clusterDomain: "example.internal",
        command: ["/bin/shop"],
        args: ["--port", "8080"],
        imagePullPolicy: "Always",
      },
    ],
    ["minimal, no rollout", { image: "busybox:1.37", rollout: false }],
    [
      "parallel, OnDelete, no probes or anti-affinity",
      {
        image: "redis:7",
        podManagementPolicy: "Parallel",
        updateStrategy: "OnDelete",
        readinessProbe: false,
        livenessProbe: false,
        antiAffinity: false,
        ports: [{ name: "redis", containerPort: 6379 }],
        rollout: { timeoutSeconds: 30, allowReplacement: true },
      },
    ],
  ];

  it.each(apps)("StatefulApp: %s", async (_, args) => {
    const viaMocks = await registered((c) => new c.StatefulApp("shop", args));
    expect(renderStatefulApp("shop", args)).toStrictEqual(viaMocks);
    expect(toYaml(renderStatefulApp("shop", args))).toBe(registeredYaml(viaMocks));
  });

  const ensembles: [string, any][] = [
    ["defaults", {}],
    ["standalone", { replicas: 1 }],
    [
      "five servers, own namespace and ports, no rollout",
      {
        replicas: 5,
        namespace: "coord",
        clientPort: 12181,
        serverPort: 12888,
        electionPort: 13888,
        heap: "512M",
        extraConfig: { quorumListenOnAllIPs: "true" },
        storageClass: "ssd",
        clientService: false,
        rollout: false,
      },
    ],
  ];

  it.each(ensembles)("ZooKeeperEnsemble: %s", async (_, args) => {
    const viaMocks = await registered((c) => new c.ZooKeeperEnsemble("zk", args));
    expect(renderZooKeeperEnsemble("zk", args)).toStrictEqual(viaMocks);
    expect(toYaml(renderZooKeeperEnsemble("zk", args))).toBe(registeredYaml(viaMocks));
  });

  it("StatefulApp adopting a HeadlessService: the two pure renders together", async () => {
    const hsArgs = {
      selector: { app: "db" },
      ports: [{ name: "pg", port: 5432 }],
      publishNotReadyAddresses: true,
    };
    const appArgs = {
      image: "postgres:17",
      selectorLabels: { app: "db" },
      ports: [{ name: "pg", containerPort: 5432 }],
    };
    const viaMocks = await registered((c) => {
      const hs = new c.HeadlessService("gov", hsArgs);
      new c.StatefulApp("db", { ...appArgs, headlessService: hs });
    });
    const hs = renderHeadlessService("gov", hsArgs);
    const app = renderStatefulApp("db", {
      ...appArgs,
      adoptService: {
        name: "gov",
        namespace: "default",
        selector: { app: "db" },
        publishNotReadyAddresses: true,
      },
    });
    expect(dependencyOrder([...hs, ...app])).toStrictEqual(viaMocks);
    expect(toYaml(dependencyOrder([...hs, ...app]))).toBe(registeredYaml(viaMocks));
  });
});

describe("bad arguments", () => {
  /** The error a component throws at construction (no mocks needed: it throws before registering). */
  async function componentError(build: (c: Components) => unknown): Promise<unknown> {
    const c = await import("../components");
    try {
      build(c);
    } catch (err) {
      return err;
    }
    throw new Error("the component accepted the arguments");
  }

  it.each([
    ["StatefulApp", { image: "", replicas: -1, ports: [{ name: "8080", containerPort: 0 }] }],
    ["ZooKeeperEnsemble", { replicas: 2, heap: "lots" }],
    ["HeadlessService", { selector: {}, ports: [{ name: "x", port: 70000 }] }],
  ] as const)("%s: the same StatefulArgsError as the component", async (kind, args: any) => {
    const expected = await componentError((c) => new (c[kind] as any)("bad", args));
    expect(expected).toBeInstanceOf(StatefulArgsError);
    const render = {
      StatefulApp: renderStatefulApp,
      ZooKeeperEnsemble: renderZooKeeperEnsemble,
      HeadlessService: renderHeadlessService,
    }[kind];
    expect(() => render("bad", args)).toThrow(StatefulArgsError);
    expect(() => render("bad", args)).toThrow((expected as Error).message);
  });
});

describe("YAML", () => {
  it("writes an object that appears twice in full, without anchors", () => {
    const labels = { app: "a" };
    const o = {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "a", labels },
      data: { labels },
    } as any;
    expect(toYaml([o])).toBe(
      "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  labels:\n    app: a\ndata:\n  labels:\n    app: a\n",
    );
  });

  it("names a file after kind, namespace and name", () => {
    expect(fileNameFor(renderZooKeeperEnsemble("zk")[0]!)).toBe("secret-default-zk-zookeeper-super.yaml");
    expect(fileNameFor(renderZooKeeperEnsemble("zk")[1]!)).toBe("configmap-default-zk-config.yaml");
  });
});
