/**
 * The rollout provider's cluster I/O over @kubernetes/client-node 1.x.
 *
 * - Every request has a timeout inside the deadline (a request that never answers is abandoned and
 *   retried, never waited on forever).
 * - Errors that waiting cannot clear fail at once, naming the cluster: TLS verification, 401/403,
 *   a missing kubeconfig or an unknown context. A cluster that refuses connections (or whose name
 *   does not resolve) is retried for a short grace period, then reported as unreachable.
 * - 5xx, 429 (honouring Retry-After), dropped connections and timeouts are retried with capped
 *   backoff until the deadline; conflicts are re-read and retried.
 * - Watches resume after a dropped stream, re-list after 410 Gone, restart when a watchdog sees no
 *   traffic, and report fatal errors to whoever waits on them.
 */
import type * as K8s from "@kubernetes/client-node";

export type Log = (line: string) => void;

/**
 * The field manager of every write the rollout makes (server-side apply field ownership, recorded
 * in `metadata.managedFields`). Distinct from pulumi-kubernetes' managers, and from the client-side
 * names its fixCSAFieldManagers takes over by prefix (`kubectl`, `before-first-apply`,
 * `pulumi-kubernetes`, `pulumi-resource-kubernetes`), so that the rollout never owns a field
 * pulumi-kubernetes applies; on the StatefulSet it gives up what it owned right after each write
 * (`releaseSetFields`).
 */
export const FIELD_MANAGER = "pulumi-stateful-rollout";

/** An error the user should read as is: it says what happened and what to do. */
export class RolloutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RolloutError";
  }
}

/** The API server could not be reached at all (refused, unresolvable, or silent) within the grace period. */
export class UnreachableError extends RolloutError {
  constructor(message: string) {
    super(message);
    this.name = "UnreachableError";
  }
}

/** The API server answered in a way waiting cannot change: 401/403, or TLS verification failed. */
export class ClusterRefusedError extends RolloutError {
  constructor(message: string) {
    super(message);
    this.name = "ClusterRefusedError";
  }
}

export interface ClusterOptions {
  /** Kubeconfig YAML; @default - the ambient one (KUBECONFIG, then ~/.kube/config, then in-cluster) */
  kubeconfig?: string;
  /** Context to use. @default - the kubeconfig's current context */
  context?: string;
  /** Epoch milliseconds after which retries stop. */
  deadline: number;
  log: Log;
  /** Longest a single request may take before it is abandoned (and retried). @default 30000 */
  requestTimeoutMs?: number;
  /** How long connection-refused / name-resolution failures are retried before the cluster is called unreachable. @default 10000 */
  unreachableGraceMs?: number;
}

const RETRYABLE_CODES = new Set([429, 500, 502, 503, 504]);
/** Network failures that may clear by themselves (a restarting API server, a dropped connection). */
const TRANSIENT_NETWORK = new Set([
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "EAI_AGAIN",
  "UND_ERR_SOCKET",
  "ERR_STREAM_PREMATURE_CLOSE",
]);
/** Network failures that mean "nobody is there": retried only for a short grace period. */
const UNREACHABLE_NETWORK = new Set(["ECONNREFUSED", "ENOTFOUND", "EHOSTUNREACH", "ENETUNREACH"]);
/** TLS failures: waiting does not fix a certificate. */
const TLS_CODES = new Set([
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "UNABLE_TO_GET_ISSUER_CERT",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "CERT_SIGNATURE_FAILURE",
  "CERT_UNTRUSTED",
  "ERR_TLS_CERT_ALTNAME_INVALID",
  "EPROTO",
  "ERR_SSL_WRONG_VERSION_NUMBER",
]);

type ErrorLike = { code?: unknown; type?: unknown; name?: unknown; message?: unknown; cause?: unknown };

/** The HTTP status of an ApiException (or of a failed watch), if the server answered. */
export function httpStatus(err: unknown): number | undefined {
  const e = err as { code?: unknown; statusCode?: unknown } | undefined;
  if (typeof e?.code === "number") return e.code;
  if (typeof e?.statusCode === "number") return e.statusCode;
  return undefined;
}

/** The first string `code` along the error's cause chain (node-fetch wraps system errors). */
function systemCode(err: unknown): string | undefined {
  let e = err as ErrorLike | undefined;
  for (let i = 0; e && i < 5; i++, e = e.cause as ErrorLike | undefined) {
    if (typeof e.code === "string") return e.code;
    const m = /\b(E[A-Z_]{3,}|[A-Z_]*CERT[A-Z_]*)\b/.exec(String(e.message ?? ""));
    if (m && (TRANSIENT_NETWORK.has(m[1]!) || UNREACHABLE_NETWORK.has(m[1]!) || TLS_CODES.has(m[1]!)))
      return m[1];
  }
  return undefined;
}

function isAbort(err: unknown): boolean {
  const e = err as ErrorLike | undefined;
  return e?.name === "AbortError" || e?.type === "aborted" || e?.name === "TimeoutError";
}

/** How the client treats an error. */
export type ErrorClass =
  | { kind: "retry"; why: string }
  | { kind: "unreachable"; why: string }
  | { kind: "fatal"; why: string }
  | { kind: "answer"; status: number };

/** Classifies an error from a request (pure; exported for tests). */
export function classify(err: unknown): ErrorClass {
  const status = httpStatus(err);
  if (status !== undefined) {
    if (status === 401 || status === 403) return { kind: "fatal", why: describeError(err) };
    if (RETRYABLE_CODES.has(status)) return { kind: "retry", why: describeError(err) };
    return { kind: "answer", status };
  }
  if (isAbort(err)) return { kind: "retry", why: "the request timed out" };
  const code = systemCode(err);
  if (code && TLS_CODES.has(code))
    return { kind: "fatal", why: `TLS: ${code}: ${(err as Error)?.message ?? err}` };
  if (code && UNREACHABLE_NETWORK.has(code)) return { kind: "unreachable", why: code };
  if (code && TRANSIENT_NETWORK.has(code)) return { kind: "retry", why: code };
  const msg = String((err as ErrorLike)?.message ?? err);
  if (/certificate|self.signed|tls|ssl/i.test(msg)) return { kind: "fatal", why: `TLS: ${msg}` };
  if (/socket hang up|network|ECONNRESET|premature close/i.test(msg)) return { kind: "retry", why: msg };
  return { kind: "fatal", why: msg };
}

/** The Status message of an ApiException, or the error's message. */
export function describeError(err: unknown): string {
  const status = httpStatus(err);
  if (status !== undefined) {
    const e = err as { body?: unknown; message?: string };
    let msg: string | undefined;
    try {
      const body = typeof e.body === "string" ? JSON.parse(e.body) : e.body;
      msg = (body as { message?: string })?.message;
    } catch {
      msg = undefined;
    }
    return `HTTP ${status}${msg ? `: ${msg}` : ""}`;
  }
  return (err as Error)?.message ?? String(err);
}

/** Milliseconds to wait before retry `attempt` (0-based): 100 ms doubling, capped at 2 s, or Retry-After. */
export function backoffMs(attempt: number, retryAfterHeader?: string): number {
  const ra = retryAfterHeader !== undefined ? Number(retryAfterHeader) : Number.NaN;
  if (Number.isFinite(ra) && ra >= 0) return Math.min(ra * 1000, 30_000);
  return Math.min(100 * 2 ** attempt, 2000);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Where the client is pointed: what error messages and the recorded identity name. */
export interface ClusterIdentity {
  context: string;
  /** The API server URL. */
  server: string;
}

/** Loads and checks a kubeconfig; every problem that cannot clear by waiting is an error here. */
function loadKubeConfig(k8s: typeof K8s, opts: Pick<ClusterOptions, "kubeconfig" | "context">) {
  const kc = new k8s.KubeConfig();
  const source = opts.kubeconfig
    ? "rollout.kubeconfig"
    : process.env.KUBECONFIG
      ? `KUBECONFIG (${process.env.KUBECONFIG})`
      : "~/.kube/config";
  try {
    if (opts.kubeconfig) kc.loadFromString(opts.kubeconfig);
    else kc.loadFromDefault();
  } catch (err) {
    throw new RolloutError(`cannot read the kubeconfig from ${source}: ${(err as Error).message}`);
  }
  if (opts.context) {
    if (!kc.getContexts().some((c) => c.name === opts.context))
      throw new RolloutError(
        `kubeconfig context "${opts.context}" (rollout.context) is not in the kubeconfig from ${source}; it has: ${
          kc
            .getContexts()
            .map((c) => c.name)
            .join(", ") || "no contexts"
        }`,
      );
    kc.setCurrentContext(opts.context);
  }
  const cluster = kc.getCurrentCluster();
  if (!cluster)
    throw new RolloutError(
      `no Kubernetes cluster configured: the kubeconfig from ${source} has no current context with a cluster; set rollout.kubeconfig, KUBECONFIG or ~/.kube/config`,
    );
  return { kc, identity: { context: kc.getCurrentContext(), server: cluster.server } };
}

export class Cluster {
  readonly core: K8s.CoreV1Api;
  readonly apps: K8s.AppsV1Api;
  readonly autoscaling: K8s.AutoscalingV2Api;
  readonly requestTimeoutMs: number;
  readonly unreachableGraceMs: number;
  /** When the current run of "unreachable" failures began. */
  private unreachableSince?: number;

  private constructor(
    private readonly k8s: typeof K8s,
    readonly kc: K8s.KubeConfig,
    readonly identity: ClusterIdentity,
    readonly opts: ClusterOptions,
  ) {
    this.requestTimeoutMs = opts.requestTimeoutMs ?? 30_000;
    this.unreachableGraceMs = opts.unreachableGraceMs ?? 10_000;
    // Every request gets an abort signal: a request that never answers ends within the deadline.
    const config = k8s.createConfiguration({
      baseServer: new k8s.ServerConfiguration(identity.server, {}),
      authMethods: { default: kc },
      promiseMiddleware: [
        {
          pre: async (ctx) => {
            ctx.setSignal(AbortSignal.timeout(this.timeoutForNextRequest()));
            return ctx;
          },
          post: async (ctx) => ctx,
        },
      ],
    });
    this.core = new k8s.CoreV1Api(config);
    this.apps = new k8s.AppsV1Api(config);
    this.autoscaling = new k8s.AutoscalingV2Api(config);
  }

  static async connect(opts: ClusterOptions): Promise<Cluster> {
    // client-node 1.x is ESM-only; loaded here, not at module scope (the provider runs in another process).
    const k8s = (await import("@kubernetes/client-node")) as typeof K8s;
    const { kc, identity } = loadKubeConfig(k8s, opts);
    return new Cluster(k8s, kc, identity, opts);
  }

  /** `context "kind-dev" (https://127.0.0.1:6443)`, for messages. */
  get where(): string {
    return `context "${this.identity.context}" (${this.identity.server})`;
  }

  get remainingMs(): number {
    return this.opts.deadline - Date.now();
  }

  timeoutForNextRequest(): number {
    return Math.max(1000, Math.min(this.requestTimeoutMs, this.remainingMs));
  }

  /**
   * Runs `fn`, retrying 5xx, 429, timeouts and dropped connections with capped backoff until the
   * deadline. 401/403 and TLS failures throw at once; a cluster that refuses connections is
   * retried for `unreachableGraceMs`, then reported unreachable. Other HTTP answers are rethrown
   * for the caller (404, 409, 422...).
   */
  async retry<T>(what: string, fn: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        const out = await fn();
        this.unreachableSince = undefined;
        return out;
      } catch (err) {
        const c = classify(err);
        if (c.kind === "answer") throw err;
        if (c.kind === "fatal")
          throw new ClusterRefusedError(`${what}: the API server at ${this.where} cannot be used: ${c.why}`);
        if (c.kind === "unreachable") {
          this.unreachableSince ??= Date.now();
          if (Date.now() - this.unreachableSince >= this.unreachableGraceMs)
            throw new UnreachableError(
              `${what}: cannot reach the Kubernetes API server at ${this.where}: ${c.why} for ${Math.round((Date.now() - this.unreachableSince) / 1000)}s`,
            );
        }
        const headers = (err as { headers?: Record<string, string> }).headers ?? {};
        const wait = backoffMs(Math.min(attempt, 10), headers["retry-after"] ?? headers["Retry-After"]);
        if (Date.now() + wait > this.opts.deadline)
          throw new RolloutError(
            `${what}: the API server at ${this.where} kept failing until the deadline (${attempt + 1} attempts; last: ${c.why})`,
          );
        await sleep(wait);
      }
    }
  }

  /** Like `retry`, and on 409 Conflict re-runs `fn` (which must re-read what it writes). */
  async retryConflicts<T>(what: string, fn: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.retry(what, fn);
      } catch (err) {
        if (httpStatus(err) !== 409) throw err;
        if (Date.now() > this.opts.deadline)
          throw new RolloutError(`${what}: conflicts until the deadline: ${describeError(err)}`);
        await sleep(Math.min(20 * 2 ** attempt, 500));
      }
    }
  }

  /** `fn`'s result, or undefined when the object does not exist (404). */
  private async orMissing<T>(what: string, fn: () => Promise<T>): Promise<T | undefined> {
    try {
      return await this.retry(what, fn);
    } catch (err) {
      if (httpStatus(err) === 404) return undefined;
      throw err;
    }
  }

  getStatefulSet(namespace: string, name: string): Promise<K8s.V1StatefulSet | undefined> {
    return this.orMissing(`reading StatefulSet ${namespace}/${name}`, () =>
      this.apps.readNamespacedStatefulSet({ namespace, name }),
    );
  }

  /**
   * Sets `spec.replicas` through the scale subresource, with the set's resourceVersion as
   * precondition, then gives up the ownership of `spec.replicas` the write recorded.
   */
  async scale(namespace: string, name: string, replicas: number): Promise<void> {
    await this.retryConflicts(`scaling StatefulSet ${namespace}/${name} to ${replicas}`, async () => {
      const scale = await this.apps.readNamespacedStatefulSetScale({ namespace, name });
      if (scale.spec?.replicas === replicas) return;
      await this.apps.replaceNamespacedStatefulSetScale({
        namespace,
        name,
        fieldManager: FIELD_MANAGER,
        body: {
          apiVersion: "autoscaling/v1",
          kind: "Scale",
          metadata: { name, namespace, resourceVersion: scale.metadata?.resourceVersion },
          spec: { replicas },
        },
      });
    });
    await this.releaseSetFields(namespace, name);
  }

  /**
   * Removes this client's entries from a set's `metadata.managedFields`, so that no field stays
   * owned by the rollout. A write through the scale subresource (or a merge patch) is an Update
   * operation that takes the fields it changes from their owners, pulumi-kubernetes' apply manager
   * among them; left in place, the entry makes that manager's next apply of a different value a
   * 409 conflict (it applies without force), e.g. `pulumi up --refresh` after a destroy that
   * stopped half-way. An apply with this manager cannot release it (an Apply entry is another
   * manager than an Update entry of the same name, and an apply that drops a field it alone owned
   * removes the field). So, as pulumi-kubernetes' own fixCSAFieldManagers does, a JSON patch
   * replaces `metadata.managedFields` with the other entries; the API server takes managedFields
   * from a write that sets them. An empty list does not reset them (Kubernetes' Server-Side Apply
   * documentation, "clearing managedFields": so that clients unaware of the field cannot strip
   * it), so when ours are the only entries the list is reset with one empty entry
   * (k8s.io/apimachinery/pkg/util/managedfields/internal/fieldmanager.go, isResetManagedFields); pulumi-kubernetes then forces its next apply (await.go, patchForce). The
   * fields keep their values and are owned by nobody until the next apply claims them. The set's
   * resourceVersion is the precondition; a conflict is re-read and retried.
   */
  async releaseSetFields(namespace: string, name: string): Promise<void> {
    await this.retryConflicts(
      `releasing the rollout's fields of StatefulSet ${namespace}/${name}`,
      async () => {
        const set = await this.getStatefulSet(namespace, name);
        const entries = set?.metadata?.managedFields ?? [];
        const others = entries.filter((e) => e.manager !== FIELD_MANAGER);
        if (!set || others.length === entries.length) return;
        await this.apps.patchNamespacedStatefulSet(
          {
            namespace,
            name,
            fieldManager: FIELD_MANAGER,
            body: [
              { op: "replace", path: "/metadata/resourceVersion", value: set.metadata?.resourceVersion },
              { op: "replace", path: "/metadata/managedFields", value: others.length > 0 ? others : [{}] },
            ],
          },
          this.k8s.setHeaderOptions("Content-Type", this.k8s.PatchStrategy.JsonPatch),
        );
      },
    );
  }

  /** Call options that send a JSON merge patch (the generated patch methods default to JSON Patch). */
  private mergePatch() {
    return this.k8s.setHeaderOptions("Content-Type", this.k8s.PatchStrategy.MergePatch);
  }

  /**
   * Changes only `spec.persistentVolumeClaimRetentionPolicy` of a set, by merge patch: nothing
   * else of the set is rewritten (a read-modify-write through typed models could drop fields the
   * client does not know and change the pod template).
   */
  async setRetention(
    namespace: string,
    name: string,
    policy: { whenDeleted: string; whenScaled: string },
  ): Promise<K8s.V1StatefulSet> {
    const written = await this.retry(`changing the claim retention of StatefulSet ${namespace}/${name}`, () =>
      this.apps.patchNamespacedStatefulSet(
        {
          namespace,
          name,
          fieldManager: FIELD_MANAGER,
          body: { spec: { persistentVolumeClaimRetentionPolicy: { ...policy } } },
        },
        this.mergePatch(),
      ),
    );
    await this.releaseSetFields(namespace, name);
    return written;
  }

  listPods(namespace: string, labelSelector: string): Promise<K8s.V1PodList> {
    return this.retry(`listing pods in ${namespace}`, () =>
      this.core.listNamespacedPod({ namespace, labelSelector }),
    );
  }

  async listClaims(namespace: string, labelSelector: string): Promise<K8s.V1PersistentVolumeClaim[]> {
    const list = await this.retry(`listing claims in ${namespace}`, () =>
      this.core.listNamespacedPersistentVolumeClaim({ namespace, labelSelector }),
    );
    return list.items;
  }

  /** HorizontalPodAutoscalers in `namespace` whose target is the StatefulSet `name` (none where the API is missing). */
  async autoscalersOf(namespace: string, name: string): Promise<string[]> {
    const list = await this.orMissing(`listing HorizontalPodAutoscalers in ${namespace}`, () =>
      this.autoscaling.listNamespacedHorizontalPodAutoscaler({ namespace }),
    );
    return (list?.items ?? [])
      .filter((h) => h.spec?.scaleTargetRef?.kind === "StatefulSet" && h.spec.scaleTargetRef.name === name)
      .map((h) => h.metadata?.name ?? "");
  }

  /**
   * Changes a claim's metadata by merge patch, with its resourceVersion as precondition (conflicts
   * re-read and retried): `edit` returns the metadata fields to set (null removes an annotation),
   * or undefined to leave the claim alone. A claim that is gone is skipped.
   */
  async patchClaim(
    namespace: string,
    name: string,
    edit: (claim: K8s.V1PersistentVolumeClaim) => Record<string, unknown> | undefined,
  ): Promise<void> {
    await this.retryConflicts(`updating claim ${namespace}/${name}`, async () => {
      let claim: K8s.V1PersistentVolumeClaim;
      try {
        claim = await this.core.readNamespacedPersistentVolumeClaim({ namespace, name });
      } catch (err) {
        if (httpStatus(err) === 404) return;
        throw err;
      }
      const metadata = edit(claim);
      if (!metadata) return;
      await this.core.patchNamespacedPersistentVolumeClaim(
        {
          namespace,
          name,
          fieldManager: FIELD_MANAGER,
          body: { metadata: { ...metadata, resourceVersion: claim.metadata?.resourceVersion } },
        },
        this.mergePatch(),
      );
    });
  }

  async deleteClaim(namespace: string, name: string): Promise<void> {
    await this.orMissing(`deleting claim ${namespace}/${name}`, () =>
      this.core.deleteNamespacedPersistentVolumeClaim({ namespace, name }),
    );
  }

  /** A watched, always-current view of the objects at `path` matching the query. */
  watch<T extends KubeObject>(
    path: string,
    query: Record<string, string>,
    listFn: () => Promise<KubeList<T>>,
  ): WatchedSet<T> {
    return new WatchedSet<T>(this, path, query, listFn);
  }

  newWatch(): K8s.Watch {
    return new this.k8s.Watch(this.kc);
  }
}

/** What a watched object must have. */
export type KubeObject = { metadata?: { name?: string; resourceVersion?: string } };
export type KubeList<T> = { items: T[]; metadata?: { resourceVersion?: string } };

/**
 * Objects kept current by list + watch. A dropped stream resumes from the last resourceVersion; an
 * ERROR 410 (or a failed resume) re-lists; a watchdog restarts a stream that has gone quiet, and a
 * stream that does not even start within the request timeout. An error waiting cannot clear
 * (401/403, TLS, unreachable, the deadline) ends the watch: `fatal` holds it and waiters wake.
 */
export class WatchedSet<T extends KubeObject> {
  readonly objects = new Map<string, T>();
  /** Names changed since the last `takeChanged()`: lets a waiter do work proportional to what changed. */
  private dirty = new Set<string>();
  private rv?: string;
  private abort?: AbortController;
  private stopped = false;
  private relist = true;
  private failures = 0;
  private lastActivity = Date.now();
  private waiters: (() => void)[] = [];
  private watchdog?: NodeJS.Timeout;
  /** Events received (ADDED, MODIFIED, DELETED), for benchmarks. */
  events = 0;
  lastError?: string;
  /** Set when the watch gave up: the waiter must throw it. */
  fatal?: RolloutError;

  constructor(
    private readonly cluster: Cluster,
    private readonly path: string,
    private readonly query: Record<string, string>,
    private readonly listFn: () => Promise<KubeList<T>>,
    private readonly quietMs = 30_000,
  ) {}

  async start(): Promise<void> {
    await this.cycle();
    if (this.fatal) throw this.fatal;
    this.watchdog = setInterval(
      () => {
        if (Date.now() - this.lastActivity > this.quietMs) {
          this.lastActivity = Date.now();
          this.abort?.abort();
        }
      },
      Math.min(this.quietMs, 5000),
    );
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.watchdog);
    this.abort?.abort();
    this.notify();
  }

  /** Resolves on the next change (or fatal error), or after `ms`. */
  changed(ms: number): Promise<void> {
    if (this.fatal) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(t);
        this.waiters = this.waiters.filter((w) => w !== done);
        resolve();
      };
      const t = setTimeout(done, Math.max(0, ms));
      this.waiters.push(done);
    });
  }

  /** The names of objects added, changed or deleted since the last call. */
  takeChanged(): Set<string> {
    const d = this.dirty;
    this.dirty = new Set();
    return d;
  }

  private notify(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private giveUp(err: RolloutError): void {
    this.fatal = err;
    this.stopped = true;
    clearInterval(this.watchdog);
    this.notify();
  }

  private async cycle(): Promise<void> {
    if (this.stopped) return;
    try {
      if (this.relist) {
        const list = await this.cluster.retry(`listing ${this.path}`, this.listFn);
        for (const name of this.objects.keys()) this.dirty.add(name);
        this.objects.clear();
        for (const o of list.items) {
          const name = o.metadata?.name ?? "";
          this.objects.set(name, o);
          this.dirty.add(name);
        }
        this.rv = list.metadata?.resourceVersion;
        this.relist = false;
        this.notify();
      }
      await this.open();
    } catch (err) {
      this.lastError = describeError(err);
      // Unreachable, 401/403 or TLS: nothing to retry. The deadline while listing: the waiter says so.
      if (err instanceof UnreachableError || err instanceof ClusterRefusedError) this.giveUp(err);
      else if (err instanceof RolloutError) this.notify();
      else this.scheduleRestart();
    }
  }

  private async open(): Promise<void> {
    const w = this.cluster.newWatch();
    this.lastActivity = Date.now();
    let ended = false;
    let abandoned = false;
    const end = (err: unknown) => {
      if (ended) return;
      ended = true;
      if (err) {
        this.lastError = describeError(err);
        const c = classify(err);
        // Only answers that cannot change end a watch (401/403, TLS); anything else restarts it.
        if (c.kind === "fatal" && (httpStatus(err) !== undefined || c.why.startsWith("TLS"))) {
          this.giveUp(
            new ClusterRefusedError(
              `watching ${this.path}: the API server at ${this.cluster.where} cannot be used: ${c.why}`,
            ),
          );
          return;
        }
        // A failed resume (e.g. an expired resourceVersion answered with an HTTP error): list again.
        if (c.kind === "answer") this.relist = true;
      }
      if (!this.stopped) this.scheduleRestart();
    };
    const started = w.watch(
      this.path,
      { ...this.query, allowWatchBookmarks: "true", ...(this.rv ? { resourceVersion: this.rv } : {}) },
      (type: string, obj: T & { code?: number; message?: string }) => {
        if (abandoned) return;
        this.lastActivity = Date.now();
        this.failures = 0;
        if (type === "ERROR") {
          // 410 Gone: our resourceVersion is too old; everything must be listed again.
          if (obj?.code === 410) this.relist = true;
          this.lastError = `watch error ${obj?.code}: ${obj?.message}`;
          return;
        }
        const rv = obj?.metadata?.resourceVersion;
        if (rv) this.rv = rv;
        if (type === "BOOKMARK") return;
        const name = obj.metadata?.name ?? "";
        this.events++;
        if (type === "DELETED") this.objects.delete(name);
        else this.objects.set(name, obj);
        this.dirty.add(name);
        this.notify();
      },
      (err: unknown) => {
        if (!abandoned) end(err);
      },
    );
    // client-node's Watch cannot be aborted before the server answers: a stream that does not
    // start within the request timeout is abandoned (aborted if it ever answers) and retried.
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), this.cluster.timeoutForNextRequest());
    });
    const first = await Promise.race([started, timeout]);
    clearTimeout(timer);
    if (first === "timeout") {
      abandoned = true;
      void started.then(
        (c) => c.abort(),
        () => {},
      );
      end(Object.assign(new Error("the watch request timed out"), { name: "AbortError" }));
      return;
    }
    this.abort = first;
    if (this.stopped) first.abort();
  }

  private scheduleRestart(): void {
    if (this.stopped) return;
    const wait = backoffMs(Math.min(this.failures++, 4));
    if (this.failures > 3) this.relist = true;
    setTimeout(() => void this.cycle(), wait);
  }
}
