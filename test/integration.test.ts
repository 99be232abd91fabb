/**
 * Integration against a real cluster: runs only when KUBECONFIG is set and the `pulumi` CLI is on
 * PATH, and says it was skipped otherwise. It deploys the kubia example from this repository with
 * a local Pulumi backend, checks the pods, destroys the stack, checks that the claims were kept,
 * and deletes them (this test created them).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

function pulumiCli(): string | undefined {
  try {
    return execFileSync("pulumi", ["version"], { encoding: "utf8" }).trim();
  } catch {
    return undefined;
  }
}

const reason = !process.env.KUBECONFIG
  ? "KUBECONFIG is not set"
  : !pulumiCli()
    ? "the pulumi CLI is not on PATH"
    : undefined;
if (reason) console.log(`integration: skipped: ${reason} (needs a real cluster and the pulumi CLI)`);

describe.skipIf(reason !== undefined)("integration with a real cluster", () => {
  it("deploys the kubia example in order and keeps its claims on destroy", { timeout: 900_000 }, async () => {
    const root = join(__dirname, "..");
    const home = mkdtempSync(join(tmpdir(), "pulumi-home-"));
    const env = {
      ...process.env,
      PULUMI_HOME: home,
      PULUMI_BACKEND_URL: `file://${home}`,
      PULUMI_CONFIG_PASSPHRASE: "integration",
      PULUMI_SKIP_UPDATE_CHECK: "true",
    };
    const pulumi = (...args: string[]) =>
      execFileSync("pulumi", [...args, "--non-interactive"], {
        cwd: root,
        env,
        encoding: "utf8",
        stdio: "pipe",
      });
    const stack = `it-${Date.now()}`;
    const k8s = await import("@kubernetes/client-node");
    const kc = new k8s.KubeConfig();
    kc.loadFromDefault();
    const core = kc.makeApiClient(k8s.CoreV1Api);
    try {
      pulumi("stack", "init", stack);
      pulumi("config", "set", "example", "kubia");
      const up = pulumi("up", "--yes", "--skip-preview");
      expect(up).toMatch(/kubia-0 ready \(1\/2\)/);
      expect(up).toMatch(/kubia-1 ready \(2\/2\)/);
      const pods = await core.listNamespacedPod({ namespace: "default", labelSelector: "app=kubia" });
      expect(pods.items.map((p) => p.metadata?.name).sort()).toEqual(["kubia-0", "kubia-1"]);
      const down = pulumi("destroy", "--yes", "--skip-preview");
      expect(down).toMatch(/kubia-1 gone/);
      const claims = await core.listNamespacedPersistentVolumeClaim({
        namespace: "default",
        labelSelector: "app=kubia",
      });
      expect(claims.items.map((c) => c.metadata?.name).sort()).toEqual(["data-kubia-0", "data-kubia-1"]);
    } finally {
      for (const name of ["data-kubia-0", "data-kubia-1"])
        await core
          .deleteNamespacedPersistentVolumeClaim({ namespace: "default", name })
          .catch(() => undefined);
      try {
        pulumi("stack", "rm", stack, "--yes", "--force");
      } catch {
        // best effort
      }
      rmSync(home, { recursive: true, force: true });
    }
  });
});
