/**
 * The simulated API server's storage: objects, one global resourceVersion counter, generation, a bounded event
 * history for watch resumption, and in-process subscribers (the controllers). Writes go through the resource's
 * strategy (./strategy.ts) and namespace admission, so in-process writers meet the same rules as HTTP clients.
 */
import { randomUUID } from "node:crypto";
import { ApiError, alreadyExists, conflict, forbidden, invalid, notFound } from "./errors";
import { dropEmptyMetadata, prepareForCreate, prepareForUpdate, removable, validateUpdate } from "./strategy";

export { ApiError };

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
  /** Namespaced, or cluster-scoped (stored under namespace `""`). */
  namespaced: boolean;
}

const core = (plural: string, kind: string, hasStatus: boolean, namespaced = true): ResourceType => ({
  plural,
  kind,
  apiVersion: "v1",
  group: "",
  version: "v1",
  hasStatus,
  namespaced,
});
const grouped = (plural: string, kind: string, group: string, version: string): ResourceType => ({
  plural,
  kind,
  apiVersion: `${group}/${version}`,
  group,
  version,
  hasStatus: true,
  namespaced: true,
});

export const RESOURCES: ResourceType[] = [
  core("pods", "Pod", true),
  core("persistentvolumeclaims", "PersistentVolumeClaim", true),
  core("services", "Service", true),
  core("configmaps", "ConfigMap", false),
  core("secrets", "Secret", false),
  core("namespaces", "Namespace", true, false),
  grouped("statefulsets", "StatefulSet", "apps", "v1"),
  grouped("poddisruptionbudgets", "PodDisruptionBudget", "policy", "v1"),
  grouped("horizontalpodautoscalers", "HorizontalPodAutoscaler", "autoscaling", "v2"),
];

export const RT = Object.fromEntries(RESOURCES.map((r) => [r.plural, r])) as Record<string, ResourceType>;

export type EventType = "ADDED" | "MODIFIED" | "DELETED";

export interface StoreEvent {
  type: EventType;
  resource: string;
  object: Obj;
  /** The object before this change (MODIFIED and DELETED); watches with a selector need it. */
  old?: Obj;
  rv: number;
}

/** Namespaces that exist from the start, as in a new cluster. */
export const INITIAL_NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease"];
/** Namespaces the NamespaceLifecycle admission plugin refuses to delete. */
const IMMORTAL_NAMESPACES = new Set(["default", "kube-system", "kube-public"]);

export interface StoreOptions {
  /** Watch resumption history, in events. @default 10000 */
  historyLimit?: number;
  /** Refuse objects in namespaces that do not exist, as the NamespaceLifecycle admission plugin does. @default false */
  strictNamespaces?: boolean;
}

const clone = <T>(o: T): T => structuredClone(o);

export class Store {
  private rv = 0;
  private readonly objects = new Map<string, Obj>();
  private history: StoreEvent[] = [];
  /** Events at or below this resourceVersion are no longer in history: older watches get 410. */
  private floor = 0;
  private readonly subscribers = new Set<(e: StoreEvent) => void>();
  private readonly historyLimit: number;
  readonly strictNamespaces: boolean;

  constructor(options: StoreOptions = {}) {
    this.historyLimit = options.historyLimit ?? 10_000;
    this.strictNamespaces = options.strictNamespaces ?? false;
    for (const name of INITIAL_NAMESPACES) this.create(RT.namespaces!, "", { metadata: { name } });
  }

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

  private emit(type: EventType, resource: string, object: Obj, old?: Obj): void {
    const e: StoreEvent = { type, resource, object: clone(object), rv: this.rv, ...(old ? { old } : {}) };
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

  /** The stored object itself, for in-process readers (no copy: do not mutate). */
  peek(resource: string, ns: string, name: string): Readonly<Obj> | undefined {
    return this.objects.get(this.key(resource, ns, name));
  }

  get(resource: string, ns: string, name: string): Obj | undefined {
    const o = this.objects.get(this.key(resource, ns, name));
    return o ? clone(o) : undefined;
  }

  mustGet(rt: ResourceType, ns: string, name: string): Obj {
    const o = this.get(rt.plural, ns, name);
    if (!o) throw notFound(rt, name);
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
    return this.scan(resource, ns).map((o) => clone(o as Obj));
  }

  /** A namespace's phase, or undefined when it does not exist. */
  namespacePhase(ns: string): string | undefined {
    const o = this.objects.get(this.key("namespaces", "", ns));
    return o ? (o.status?.phase ?? "Active") : undefined;
  }

  /**
   * The NamespaceLifecycle admission plugin (plugin/pkg/admission/namespace/lifecycle/admission.go) for a create:
   * no new content in a terminating namespace; in a missing one only with `strictNamespaces` off (the simulator's
   * lenient default, so a test need not create the namespaces it uses).
   */
  private admitCreate(rt: ResourceType, ns: string, name: string): void {
    if (!rt.namespaced) return;
    const phase = this.namespacePhase(ns);
    if (phase === undefined && this.strictNamespaces) throw notFound(RT.namespaces!, ns);
    if (phase === "Terminating")
      throw forbidden(
        rt,
        name,
        `unable to create new content in namespace ${ns} because it is being terminated`,
        [
          {
            reason: "NamespaceTerminating",
            message: `namespace ${ns} is being terminated`,
            field: "metadata.namespace",
          },
        ],
      );
  }

  create(rt: ResourceType, ns: string, input: Obj): Obj {
    const name = input.metadata?.name;
    if (!name)
      throw invalid(rt, "", [
        { type: "FieldValueRequired", field: "metadata.name", detail: "name or generateName is required" },
      ]);
    if (!rt.namespaced) ns = "";
    this.admitCreate(rt, ns, name);
    if (this.objects.has(this.key(rt.plural, ns, name))) throw alreadyExists(rt, name);
    const o = clone(input);
    o.apiVersion = rt.apiVersion;
    o.kind = rt.kind;
    o.metadata = {
      ...o.metadata,
      uid: randomUUID(),
      creationTimestamp: new Date().toISOString(),
    };
    if (rt.namespaced) o.metadata.namespace = ns;
    else delete o.metadata.namespace;
    delete o.metadata.deletionTimestamp;
    delete o.metadata.deletionGracePeriodSeconds;
    if (rt.hasStatus) o.metadata.generation = 1;
    prepareForCreate(rt, o);
    dropEmptyMetadata(o);
    o.metadata.resourceVersion = String(++this.rv);
    this.objects.set(this.key(rt.plural, ns, name), o);
    this.emit("ADDED", rt.plural, o);
    return clone(o);
  }

  /**
   * Replaces an object. A `metadata.resourceVersion` that is set must match (409 Conflict otherwise).
   * `subresource: "status"` changes only status; otherwise status is kept, a spec change bumps generation, and
   * the resource's update validation applies (422 Invalid).
   */
  update(rt: ResourceType, ns: string, input: Obj, subresource?: "status"): Obj {
    if (!rt.namespaced) ns = "";
    const current = this.mustGet(rt, ns, input.metadata.name);
    const given = input.metadata.resourceVersion;
    if (given !== undefined && given !== "" && given !== current.metadata.resourceVersion)
      throw conflict(rt, current.metadata.name);
    let next: Obj;
    if (subresource === "status") {
      next = { ...current, status: clone(input.status) };
    } else {
      next = clone(input);
      next.apiVersion = rt.apiVersion;
      next.kind = rt.kind;
      prepareForUpdate(rt, next, current);
      validateUpdate(rt, next, current);
      next.metadata = {
        ...next.metadata,
        uid: current.metadata.uid,
        creationTimestamp: current.metadata.creationTimestamp,
        deletionTimestamp: current.metadata.deletionTimestamp,
        deletionGracePeriodSeconds: current.metadata.deletionGracePeriodSeconds,
        generation: current.metadata.generation,
      };
      if (rt.namespaced) next.metadata.namespace = ns;
      else delete next.metadata.namespace;
      if (next.metadata.deletionTimestamp === undefined) delete next.metadata.deletionTimestamp;
      if (next.metadata.deletionGracePeriodSeconds === undefined)
        delete next.metadata.deletionGracePeriodSeconds;
      if (next.metadata.generation === undefined) delete next.metadata.generation;
      if (rt.hasStatus) {
        next.status = current.status;
        if (JSON.stringify(next.spec) !== JSON.stringify(current.spec))
          next.metadata.generation = (current.metadata.generation ?? 1) + 1;
      }
    }
    if (next.status === undefined) delete next.status;
    dropEmptyMetadata(next);
    return this.write(rt, ns, next, current);
  }

  /** Stores `next` over `current`: MODIFIED, then DELETED too when a deletion has nothing left to wait for. */
  private write(rt: ResourceType, ns: string, next: Obj, current: Obj): Obj {
    next.metadata.resourceVersion = String(++this.rv);
    this.objects.set(this.key(rt.plural, ns, next.metadata.name), next);
    this.emit("MODIFIED", rt.plural, next, current);
    if (removable(rt, next)) this.remove(rt, ns, next.metadata.name);
    return clone(next);
  }

  /** Removes an object for good (the end of a deletion). */
  remove(rt: ResourceType, ns: string, name: string): Obj | undefined {
    if (!rt.namespaced) ns = "";
    const k = this.key(rt.plural, ns, name);
    const o = this.objects.get(k);
    if (!o) return undefined;
    this.objects.delete(k);
    // Stored objects are never changed in place (readers hold them): the DELETED event carries a copy.
    const gone = clone(o);
    gone.metadata.resourceVersion = String(++this.rv);
    this.emit("DELETED", rt.plural, gone, o);
    return clone(gone);
  }

  /**
   * Starts a deletion (the generic registry's graceful delete, staging/src/k8s.io/apiserver/pkg/registry/generic/
   * registry/store.go, and pkg/registry/core/namespace/storage/storage.go for namespaces, which become
   * Terminating): an object with nothing to wait for goes at once;
   * one with finalizers, a pod (its grace period) or a namespace (its spec.finalizers) is marked with a
   * deletionTimestamp and goes when `removable` says so.
   */
  markDeleted(
    rt: ResourceType,
    ns: string,
    name: string,
    gracePeriodSeconds?: number,
    /** Finalizers the deletion adds (propagationPolicy Foreground: foregroundDeletion; Orphan: orphan). */
    addFinalizers: string[] = [],
  ): Obj {
    if (!rt.namespaced) ns = "";
    if (rt.plural === "namespaces" && IMMORTAL_NAMESPACES.has(name))
      throw forbidden(rt, name, "this namespace may not be deleted");
    const current = this.mustGet(rt, ns, name);
    if (current.metadata.deletionTimestamp) {
      // A second delete may only shorten a pod's grace period (a force delete ends it).
      if (
        rt.plural === "pods" &&
        gracePeriodSeconds === 0 &&
        current.metadata.deletionGracePeriodSeconds !== 0
      )
        return this.write(
          rt,
          ns,
          { ...clone(current), metadata: { ...current.metadata, deletionGracePeriodSeconds: 0 } },
          current,
        );
      return current;
    }
    const o = clone(current);
    o.metadata.deletionTimestamp = new Date().toISOString();
    if (addFinalizers.length > 0)
      o.metadata.finalizers = [...new Set([...(o.metadata.finalizers ?? []), ...addFinalizers])];
    if (rt.plural === "pods")
      o.metadata.deletionGracePeriodSeconds =
        gracePeriodSeconds ?? o.spec?.terminationGracePeriodSeconds ?? 30;
    if (rt.plural === "namespaces") o.status = { ...o.status, phase: "Terminating" };
    if (removable(rt, o)) {
      this.remove(rt, ns, name);
      return o;
    }
    return this.write(rt, ns, o, current);
  }

  /**
   * The scheduler's binding (pods/binding, pkg/registry/core/pod/storage/storage.go): spec.nodeName and the
   * PodScheduled condition in one write, without a generation bump.
   */
  bind(ns: string, name: string, nodeName: string, startedStatus?: any): Obj {
    const current = this.mustGet(RT.pods!, ns, name);
    const conditions = (current.status?.conditions ?? []).filter((c: any) => c.type !== "PodScheduled");
    // With `startedStatus`, the kubelet's first status (which carries PodScheduled) lands in the same write.
    const status = startedStatus ?? {
      ...current.status,
      conditions: [
        { type: "PodScheduled", status: "True", lastTransitionTime: new Date().toISOString() },
        ...conditions,
      ],
    };
    return this.write(
      RT.pods!,
      ns,
      { ...clone(current), spec: { ...current.spec, nodeName }, status },
      current,
    );
  }

  /**
   * The namespace controller's PUT .../finalize: sets a namespace's spec.finalizers, the one way to change them.
   */
  finalizeNamespace(name: string, finalizers: string[]): Obj {
    const current = this.mustGet(RT.namespaces!, "", name);
    const spec = { ...current.spec, finalizers };
    if (finalizers.length === 0) delete spec.finalizers;
    return this.write(RT.namespaces!, "", { ...clone(current), spec }, current);
  }
}
