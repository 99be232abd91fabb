/**
 * `pods/{name}/exec` over WebSocket, the way client-node 1.x's `Exec` speaks it (its web-socket-handler.ts):
 * subprotocol v5.channel.k8s.io or v4.channel.k8s.io, the client's first choice the server supports (as
 * apimachinery's wsstream handshake picks); every frame is binary with a channel byte first: 0 stdin, 1 stdout,
 * 2 stderr, 3 status; in v5, [255, 0] from the client closes stdin. The status channel carries a metav1.Status:
 * Success, or for a non-zero exit code Failure/NonZeroExitCode with `details.causes[{reason: "ExitCode",
 * message: "<n>"}]` (apiserver's streamtranslator.go, codeExitToStatusError). The command runs in a handler the
 * test provides; its output is sent when it finishes, not streamed.
 *
 * Before the upgrade, as pkg/registry/core/pod/strategy.go (streamLocation) does: 404 for a pod that does not
 * exist, 400 for a container it does not have or a pod not yet scheduled. A pod that is scheduled but whose
 * container is not running fails at the kubelet; through the v5 translator that arrives as an InternalError on
 * the status channel (the kubelet's wording, `container not found ("<c>")`, is an approximation).
 */
import type * as http from "node:http";
import type { Duplex } from "node:stream";
import { type WebSocket, WebSocketServer } from "ws";
import { ApiError, badRequest, notFound } from "./errors";
import { containerRunning } from "./pod-util";
import { RT, type Store } from "./store";

export interface ExecRequest {
  namespace: string;
  pod: string;
  container: string;
  command: string[];
  /** Everything the client sent on stdin, once it closed it ("" without stdin). */
  stdin: string;
}

export interface ExecResult {
  stdout?: string;
  stderr?: string;
  exitCode: number;
}

export type ExecHandler = (req: ExecRequest) => Promise<ExecResult> | ExecResult;

const PROTOCOLS = ["v5.channel.k8s.io", "v4.channel.k8s.io"];
const STDIN = 0;
const STDOUT = 1;
const STDERR = 2;
const STATUS = 3;
const CLOSE = 255;

const flag = (v: string | null) => v === "true" || v === "1";

function frame(channel: number, data: string | Buffer): Buffer {
  const body = typeof data === "string" ? Buffer.from(data, "utf8") : data;
  return Buffer.concat([Buffer.from([channel]), body]);
}

/** apierrors.NewInternalError, as a Status (no TypeMeta, as writeStatus sends it). */
function internalError(message: string) {
  return {
    metadata: {},
    status: "Failure",
    message: `Internal error occurred: ${message}`,
    reason: "InternalError",
    details: { causes: [{ message }] },
    code: 500,
  };
}

export class ExecServer {
  private readonly wss = new WebSocketServer({
    noServer: true,
    handleProtocols: (offered) => [...offered].find((p) => PROTOCOLS.includes(p)) ?? false,
  });

  constructor(
    private readonly store: Store,
    private readonly handler: () => ExecHandler | undefined,
  ) {}

  /** The checks made before the upgrade; throws the ApiError the API server would answer with. */
  check(namespace: string, podName: string, query: URLSearchParams): string {
    const pod = this.store.get("pods", namespace, podName);
    if (!pod) throw notFound(RT.pods!, podName);
    const names: string[] = (pod.spec?.containers ?? []).map((c: { name: string }) => c.name);
    let container = query.get("container") ?? "";
    if (!container) {
      if (names.length !== 1)
        throw badRequest(
          `a container name must be specified for pod ${podName}, choose one of: [${names.join(" ")}]`,
        );
      container = names[0]!;
    } else if (!names.includes(container))
      throw badRequest(`container ${container} is not valid for pod ${podName}`);
    if (!pod.spec?.nodeName) throw badRequest(`pod ${podName} does not have a host assigned`);
    return container;
  }

  /** Completes a WebSocket upgrade for an exec request that passed `check`. */
  upgrade(
    req: http.IncomingMessage,
    socket: Duplex,
    head: Buffer,
    namespace: string,
    podName: string,
    container: string,
    query: URLSearchParams,
  ): void {
    this.wss.handleUpgrade(req, socket, head, (ws) => this.session(ws, namespace, podName, container, query));
  }

  close(): void {
    for (const c of this.wss.clients) c.terminate();
    this.wss.close();
  }

  private session(
    ws: WebSocket,
    namespace: string,
    pod: string,
    container: string,
    query: URLSearchParams,
  ): void {
    const command = query.getAll("command");
    const wantStdin = flag(query.get("stdin"));
    const chunks: Buffer[] = [];
    let ran = false;
    const run = () => {
      if (ran) return;
      ran = true;
      void this.run(
        ws,
        { namespace, pod, container, command, stdin: Buffer.concat(chunks).toString("utf8") },
        query,
      );
    };
    ws.on("message", (data: Buffer, isBinary: boolean) => {
      const buf = isBinary ? data : Buffer.from(data.toString(), "utf8");
      if (buf.length === 0) return;
      if (buf[0] === STDIN) chunks.push(buf.subarray(1));
      else if (buf[0] === CLOSE && buf[1] === STDIN) run();
    });
    // Without stdin the command runs at once; with it, once the client closes stdin (v5). A v4 client closes the
    // whole connection instead, and hears nothing back (as with a real server).
    if (!wantStdin) run();
  }

  private async run(ws: WebSocket, req: ExecRequest, query: URLSearchParams): Promise<void> {
    const send = (channel: number, data: string | Buffer) => {
      if (ws.readyState === ws.OPEN) ws.send(frame(channel, data));
    };
    let status: object;
    const pod = this.store.get("pods", req.namespace, req.pod);
    const handler = this.handler();
    if (!pod || !containerRunning(pod, req.container))
      status = internalError(`container not found ("${req.container}")`);
    else if (!handler) status = internalError("the simulator has no exec handler (set sim.exec)");
    else {
      try {
        const result = await handler(req);
        if (flag(query.get("stdout")) && result.stdout) send(STDOUT, result.stdout);
        if (flag(query.get("stderr")) && result.stderr) send(STDERR, result.stderr);
        status =
          result.exitCode === 0
            ? { metadata: {}, status: "Success" }
            : {
                metadata: {},
                status: "Failure",
                // The runtime's error text follows "command terminated with non-zero exit code: "; containerd's here.
                message: `command terminated with non-zero exit code: error executing command [${req.command.join(" ")}], exit code ${result.exitCode}`,
                reason: "NonZeroExitCode",
                details: { causes: [{ reason: "ExitCode", message: String(result.exitCode) }] },
              };
      } catch (err) {
        status = internalError(
          err instanceof ApiError ? err.message : String((err as Error)?.message ?? err),
        );
      }
    }
    send(STATUS, JSON.stringify(status));
    if (ws.readyState === ws.OPEN) ws.close(1000);
  }
}
