/**
 * The simulated Kubernetes API server over real HTTP: paths, lists, Status errors, PATCH formats,
 * DELETE with propagation, watches, the scale and status subresources, eviction, and fault
 * injection. Behaviour follows the Kubernetes API concepts page; where the simulator departs from
 * a real server, a comment says so.
 */
import * as http from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { parse as parseYaml } from "yaml";
import type { GarbageCollector } from "./controllers";
import { isReady } from "./controllers";
import { jsonPatch, mergePatch, parseSelector, selectorString, strategicMergePatch } from "./patch";
import { ApiError, type Obj, RESOURCES, type ResourceType, type Store } from "./store";

/** What a fault hook may do to one request. */
export type Fault =
  | { kind: "status"; code: 500 | 503 | 429 | 409; retryAfterSeconds?: number }
  | { kind: "delay"; ms: number }
  | { kind: "cutWatchAfter"; ms: number }
  | { kind: "expireWatch" };

export interface RequestInfo {
  method: string;
  path: string;
  watch: boolean;
  /** `get`, `list`, `watch`, `create`, `update`, `patch`, `delete`. */
  verb: string;
  resource: string;
  subresource?: string;
}

export interface ServerOptions {
  /** Called for every request; returns faults to apply, in order. */
  faults?: (req: RequestInfo) => Fault[];
  /** Called for every request, after routing (for counting). */
  onRequest?: (req: RequestInfo) => void;
}

interface Route {
  rt: ResourceType;
  ns: string;
  name?: string;
  sub?: string;
}

function route(path: string): Route | undefined {
  const core = /^\/api\/v1\/namespaces\/([^/]+)\/([^/]+)(?:\/([^/]+))?(?:\/([^/]+))?$/.exec(path);
  const grouped = /^\/apis\/([^/]+)\/([^/]+)\/namespaces\/([^/]+)\/([^/]+)(?:\/([^/]+))?(?:\/([^/]+))?$/.exec(
    path,
  );
  let group = "";
  let version = "v1";
  let ns: string;
  let plural: string;
  let name: string | undefined;
  let sub: string | undefined;
  if (core)
    [, ns, plural, name, sub] = core as unknown as string[] as [string, string, string, string, string];
  else if (grouped)
    [, group, version, ns, plural, name, sub] = grouped as unknown as string[] as [
      string,
      string,
      string,
      string,
      string,
      string,
      string,
    ];
  else return undefined;
  const rt = RESOURCES.find((r) => r.plural === plural && r.group === group && r.version === version);
  return rt ? { rt, ns: ns!, name, sub } : undefined;
}

function statusBody(e: ApiError) {
  return {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message: e.message,
    reason: e.reason,
    details: { ...e.details, ...(e.retryAfterSeconds > 0 ? { retryAfterSeconds: e.retryAfterSeconds } : {}) },
    code: e.code,
  };
}

const REASONS: Record<number, string> = {
  409: "Conflict",
  429: "TooManyRequests",
  500: "InternalError",
  503: "ServiceUnavailable",
};

export class ApiServer {
  private server?: http.Server;
  private readonly sockets = new Set<Socket>();
  private readonly watches = new Set<http.ServerResponse>();
  port = 0;

  constructor(
    private readonly store: Store,
    private readonly gc: GarbageCollector,
    private readonly options: ServerOptions = {},
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async listen(port = 0): Promise<void> {
    const server = http.createServer((req, res) => {
      this.handle(req, res).catch((err) => {
        const e =
          err instanceof ApiError ? err : new ApiError(500, "InternalError", String(err?.message ?? err));
        this.sendError(res, e);
      });
    });
    server.on("connection", (s) => {
      this.sockets.add(s);
      s.on("close", () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
  }

  /** Closes the listener and every connection (state is kept in the store). */
  async close(): Promise<void> {
    for (const w of this.watches) w.destroy();
    this.watches.clear();
    for (const s of this.sockets) s.destroy();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** A restart of the whole API server: connections drop, the same port comes back after `downMs`. */
  async restart(downMs = 50): Promise<void> {
    const port = this.port;
    await this.close();
    await new Promise((r) => setTimeout(r, downMs));
    await this.listen(port);
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

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://sim");
    const q = url.searchParams;
    const r = route(url.pathname);
    const method = req.method ?? "GET";
    const watch = q.get("watch") === "true" || q.get("watch") === "1";
    const verb =
      method === "GET"
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
    const info: RequestInfo = {
      method,
      path: url.pathname,
      watch,
      verb,
      resource: r?.rt.plural ?? "",
      subresource: r?.sub,
    };
    this.options.onRequest?.(info);
    const body = await this.readBody(req);
    let cutAfter: number | undefined;
    let expire = false;
    for (const f of this.options.faults?.(info) ?? []) {
      if (f.kind === "delay") await new Promise((res2) => setTimeout(res2, f.ms));
      else if (f.kind === "status")
        throw new ApiError(
          f.code,
          REASONS[f.code]!,
          f.code === 409
            ? "Operation cannot be fulfilled: the object has been modified (injected)"
            : `injected ${f.code}`,
          {},
          f.retryAfterSeconds ?? 0,
        );
      else if (f.kind === "cutWatchAfter") cutAfter = f.ms;
      else if (f.kind === "expireWatch") expire = true;
    }
    if (!r)
      throw new ApiError(
        404,
        "NotFound",
        `the server could not find the requested resource (${url.pathname})`,
      );
    const { rt, ns, name, sub } = r;

    if (method === "GET" && watch) return this.watch(res, rt, ns, q, cutAfter, expire);
    if (method === "GET" && !name) {
      const sel = parseSelector(q.get("labelSelector") ?? undefined);
      const items = this.store.list(rt.plural, ns).filter((o) => sel(o.metadata.labels));
      return this.sendJson(res, 200, {
        kind: `${rt.kind}List`,
        apiVersion: rt.apiVersion,
        metadata: { resourceVersion: String(this.store.resourceVersion) },
        items,
      });
    }
    if (!name) {
      if (method === "POST") return this.sendJson(res, 201, this.store.create(rt, ns, JSON.parse(body)));
      throw new ApiError(405, "MethodNotAllowed", `${method} is not supported on a collection`);
    }
    if (sub === "scale" && rt.plural === "statefulsets") return this.scale(res, rt, ns, name, method, body);
    if (sub === "eviction" && rt.plural === "pods" && method === "POST") return this.evict(res, ns, name);
    if (sub !== undefined && sub !== "status")
      throw new ApiError(404, "NotFound", `subresource ${sub} not found`);
    switch (method) {
      case "GET":
        return this.sendJson(res, 200, this.store.mustGet(rt, ns, name));
      case "PUT": {
        const obj = JSON.parse(body) as Obj;
        if (obj.metadata?.name !== name)
          throw new ApiError(400, "BadRequest", "the name of the object does not match the name on the URL");
        return this.sendJson(
          res,
          200,
          this.store.update(rt, ns, obj, sub === "status" ? "status" : undefined),
        );
      }
      case "PATCH":
        return this.patch(req, res, rt, ns, name, sub, body, q);
      case "DELETE":
        return this.delete(res, rt, ns, name, body, q);
      default:
        throw new ApiError(405, "MethodNotAllowed", `${method} not allowed`);
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
        // Server-side apply, simplified: the applied configuration is merged into the object and
        // the field manager recorded; field ownership and conflicts are not tracked.
        if (!q.get("fieldManager"))
          throw new ApiError(400, "BadRequest", "fieldManager is required for apply requests");
        const applied = parseYaml(body) as Obj;
        if (!current) {
          const created = this.store.create(rt, ns, { ...applied, metadata: { ...applied.metadata, name } });
          this.sendJson(res, 201, created);
          return;
        }
        next = mergePatch(current, applied);
      } else {
        if (!current) this.store.mustGet(rt, ns, name);
        const patch = JSON.parse(body);
        if (type === "application/merge-patch+json") next = mergePatch(current, patch);
        else if (type === "application/strategic-merge-patch+json")
          next = strategicMergePatch(current, patch);
        else if (type === "application/json-patch+json") next = jsonPatch(current, patch);
        else
          throw new ApiError(
            415,
            "UnsupportedMediaType",
            `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json`,
          );
      }
    } catch (e) {
      if (e instanceof ApiError) throw e;
      throw new ApiError(422, "Invalid", `${rt.kind} "${name}" is invalid: ${(e as Error).message}`, {
        name,
        kind: rt.kind,
      });
    }
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
      ? (JSON.parse(body) as { propagationPolicy?: string; gracePeriodSeconds?: number })
      : {};
    const policy = q.get("propagationPolicy") ?? opts.propagationPolicy ?? "Background";
    const grace = q.get("gracePeriodSeconds") ?? opts.gracePeriodSeconds;
    const obj = this.store.mustGet(rt, ns, name);
    if (policy === "Foreground" && !obj.metadata.deletionTimestamp) {
      obj.metadata.finalizers = [...new Set([...(obj.metadata.finalizers ?? []), "foregroundDeletion"])];
      this.store.update(rt, ns, { ...obj, metadata: { ...obj.metadata, resourceVersion: undefined } });
    } else if (policy === "Orphan") this.gc.orphan(obj.metadata.uid!);
    const out = this.store.markDeleted(rt, ns, name, grace === undefined ? undefined : Number(grace));
    this.sendJson(res, 200, out);
  }

  private scale(
    res: http.ServerResponse,
    rt: ResourceType,
    ns: string,
    name: string,
    method: string,
    body: string,
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
      status: {
        replicas: s.status?.replicas ?? 0,
        selector: selectorString(s.spec.selector?.matchLabels ?? {}),
      },
    });
    if (method === "GET") {
      this.sendJson(res, 200, toScale(set));
      return;
    }
    let replicas: number;
    let rv: string | undefined;
    if (method === "PUT") {
      const scale = JSON.parse(body);
      replicas = scale.spec?.replicas;
      rv = scale.metadata?.resourceVersion;
    } else if (method === "PATCH") {
      const p = JSON.parse(body);
      replicas = p.spec?.replicas;
      rv = p.metadata?.resourceVersion;
    } else throw new ApiError(405, "MethodNotAllowed", `${method} not allowed on scale`);
    if (!Number.isInteger(replicas) || replicas < 0)
      throw new ApiError(
        422,
        "Invalid",
        `Scale.autoscaling "${name}" is invalid: spec.replicas: Invalid value: ${replicas}: must be greater than or equal to 0`,
        { name, group: "autoscaling", kind: "Scale" },
      );
    // The scale's resourceVersion is the set's and acts as a precondition.
    const updated = this.store.update(rt, ns, {
      ...set,
      metadata: { ...set.metadata, resourceVersion: rv ?? "" },
      spec: { ...set.spec, replicas },
    });
    this.sendJson(res, 200, toScale(updated));
  }

  private evict(res: http.ServerResponse, ns: string, name: string): void {
    const pod = this.store.mustGet(RESOURCES[0]!, ns, name);
    for (const pdb of this.store.list("poddisruptionbudgets", ns)) {
      const sel = parseSelector(selectorString(pdb.spec?.selector?.matchLabels ?? {}));
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
    this.store.markDeleted(RESOURCES[0]!, ns, name);
    this.sendJson(res, 201, { kind: "Status", apiVersion: "v1", metadata: {}, status: "Success", code: 201 });
  }

  private watch(
    res: http.ServerResponse,
    rt: ResourceType,
    ns: string,
    q: URLSearchParams,
    cutAfter?: number,
    expire = false,
  ): void {
    const sel = parseSelector(q.get("labelSelector") ?? undefined);
    const rvParam = q.get("resourceVersion");
    const fieldName = /^metadata\.name=(.+)$/.exec(q.get("fieldSelector") ?? "")?.[1];
    const matches = (o: Obj) =>
      o.metadata.namespace === ns &&
      sel(o.metadata.labels) &&
      (fieldName === undefined || o.metadata.name === fieldName);
    res.writeHead(200, { "Content-Type": "application/json", "Transfer-Encoding": "chunked" });
    res.flushHeaders();
    const send = (type: string, object: unknown) => {
      if (!res.destroyed) res.write(`${JSON.stringify({ type, object })}\n`);
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
      for (const o of this.store.list(rt.plural, ns)) if (matches(o)) send("ADDED", o);
    } else
      for (const e of this.store.eventsSince(since))
        if (e.resource === rt.plural && matches(e.object)) send(e.type, e.object);
    if (q.get("allowWatchBookmarks") === "true")
      // A real server sends bookmarks about once a minute; the simulator sends one after the initial events.
      send("BOOKMARK", {
        kind: rt.kind,
        apiVersion: rt.apiVersion,
        metadata: { resourceVersion: String(this.store.resourceVersion) },
      });
    const unsubscribe = this.store.subscribe((e) => {
      if (e.resource === rt.plural && matches(e.object)) send(e.type, e.object);
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
