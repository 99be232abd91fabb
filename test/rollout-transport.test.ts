/**
 * Issue 7, item 6: bounded time and fast failure. Errors that waiting cannot clear fail within
 * seconds (well inside a 600 s deadline), naming the cluster and the cause; a destroy against a
 * cluster that is gone has a way out.
 */
import { createServer, type Server } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { DELETE_UNREACHABLE_ENV, teardown, waitForRollout } from "../sdk/rollout/provider";
import { inputsFor } from "./support/rollout-fixture";

/** A kubeconfig for `server` (context "gone"). */
const kubeconfigFor = (server: string) =>
  [
    "apiVersion: v1",
    "kind: Config",
    `clusters:\n- name: c\n  cluster:\n    server: ${server}\n    insecure-skip-tls-verify: true`,
    "users:\n- name: u\n  user:\n    token: t",
    "contexts:\n- name: gone\n  context:\n    cluster: c\n    user: u",
    "current-context: gone",
    "",
  ].join("\n");

/** A port on loopback where nothing listens. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

const servers: Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
  delete process.env[DELETE_UNREACHABLE_ENV];
});

const LONG = { timeoutSeconds: 600 };

describe("errors that waiting cannot clear fail fast, naming the cluster", () => {
  it("an unknown context", async () => {
    const i = inputsFor(
      { kubeconfig: () => kubeconfigFor("https://127.0.0.1:1") },
      "web",
      {},
      { ...LONG, context: "prod" },
    );
    const err = await waitForRollout(i, () => {}).catch((e) => e);
    expect(err.message).toBe(
      'kubeconfig context "prod" (rollout.context) is not in the kubeconfig from rollout.kubeconfig; it has: gone',
    );
  });

  it("no kubeconfig at all", async () => {
    const i = { ...inputsFor({ kubeconfig: () => "" }, "web", {}, LONG), kubeconfig: undefined };
    const saved = { KUBECONFIG: process.env.KUBECONFIG, HOME: process.env.HOME };
    process.env.KUBECONFIG = "/nonexistent/kubeconfig";
    try {
      const err = await waitForRollout(i, () => {}).catch((e) => e);
      expect(err.name).toBe("RolloutError");
      expect(err.message).toMatch(
        /^(cannot read the kubeconfig from KUBECONFIG \(\/nonexistent\/kubeconfig\)|no Kubernetes cluster configured)/,
      );
    } finally {
      process.env.KUBECONFIG = saved.KUBECONFIG;
    }
  });

  it("connection refused: retried for a short grace, then reported unreachable", async () => {
    const server = `http://127.0.0.1:${await closedPort()}`;
    const i = inputsFor({ kubeconfig: () => kubeconfigFor(server) }, "web", {}, LONG);
    const started = Date.now();
    const err = await waitForRollout(i, () => {}).catch((e) => e);
    expect(err.name).toBe("UnreachableError");
    expect(err.message).toMatch(
      new RegExp(
        `cannot reach the Kubernetes API server at context "gone" \\(${server.replace(/[.]/g, "\\.")}\\): ECONNREFUSED for 1\\ds$`,
      ),
    );
    // Seconds, not the 600 s deadline (generous bound: a loaded machine is slow, not stuck).
    expect(Date.now() - started).toBeLessThan(60_000);
  });

  it("a request that never answers does not hang: each request is abandoned and retried until the deadline", async () => {
    const silent = createServer(() => {}); // accepts, never answers
    servers.push(silent);
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    const server = `http://127.0.0.1:${(silent.address() as { port: number }).port}`;
    const i = inputsFor({ kubeconfig: () => kubeconfigFor(server) }, "web", {}, { timeoutSeconds: 3 });
    const err = await waitForRollout(i, () => {}).catch((e) => e);
    expect(err.message).toMatch(/^timed out after 3s: StatefulSet "default\/web" could not be read/);
  });
});

describe("a destroy against a cluster that is gone", () => {
  it("fails naming the way out; with PULUMI_STATEFUL_DELETE_UNREACHABLE it finishes without touching anything", async () => {
    const server = `http://127.0.0.1:${await closedPort()}`;
    const props = {
      ...inputsFor({ kubeconfig: () => kubeconfigFor(server) }, "web", {}, LONG),
      server,
      setUid: "u",
    };
    const err = await teardown(props, () => {}).catch((e) => e);
    expect(err.message.split("\n")[1]).toBe(
      `Nothing was changed. If that cluster is gone for good, run the destroy again with ${DELETE_UNREACHABLE_ENV}=true to remove the rollout from the stack without touching it.`,
    );
    process.env[DELETE_UNREACHABLE_ENV] = "true";
    const lines: string[] = [];
    expect(await teardown(props, (l) => lines.push(l))).toEqual({ keptClaims: [] });
    expect(lines[0]).toMatch(
      /PULUMI_STATEFUL_DELETE_UNREACHABLE\/rollout.deleteUnreachable is set, so the rollout is removed from the stack without touching that cluster/,
    );
  });
});
