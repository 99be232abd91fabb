/**
 * The rollout providers as Pulumi's dynamic-provider host runs them: the `__provider` text the
 * component registered, loaded with require-from-string in a plain Node process (no TypeScript
 * loader, cwd = the project), with the inputs the component registered. test/host.test.ts runs the
 * same text in the real host process over gRPC.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Sim, until } from "./sim";
import { installMocks, registered, reveal, settled } from "./support/mocks";

const run = promisify(execFile);
const root = join(__dirname, "..");
let sim: Sim;
let dir: string;

/** Calls `method` of the serialized provider in a fresh `node` process; resolves with its JSON result. */
async function host(
  provider: string,
  method: string,
  args: unknown[],
): Promise<{ ok: boolean; out: string; log: string[] }> {
  const requireFromString = require.resolve("require-from-string", {
    paths: [dirname(require.resolve("@pulumi/pulumi/package.json"))],
  });
  const files = {
    provider: join(dir, `${method}-provider.js`),
    args: join(dir, `${method}-args.json`),
    runner: join(dir, "runner.js"),
  };
  writeFileSync(files.provider, provider);
  writeFileSync(files.args, JSON.stringify(args));
  writeFileSync(
    files.runner,
    [
      "const fs = require('fs');",
      `const requireFromString = require(${JSON.stringify(requireFromString)});`,
      `const provider = requireFromString(fs.readFileSync(${JSON.stringify(files.provider)}, 'utf8')).handler();`,
      `const args = JSON.parse(fs.readFileSync(${JSON.stringify(files.args)}, 'utf8'));`,
      `provider[${JSON.stringify(method)}](...args).then(`,
      "  (r) => { process.stdout.write('\\n@@RESULT@@' + JSON.stringify(r ?? null)); process.exit(0); },",
      "  (e) => { process.stdout.write('\\n@@RESULT@@' + e.message); process.exit(3); });",
    ].join("\n"),
  );
  try {
    const { stdout } = await run(process.execPath, [files.runner], {
      cwd: root,
      env: { ...process.env, KUBECONFIG: join(dir, "none") },
    });
    return split(true, stdout);
  } catch (e) {
    return split(false, (e as { stdout: string }).stdout);
  }
}

/** The provider's console lines (Pulumi shows them as the resource's log), then its result. */
function split(ok: boolean, stdout: string) {
  const at = stdout.lastIndexOf("\n@@RESULT@@");
  return {
    ok,
    out: stdout.slice(at + "\n@@RESULT@@".length),
    log: stdout.slice(0, at).split("\n").filter(Boolean),
  };
}

beforeAll(async () => {
  sim = await Sim.start({ readyAfterMs: 30 });
  dir = mkdtempSync(join(tmpdir(), "provider-host-"));
  await installMocks();
});

afterAll(async () => {
  await sim.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("the serialized rollout providers in a plain Node process", () => {
  it(
    "watcher create waits for the pods; guard update refuses an unsafe scale-down; watcher delete tears down",
    { timeout: 120_000 },
    async () => {
      const { StatefulApp } = await import("../components");
      new StatefulApp("hosted", {
        image: "x:1",
        replicas: 2,
        volumes: [{ name: "d", size: "1Gi", mountPath: "/d" }],
        rollout: { timeoutSeconds: 20, kubeconfig: sim.kubeconfig() },
      });
      await settled();
      const byName = (n: string) => registered.find((r) => r.name === n)!;
      const set = registered.find((r) => r.name === "hosted" && r.type === "kubernetes:apps/v1:StatefulSet")!;
      const watcher = reveal(byName("hosted-rollout").inputs);
      const guard = reveal(byName("hosted-guard").inputs);
      expect(typeof watcher.__provider).toBe("string");

      // What the Kubernetes provider would have applied.
      sim.apply("statefulsets", "default", { metadata: set.inputs.metadata, spec: set.inputs.spec });
      const created = await host(watcher.__provider, "create", [watcher]);
      expect(created.ok).toBe(true);
      expect(JSON.parse(created.out)).toMatchObject({
        id: "default/hosted",
        outs: { readyPods: ["hosted-0", "hosted-1"] },
      });
      expect(created.log.map((l) => l.replace(/ after .*/, ""))).toEqual([
        "hosted-0 ready (1/2)",
        "hosted-1 ready (2/2)",
        "hosted: 2/2 pods ready",
      ]);

      sim.kubelet.setReady("default", "hosted-0", false);
      const refused = await host(guard.__provider, "update", [
        "default/hosted",
        guard,
        { ...guard, replicas: 1 },
      ]);
      expect(refused.ok).toBe(false);
      expect(refused.out).toMatch(
        /^refusing to scale StatefulSet "hosted" from 2 to 1: every pod must be Ready before a scale-down/,
      );
      sim.kubelet.setReady("default", "hosted-0", true);

      const deleted = await host(watcher.__provider, "delete", [
        "default/hosted",
        JSON.parse(created.out).outs,
      ]);
      expect(deleted.ok).toBe(true);
      await until("no pods", () => sim.pods().length === 0);
      expect(
        sim
          .claims()
          .map((c) => c.metadata.name)
          .sort(),
      ).toEqual(["d-hosted-0", "d-hosted-1"]);
    },
  );
});
