/**
 * The simulated API server's storage: objects, one global resourceVersion counter, generation,
 * a bounded event history for watch resumption, and in-process subscribers (the controllers).
 */
import { randomUUID } from "node:crypto";

export type Obj = {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    generation?: number;
    creationTimestamp?: string;
    deletionTimestamp?: string;
    deletionGracePeriodSeconds?: number;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: OwnerRef[];
    finalizers?: string[];
    [k: string]: unknown;
  };
  spec?: any;
  status?: any;
  [k: string]: unknown;
};

export interface OwnerRef {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ResourceType {
  /** Plural path segment, e.g. `pods`. */
  plural: string;
  kind: string;
  apiVersion: string;
  /** `""` for the core group. */
  group: string;
  version: string;
  /** Whether `spec` changes bump `metadata.generation` (objects with a spec/status split). */
  hasStatus: boolean;
}

export const RESOURCES: ResourceType[] = [
  { plural: "pods", kind: "Pod", apiVersion: "v1", group: "", version: "v1", hasStatus: true },
  {
    plural: "persistentvolumeclaims",
    kind: "PersistentVolumeClaim",
    apiVersion: "v1",
    group: "",
    version: "v1",
    hasStatus: true,
  },
  { plural: "services", kind: "Service", apiVersion: "v1", group: "", version: "v1", hasStatus: true },
  { plural: "configmaps", kind: "ConfigMap", apiVersion: "v1", group: "", version: "v1", hasStatus: false },
  {
    plural: "statefulsets",
    kind: "StatefulSet",
    apiVersion: "apps/v1",
    group: "apps",
    version: "v1",
    hasStatus: true,
  },
  {
    plural: "poddisruptionbudgets",
    kind: "PodDisruptionBudget",
    apiVersion: "policy/v1",
    group: "policy",
    version: "v1",
    hasStatus: true,
  },
];

export type EventType = "ADDED" | "MODIFIED" | "DELETED";

export interface StoreEvent {
  type: EventType;
  resource: string;
  object: Obj;
  rv: number;
}

export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details: { name?: string; group?: string; kind?: string } = {},
    readonly retryAfterSeconds = 0,
  ) {
    super(message);
  }
}

const clone = <T>(o: T): T => structuredClone(o);

export class Store {
  private rv = 0;
  private readonly objects = new Map<string, Obj>();
  private history: StoreEvent[] = [];
  /** Events at or below this resourceVersion are no longer in history: older watches get 410. */
  private floor = 0;
  private readonly subscribers = new Set<(e: StoreEvent) => void>();

  constructor(private readonly historyLimit = 10_000) {}

  get resourceVersion(): number {
    return this.rv;
  }

  get oldestResumable(): number {
    return this.floor;
  }

  /** Drops the event history: any watch resuming from an older resourceVersion gets 410 Gone. */
  compact(): void {
    this.history = [];
    this.floor = this.rv;
  }

  subscribe(fn: (e: StoreEvent) => void): () => void {
    this.subscribers.add(fn);
    return () => this.subscribers.delete(fn);
  }

  private key(resource: string, ns: string, name: string): string {
    return `${resource}/${ns}/${name}`;
  }

  private emit(type: EventType, resource: string, object: Obj): void {
    const e: StoreEvent = { type, resource, object: clone(object), rv: this.rv };
    this.history.push(e);
    if (this.history.length > this.historyLimit) {
      const dropped = this.history.shift()!;
      this.floor = dropped.rv;
    }
    for (const s of [...this.subscribers]) s(e);
  }

  eventsSince(rv: number): StoreEvent[] {
    return this.history.filter((e) => e.rv > rv);
  }

  get(resource: string, ns: string, name: string): Obj | undefined {
    const o = this.objects.get(this.key(resource, ns, name));
    return o ? clone(o) : undefined;
  }

  mustGet(rt: ResourceType, ns: string, name: string): Obj {
    const o = this.get(rt.plural, ns, name);
    if (!o)
      throw new ApiError(
        404,
        "NotFound",
        `${rt.plural}${rt.group ? `.${rt.group}` : ""} "${name}" not found`,
        {
          name,
          group: rt.group,
          kind: rt.plural,
        },
      );
    return o;
  }

  /** The stored objects themselves, for in-process controllers that only read (no copies: do not mutate). */
  scan(resource: string, ns?: string): readonly Readonly<Obj>[] {
    const prefix = ns === undefined ? `${resource}/` : `${resource}/${ns}/`;
    const out: Obj[] = [];
    for (const [k, o] of this.objects) if (k.startsWith(prefix)) out.push(o);
    return out;
  }

  list(resource: string, ns?: string): Obj[] {
    const prefix = ns === undefined ? `${resource}/` : `${resource}/${ns}/`;
    return [...this.objects.entries()].filter(([k]) => k.startsWith(prefix)).map(([, o]) => clone(o));
  }

  create(rt: ResourceType, ns: string, input: Obj): Obj {
    const name = input.metadata?.name;
    if (!name)
      throw new ApiError(422, "Invalid", `${rt.kind} is invalid: metadata.name: Required value`, {
        kind: rt.kind,
      });
    if (this.objects.has(this.key(rt.plural, ns, name)))
      throw new ApiError(
        409,
        "AlreadyExists",
        `${rt.plural}${rt.group ? `.${rt.group}` : ""} "${name}" already exists`,
        {
          name,
          group: rt.group,
          kind: rt.plural,
        },
      );
    const o = clone(input);
    o.apiVersion = rt.apiVersion;
    o.kind = rt.kind;
    o.metadata = {
      ...o.metadata,
      namespace: ns,
      uid: randomUUID(),
      resourceVersion: String(++this.rv),
      creationTimestamp: new Date().toISOString(),
    };
    delete o.metadata.deletionTimestamp;
    if (rt.hasStatus) o.metadata.generation = 1;
    this.objects.set(this.key(rt.plural, ns, name), o);
    this.emit("ADDED", rt.plural, o);
    return clone(o);
  }

  /**
   * Replaces an object. A `metadata.resourceVersion` that is set must match (409 Conflict
   * otherwise). `subresource: "status"` changes only status; otherwise status is kept and a spec
   * change bumps generation.
   */
  update(rt: ResourceType, ns: string, input: Obj, subresource?: "status"): Obj {
    const current = this.mustGet(rt, ns, input.metadata.name);
    const given = input.metadata.resourceVersion;
    if (given !== undefined && given !== "" && given !== current.metadata.resourceVersion)
      throw new ApiError(
        409,
        "Conflict",
        `Operation cannot be fulfilled on ${rt.plural}${rt.group ? `.${rt.group}` : ""} "${current.metadata.name}": the object has been modified; please apply your changes to the latest version and try again`,
        { name: current.metadata.name, group: rt.group, kind: rt.plural },
      );
    let next: Obj;
    if (subresource === "status") {
      next = { ...current, status: clone(input.status) };
    } else {
      next = clone(input);
      next.apiVersion = rt.apiVersion;
      next.kind = rt.kind;
      next.metadata = {
        ...next.metadata,
        namespace: ns,
        uid: current.metadata.uid,
        creationTimestamp: current.metadata.creationTimestamp,
        deletionTimestamp: current.metadata.deletionTimestamp,
        deletionGracePeriodSeconds: current.metadata.deletionGracePeriodSeconds,
        generation: current.metadata.generation,
      };
      if (next.metadata.deletionTimestamp === undefined) delete next.metadata.deletionTimestamp;
      if (next.metadata.deletionGracePeriodSeconds === undefined)
        delete next.metadata.deletionGracePeriodSeconds;
      if (rt.hasStatus) {
        next.status = current.status;
        if (JSON.stringify(next.spec) !== JSON.stringify(current.spec))
          next.metadata.generation = (current.metadata.generation ?? 1) + 1;
      }
    }
    if (next.status === undefined) delete next.status;
    next.metadata.resourceVersion = String(++this.rv);
    this.objects.set(this.key(rt.plural, ns, current.metadata.name), next);
    this.emit("MODIFIED", rt.plural, next);
    // An object being deleted whose last finalizer was just removed is gone.
    if (
      next.metadata.deletionTimestamp &&
      (next.metadata.finalizers ?? []).length === 0 &&
      rt.plural !== "pods"
    )
      this.remove(rt, ns, next.metadata.name);
    return clone(next);
  }

  /** Removes an object for good (the end of a deletion). */
  remove(rt: ResourceType, ns: string, name: string): Obj | undefined {
    const k = this.key(rt.plural, ns, name);
    const o = this.objects.get(k);
    if (!o) return undefined;
    this.objects.delete(k);
    o.metadata.resourceVersion = String(++this.rv);
    this.emit("DELETED", rt.plural, o);
    return clone(o);
  }

  /** Starts a deletion: objects with finalizers (or pods, with their grace period) are only marked. */
  markDeleted(rt: ResourceType, ns: string, name: string, gracePeriodSeconds?: number): Obj {
    const o = this.mustGet(rt, ns, name);
    if (o.metadata.deletionTimestamp) return o;
    const isPod = rt.plural === "pods";
    if ((o.metadata.finalizers ?? []).length === 0 && !isPod) {
      this.remove(rt, ns, name);
      return o;
    }
    o.metadata.deletionTimestamp = new Date().toISOString();
    if (isPod)
      o.metadata.deletionGracePeriodSeconds =
        gracePeriodSeconds ?? o.spec?.terminationGracePeriodSeconds ?? 30;
    o.metadata.resourceVersion = String(++this.rv);
    this.objects.set(this.key(rt.plural, ns, name), o);
    this.emit("MODIFIED", rt.plural, o);
    return clone(o);
  }
}
