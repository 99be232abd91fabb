/**
 * An in-process Kubernetes API simulator: API server over real HTTP, StatefulSet controller,
 * garbage collector and kubelet stand-in, with seeded fault injection. A test harness only: it is
 * trusted as far as its own tests (test/sim.test.ts) check it against ../shared/KUBERNETES.md.
 */
import { GarbageCollector, Kubelet, type PodBehavior, StatefulSetController } from "./controllers";
import { ApiServer, type Fault, type RequestInfo } from "./server";
import { RESOURCES, type ResourceType, Store } from "./store";

export type { Fault, PodBehavior, RequestInfo };
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
}

/** A fault hook drawing from a seeded PRNG. */
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
    return out;
  };
}

export interface SimOptions {
  /** Default time from pod start to Ready. @default 20 */
  readyAfterMs?: number;
  /** Time a terminating pod takes to go (its grace period, scaled down). @default 5 */
  graceMs?: number;
  faults?: (req: RequestInfo) => Fault[];
}

export class Sim {
  readonly store = new Store();
  readonly controller: StatefulSetController;
  readonly gc: GarbageCollector;
  readonly kubelet: Kubelet;
  readonly server: ApiServer;
  readonly behaviors = new Map<string, PodBehavior>();
  /** Every request the server saw, in order. */
  readonly requests: RequestInfo[] = [];
  faults?: (req: RequestInfo) => Fault[];

  constructor(options: SimOptions = {}) {
    this.faults = options.faults;
    this.controller = new StatefulSetController(this.store);
    this.gc = new GarbageCollector(this.store);
    this.kubelet = new Kubelet(this.store, (name) => this.behaviors.get(name) ?? {}, {
      readyAfterMs: options.readyAfterMs ?? 20,
      graceMs: options.graceMs ?? 5,
    });
    this.server = new ApiServer(this.store, this.gc, {
      faults: (req) => this.faults?.(req) ?? [],
      onRequest: (req) => this.requests.push(req),
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
  kubeconfig(): string {
    return [
      "apiVersion: v1",
      "kind: Config",
      "clusters:",
      `- name: sim\n  cluster:\n    server: ${this.url}\n    insecure-skip-tls-verify: true`,
      "users:",
      "- name: sim\n  user:\n    token: sim-token",
      "contexts:",
      "- name: sim\n  context:\n    cluster: sim\n    user: sim",
      "current-context: sim",
      "",
    ].join("\n");
  }

  rt(plural: string): ResourceType {
    return RESOURCES.find((r) => r.plural === plural)!;
  }

  /** Creates an object directly in the store (no HTTP), as `kubectl apply` would have. */
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
    this.kubelet.stop();
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
