/**
 * The compiled render command (cli/render.ts, built as `npm run build` builds it) and the pure
 * render module it ships: golden output, flags, exit codes, no Pulumi in the pure module.
 */
import { execFile, execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { staleSource } from "../cli/fresh";

const run = promisify(execFile);
const root = join(__dirname, "..");
/** A build of its own under .tmp/ (node_modules still resolve from the repository root). */
const out = join(root, ".tmp", `render-cli-${process.pid}`);
const golden = (example: string) => readFileSync(join(root, "test", "golden", `${example}.yaml`), "utf8");

function cli(...args: string[]) {
  return run(process.execPath, [join(out, "cli", "render.js"), ...args], { cwd: root });
}

beforeAll(() => {
  execFileSync(
    process.execPath,
    [require.resolve("typescript/bin/tsc"), "-p", "tsconfig.build.json", "--outDir", out],
    {
      cwd: root,
    },
  );
}, 120_000);
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe("compiled render command", () => {
  it.each(["web", "zookeeper", "kubia"])("prints the golden manifest of %s", async (example) => {
    const { stdout, stderr } = await cli(example);
    expect(stdout).toBe(golden(example));
    expect(stderr).toBe("");
  });

  it("passes --config values to the program, repeatable", async () => {
    const { stdout } = await cli("zookeeper", "--config", "replicas=5", "--config=pulumi-stateful:unused=x");
    expect(stdout).toMatch(/kind: StatefulSet\n(.*\n)*? {2}replicas: 5\n/);
    expect(stdout).toMatch(/kind: PodDisruptionBudget\n(.*\n)*? {2}minAvailable: 3\n/);
  });

  it.each([
    [["zookeeper", "--bogus"], "render: unknown option --bogus"],
    [["-x", "zookeeper"], "render: unknown option -x"],
    [["zookeeper", "--out"], "render: --out needs a value"],
    [["zookeeper", "--config", "replicas"], 'render: --config takes KEY=VALUE, got "replicas"'],
    [
      ["zookeeper", "--config", "example=web"],
      "render: the example is named by the argument, not by --config example=...",
    ],
    [["web", "kubia"], "render: name exactly one example"],
    [[], "render: name exactly one example"],
  ])("rejects %j with exit 2 and the usage", async (args, message) => {
    const err = await cli(...args).catch((e) => e);
    expect(err.code).toBe(2);
    expect(err.stdout).toBe("");
    expect(err.stderr).toMatch(new RegExp(`^${message.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\nusage: `));
  });

  it("prints the usage on --help", async () => {
    const { stdout } = await cli("--help");
    expect(stdout).toMatch(
      /^usage: npm run --silent render -- <example> \[--config KEY=VALUE\]\.\.\. \[--out DIR\]\n/,
    );
  });

  it("fails with exit 1 and the argument error when a config value makes a bad argument", async () => {
    const err = await cli("zookeeper", "--config", "replicas=2").catch((e) => e);
    expect(err.code).toBe(1);
    expect(err.stdout).toBe("");
    expect(err.stderr).toMatch(
      /^render: ZooKeeperEnsemble "zk": 2 problems:\n {2}- replicas \(2\) must be 1/,
    );
  });

  it("loads no Pulumi, no Kubernetes client, only yaml, for the pure render", () => {
    const script = `const r = require(${JSON.stringify(join(out, "sdk", "render.js"))});
      r.toYaml(r.renderZooKeeperEnsemble("zk"));
      const pkgs = new Set(Object.keys(require.cache).map((p) => /node_modules\\/((@[^/]+\\/)?[^/]+)/.exec(p)?.[1]).filter(Boolean));
      process.stdout.write(JSON.stringify([...pkgs]));`;
    expect(JSON.parse(execFileSync(process.execPath, ["-e", script], { encoding: "utf8" }))).toEqual([
      "yaml",
    ]);
  });
});

describe("npm run --silent render (the README's commands)", () => {
  const npmRender = (...args: string[]) =>
    run("npm", ["run", "--silent", "render", "--", ...args], { cwd: root });

  it("pipes clean YAML: stdout is the manifest and nothing else", async () => {
    const { stdout } = await npmRender("zookeeper");
    expect(stdout).toBe(golden("zookeeper"));
  }, 120_000);

  it("passes --config replicas=5 to the program", async () => {
    const { stdout } = await npmRender("zookeeper", "--config", "replicas=5");
    expect(stdout).toMatch(/kind: StatefulSet\n(.*\n)*? {2}replicas: 5\n/);
  }, 120_000);

  it("rejects an unknown flag with exit 2", async () => {
    const err = await npmRender("zookeeper", "--bogus").catch((e) => e);
    expect(err.code).toBe(2);
    expect(err.stdout).toBe("");
    expect(err.stderr).toContain("render: unknown option --bogus");
  }, 120_000);

  it("writes --out files where git ignores them (out/)", async () => {
    const ignored = await run("git", ["check-ignore", "--no-index", "out/statefulset-default-zk.yaml"], {
      cwd: root,
    });
    expect(ignored.stdout.trim()).toBe("out/statefulset-default-zk.yaml");
  });
});

describe("staleSource", () => {
  it("names a source newer than its output, or never compiled", () => {
    const dir = mkdtempSync(join(tmpdir(), "fresh-"));
    try {
      mkdirSync(join(dir, "src"));
      mkdirSync(join(dir, "dist", "src"), { recursive: true });
      writeFileSync(join(dir, "src", "a.ts"), "");
      writeFileSync(join(dir, "src", "a.d.ts"), "");
      expect(staleSource(dir, join(dir, "dist"), ["src"])).toBe(join("src", "a.ts"));
      writeFileSync(join(dir, "dist", "src", "a.js"), "");
      utimesSync(join(dir, "src", "a.ts"), 1, 1);
      expect(staleSource(dir, join(dir, "dist"), ["src"])).toBeUndefined();
      utimesSync(join(dir, "src", "a.ts"), new Date(), new Date(Date.now() + 10_000));
      expect(staleSource(dir, join(dir, "dist"), ["src"])).toBe(join("src", "a.ts"));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
