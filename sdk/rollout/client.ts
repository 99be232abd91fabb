/**
 * The rollout provider's cluster I/O over @kubernetes/client-node 1.x: retries with capped backoff
 * for 5xx, 429 (honouring Retry-After) and dropped connections, inside a deadline; conflicts
 * re-read and retried; watches that resume after a dropped stream, re-list after 410 Gone, and
 * restart when a watchdog sees no traffic.
 */
import type * as K8s from "@kubernetes/client-node";

export type Log = (line: string) => void;

/** An error the user should read as is: it says what happened and what to do. */
export class RolloutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RolloutError";
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
}

const RETRYABLE_CODES = new Set([429, 500, 502, 503, 504]);
const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "EAI_AGAIN",
  "UND_ERR_SOCKET",
]);

function errorCode(err: unknown): number | undefined {
  const c = (err as { code?: unknown })?.code;
  return typeof c === "number" ? c : undefined;
}

type ErrorLike = { code?: unknown; type?: unknown; message?: unknown; cause?: unknown };

function isNetworkError(err: unknown): boolean {
  let e = err as ErrorLike | undefined;
  for (let i = 0; e && i < 4; i++, e = e.cause as ErrorLike | undefined) {
    if (typeof e.code === "string" && NETWORK_CODES.has(e.code)) return true;
    if (e.type === "system" || /socket hang up|ECONNREFUSED|ECONNRESET|network/i.test(String(e.message)))
      return true;
  }
  return false;
}

/** The Status message of an ApiException, or the error's message. */
export function describeError(err: unknown): string {
  const e = err as { code?: number; body?: unknown; message?: string };
  if (typeof e?.code === "number") {
    let msg: string | undefined;
    try {
      const body = typeof e.body === "string" ? JSON.parse(e.body) : e.body;
      msg = (body as { message?: string })?.message;
    } catch {
      msg = undefined;
    }
    return `HTTP ${e.code}${msg ? `: ${msg}` : ""}`;
  }
  return e?.message ?? String(err);
}

/** Milliseconds to wait before retry `attempt` (0-based): 100 ms doubling, capped at 2 s, or Retry-After. */
export function backoffMs(attempt: number, retryAfterHeader?: string): number {
  const ra = retryAfterHeader !== undefined ? Number(retryAfterHeader) : Number.NaN;
  if (Number.isFinite(ra) && ra >= 0) return Math.min(ra * 1000, 30_000);
  return Math.min(100 * 2 ** attempt, 2000);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class Cluster {
  readonly core: K8s.CoreV1Api;
  readonly apps: K8s.AppsV1Api;

  private constructor(
    private readonly k8s: typeof K8s,
    readonly kc: K8s.KubeConfig,
    readonly opts: ClusterOptions,
  ) {
    this.core = kc.makeApiClient(k8s.CoreV1Api);
    this.apps = kc.makeApiClient(k8s.AppsV1Api);
  }

  static async connect(opts: ClusterOptions): Promise<Cluster> {
    // client-node 1.x is ESM-only; loaded here, not at module scope (dynamic providers are serialized).
    const k8s = (await import("@kubernetes/client-node")) as typeof K8s;
    const kc = new k8s.KubeConfig();
    if (opts.kubeconfig) kc.loadFromString(opts.kubeconfig);
    else kc.loadFromDefault();
    if (opts.context) kc.setCurrentContext(opts.context);
    if (!kc.getCurrentCluster())
      throw new RolloutError(
        "no Kubernetes cluster configured: set rollout.kubeconfig, KUBECONFIG or ~/.kube/config",
      );
    return new Cluster(k8s, kc, opts);
  }

  get remainingMs(): number {
    return this.opts.deadline - Date.now();
  }

  /** Runs `fn`, retrying 5xx, 429 and network errors with capped backoff until the deadline. */
  async retry<T>(what: string, fn: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        const code = errorCode(err);
        const retryable =
          (code !== undefined && RETRYABLE_CODES.has(code)) || (code === undefined && isNetworkError(err));
        if (!retryable) throw err;
        const headers = (err as { headers?: Record<string, string> }).headers ?? {};
        const wait = backoffMs(Math.min(attempt, 10), headers["retry-after"] ?? headers["Retry-After"]);
        if (Date.now() + wait > this.opts.deadline)
          throw new RolloutError(
            `${what}: the API server kept failing until the deadline (${attempt + 1} attempts; last: ${describeError(err)})`,
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
        if (errorCode(err) !== 409) throw err;
        if (Date.now() > this.opts.deadline)
          throw new RolloutError(`${what}: conflicts until the deadline: ${describeError(err)}`);
        await sleep(Math.min(20 * 2 ** attempt, 500));
      }
    }
  }

  async getStatefulSet(namespace: string, name: string): Promise<K8s.V1StatefulSet | undefined> {
    try {
      return await this.retry(`reading StatefulSet ${namespace}/${name}`, () =>
        this.apps.readNamespacedStatefulSet({ namespace, name }),
      );
    } catch (err) {
      if (errorCode(err) === 404) return undefined;
      throw err;
    }
  }

  /** Sets `spec.replicas` through the scale subresource, with the set's resourceVersion as precondition. */
  async scale(namespace: string, name: string, replicas: number): Promise<void> {
    await this.retryConflicts(`scaling StatefulSet ${namespace}/${name} to ${replicas}`, async () => {
      const scale = await this.apps.readNamespacedStatefulSetScale({ namespace, name });
      if (scale.spec?.replicas === replicas) return;
      await this.apps.replaceNamespacedStatefulSetScale({
        namespace,
        name,
        body: {
          apiVersion: "autoscaling/v1",
          kind: "Scale",
          metadata: { name, namespace, resourceVersion: scale.metadata?.resourceVersion },
          spec: { replicas },
        },
      });
    });
  }

  async listPods(namespace: string, labelSelector: string): Promise<K8s.V1PodList> {
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

  /** Adds annotations to a claim (read, modify, replace with its resourceVersion; conflicts retried). */
  async annotateClaim(namespace: string, name: string, annotations: Record<string, string>): Promise<void> {
    await this.retryConflicts(`annotating claim ${namespace}/${name}`, async () => {
      const claim = await this.core.readNamespacedPersistentVolumeClaim({ namespace, name });
      claim.metadata = { ...claim.metadata, annotations: { ...claim.metadata?.annotations, ...annotations } };
      await this.core.replaceNamespacedPersistentVolumeClaim({ namespace, name, body: claim });
    });
  }

  async deleteClaim(namespace: string, name: string): Promise<void> {
    try {
      await this.retry(`deleting claim ${namespace}/${name}`, () =>
        this.core.deleteNamespacedPersistentVolumeClaim({ namespace, name }),
      );
    } catch (err) {
      if (errorCode(err) !== 404) throw err;
    }
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

/**
 * Objects kept current by list + watch. A dropped stream resumes from the last resourceVersion; an
 * ERROR 410 (or a failed resume) re-lists; a watchdog restarts a stream that has gone quiet.
 */
/** What a watched object must have. */
export type KubeObject = { metadata?: { name?: string; resourceVersion?: string } };
export type KubeList<T> = { items: T[]; metadata?: { resourceVersion?: string } };

export class WatchedSet<T extends KubeObject> {
  readonly objects = new Map<string, T>();
  private rv?: string;
  private abort?: AbortController;
  private stopped = false;
  private relist = true;
  private failures = 0;
  private lastActivity = Date.now();
  private waiters: (() => void)[] = [];
  private watchdog?: NodeJS.Timeout;
  lastError?: string;

  constructor(
    private readonly cluster: Cluster,
    private readonly path: string,
    private readonly query: Record<string, string>,
    private readonly listFn: () => Promise<KubeList<T>>,
    private readonly quietMs = 30_000,
  ) {}

  async start(): Promise<void> {
    await this.cycle();
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

  /** Resolves on the next change, or after `ms`. */
  changed(ms: number): Promise<void> {
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

  private notify(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private async cycle(): Promise<void> {
    if (this.stopped) return;
    try {
      if (this.relist) {
        const list = await this.cluster.retry(`listing ${this.path}`, this.listFn);
        this.objects.clear();
        for (const o of list.items) this.objects.set(o.metadata?.name ?? "", o);
        this.rv = list.metadata?.resourceVersion;
        this.relist = false;
        this.notify();
      }
      await this.open();
    } catch (err) {
      this.lastError = describeError(err);
      if (err instanceof RolloutError) {
        // The deadline passed while listing: the waiter reports the timeout.
        this.notify();
        return;
      }
      this.scheduleRestart();
    }
  }

  private async open(): Promise<void> {
    const w = this.cluster.newWatch();
    this.lastActivity = Date.now();
    let ended = false;
    const end = (err: unknown) => {
      if (ended) return;
      ended = true;
      if (err) this.lastError = describeError(err);
      if (!this.stopped) this.scheduleRestart();
    };
    let controller: AbortController;
    try {
      controller = await w.watch(
        this.path,
        { ...this.query, allowWatchBookmarks: "true", ...(this.rv ? { resourceVersion: this.rv } : {}) },
        (type: string, obj: T & { code?: number; message?: string }) => {
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
          if (type === "DELETED") this.objects.delete(obj.metadata?.name ?? "");
          else this.objects.set(obj.metadata?.name ?? "", obj);
          this.notify();
        },
        end,
      );
    } catch (err) {
      end(err);
      return;
    }
    this.abort = controller;
    if (this.stopped) controller.abort();
  }

  private scheduleRestart(): void {
    if (this.stopped) return;
    const wait = backoffMs(Math.min(this.failures++, 4));
    if (this.failures > 3) this.relist = true;
    setTimeout(() => void this.cycle(), wait);
  }
}
