/**
 * The simulated Kubernetes API server over real HTTP (or HTTPS): paths, lists, Status errors, PATCH formats,
 * DELETE with propagation, watches, the scale, status and finalize subresources, eviction, exec over WebSocket,
 * bearer-token authentication, and fault injection (including transport faults). Behaviour follows the Kubernetes
 * API concepts page and the apiserver's handlers; where the simulator departs from a real server, a comment says so.
 */
import { readFileSync } from "node:fs";
import * as http from "node:http";
import * as https from "node:https";
import type { AddressInfo, Socket } from "node:net";
import { join } from "node:path";
import type { Duplex } from "node:stream";
import { parse as parseYaml } from "yaml";
import { ApiError, badRequest, forbidden, type StatusDetails } from "./errors";
import { type ExecHandler, ExecServer } from "./exec";
import {
  ApplyConflict,
  type ManagedFieldsEntry,
  recordApply,
  recordUpdate,
  requestManagedFields,
} from "./field-manager";
import { jsonPatch, mergePatch, parseSelector, selectorString, strategicMergePatch } from "./patch";
import { isReady } from "./pod-util";
import { type Obj, RESOURCES, type ResourceType, RT, type Store } from "./store";

/** What a fault hook may do to one request. */
export type Fault =
  /** An error answer: 5xx, 429 (with Retry-After when retryAfterSeconds > 0), 409, 401 or 403, as Status objects. */
  | { kind: "status"; code: 500 | 503 | 429 | 409 | 401 | 403; retryAfterSeconds?: number }
  | { kind: "delay"; ms: number }
  | { kind: "cutWatchAfter"; ms: number }
  | { kind: "expireWatch" }
  /** No answer at all: the request stays open until the client gives up (or the server closes). */
  | { kind: "hang" }
  /** The connection is dropped without an answer (the client sees ECONNRESET / socket hang up). */
  | { kind: "reset" };

export interface RequestInfo {
  method: string;
  path: string;
  watch: boolean;
  /** `get`, `list`, `watch`, `create`, `update`, `patch`, `delete` (exec: `create`, as RBAC sees it). */
  verb: string;
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
}

export interface ServerOptions {
  /** Called for every request; returns faults to apply, in order. */
  faults?: (req: RequestInfo) => Fault[];
  /** Called for every request, after routing (for counting). */
  onRequest?: (req: RequestInfo) => void;
  /** Serve HTTPS with the certificate in fixtures/tls (signed by fixtures/tls/ca.crt). */
  tls?: boolean;
  /** Require `Authorization: Bearer <token>`; anything else gets 401. @default - no authentication */
  token?: string;
  /** The user named in 403 messages. @default "sim" */
  username?: string;
  /** The command an exec request runs. */
  exec?: () => ExecHandler | undefined;
}

export const TLS_DIR = join(__dirname, "fixtures", "tls");

interface Route {
  rt: ResourceType;
  /** undefined: all namespaces (a list or watch), or a cluster-scoped resource. */
  ns?: string;
  name?: string;
  sub?: string;
}

function route(path: string): Route | undefined {
  const seg = path.split("/").filter(Boolean);
  let group = "";
  let version: string;
  let rest: string[];
  if (seg[0] === "api" && seg[1]) [version, rest] = [seg[1], seg.slice(2)];
  else if (seg[0] === "apis" && seg[1] && seg[2]) [group, version, rest] = [seg[1], seg[2], seg.slice(3)];
  else return undefined;
  const find = (plural: string | undefined) =>
    RESOURCES.find((r) => r.plural === plural && r.group === group && r.version === version);
  // namespaces/{ns}/{plural}[/{name}[/{sub}]] for namespaced resources.
  if (rest[0] === "namespaces" && rest.length >= 3) {
    const rt = find(rest[2]);
    if (rt?.namespaced && rest.length <= 5) return { rt, ns: rest[1], name: rest[3], sub: rest[4] };
  }
  // {plural}[/{name}[/{sub}]] for cluster-scoped resources, or a namespaced resource across all namespaces.
  const rt = find(rest[0]);
  if (!rt || rest.length > 3) return undefined;
  if (rt.namespaced) return rest.length === 1 ? { rt } : undefined;
  return { rt, name: rest[1], sub: rest[2] };
}

function statusBody(e: ApiError) {
  // Go omits empty fields of StatusDetails, and the details themselves when there are none.
  const details: StatusDetails & { retryAfterSeconds?: number } = {};
  for (const [k, v] of Object.entries(e.details)) if (v !== undefined && v !== "") (details as any)[k] = v;
  if (e.retryAfterSeconds > 0) details.retryAfterSeconds = e.retryAfterSeconds;
  return {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message: e.message,
    reason: e.reason,
    ...(Object.keys(details).length > 0 ? { details } : {}),
    code: e.code,
  };
}

const REASONS: Record<number, string> = {
  409: "Conflict",
  429: "TooManyRequests",
  500: "InternalError",
  503: "ServiceUnavailable",
};

/**
 * The 403 an authorizer's refusal gets (staging/src/k8s.io/apiserver/pkg/endpoints/handlers/responsewriters/
 * errors.go, forbiddenMessage).
 */
function authzForbidden(info: RequestInfo, rt: ResourceType | undefined, username: string): ApiError {
  if (!rt)
    return new ApiError(
      403,
      "Forbidden",
      `forbidden: User "${username}" cannot ${info.verb} path "${info.path}"`,
    );
  const resource = info.subresource ? `${rt.plural}/${info.subresource}` : rt.plural;
  const scope = info.namespace
    ? `in API group "${rt.group}" in the namespace "${info.namespace}"`
    : `in API group "${rt.group}" at the cluster scope`;
  return forbidden(
    rt,
    info.name ?? "",
    `User "${username}" cannot ${info.verb} resource "${resource}" ${scope}`,
  );
}

/** errors.NewUnauthorized("Unauthorized"), as the authentication filter answers. */
const unauthorized = () => new ApiError(401, "Unauthorized", "Unauthorized");

/**
 * Registries that answer a DELETE with the deleted object (ReturnDeletedObject in pkg/registry/core/<resource>/
 * storage/storage.go; the namespace registry's own Delete); the others answer with a Status naming it
 * (staging/src/k8s.io/apiserver/pkg/registry/generic/registry/store.go, finalizeDelete).
 */
const RETURNS_DELETED_OBJECT = new Set(["pods", "persistentvolumeclaims", "services", "namespaces"]);

export class ApiServer {
  private server?: http.Server;
  private readonly sockets = new Set<Socket>();
  private readonly watches = new Set<http.ServerResponse>();
  private readonly exec: ExecServer;
  private hangs = 0;
  port = 0;

  constructor(
    private readonly store: Store,
    private readonly options: ServerOptions = {},
  ) {
    this.exec = new ExecServer(store, () => this.options.exec?.());
  }

  get url(): string {
    return `${this.options.tls ? "https" : "http"}://127.0.0.1:${this.port}`;
  }

  /** Requests held open by a `hang` fault whose client has not yet given up. */
  get hanging(): number {
    return this.hangs;
  }

  async listen(port = 0): Promise<void> {
    const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
      this.handle(req, res).catch((err) => {
        const e =
          err instanceof ApiError ? err : new ApiError(500, "InternalError", String(err?.message ?? err));
        this.sendError(res, e);
      });
    };
    const server = this.options.tls
      ? https.createServer(
          { key: readFileSync(join(TLS_DIR, "server.key")), cert: readFileSync(join(TLS_DIR, "server.crt")) },
          handler,
        )
      : http.createServer(handler);
    server.on(this.options.tls ? "secureConnection" : "connection", (s: Socket) => {
      this.sockets.add(s);
      s.on("close", () => this.sockets.delete(s));
    });
    server.on("upgrade", (req, socket, head) => this.handleUpgrade(req, socket, head));
    await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
  }

  /** Closes the listener and every connection (state is kept in the store). */
  async close(): Promise<void> {
    for (const w of this.watches) w.destroy();
    this.watches.clear();
    this.exec.close();
    for (const s of this.sockets) s.destroy();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** The server goes away: connections drop and new ones are refused (ECONNREFUSED) until `up()`. */
  async down(): Promise<void> {
    await this.close();
  }

  /** The server comes back on the same port. */
  async up(): Promise<void> {
    if (!this.server) await this.listen(this.port);
  }

  /** A restart of the whole API server: connections drop, the same port comes back after `downMs`. */
  async restart(downMs = 50): Promise<void> {
    await this.down();
    await new Promise((r) => setTimeout(r, downMs));
    await this.up();
  }

  private sendJson(
    res: http.ServerResponse,
    code: number,
    body: unknown,
    headers: Record<string, string> = {},
  ): void {
    if (res.headersSent || res.destroyed) return;
    const data = JSON.stringify(body);
    res.writeHead(code, {
      "Content-Type": "application/json",
      "Content-Length": Buffer.byteLength(data),
      ...headers,
    });
    res.end(data);
  }

  private sendError(res: http.ServerResponse, e: ApiError): void {
    const headers: Record<string, string> =
      e.retryAfterSeconds > 0 ? { "Retry-After": String(e.retryAfterSeconds) } : {};
    this.sendJson(res, e.code, statusBody(e), headers);
  }

  private async readBody(req: http.IncomingMessage): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString("utf8");
  }

  private requestInfo(req: http.IncomingMessage, url: URL, r: Route | undefined): RequestInfo {
    const method = req.method ?? "GET";
    const watch = url.searchParams.get("watch") === "true" || url.searchParams.get("watch") === "1";
    const verb =
      r?.sub === "exec"
        ? "create"
        : method === "GET"
          ? watch
            ? "watch"
            : r?.name
              ? "get"
              : "list"
          : method === "POST"
            ? "create"
            : method === "PUT"
              ? "update"
              : method === "PATCH"
                ? "patch"
                : method === "DELETE"
                  ? "delete"
                  : method.toLowerCase();
    return {
      method,
      path: url.pathname,
      watch,
      verb,
      resource: r?.rt.plural ?? "",
      ...(r?.sub ? { subresource: r.sub } : {}),
      ...(r?.ns ? { namespace: r.ns } : {}),
      ...(r?.name ? { name: r.name } : {}),
    };
  }

  private authenticated(req: http.IncomingMessage): boolean {
    return !this.options.token || req.headers.authorization === `Bearer ${this.options.token}`;
  }

  /**
   * Applies the faults for a request: throws the error answer, or returns what a watch must do. `hang` and `reset`
   * return "stop": the caller leaves the request alone.
   */
  private async applyFaults(
    info: RequestInfo,
    rt: ResourceType | undefined,
    socket: Duplex,
    onHang: () => void,
  ): Promise<{ stop: boolean; cutAfter?: number; expire: boolean }> {
    let cutAfter: number | undefined;
    let expire = false;
    for (const f of this.options.faults?.(info) ?? []) {
      if (f.kind === "delay") await new Promise((r) => setTimeout(r, f.ms));
      else if (f.kind === "hang") {
        onHang();
        return { stop: true, expire };
      } else if (f.kind === "reset") {
        socket.destroy();
        return { stop: true, expire };
      } else if (f.kind === "status") {
        if (f.code === 401) throw unauthorized();
        if (f.code === 403) throw authzForbidden(info, rt, this.options.username ?? "sim");
        throw new ApiError(
          f.code,
          REASONS[f.code]!,
          f.code === 409
            ? "Operation cannot be fulfilled: the object has been modified (injected)"
            : `injected ${f.code}`,
          {},
          f.retryAfterSeconds ?? 0,
        );
      } else if (f.kind === "cutWatchAfter") cutAfter = f.ms;
      else if (f.kind === "expireWatch") expire = true;
    }
    return { stop: false, cutAfter, expire };
  }

  private hang(req: http.IncomingMessage, res: http.ServerResponse): void {
    this.hangs++;
    let done = false;
    const end = () => {
      if (done) return;
      done = true;
      this.hangs--;
    };
    res.on("close", end);
    req.socket.on("close", end);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://sim");
    const q = url.searchParams;
    const r = route(url.pathname);
    const info = this.requestInfo(req, url, r);
    this.options.onRequest?.(info);
    const body = await this.readBody(req);
    if (!this.authenticated(req)) throw unauthorized();
    const faults = await this.applyFaults(info, r?.rt, req.socket, () => this.hang(req, res));
    if (faults.stop) return;
    if (!r) throw new ApiError(404, "NotFound", "the server could not find the requested resource");
    const { rt, ns, name, sub } = r;
    const method = info.method;
    const scopeNs = rt.namespaced ? ns : "";

    if (method === "GET" && info.watch) return this.watch(res, rt, ns, q, faults.cutAfter, faults.expire);
    if (!name) {
      if (method === "GET") {
        const sel = parseSelector(q.get("labelSelector") ?? undefined);
        const field = fieldMatcher(q.get("fieldSelector"));
        const items = this.store
          .list(rt.plural, rt.namespaced ? ns : "")
          .filter((o) => sel(o.metadata.labels) && field(o));
        return this.sendJson(res, 200, {
          kind: `${rt.kind}List`,
          apiVersion: rt.apiVersion,
          metadata: { resourceVersion: String(this.store.resourceVersion) },
          items,
        });
      }
      if (method === "POST" && scopeNs !== undefined) {
        const obj = JSON.parse(body) as Obj;
        if (rt.namespaced && obj.metadata?.namespace && obj.metadata.namespace !== ns)
          throw badRequest(
            "the namespace of the provided object does not match the namespace sent on the request",
          );
        const entries = recordUpdate({
          live: undefined,
          next: obj,
          entries: requestManagedFields(undefined, obj),
          manager: fieldManager(req, q),
          apiVersion: rt.apiVersion,
        });
        return this.sendJson(res, 201, this.store.create(rt, scopeNs, withManagedFields(obj, entries)));
      }
      throw new ApiError(405, "MethodNotAllowed", `${method} is not supported on a collection`);
    }
    if (scopeNs === undefined)
      throw new ApiError(404, "NotFound", "the server could not find the requested resource");
    if (sub === "scale" && rt.plural === "statefulsets")
      return this.scale(req, res, rt, scopeNs, name, method, body, q);
    if (sub === "eviction" && rt.plural === "pods" && method === "POST")
      return this.evict(res, scopeNs, name);
    if (sub === "exec" && rt.plural === "pods")
      // A plain request to an exec path: the connection must be upgraded (handled in handleUpgrade).
      throw badRequest("Upgrade request required");
    if (sub === "finalize" && rt.plural === "namespaces" && method === "PUT") {
      const obj = JSON.parse(body) as Obj;
      return this.sendJson(res, 200, this.store.finalizeNamespace(name, obj.spec?.finalizers ?? []));
    }
    if (sub !== undefined && sub !== "status")
      throw new ApiError(404, "NotFound", `subresource ${sub} not found`);
    switch (method) {
      case "GET":
        return this.sendJson(res, 200, this.store.mustGet(rt, scopeNs, name));
      case "PUT": {
        let obj = JSON.parse(body) as Obj;
        checkName(rt, obj, name, ns);
        if (sub !== "status") {
          const current = this.store.mustGet(rt, scopeNs, name);
          obj = withManagedFields(
            obj,
            recordUpdate({
              live: current,
              next: obj,
              entries: requestManagedFields(current, obj),
              manager: fieldManager(req, q),
              apiVersion: rt.apiVersion,
            }),
          );
        }
        return this.sendJson(
          res,
          200,
          this.store.update(rt, scopeNs, obj, sub === "status" ? "status" : undefined),
        );
      }
      case "PATCH":
        return this.patch(req, res, rt, scopeNs, name, sub, body, q);
      case "DELETE":
        return this.delete(res, rt, scopeNs, name, body, q);
      default:
        throw new ApiError(405, "MethodNotAllowed", `${method} not allowed`);
    }
  }

  /** WebSocket upgrades: only `pods/{name}/exec`. Errors before the upgrade are plain HTTP answers. */
  private async handleUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(req.url ?? "/", "http://sim");
    const r = route(url.pathname);
    const info = this.requestInfo(req, url, r);
    this.options.onRequest?.(info);
    const refuse = (e: ApiError) => {
      const data = JSON.stringify(statusBody(e));
      socket.end(
        `HTTP/1.1 ${e.code} ${http.STATUS_CODES[e.code]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(data)}\r\nConnection: close\r\n\r\n${data}`,
      );
    };
    try {
      if (!this.authenticated(req)) throw unauthorized();
      let hung = false;
      const faults = await this.applyFaults(info, r?.rt, socket, () => {
        hung = true;
        this.hangs++;
        socket.on("close", () => this.hangs--);
      });
      if (faults.stop || hung) return;
      if (!r || r.rt.plural !== "pods" || r.sub !== "exec" || !r.name || r.ns === undefined)
        throw new ApiError(404, "NotFound", "the server could not find the requested resource");
      const container = this.exec.check(r.ns, r.name, url.searchParams);
      this.exec.upgrade(req, socket, head, r.ns, r.name, container, url.searchParams);
    } catch (err) {
      refuse(
        err instanceof ApiError ? err : new ApiError(500, "InternalError", String((err as Error)?.message)),
      );
    }
  }

  private patch(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    rt: ResourceType,
    ns: string,
    name: string,
    sub: string | undefined,
    body: string,
    q: URLSearchParams,
  ): void {
    const type = (req.headers["content-type"] ?? "").split(";")[0]!.trim();
    const current = this.store.get(rt.plural, ns, name);
    let next: Obj;
    try {
      if (type === "application/apply-patch+yaml") {
        // Server-side apply with field ownership (./field-manager.ts): the configuration is merged, fields the
        // manager applied before and no longer applies are removed unless another manager owns them, and a
        // change to a field another manager owns is a 409 Conflict unless `force=true`.
        const manager = q.get("fieldManager");
        if (!manager) throw badRequest("fieldManager is required for apply requests");
        const applied = parseYaml(body) as Obj;
        // internal/fieldmanager.go, Apply: an applied configuration may not carry managedFields.
        if (applied?.metadata?.managedFields != null) throw badRequest("metadata.managedFields must be nil");
        const config = { ...applied, metadata: { ...applied.metadata, name } };
        let result: { object: Obj; entries: ManagedFieldsEntry[] };
        try {
          result = recordApply({
            live: current,
            config,
            entries: (current?.metadata.managedFields ?? []) as ManagedFieldsEntry[],
            manager,
            apiVersion: rt.apiVersion,
            force: q.get("force") === "true",
          });
        } catch (e) {
          // errors.NewApplyConflict: 409, reason Conflict, one cause per conflicting field.
          if (e instanceof ApplyConflict)
            throw new ApiError(409, "Conflict", e.message, { causes: e.causes });
          throw e;
        }
        if (!current) {
          const created = this.store.create(rt, ns, withManagedFields(result.object, result.entries));
          this.sendJson(res, 201, created);
          return;
        }
        next = withManagedFields(result.object, result.entries);
      } else {
        if (!current) this.store.mustGet(rt, ns, name);
        const patch = JSON.parse(body);
        next = applyPatch(type, current, patch);
        if (sub !== "status")
          next = withManagedFields(
            next,
            recordUpdate({
              live: current,
              next,
              entries: requestManagedFields(current, next),
              manager: fieldManager(req, q),
              apiVersion: rt.apiVersion,
            }),
          );
      }
    } catch (e) {
      if (e instanceof ApiError) throw e;
      throw new ApiError(422, "Invalid", `${rt.kind} "${name}" is invalid: ${(e as Error).message}`, {
        name,
        kind: rt.kind,
      });
    }
    checkName(rt, next, name, rt.namespaced ? ns : undefined);
    // A patch applies to the latest version unless it names a resourceVersion itself.
    const patchedRv = next.metadata?.resourceVersion;
    if (patchedRv === current!.metadata.resourceVersion) delete next.metadata.resourceVersion;
    this.sendJson(res, 200, this.store.update(rt, ns, next, sub === "status" ? "status" : undefined));
  }

  private delete(
    res: http.ServerResponse,
    rt: ResourceType,
    ns: string,
    name: string,
    body: string,
    q: URLSearchParams,
  ): void {
    const opts = body
      ? (JSON.parse(body) as {
          propagationPolicy?: string;
          gracePeriodSeconds?: number;
          orphanDependents?: boolean;
        })
      : {};
    const policy =
      q.get("propagationPolicy") ??
      opts.propagationPolicy ??
      (opts.orphanDependents ? "Orphan" : "Background");
    const grace = q.get("gracePeriodSeconds") ?? opts.gracePeriodSeconds;
    // The propagation policy becomes a finalizer the garbage collector acts on (registry/generic/registry/store.go).
    const finalizers =
      policy === "Foreground" ? ["foregroundDeletion"] : policy === "Orphan" ? ["orphan"] : [];
    const out = this.store.markDeleted(
      rt,
      ns,
      name,
      grace === undefined ? undefined : Number(grace),
      finalizers,
    );
    const gone = !this.store.get(rt.plural, ns, name);
    if (gone && !RETURNS_DELETED_OBJECT.has(rt.plural)) {
      this.sendJson(res, 200, {
        kind: "Status",
        apiVersion: "v1",
        metadata: {},
        status: "Success",
        details: { name, ...(rt.group ? { group: rt.group } : {}), kind: rt.plural, uid: out.metadata.uid },
      });
      return;
    }
    this.sendJson(res, 200, gone ? out : this.store.get(rt.plural, ns, name));
  }

  private scale(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    rt: ResourceType,
    ns: string,
    name: string,
    method: string,
    body: string,
    q: URLSearchParams,
  ): void {
    const set = this.store.mustGet(rt, ns, name);
    const toScale = (s: Obj) => ({
      kind: "Scale",
      apiVersion: "autoscaling/v1",
      metadata: {
        name,
        namespace: ns,
        uid: s.metadata.uid,
        resourceVersion: s.metadata.resourceVersion,
        creationTimestamp: s.metadata.creationTimestamp,
      },
      spec: { replicas: s.spec.replicas ?? 1 },
      status: { replicas: s.status?.replicas ?? 0, selector: selectorString(s.spec.selector ?? {}) },
    });
    if (method === "GET") {
      this.sendJson(res, 200, toScale(set));
      return;
    }
    let scale: any;
    if (method === "PUT") scale = JSON.parse(body);
    else if (method === "PATCH") {
      const type = (req.headers["content-type"] ?? "").split(";")[0]!.trim();
      const current = toScale(set);
      scale = applyPatch(type, current, JSON.parse(body));
      if (scale.metadata?.resourceVersion === current.metadata.resourceVersion)
        delete scale.metadata.resourceVersion;
    } else throw new ApiError(405, "MethodNotAllowed", `${method} not allowed on scale`);
    const replicas = scale?.spec?.replicas;
    if (!Number.isInteger(replicas) || replicas < 0)
      throw new ApiError(
        422,
        "Invalid",
        `Scale.autoscaling "${name}" is invalid: spec.replicas: Invalid value: ${replicas}: must be greater than or equal to 0`,
        { name, group: "autoscaling", kind: "Scale" },
      );
    // The scale's resourceVersion is the set's and acts as a precondition. The writer's entry records
    // spec.replicas with subresource "scale"; a manager that owned it before loses it when the value changes
    // (managedfields/scalehandler.go, ToSubresource / ToParent, around an Update of the Scale).
    const next = { ...set, spec: { ...set.spec, replicas } };
    const entries = recordUpdate({
      live: set,
      next,
      entries: requestManagedFields(set, next, "scale"),
      manager: fieldManager(req, q),
      apiVersion: rt.apiVersion,
      subresource: "scale",
    });
    const updated = this.store.update(
      rt,
      ns,
      withManagedFields(
        { ...next, metadata: { ...set.metadata, resourceVersion: scale.metadata?.resourceVersion ?? "" } },
        entries,
      ),
    );
    this.sendJson(res, 200, toScale(updated));
  }

  private evict(res: http.ServerResponse, ns: string, name: string): void {
    const pod = this.store.mustGet(RT.pods!, ns, name);
    for (const pdb of this.store.list("poddisruptionbudgets", ns)) {
      const sel = parseSelector(selectorString(pdb.spec?.selector ?? {}));
      if (!sel(pod.metadata.labels)) continue;
      const pods = this.store.list("pods", ns).filter((p) => sel(p.metadata.labels));
      const healthy = pods.filter((p) => isReady(p) && !p.metadata.deletionTimestamp).length;
      const expected = pods.length;
      const min =
        pdb.spec.minAvailable !== undefined
          ? typeof pdb.spec.minAvailable === "string"
            ? Math.ceil((Number(pdb.spec.minAvailable.slice(0, -1)) / 100) * expected)
            : pdb.spec.minAvailable
          : expected -
            (typeof pdb.spec.maxUnavailable === "string"
              ? Math.floor((Number(pdb.spec.maxUnavailable.slice(0, -1)) / 100) * expected)
              : pdb.spec.maxUnavailable);
      if (healthy - min <= 0 || (isReady(pod) && healthy - 1 < min))
        throw new ApiError(
          429,
          "TooManyRequests",
          "Cannot evict pod as it would violate the pod's disruption budget.",
          {
            name: pdb.metadata.name,
            kind: "PodDisruptionBudget",
          },
        );
    }
    this.store.markDeleted(RT.pods!, ns, name);
    this.sendJson(res, 201, { kind: "Status", apiVersion: "v1", metadata: {}, status: "Success", code: 201 });
  }

  private watch(
    res: http.ServerResponse,
    rt: ResourceType,
    ns: string | undefined,
    q: URLSearchParams,
    cutAfter?: number,
    expire = false,
  ): void {
    const sel = parseSelector(q.get("labelSelector") ?? undefined);
    const field = fieldMatcher(q.get("fieldSelector"));
    const rvParam = q.get("resourceVersion");
    const matches = (o: Obj | undefined) =>
      o !== undefined &&
      (!rt.namespaced || ns === undefined || o.metadata.namespace === ns) &&
      sel(o.metadata.labels) &&
      field(o);
    res.writeHead(200, { "Content-Type": "application/json", "Transfer-Encoding": "chunked" });
    res.flushHeaders();
    const send = (type: string, object: unknown) => {
      if (!res.destroyed) res.write(`${JSON.stringify({ type, object })}\n`);
    };
    /**
     * The watch cache's filtering (staging/src/k8s.io/apiserver/pkg/storage/cacher/cache_watcher.go,
     * convertToWatchEvent): an object that starts matching is ADDED, one that stops matching is DELETED (with its
     * previous content and the event's resourceVersion).
     */
    const deliver = (type: string, object: Obj, old: Obj | undefined, rv: number) => {
      const cur = type !== "DELETED" && matches(object);
      const prev = type !== "ADDED" && matches(old ?? (type === "DELETED" ? object : undefined));
      if (cur && !prev) send("ADDED", object);
      else if (cur && prev) send("MODIFIED", object);
      else if (!cur && prev) {
        const gone = structuredClone(old ?? object);
        gone.metadata.resourceVersion = String(rv);
        send("DELETED", gone);
      }
    };
    const since = rvParam && rvParam !== "0" ? Number(rvParam) : undefined;
    if (expire || (since !== undefined && since < this.store.oldestResumable)) {
      send("ERROR", {
        kind: "Status",
        apiVersion: "v1",
        metadata: {},
        status: "Failure",
        message: `too old resource version: ${rvParam} (${this.store.oldestResumable + 1})`,
        reason: "Expired",
        code: 410,
      });
      res.end();
      return;
    }
    if (since === undefined) {
      // No resourceVersion: synthetic ADDED events for what exists, then changes.
      for (const o of this.store.list(rt.plural, rt.namespaced ? ns : undefined))
        if (matches(o)) send("ADDED", o);
    } else
      for (const e of this.store.eventsSince(since))
        if (e.resource === rt.plural) deliver(e.type, e.object, e.old, e.rv);
    if (q.get("allowWatchBookmarks") === "true")
      // A real server sends bookmarks about once a minute; the simulator sends one after the initial events.
      send("BOOKMARK", {
        kind: rt.kind,
        apiVersion: rt.apiVersion,
        metadata: { resourceVersion: String(this.store.resourceVersion) },
      });
    const unsubscribe = this.store.subscribe((e) => {
      if (e.resource === rt.plural) deliver(e.type, e.object, e.old, e.rv);
    });
    this.watches.add(res);
    const timeoutSeconds = Number(q.get("timeoutSeconds") ?? 0);
    const timers: NodeJS.Timeout[] = [];
    const finish = () => {
      unsubscribe();
      this.watches.delete(res);
      for (const t of timers) clearTimeout(t);
      if (!res.destroyed) res.end();
    };
    if (timeoutSeconds > 0) timers.push(setTimeout(finish, timeoutSeconds * 1000));
    // A cut watch: the connection is destroyed mid-stream, as a proxy or load balancer would.
    if (cutAfter !== undefined)
      timers.push(
        setTimeout(() => {
          unsubscribe();
          this.watches.delete(res);
          res.destroy();
        }, cutAfter),
      );
    res.on("close", finish);
  }
}

/** Field selectors: `metadata.name=` and `metadata.namespace=` (what every resource supports). */
function fieldMatcher(selector: string | null): (o: Obj) => boolean {
  if (!selector) return () => true;
  const reqs = selector.split(",").map((r) => {
    const m = /^(metadata\.name|metadata\.namespace)(==?|!=)(.*)$/.exec(r.trim());
    if (!m)
      throw badRequest(`"${r}" is not a known field selector: only "metadata.name", "metadata.namespace"`);
    const [, f, op, v] = m as unknown as [string, string, string, string];
    const get = (o: Obj) => (f === "metadata.name" ? o.metadata.name : (o.metadata.namespace ?? ""));
    return op === "!=" ? (o: Obj) => get(o) !== v : (o: Obj) => get(o) === v;
  });
  return (o) => reqs.every((r) => r(o));
}

/**
 * The manager a write is recorded under: the `fieldManager` parameter, else the user agent up to its first `/`
 * (staging/src/k8s.io/apiserver/pkg/endpoints/handlers/create.go, managerOrUserAgent / prefixFromUserAgent; the
 * simulator does not drop unprintable characters or cut at 128 characters).
 */
function fieldManager(req: http.IncomingMessage, q: URLSearchParams): string {
  return q.get("fieldManager") || (req.headers["user-agent"] ?? "").split("/")[0]!;
}

/** `obj` with these managedFields (none: the field is left out, as Go's omitempty does). */
function withManagedFields(obj: Obj, entries: ManagedFieldsEntry[]): Obj {
  const { managedFields: _, ...metadata } = obj.metadata ?? ({} as Obj["metadata"]);
  return { ...obj, metadata: entries.length > 0 ? { ...metadata, managedFields: entries } : metadata } as Obj;
}

function applyPatch(type: string, current: any, patch: any): any {
  if (type === "application/merge-patch+json") return mergePatch(current, patch);
  if (type === "application/strategic-merge-patch+json") return strategicMergePatch(current, patch);
  if (type === "application/json-patch+json") return jsonPatch(current, patch);
  throw new ApiError(
    415,
    "UnsupportedMediaType",
    "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json",
  );
}

/** The object's name and namespace must be the URL's (staging/src/k8s.io/apiserver/pkg/endpoints/handlers/rest.go, checkName). */
function checkName(rt: ResourceType, obj: Obj, name: string, ns: string | undefined): void {
  const objName = obj.metadata?.name ?? "";
  if (objName !== name)
    throw badRequest(`the name of the object (${objName}) does not match the name on the URL (${name})`);
  if (rt.namespaced && ns && obj.metadata?.namespace && obj.metadata.namespace !== ns)
    throw badRequest("the namespace of the provided object does not match the namespace sent on the request");
}
