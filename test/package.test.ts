/**
 * The package as a user installs it (README "Use it in your project"): `npm pack` builds the
 * tarball, which is installed into a new project beside the Pulumi SDK and Kubernetes provider,
 * with Pulumi's TypeScript template tsconfig. In that project:
 * - `tsc --noEmit` passes (no `skipLibCheck`, no `esModuleInterop`), `pulumi-stateful/testing`
 *   included, under the template's `moduleResolution: node`;
 * - the README's first program loads through `@pulumi/pulumi/cmd/run`, the launcher `pulumi up`
 *   runs (ts-node registered by `PULUMI_NODEJS_TYPESCRIPT=true`), with a preloaded file calling
 *   `setMocks` in place of the engine, and registers the components' resources;
 * - plain `require` and ESM named imports work;
 * - the rollout providers it registered name no path, and run in a plain `node` process with the
 *   project as working directory, as Pulumi's dynamic-provider host runs them, against the
 *   simulator: create waits for the pods, delete tears them down;
 * - the README's vitest and mocha unit tests pass as written, vitest within its default timeout.
 *
 * Offline: the project's lock file is this repository's, with the project's own root and the
 * tarball added, so every package resolves to a version whose tarball the npm cache holds after
 * `npm ci` (a lock-less install would ask the registry for the newest versions). The README's
 * code blocks marked `file=<name>` are written to the project as they are.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Sim, until } from "./sim";
import { FakeZooKeeper } from "./support/fake-zookeeper";
import { reveal } from "./support/mocks";

const exec = promisify(execFile);
const root = join(__dirname, "..");
const dir = mkdtempSync(join(tmpdir(), "package-test-"));
const project = join(dir, "my-stack");

/**
 * Pulumi's `pulumi new typescript` tsconfig (pulumi/templates, the TypeScript templates'
 * `tsconfig.json`; seen in aws-typescript/tsconfig.json at bad1b653), with the files to check.
 */
const TEMPLATE_TSCONFIG = {
  compilerOptions: {
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
  },
  files: ["index.ts", "testing-types.ts"],
};

/** `pulumi-stateful/testing`'s declarations as a user's editor and `tsc` see them. */
const TESTING_TYPES = `import { StatefulApp } from "pulumi-stateful";
import { type RenderedObject, renderProgram, settled } from "pulumi-stateful/testing";

export async function kinds(): Promise<string[]> {
  const objects: RenderedObject[] = await renderProgram(() => new StatefulApp("web", { image: "nginx:1.27" }), {
    config: { replicas: "2" },
  });
  await settled();
  return objects.map((o) => o.object.kind);
}
`;

/** In place of the engine: preloaded by `node -r` before the launcher loads the program. */
const MOCKS = `const fs = require("fs");
const pulumi = require("@pulumi/pulumi");
const registered = [];
pulumi.runtime.setMocks(
  {
    newResource(args) {
      registered.push({ type: args.type, name: args.name, inputs: args.inputs });
      return { id: (args.inputs.metadata && args.inputs.metadata.name) || args.name + "-id", state: args.inputs };
    },
    call: (args) => args.inputs,
  },
  "my-stack",
  "dev",
  false,
);
// The mock monitor lacks the engine's shutdown handshake, which the launcher calls at exit.
const monitor = require("@pulumi/pulumi/runtime/settings").getMonitor();
if (monitor && !monitor.signalAndWaitForShutdown) monitor.signalAndWaitForShutdown = (_req, cb) => cb(null, {});
process.on("exit", () => fs.writeFileSync(process.env.REGISTERED_FILE, JSON.stringify(registered)));
`;

/** What a dynamic-provider host does with a resource's `__provider`: load the text, call one method. */
const HOST = `const fs = require("fs");
const path = require("path");
const pulumiDir = path.dirname(require.resolve("@pulumi/pulumi/package.json", { paths: [process.cwd()] }));
const requireFromString = require(require.resolve("require-from-string", { paths: [pulumiDir] }));
const [providerFile, method, argsFile] = process.argv.slice(2);
const provider = requireFromString(fs.readFileSync(providerFile, "utf8")).handler();
provider[method](...JSON.parse(fs.readFileSync(argsFile, "utf8"))).then(
  (r) => { process.stdout.write("\\n@@RESULT@@" + JSON.stringify(r ?? null)); process.exit(0); },
  (e) => { process.stdout.write("\\n@@RESULT@@" + e.message); process.exit(3); },
);
`;

interface Registered {
  type: string;
  name: string;
  inputs: Record<string, any>;
}

/**
 * The environment of a user's shell: none of the outer vitest's variables, nor what `npm test` says
 * about this package (its directory as `local_prefix`, its package.json); npm's configuration
 * (the cache above all) stays.
 */
const NOT_THE_USERS =
  /^(VITEST|NODE_OPTIONS$|npm_config_local_prefix$|npm_package_|npm_lifecycle_|npm_command$)/;
function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !NOT_THE_USERS.test(k)));
  return { ...env, ...extra };
}

function run(cmd: string, args: string[], options: { cwd?: string; env?: Record<string, string> } = {}) {
  return exec(cmd, args, {
    cwd: options.cwd ?? project,
    env: userEnv(options.env),
    maxBuffer: 64 * 1024 * 1024,
  });
}

/** The README's code blocks marked `file=<name>`. */
function readmeFiles(): Record<string, string> {
  const readme = readFileSync(join(root, "README.md"), "utf8");
  const files: Record<string, string> = {};
  for (const m of readme.matchAll(/```ts file=(\S+)\n([\s\S]*?)```/g)) files[m[1]!] = m[2]!;
  return files;
}

let readme: Record<string, string>;
let registered: Registered[];
let sim: Sim;

beforeAll(async () => {
  readme = readmeFiles();
  expect(Object.keys(readme).sort()).toEqual(["index.ts", "zk.spec.ts", "zk.test.ts"]);

  const packed = await run("npm", ["pack", "--silent", "--pack-destination", dir], { cwd: root });
  const tarball = join(dir, packed.stdout.trim().split("\n").pop()!);
  mkdirSync(project);

  const lock = JSON.parse(readFileSync(join(root, "package-lock.json"), "utf8"));
  const locked = (name: string) => lock.packages[`node_modules/${name}`].version as string;
  const manifest = JSON.parse(
    (await run("tar", ["xOzf", tarball, "package/package.json"], { cwd: dir })).stdout,
  );
  const pkg = {
    name: "my-stack",
    private: true,
    main: "index.ts",
    dependencies: {
      "@pulumi/kubernetes": locked("@pulumi/kubernetes"),
      "@pulumi/pulumi": locked("@pulumi/pulumi"),
      "pulumi-stateful": `file:${relative(project, tarball)}`,
    },
    devDependencies: Object.fromEntries(
      ["@types/node", "mocha", "tsx", "typescript", "vitest"].map((n) => [n, locked(n)]),
    ),
  };
  lock.name = pkg.name;
  lock.packages[""] = {
    name: pkg.name,
    dependencies: pkg.dependencies,
    devDependencies: pkg.devDependencies,
  };
  lock.packages["node_modules/pulumi-stateful"] = {
    version: manifest.version,
    resolved: pkg.dependencies["pulumi-stateful"],
    integrity: `sha512-${createHash("sha512").update(readFileSync(tarball)).digest("base64")}`,
    license: manifest.license,
    dependencies: manifest.dependencies,
    peerDependencies: manifest.peerDependencies,
    engines: manifest.engines,
  };
  const write = (name: string, text: string) => writeFileSync(join(project, name), text);
  write("package.json", `${JSON.stringify(pkg, null, 2)}\n`);
  write("package-lock.json", `${JSON.stringify(lock, null, 2)}\n`);
  write("tsconfig.json", `${JSON.stringify(TEMPLATE_TSCONFIG, null, 4)}\n`);
  write("Pulumi.yaml", "name: my-stack\nruntime: nodejs\n");
  write("testing-types.ts", TESTING_TYPES);
  write("mocks.js", MOCKS);
  for (const [name, text] of Object.entries(readme)) write(name, text);

  await run("npm", ["install", "--offline", "--no-audit", "--no-fund"]);

  // The README's program, as `pulumi up` launches it, with mocks in place of the engine.
  const file = join(dir, "registered.json");
  await run(
    process.execPath,
    [
      "-r",
      "./mocks.js",
      "node_modules/@pulumi/pulumi/cmd/run",
      "--monitor=mock",
      "--project=my-stack",
      "--stack=dev",
      ".",
    ],
    { env: { PULUMI_NODEJS_TYPESCRIPT: "true", REGISTERED_FILE: file } },
  );
  registered = JSON.parse(readFileSync(file, "utf8"));
  sim = await Sim.start({ readyAfterMs: 30 });
}, 180_000);

afterAll(async () => {
  await sim?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("the packed package, installed in a new Pulumi project", () => {
  it("holds compiled JavaScript and declarations only: no sources, tests, simulator, bench or golden files", async () => {
    const { stdout } = await run("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: root });
    const files = (JSON.parse(stdout)[0].files as { path: string }[]).map((f) => f.path);
    expect(files).toContain("dist/index.js");
    expect(files).toContain("dist/index.d.ts");
    expect(files).toContain("dist/sdk/rollout/entry.js");
    expect(files).toContain("dist/testing/index.d.ts");
    expect(files.filter((f) => !/^dist\/.*\.(js|d\.ts)$/.test(f)).sort()).toEqual([
      "CHANGELOG.md",
      "README.md",
      "package.json",
    ]);
    expect(files.filter((f) => /^dist\/(test|bench|examples|cli)\//.test(f))).toEqual([]);
  });

  it("type-checks with Pulumi's template tsconfig (no skipLibCheck, no esModuleInterop)", async () => {
    const tsc = join(project, "node_modules", "typescript", "bin", "tsc");
    const out = await run(process.execPath, [tsc, "--noEmit", "-p", "."]).catch((e) => e);
    expect(`${out.stdout}${out.stderr}`).toBe("");
  });

  it("the program registers the components' resources under @pulumi/pulumi/cmd/run", () => {
    const names = (type: string) =>
      registered
        .filter((r) => r.type === type)
        .map((r) => r.name)
        .sort();
    expect(names("stateful:index:ZooKeeperEnsemble")).toEqual(["zk"]);
    expect(names("stateful:index:StatefulApp")).toEqual(["solr"]);
    expect(names("kubernetes:apps/v1:StatefulSet")).toEqual(["solr", "zk"]);
    expect(names("kubernetes:core/v1:ConfigMap")).toEqual(["zk-config"]);
    expect(names("pulumi-nodejs:dynamic:Resource")).toEqual([
      "solr-guard",
      "solr-rollout",
      "zk-guard",
      "zk-rollout",
      "zk-super",
    ]);
    const solr = registered.find((r) => r.type === "kubernetes:apps/v1:StatefulSet" && r.name === "solr")!;
    expect(solr.inputs.spec.template.spec.containers[0].env).toEqual([
      {
        name: "ZK_HOST",
        value: [0, 1, 2].map((i) => `zk-${i}.zk-headless.default.svc.cluster.local:2181`).join(","),
      },
    ]);
  });

  it("loads with plain require and with ESM named imports", async () => {
    const cjs = await run(process.execPath, [
      "-e",
      `const m = require("pulumi-stateful"); const t = require("pulumi-stateful/testing");
       console.log(typeof m.StatefulApp, typeof m.ZooKeeperEnsemble, typeof m.renderStatefulApp, typeof t.renderProgram)`,
    ]);
    expect(cjs.stdout.trim()).toBe("function function function function");
    const esm = await run(process.execPath, [
      "--input-type=module",
      "-e",
      `import { StatefulApp, ZooKeeperEnsemble, StatefulArgsError, toYaml } from "pulumi-stateful";
       import { renderProgram } from "pulumi-stateful/testing";
       console.log(typeof StatefulApp, typeof ZooKeeperEnsemble, typeof StatefulArgsError, typeof toYaml, typeof renderProgram)`,
    ]);
    expect(esm.stdout.trim()).toBe("function function function function function");
  });

  it("the registered rollout providers name no path and run in a plain node process: create waits, delete tears down", async () => {
    const providers = registered.filter((r) => r.type === "pulumi-nodejs:dynamic:Resource");
    for (const p of providers) {
      const text = p.inputs.__provider as string;
      expect(text).toContain('"pulumi-stateful/provider"');
      for (const path of [root, dir, tmpdir(), process.cwd()]) expect(text).not.toContain(path);
      expect(text).not.toMatch(/["'`]\/|[A-Za-z]:\\/);
    }

    // Each pod runs a model ZooKeeper server (started with the pods the set below makes).
    const model = new FakeZooKeeper(sim, { setName: "zk" });
    // What the Kubernetes provider would have applied for the ensemble.
    const plural: Record<string, string> = {
      ConfigMap: "configmaps",
      Secret: "secrets",
      Service: "services",
      StatefulSet: "statefulsets",
      PodDisruptionBudget: "poddisruptionbudgets",
    };
    for (const r of registered)
      if (r.type.startsWith("kubernetes:") && /^zk(-|$)/.test(r.name))
        sim.apply(plural[r.inputs.kind]!, "default", reveal(r.inputs));

    const hostDir = join(dir, "host");
    mkdirSync(hostDir, { recursive: true });
    writeFileSync(join(hostDir, "host.js"), HOST);
    writeFileSync(join(hostDir, "kubeconfig"), sim.kubeconfig());
    const call = async (resource: Registered, method: string, args: unknown[]) => {
      const providerFile = join(hostDir, `${resource.name}.js`);
      const argsFile = join(hostDir, `${resource.name}-${method}.json`);
      writeFileSync(providerFile, resource.inputs.__provider);
      writeFileSync(argsFile, JSON.stringify(args));
      const out = await run(process.execPath, [join(hostDir, "host.js"), providerFile, method, argsFile], {
        env: { KUBECONFIG: join(hostDir, "kubeconfig") },
      }).catch((e) => ({ ...e, failed: true }));
      const at = out.stdout.lastIndexOf("\n@@RESULT@@");
      return {
        ok: !out.failed,
        result: out.stdout.slice(at + "\n@@RESULT@@".length),
        log: out.stdout.slice(0, at).split("\n").filter(Boolean) as string[],
      };
    };

    // The ensemble's credentials, made by the installed package's provider.
    const credentials = providers.find((p) => p.name === "zk-super")!;
    const made = await call(credentials, "create", [credentials.inputs]);
    expect(made.ok).toBe(true);
    expect(JSON.parse(made.result).outs.digest).toMatch(/^super:[A-Za-z0-9+/]{27}=$/);

    // The model servers check the super user against the Secret's digest: the mocks had no
    // password, so the digest of the one made above goes there, as the engine would have put it.
    const { password, digest } = JSON.parse(made.result).outs as { password: string; digest: string };
    sim.apply("secrets", "default", {
      metadata: { name: "zk-zookeeper-super" },
      stringData: { superDigest: digest },
    });
    const watcher = providers.find((p) => p.name === "zk-rollout")!;
    // The engine resolves the password output into the watcher's `zookeeper` input.
    const zookeeper = { ...(reveal(watcher.inputs.zookeeper) ?? {}), superPassword: password };
    const created = await call(watcher, "create", [{ ...watcher.inputs, zookeeper }]);
    expect(created.result).toMatch(/^\{/);
    expect(created.ok).toBe(true);
    const outs = JSON.parse(created.result).outs;
    expect(outs.readyPods).toEqual(["zk-0", "zk-1", "zk-2"]);
    expect(outs.votingMembers).toEqual(["zk-0", "zk-1", "zk-2"]);
    expect(model.votingPods()).toEqual(["zk-0", "zk-1", "zk-2"]);
    expect(
      created.log.filter((l) => !l.includes("membership:")).map((l) => l.replace(/ after .*/, "")),
    ).toEqual([
      "zk-0 ready (1/3)",
      "zk-1 ready (2/3)",
      "zk-2 ready (3/3)",
      "zk: voting members zk-0, zk-1, zk-2",
      "zk: 3/3 pods ready",
    ]);
    expect(created.log.join("\n")).not.toContain(password);

    const deleted = await call(watcher, "delete", ["default/zk", outs]);
    expect(deleted.ok).toBe(true);
    await until("no pods", () => sim.pods().length === 0);
    expect(
      sim
        .claims()
        .map((c) => c.metadata.name)
        .sort(),
    ).toEqual(["datadir-zk-0", "datadir-zk-1", "datadir-zk-2"]);
  });

  it("the README's vitest unit test passes as written, within vitest's defaults", async () => {
    const out = await run(process.execPath, [
      join(project, "node_modules", "vitest", "vitest.mjs"),
      "run",
      "zk.test.ts",
    ]);
    expect(out.stdout).toMatch(/Tests\s+.*1 passed/);
  });

  it("the README's mocha unit test passes as written", async () => {
    const mocha = join(project, "node_modules", "mocha", "bin", "mocha.js");
    const out = await run(process.execPath, [mocha, "--require", "tsx/cjs", "zk.spec.ts"]);
    expect(out.stdout).toMatch(/1 passing/);
  });
});
