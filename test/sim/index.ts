/**
 * An in-process Kubernetes API simulator: an API server over real HTTP(S), the StatefulSet controller, the
 * garbage collector, the namespace controller and a scheduler/kubelet stand-in, with seeded fault injection. A
 * test harness only: it is trusted as far as its own tests (test/sim.test.ts, one or more per item of
 * shared/KUBERNETES.md, items 1-23) check it.
 *
 * Files (each cites the upstream code it follows):
 *   store.ts                   objects, one resourceVersion counter, generation, watch history, namespace admission
 *   strategy.ts                per-resource defaults, update validation (422), omitempty, when a deletion may end
 *   errors.ts                  Status errors as apimachinery builds them (NotFound, Invalid with causes, Forbidden)
 *   server.ts                  HTTP(S) routes, lists, PATCH formats, DELETE, watches, scale/status/finalize, eviction,
 *                              bearer tokens, faults (5xx, 429, 409, 401, 403, delay, hang, reset, cut/expired watch)
 *   exec.ts                    pods/exec over WebSocket (v5/v4.channel.k8s.io), routed to `sim.exec`
 *   statefulset-controller.ts  claiming/adoption, processReplica/processCondemned, rolling update, status, claim refs
 *   garbage-collector.ts       background, foreground and orphan propagation; dangling owner references
 *   namespace-controller.ts    deleting a namespace's content, then the namespace
 *   kubelet.ts                 binding, start (timers or a test's runtime), readiness, graceful termination
 *
 * Resources: pods (status, eviction, exec), persistentvolumeclaims, services, configmaps, secrets (v1);
 * namespaces (cluster-scoped; finalize, status); statefulsets (apps/v1; scale, status); poddisruptionbudgets
 * (policy/v1); horizontalpodautoscalers (autoscaling/v2; stored only: no autoscaler runs, a test acts as one by
 * writing the set's scale subresource). Namespaced resources can also be listed and watched across namespaces.
 *
 * Choices and simplifications (each also where it is implemented):
 * - Namespaces default, kube-system, kube-public and kube-node-lease exist from the start. Objects may be created in
 *   a namespace that was never created (lenient, so a test need not create the namespaces it uses); with
 *   `strictNamespaces: true` that is refused with 404, as the NamespaceLifecycle admission plugin does.
 * - Defaulting covers the StatefulSet spec (not its pod template), claims, Secrets and HPAs (not `behavior`).
 *   Create-time validation is not modelled; update validation is (metadata.uid, the StatefulSet spec rule), but
 *   not for pods (a real server forbids most pod spec changes).
 * - Server-side apply tracks field ownership (`metadata.managedFields`: prune, conflicts, force; ./field-manager.ts)
 *   with leaf-only field sets and atomic lists; status writes record no entry. Strategic merge patch knows a few
 *   merge keys and no directives.
 * - No ControllerRevision objects (revisions live in the controller, named `<set>-<hash>`); no PV controller (a claim
 *   the StatefulSet controller creates is Bound at once; one a client creates stays Pending); no volume provisioning.
 * - The kubelet runs one node, `sim-node`; on timers, terminating pods take `graceMs`, not their grace period.
 * - A real server sends watch bookmarks about once a minute; the simulator sends one after the initial events.
 * - Authentication is one bearer token (`token`); a wrong or missing token gets 401 (a real server with anonymous
 *   auth on would treat a missing token as system:anonymous). Authorization never refuses unless a fault says so.
 *
 * Public API, beyond the Store: `Sim.start(options)`, `sim.url`, `sim.kubeconfig({ca, insecure, token})`,
 * `sim.apply()`, `sim.pods()`, `sim.claims()`, `sim.behaviors` (timer-mode pod behaviour), `sim.faults` (per
 * request), `seededFaults(seed, rates)`, `sim.exec` (the exec handler), `sim.kubelet.runtime` and
 * `sim.kubelet.readinessPeriodMs` (pods backed by real processes), `sim.kubelet.setReady()`,
 * `sim.server.down()/up()/restart()` (connection refused, then back), `sim.server.hanging`, `sim.requests`.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { ExecHandler, ExecRequest, ExecResult } from "./exec";
import { GarbageCollector } from "./garbage-collector";
import { Kubelet, type PodBehavior, type PodRuntime, type PodStarted } from "./kubelet";
import { NamespaceController } from "./namespace-controller";
import { ApiServer, type Fault, type RequestInfo, TLS_DIR } from "./server";
import { StatefulSetController } from "./statefulset-controller";
import { RESOURCES, type ResourceType, Store } from "./store";

export type { ExecHandler, ExecRequest, ExecResult, Fault, PodBehavior, PodRuntime, PodStarted, RequestInfo };
export { RESOURCES };

/** mulberry32: a small seeded PRNG, so the same seed reproduces the same fault schedule. */
export function prng(seed: number): () => number {
  // Scramble the seed (murmur3's finalizer) so that nearby seeds give unrelated sequences.
  let a = seed >>> 0;
  a = Math.imul(a ^ (a >>> 16), 0x85ebca6b);
  a = Math.imul(a ^ (a >>> 13), 0xc2b2ae35);
  a = (a ^ (a >>> 16)) >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface FaultRates {
  /** Probability that a request gets a 500 or 503. */
  serverError?: number;
  /** Probability of a 429 with Retry-After: 1. */
  tooMany?: number;
  /** Probability that a write (PUT/PATCH/POST) gets a 409 Conflict. */
  conflict?: number;
  /** Probability of a slow response (up to `slowMs`). */
  slow?: number;
  slowMs?: number;
  /** Probability that a watch is cut after a random time (up to 300 ms). */
  cutWatch?: number;
  /** Probability that a watch resuming from a resourceVersion gets 410 Gone. */
  expireWatch?: number;
  /** Probability that a request's connection is dropped without an answer (retryable). */
  reset?: number;
  /** Not retryable, so drawn only when asked: a request that never answers. */
  hang?: number;
  /** Not retryable, so drawn only when asked: 401 Unauthorized. */
  unauthorized?: number;
  /** Not retryable, so drawn only when asked: 403 Forbidden. */
  forbidden?: number;
}

/**
 * A fault hook drawing from a seeded PRNG. A rate that is not given draws nothing, so adding new kinds of fault
 * leaves the schedules of existing seeds as they were.
 */
export function seededFaults(seed: number, rates: FaultRates): (req: RequestInfo) => Fault[] {
  const rnd = prng(seed);
  return (req) => {
    const out: Fault[] = [];
    const r = () => rnd();
    if (rates.slow && r() < rates.slow)
      out.push({ kind: "delay", ms: Math.floor(r() * (rates.slowMs ?? 200)) });
    if (req.watch) {
      if (rates.expireWatch && r() < rates.expireWatch) out.push({ kind: "expireWatch" });
      if (rates.cutWatch && r() < rates.cutWatch)
        out.push({ kind: "cutWatchAfter", ms: Math.floor(r() * 300) });
      return out;
    }
    if (rates.serverError && r() < rates.serverError)
      out.push({ kind: "status", code: r() < 0.5 ? 500 : 503 });
    else if (rates.tooMany && r() < rates.tooMany)
      out.push({ kind: "status", code: 429, retryAfterSeconds: 1 });
    else if (rates.conflict && req.method !== "GET" && req.method !== "DELETE" && r() < rates.conflict)
      out.push({ kind: "status", code: 409 });
    else if (rates.reset && r() < rates.reset) out.push({ kind: "reset" });
    else if (rates.hang && r() < rates.hang) out.push({ kind: "hang" });
    else if (rates.unauthorized && r() < rates.unauthorized) out.push({ kind: "status", code: 401 });
    else if (rates.forbidden && r() < rates.forbidden) out.push({ kind: "status", code: 403 });
    return out;
  };
}

export interface SimOptions {
  /** Default time from pod start to Ready (timer mode). @default 20 */
  readyAfterMs?: number;
  /** Time a terminating pod takes to go in timer mode (its grace period, scaled down). @default 5 */
  graceMs?: number;
  faults?: (req: RequestInfo) => Fault[];
  /** Refuse objects in namespaces that do not exist (404), as NamespaceLifecycle does. @default false */
  strictNamespaces?: boolean;
  /** Serve HTTPS with test/sim/fixtures/tls/server.crt; `kubeconfig()` then carries the fixture CA. @default false */
  tls?: boolean;
  /** Require this bearer token (401 otherwise); `kubeconfig()` uses it. @default - none required */
  token?: string;
  /** The user named in 403 answers. @default "sim" */
  username?: string;
}

export interface KubeconfigOptions {
  /** HTTPS only: which CA the kubeconfig trusts. "none" leaves it out. @default "sim" */
  ca?: "sim" | "other" | "none";
  /** Sets insecure-skip-tls-verify. @default true over HTTP, false over HTTPS */
  insecure?: boolean;
  /** @default the simulator's token, or "sim-token" */
  token?: string;
}

export class Sim {
  readonly store: Store;
  readonly controller: StatefulSetController;
  readonly gc: GarbageCollector;
  readonly namespaces: NamespaceController;
  readonly kubelet: Kubelet;
  readonly server: ApiServer;
  readonly behaviors = new Map<string, PodBehavior>();
  /** Every request the server saw, in order. */
  readonly requests: RequestInfo[] = [];
  faults?: (req: RequestInfo) => Fault[];
  /** Runs the command of a `pods/exec` request. */
  exec?: ExecHandler;

  constructor(private readonly options: SimOptions = {}) {
    this.store = new Store({ strictNamespaces: options.strictNamespaces });
    this.faults = options.faults;
    this.controller = new StatefulSetController(this.store);
    this.gc = new GarbageCollector(this.store);
    this.namespaces = new NamespaceController(this.store);
    this.kubelet = new Kubelet(this.store, (name) => this.behaviors.get(name) ?? {}, {
      readyAfterMs: options.readyAfterMs ?? 20,
      graceMs: options.graceMs ?? 5,
    });
    this.server = new ApiServer(this.store, {
      faults: (req) => this.faults?.(req) ?? [],
      onRequest: (req) => this.requests.push(req),
      tls: options.tls,
      token: options.token,
      username: options.username,
      exec: () => this.exec,
    });
  }

  static async start(options: SimOptions = {}): Promise<Sim> {
    const sim = new Sim(options);
    await sim.server.listen();
    return sim;
  }

  get url(): string {
    return this.server.url;
  }

  /** A kubeconfig (YAML) pointing at this simulator. */
  kubeconfig(o: KubeconfigOptions = {}): string {
    const tls = !!this.options.tls;
    const ca = tls ? (o.ca ?? "sim") : "none";
    const caFile = ca === "sim" ? "ca.crt" : ca === "other" ? "other-ca.crt" : undefined;
    const cluster = [`    server: ${this.url}`];
    if (caFile)
      cluster.push(
        `    certificate-authority-data: ${readFileSync(join(TLS_DIR, caFile)).toString("base64")}`,
      );
    if (o.insecure ?? !tls) cluster.push("    insecure-skip-tls-verify: true");
    return [
      "apiVersion: v1",
      "kind: Config",
      "clusters:",
      "- name: sim\n  cluster:",
      ...cluster,
      "users:",
      `- name: sim\n  user:\n    token: ${o.token ?? this.options.token ?? "sim-token"}`,
      "contexts:",
      "- name: sim\n  context:\n    cluster: sim\n    user: sim",
      "current-context: sim",
      "",
    ].join("\n");
  }

  rt(plural: string): ResourceType {
    return RESOURCES.find((r) => r.plural === plural)!;
  }

  /**
   * Creates or updates an object directly in the store (no HTTP), as `kubectl apply` would have: the fields given
   * replace the stored ones at the top level of `metadata` and of the object. Update validation applies.
   */
  apply(plural: string, ns: string, obj: any) {
    const existing = this.store.get(plural, ns, obj.metadata.name);
    if (!existing) return this.store.create(this.rt(plural), ns, obj);
    return this.store.update(this.rt(plural), ns, {
      ...existing,
      ...obj,
      metadata: { ...existing.metadata, ...obj.metadata, resourceVersion: undefined },
    });
  }

  pods(ns = "default") {
    return this.store.list("pods", ns);
  }

  claims(ns = "default") {
    return this.store.list("persistentvolumeclaims", ns);
  }

  async stop(): Promise<void> {
    this.controller.stop();
    this.gc.stop();
    this.namespaces.stop();
    // Processes a test's runtime started are stopped too, so none outlives the simulator.
    await this.kubelet.shutdown();
    await this.server.close();
  }
}

/** Resolves once `cond` holds, polling the in-process state. */
export async function until(what: string, cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
