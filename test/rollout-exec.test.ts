/**
 * sdk/rollout/exec.ts against the simulator's pods/exec (WebSocket, as client-node's Exec speaks
 * it): exit codes from the status channel, stdin delivered and closed, stdout and stderr apart,
 * and the refusals (no such pod, no such container, container not running) as errors naming the
 * pod. The pure status mapping is tested directly.
 */
import { afterEach, describe, expect, it } from "vitest";
import { exitCodeOf, PodExecError, podExec, upgradeStatus } from "../sdk/rollout/exec";
import { Sim, until } from "./sim";

let sim: Sim | undefined;
afterEach(async () => {
  await sim?.stop();
  sim = undefined;
});

function setManifest(name: string, replicas = 1) {
  return {
    metadata: { name },
    spec: {
      serviceName: `${name}-h`,
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: "c", image: "i:1" }] } },
    },
  };
}

const ready = (s: Sim, name: string) =>
  s.store
    .get("pods", "default", name)
    ?.status?.conditions?.some((c: any) => c.type === "Ready" && c.status === "True") === true;

async function execFor(s: Sim, container = "c", callTimeoutMs?: number) {
  const k8s = await import("@kubernetes/client-node");
  const kc = new k8s.KubeConfig();
  kc.loadFromString(s.kubeconfig());
  return podExec({
    kc,
    namespace: "default",
    container,
    deadline: Date.now() + 60_000,
    ...(callTimeoutMs !== undefined ? { callTimeoutMs } : {}),
  });
}

describe("exit codes from the status channel", () => {
  it("maps Success to 0 and NonZeroExitCode's ExitCode cause to its number; anything else is an error", () => {
    expect(exitCodeOf({ status: "Success" })).toEqual({ exitCode: 0 });
    expect(
      exitCodeOf({
        status: "Failure",
        reason: "NonZeroExitCode",
        details: { causes: [{ reason: "ExitCode", message: "3" }] },
      }),
    ).toEqual({ exitCode: 3 });
    expect(exitCodeOf({ status: "Failure", reason: "NonZeroExitCode", message: "m" })).toEqual({
      error: "non-zero exit without an exit code: m",
    });
    expect(
      exitCodeOf({ status: "Failure", reason: "InternalError", message: 'container not found ("c")' }),
    ).toEqual({ error: 'InternalError: container not found ("c")' });
    expect(upgradeStatus(new Error("Unexpected server response: 404"))).toBe(404);
    expect(upgradeStatus({ error: { message: "Unexpected server response: 400" } })).toBe(400);
    expect(upgradeStatus(new Error("ECONNREFUSED"))).toBeUndefined();
  });
});

describe("podExec against the simulator", () => {
  it("returns stdout, stderr and the exit code, and delivers stdin closed", async () => {
    sim = await Sim.start({ readyAfterMs: 5 });
    const seen: { command: string[]; stdin: string; container: string }[] = [];
    sim.exec = (req) => {
      seen.push({ command: req.command, stdin: req.stdin, container: req.container });
      if (req.command[0] === "fail") return { stdout: "partial\n", stderr: "bad\n", exitCode: 7 };
      if (req.command[0] === "cat" || req.command[0] === "bash") return { stdout: req.stdin, exitCode: 0 };
      return { stdout: `out:${req.command.join(" ")}`, stderr: "warn", exitCode: 0 };
    };
    sim.apply("statefulsets", "default", setManifest("x"));
    await until("x-0 ready", () => ready(sim!, "x-0"));
    const exec = await execFor(sim);
    expect(await exec("x-0", ["echo", "hi"])).toEqual({ stdout: "out:echo hi", stderr: "warn", exitCode: 0 });
    expect(await exec("x-0", ["fail"])).toEqual({ stdout: "partial\n", stderr: "bad\n", exitCode: 7 });
    // stdin is sent and closed (the handler runs only once the client closes it).
    const secret = "addauth digest super:pw\nreconfig -v 1 -remove 3\nquit\n";
    expect(await exec("x-0", ["bash", "-c", "exec zkCli.sh"], secret)).toEqual({
      stdout: secret,
      stderr: "",
      exitCode: 0,
    });
    expect(seen.map((s) => s.container)).toEqual(["c", "c", "c"]);
    expect(seen[2]!.stdin).toBe(secret);
    // Empty stdin still closes.
    expect((await exec("x-0", ["cat"], "")).exitCode).toBe(0);
  });

  it("names the pod and the cause: no such pod (404), no such container (400), container not running", async () => {
    sim = await Sim.start({ readyAfterMs: 5 });
    sim.exec = () => ({ stdout: "", exitCode: 0 });
    sim.behaviors.set("c-0", { crash: true });
    sim.apply("statefulsets", "default", setManifest("x"));
    sim.apply("statefulsets", "default", setManifest("c"));
    await until("x-0 ready", () => ready(sim!, "x-0"));
    await until(
      "c-0 crashed",
      () =>
        sim!.store.get("pods", "default", "c-0")?.status?.containerStatuses?.[0]?.state?.waiting !==
        undefined,
    );
    const exec = await execFor(sim);
    const missing = await exec("nope-0", ["true"]).catch((e) => e);
    expect(missing).toBeInstanceOf(PodExecError);
    expect(missing.pod).toBe("nope-0");
    expect(missing.message).toBe("exec in pod default/nope-0 (container c): no such pod (HTTP 404)");
    const wrong = await (await execFor(sim, "other"))("x-0", ["true"]).catch((e) => e);
    expect(wrong.message).toMatch(
      /^exec in pod default\/x-0 \(container other\): the API server refused it \(HTTP 400/,
    );
    const down = await exec("c-0", ["true"]).catch((e) => e);
    expect(down).toBeInstanceOf(PodExecError);
    expect(down.message).toBe(
      'exec in pod default/c-0 failed: InternalError: Internal error occurred: container not found ("c")',
    );
  });

  it("gives up on a command that never answers, naming the pod, and the handler error is reported", async () => {
    sim = await Sim.start({ readyAfterMs: 5 });
    sim.exec = (req) =>
      req.command[0] === "hang" ? new Promise(() => {}) : Promise.reject(new Error("runtime exploded"));
    sim.apply("statefulsets", "default", setManifest("x"));
    await until("x-0 ready", () => ready(sim!, "x-0"));
    const exec = await execFor(sim, "c", 300);
    const hung = await exec("x-0", ["hang"]).catch((e) => e);
    expect(hung).toBeInstanceOf(PodExecError);
    expect(hung.message).toBe("exec in pod default/x-0: no answer within 300 ms (hang ...)");
    const failed = await exec("x-0", ["boom"]).catch((e) => e);
    expect(failed.message).toBe(
      "exec in pod default/x-0 failed: InternalError: Internal error occurred: runtime exploded",
    );
  });
});
