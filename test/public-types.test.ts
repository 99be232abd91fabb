/**
 * The package's public declarations compile in a user's project with Pulumi's TypeScript template
 * tsconfig: no `skipLibCheck` (every declaration the package reaches is checked, @pulumi/*
 * included), no `esModuleInterop`; and again with `exactOptionalPropertyTypes`. The user program
 * passes Outputs where the components take Inputs, `undefined` for "the default", and cannot pass
 * an Output where a value decides a name. @kubernetes/client-node is not installed in that project:
 * a declaration that reached it would fail to resolve.
 */
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const root = join(__dirname, "..");
const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
const dir = mkdtempSync(join(tmpdir(), "public-types-"));

/** Pulumi's `pulumi new typescript` template, as of @pulumi/pulumi 3.x. */
const TEMPLATE = {
  strict: true,
  outDir: "bin",
  target: "es2020",
  module: "commonjs",
  moduleResolution: "node",
  sourceMap: true,
  experimentalDecorators: true,
  pretty: true,
  noFallthroughCasesInSwitch: true,
  noImplicitReturns: true,
  forceConsistentCasingInFileNames: true,
};

const PROGRAM = `
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import {
  type AppSpec,
  HeadlessService,
  type Probe,
  StatefulApp,
  type StatefulAppArgs,
  StatefulArgsError,
  type VolumeArgs,
  ZooKeeperEnsemble,
  type ZooKeeperEnsembleArgs,
} from "pulumi-stateful";

const cfg = new pulumi.Config();
const provider = new k8s.Provider("k8s", {});
const zkArgs: ZooKeeperEnsembleArgs = {
  replicas: 3,
  heap: "2G",
  storageClass: cfg.get("storageClass"),
  image: cfg.get("zkImage") ?? "zookeeper:3.8.4",
  extraConfig: { snapCount: cfg.require("snapCount") },
  rollout: { timeoutSeconds: 300, kubeconfig: cfg.getSecret("kubeconfig") },
};
const zk = new ZooKeeperEnsemble("zk", zkArgs, { provider });

const volume: VolumeArgs = { name: "data", size: "50Gi", mountPath: "/var/solr", storageClass: cfg.get("sc") };
const probe: Probe = { httpGet: { path: "/health", port: "http" }, periodSeconds: 10 };
const args: StatefulAppArgs = {
  image: pulumi.interpolate\`solr:\${cfg.get("solrVersion") ?? "9.7"}\`,
  replicas: 3,
  ports: [{ name: "http", containerPort: 8983, servicePort: undefined }],
  volumes: [volume],
  env: { ZK_HOST: zk.connectString, SOLR_PASSWORD: cfg.requireSecret("solrPassword") },
  extraEnv: [{ name: "POD", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } }],
  config: { mountPath: "/etc/solr", files: { "solr.in.sh": pulumi.output("SOLR_HEAP=2g\\n") } },
  podAnnotations: { "example.com/build": pulumi.output("42") },
  resources: { requests: { cpu: "1", memory: cfg.get("memory") ?? "4Gi" } },
  readinessProbe: probe,
  livenessProbe: { tcpSocket: { port: pulumi.output("http") } },
  podDisruptionBudget: { maxUnavailable: 1 },
  rollout: false,
};
const solr = new StatefulApp("solr", args);
const hs = new HeadlessService("hs", { selector: { app: "x" }, clusterDomain: cfg.get("domain") });
const spec: AppSpec = solr.spec;
export const nodes: string[] = solr.podFqdns;
export const domain: string = hs.domain;
export const image: pulumi.Input<string> = spec.image;
export const set: k8s.apps.v1.StatefulSet = solr.statefulSet;
export const connect: string = zk.connectString;
export const isArgsError = (e: unknown): e is StatefulArgsError => e instanceof StatefulArgsError;

// @ts-expect-error names are plain values, known at construction
new StatefulApp("bad1", { image: "x:1", name: pulumi.output("n") });
// @ts-expect-error replicas are plain values
new ZooKeeperEnsemble("bad2", { replicas: pulumi.output(3) });
// @ts-expect-error volumes are plain values
new StatefulApp("bad3", { image: "x:1", volumes: [{ name: "d", size: pulumi.output("1Gi"), mountPath: "/d" }] });
// @ts-expect-error replicas are numbers
new ZooKeeperEnsemble("bad4", { replicas: "3" });
`;

beforeAll(async () => {
  const modules = join(dir, "node_modules");
  mkdirSync(join(modules, "@pulumi"), { recursive: true });
  mkdirSync(join(modules, "@types"), { recursive: true });
  for (const m of ["@pulumi/pulumi", "@pulumi/kubernetes", "@types/node"])
    symlinkSync(join(root, "node_modules", m), join(modules, m), "dir");
  const pkg = join(modules, "pulumi-stateful");
  await run(
    process.execPath,
    [tsc, "-p", "tsconfig.build.json", "--outDir", pkg, "--emitDeclarationOnly", "--incremental", "false"],
    { cwd: root },
  );
  writeFileSync(join(pkg, "package.json"), JSON.stringify({ name: "pulumi-stateful", types: "index.d.ts" }));
  writeFileSync(join(dir, "index.ts"), PROGRAM);
  writeFileSync(
    join(dir, "tsconfig.json"),
    JSON.stringify({ compilerOptions: TEMPLATE, files: ["index.ts"] }),
  );
  writeFileSync(
    join(dir, "tsconfig.exact.json"),
    JSON.stringify({ extends: "./tsconfig.json", compilerOptions: { exactOptionalPropertyTypes: true } }),
  );
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function typecheck(config: string): Promise<string> {
  try {
    await run(process.execPath, [tsc, "--noEmit", "-p", config, "--pretty", "false"], { cwd: dir });
    return "";
  } catch (e) {
    return (e as { stdout: string }).stdout || String(e);
  }
}

describe.concurrent("a user's program against the emitted declarations", () => {
  it("type-checks with Pulumi's template tsconfig (no skipLibCheck, no esModuleInterop)", async () => {
    expect(await typecheck("tsconfig.json")).toBe("");
  });

  it("type-checks with exactOptionalPropertyTypes too", async () => {
    expect(await typecheck("tsconfig.exact.json")).toBe("");
  });
});
