/**
 * `exec` into a pod through the Kubernetes API (`pods/<pod>/exec` over WebSocket) with
 * @kubernetes/client-node 1.x's `Exec`, as the `Exec` callback the ZooKeeper membership commands
 * take (sdk/zookeeper/admin.ts). The provider runs where `pulumi up` runs: this is its only way
 * to reach a server inside the cluster.
 *
 * - stdin, when given, is sent as a Readable and closed (v5.channel.k8s.io sends a close frame;
 *   over v4 closing stdin closes the connection, so a command that reads stdin needs v5);
 * - stdout and stderr are collected and returned when the status arrives;
 * - the exit code comes from the V1Status on the status channel: Success is 0,
 *   Failure/NonZeroExitCode carries `details.causes[{reason: "ExitCode", message: "<n>"}]`; any
 *   other status (the container is not running, the runtime failed) is an error naming the pod;
 * - each call has a timeout inside the rollout's deadline; a refusal before the upgrade (404: no
 *   such pod, 400: no such container or not scheduled) is an error naming the pod and the cause;
 *   a refusal that may clear by itself (5xx, 429, a dropped or refused connection) is retried
 *   while the command cannot have run yet.
 */
import type * as K8s from "@kubernetes/client-node";
import type { Exec, ExecResult } from "../zookeeper/admin";

export interface PodExecOptions {
  /** Kubeconfig the calls use (the rollout's). */
  kc: K8s.KubeConfig;
  namespace: string;
  /** Container to run the commands in. */
  container: string;
  /** Epoch milliseconds: no call runs past it. */
  deadline: number;
  /** Longest one call may take. @default 60000 */
  callTimeoutMs?: number;
  /** Attempts for a refusal that may clear (before the command could have run). @default 3 */
  attempts?: number;
}

/** An exec that failed: the pod and the cause are in the message. */
export class PodExecError extends Error {
  constructor(
    message: string,
    readonly pod: string,
    /** True when the command cannot have run (refused before the WebSocket upgrade). */
    readonly beforeRun: boolean,
    readonly status?: number,
    /** The rollout's deadline had passed: no call was made. */
    readonly pastDeadline = false,
  ) {
    super(message);
    this.name = "PodExecError";
  }
}

/** Minimal V1Status shape (what arrives on the status channel). */
export interface ExecStatus {
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: { causes?: { reason?: string; message?: string }[] };
}

/**
 * The exit code a status on the exec status channel stands for, or an error message when the
 * status is no exit of the command (pure; exported for tests).
 */
export function exitCodeOf(status: ExecStatus): { exitCode: number } | { error: string } {
  if (status.status === "Success") return { exitCode: 0 };
  if (status.reason === "NonZeroExitCode") {
    const cause = status.details?.causes?.find((c) => c.reason === "ExitCode");
    const n = Number(cause?.message);
    if (cause && Number.isInteger(n)) return { exitCode: n };
    return { error: `non-zero exit without an exit code: ${status.message ?? "no message"}` };
  }
  return {
    error: `${status.reason ?? status.status ?? "unknown status"}${status.message ? `: ${status.message}` : ""}`,
  };
}

/** The HTTP status of a refused WebSocket upgrade (ws: "Unexpected server response: 404"). */
export function upgradeStatus(err: unknown): number | undefined {
  const e = err as { message?: unknown; error?: { message?: unknown } } | undefined;
  const text = `${String(e?.message ?? "")} ${String(e?.error?.message ?? "")}`;
  const m = /Unexpected server response: (\d{3})/.exec(text);
  return m ? Number(m[1]) : undefined;
}

function errorText(err: unknown): string {
  const e = err as { message?: unknown; error?: { message?: unknown; code?: unknown } } | undefined;
  const msg = e?.message ?? e?.error?.message;
  const code = (err as { code?: unknown })?.code ?? e?.error?.code;
  return `${typeof msg === "string" && msg !== "" ? msg : String(err)}${typeof code === "string" && !String(msg).includes(code) ? ` (${code})` : ""}`;
}

const RETRYABLE_STATUS = new Set([429, 500, 502, 503, 504]);
const RETRYABLE_TEXT = /ECONNRESET|ECONNREFUSED|EPIPE|ETIMEDOUT|socket hang up|EAI_AGAIN/;

/** What a refusal before the upgrade means, for the message. */
function refusalCause(status: number | undefined, container: string): string {
  if (status === 404) return "no such pod (HTTP 404)";
  if (status === 400)
    return `the API server refused it (HTTP 400: no container "${container}", or the pod is not scheduled yet)`;
  if (status === 401 || status === 403)
    return `not allowed (HTTP ${status}: the kubeconfig's user needs "create" on pods/exec)`;
  return status !== undefined ? `HTTP ${status}` : "connection failed";
}

/**
 * An `Exec` (sdk/zookeeper/admin.ts) that runs commands in `container` of pods in `namespace`
 * through the API server. Never rejects for a non-zero exit; rejects with a PodExecError naming
 * the pod for everything else.
 */
export async function podExec(o: PodExecOptions): Promise<Exec> {
  // client-node 1.x is ESM-only; loaded here, not at module scope (the provider runs in another process).
  const k8s = (await import("@kubernetes/client-node")) as typeof K8s;
  const { PassThrough, Readable } = await import("node:stream");
  const callTimeoutMs = o.callTimeoutMs ?? 60_000;
  const attempts = o.attempts ?? 3;

  const once = (pod: string, command: string[], stdin: string | undefined, timeoutMs: number) =>
    new Promise<ExecResult>((resolve, reject) => {
      const out = new PassThrough();
      const err = new PassThrough();
      const stdout: Buffer[] = [];
      const stderr: Buffer[] = [];
      out.on("data", (d: Buffer) => stdout.push(Buffer.from(d)));
      err.on("data", (d: Buffer) => stderr.push(Buffer.from(d)));
      let settled = false;
      let socket: { close(): void; terminate?(): void; on?(e: string, f: () => void): void } | undefined;
      const finish = (f: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        f();
      };
      const timer = setTimeout(
        () =>
          finish(() => {
            socket?.terminate?.();
            reject(
              new PodExecError(
                `exec in pod ${o.namespace}/${pod}: no answer within ${timeoutMs} ms (${command[0]} ...)`,
                pod,
                socket === undefined,
              ),
            );
          }),
        timeoutMs,
      );
      const onStatus = (status: ExecStatus) => {
        const code = exitCodeOf(status);
        // The handler ends stdout/stderr before the status callback; chunks written are already collected.
        finish(() => {
          if ("error" in code)
            reject(new PodExecError(`exec in pod ${o.namespace}/${pod} failed: ${code.error}`, pod, false));
          else
            resolve({
              stdout: Buffer.concat(stdout).toString("utf8"),
              stderr: Buffer.concat(stderr).toString("utf8"),
              exitCode: code.exitCode,
            });
        });
      };
      new k8s.Exec(o.kc)
        .exec(
          o.namespace,
          pod,
          o.container,
          command,
          out,
          err,
          stdin === undefined ? null : Readable.from([Buffer.from(stdin, "utf8")]),
          false,
          onStatus as (s: K8s.V1Status) => void,
        )
        .then(
          (ws) => {
            socket = ws as unknown as typeof socket;
            if (settled) {
              socket?.close();
              return;
            }
            // A connection that ends without a status: the command's outcome is unknown.
            ws.on("close", () =>
              finish(() =>
                reject(
                  new PodExecError(
                    `exec in pod ${o.namespace}/${pod}: the connection closed without an exit status`,
                    pod,
                    false,
                  ),
                ),
              ),
            );
          },
          (e: unknown) => {
            const status = upgradeStatus(e);
            finish(() =>
              reject(
                new PodExecError(
                  `exec in pod ${o.namespace}/${pod} (container ${o.container}): ${refusalCause(status, o.container)}${status === undefined ? `: ${errorText(e)}` : ""}`,
                  pod,
                  true,
                  status,
                ),
              ),
            );
          },
        );
    });

  return async (pod, command, stdin) => {
    for (let attempt = 1; ; attempt++) {
      const remaining = o.deadline - Date.now();
      if (remaining <= 0)
        throw new PodExecError(
          `exec in pod ${o.namespace}/${pod}: the rollout's deadline has passed`,
          pod,
          true,
          undefined,
          true,
        );
      try {
        return await once(pod, command, stdin, Math.max(1, Math.min(callTimeoutMs, remaining)));
      } catch (e) {
        const retryable =
          e instanceof PodExecError &&
          e.beforeRun &&
          attempt < attempts &&
          (e.status !== undefined ? RETRYABLE_STATUS.has(e.status) : RETRYABLE_TEXT.test(e.message));
        if (!retryable) throw e;
        await new Promise((r) => setTimeout(r, Math.min(200 * 2 ** (attempt - 1), 2000)));
      }
    }
  };
}
