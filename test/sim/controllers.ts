/**
 * The StatefulSet controller, garbage collector and kubelet stand-in, as modelled on upstream's
 * pkg/controller/statefulset (stateful_set_control.go) and the API concepts pages. Each runs
 * in-process against the Store and reacts to its events.
 */
import { createHash } from "node:crypto";
import { type Obj, type OwnerRef, RESOURCES, type ResourceType, type Store, type StoreEvent } from "./store";

const RT = Object.fromEntries(RESOURCES.map((r) => [r.plural, r])) as Record<string, ResourceType>;
const POD = RT.pods!;
const PVC = RT.persistentvolumeclaims!;
const STS = RT.statefulsets!;

/** What the test decides for one pod. */
export interface PodBehavior {
  /** Milliseconds from start to Ready. @default the simulator's default */
  readyAfterMs?: number;
  /** Never becomes Ready (stays Running, not Ready). */
  neverReady?: boolean;
  /** Crashes on start: CrashLoopBackOff, never Ready. */
  crash?: boolean;
  /** Turns unready this long after becoming Ready. */
  unreadyAfterMs?: number;
}

export const REVISION_LABEL = "controller-revision-hash";
export const POD_NAME_LABEL = "statefulset.kubernetes.io/pod-name";
export const POD_INDEX_LABEL = "apps.kubernetes.io/pod-index";

export function ordinalOf(setName: string, podName: string): number | undefined {
  const m = new RegExp(`^${setName.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}-(0|[1-9][0-9]*)$`).exec(podName);
  return m ? Number(m[1]) : undefined;
}

export function isReady(pod: Obj): boolean {
  return (pod.status?.conditions ?? []).some((c: any) => c.type === "Ready" && c.status === "True");
}

function isAvailable(pod: Obj, minReadySeconds: number, now: number): boolean {
  if (!isReady(pod)) return false;
  if (minReadySeconds <= 0) return true;
  const c = pod.status.conditions.find((x: any) => x.type === "Ready");
  return now - Date.parse(c.lastTransitionTime) >= minReadySeconds * 1000;
}

function isHealthy(pod: Obj): boolean {
  return pod.status?.phase === "Running" && isReady(pod) && !pod.metadata.deletionTimestamp;
}

function controllerOf(o: Obj): OwnerRef | undefined {
  return o.metadata.ownerReferences?.find((r) => r.controller);
}

function ownerRef(set: Obj, controller: boolean): OwnerRef {
  return {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    name: set.metadata.name,
    uid: set.metadata.uid!,
    ...(controller ? { controller: true, blockOwnerDeletion: true } : {}),
  };
}

/** The revision hash of a pod template (upstream hashes the ControllerRevision data; 10 hex digits here). */
export function revisionOf(template: unknown): string {
  return createHash("sha256").update(JSON.stringify(template)).digest("hex").slice(0, 10);
}

/**
 * The StatefulSet controller. Pods `<set>-<ordinal>` get the template's labels plus pod-name,
 * pod-index and controller-revision-hash, hostname = pod name, subdomain = serviceName, and one
 * controller ownerReference. Claims are created before their pod and reused.
 */
export class StatefulSetController {
  /** Templates by set uid and revision, so pods below a partition keep the current revision. */
  private readonly revisions = new Map<string, Map<string, unknown>>();
  private pending = false;
  private timer?: NodeJS.Timeout;
  private stopped = false;

  constructor(
    private readonly store: Store,
    private readonly now: () => number = Date.now,
  ) {
    store.subscribe((e) => {
      if (e.resource === "statefulsets" || e.resource === "pods" || e.resource === "persistentvolumeclaims")
        this.kick();
    });
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /** Schedules a reconcile of every set (coalesced). */
  kick(): void {
    if (this.pending || this.stopped) return;
    this.pending = true;
    setImmediate(() => {
      this.pending = false;
      if (this.stopped) return;
      for (const set of this.store.scan("statefulsets") as Obj[]) this.reconcile(structuredClone(set));
    });
  }

  private podsOf(set: Obj): Map<number, Obj> {
    const pods = new Map<number, Obj>();
    for (const p of this.store.scan("pods", set.metadata.namespace) as Obj[]) {
      if (controllerOf(p)?.uid !== set.metadata.uid) continue;
      const ord = ordinalOf(set.metadata.name, p.metadata.name);
      if (ord !== undefined) pods.set(ord, p);
    }
    return pods;
  }

  private template(set: Obj, revision: string): any {
    return this.revisions.get(set.metadata.uid!)?.get(revision) ?? set.spec.template;
  }

  private ensureClaims(set: Obj, ordinal: number): void {
    const ns = set.metadata.namespace!;
    const policy = set.spec.persistentVolumeClaimRetentionPolicy ?? {};
    for (const t of set.spec.volumeClaimTemplates ?? []) {
      const name = `${t.metadata.name}-${set.metadata.name}-${ordinal}`;
      const existing = this.store.get("persistentvolumeclaims", ns, name);
      if (existing) {
        // whenDeleted=Delete: the set owns its claims (non-controller reference), also reused ones.
        if (
          policy.whenDeleted === "Delete" &&
          !existing.metadata.ownerReferences?.some((r) => r.uid === set.metadata.uid)
        ) {
          existing.metadata.ownerReferences = [
            ...(existing.metadata.ownerReferences ?? []),
            ownerRef(set, false),
          ];
          this.store.update(PVC, ns, existing);
        }
        continue;
      }
      this.store.create(PVC, ns, {
        metadata: {
          name,
          labels: { ...set.spec.selector?.matchLabels },
          ...(policy.whenDeleted === "Delete" ? { ownerReferences: [ownerRef(set, false)] } : {}),
        },
        spec: structuredClone(t.spec),
        status: { phase: "Bound" },
      });
    }
  }

  private createPod(set: Obj, ordinal: number, revision: string): void {
    this.ensureClaims(set, ordinal);
    const tmpl = structuredClone(this.template(set, revision));
    const name = `${set.metadata.name}-${ordinal}`;
    const volumes = [
      ...(tmpl.spec.volumes ?? []),
      ...(set.spec.volumeClaimTemplates ?? []).map((t: any) => ({
        name: t.metadata.name,
        persistentVolumeClaim: { claimName: `${t.metadata.name}-${name}` },
      })),
    ];
    this.store.create(POD, set.metadata.namespace!, {
      metadata: {
        name,
        labels: {
          ...tmpl.metadata?.labels,
          [POD_NAME_LABEL]: name,
          [POD_INDEX_LABEL]: String(ordinal),
          [REVISION_LABEL]: revision,
        },
        annotations: { ...tmpl.metadata?.annotations },
        ownerReferences: [ownerRef(set, true)],
      },
      spec: { ...tmpl.spec, volumes, hostname: name, subdomain: set.spec.serviceName },
      status: { phase: "Pending" },
    });
  }

  private deletePod(set: Obj, pod: Obj): void {
    const policy = set.spec.persistentVolumeClaimRetentionPolicy ?? {};
    const ns = set.metadata.namespace!;
    const ord = ordinalOf(set.metadata.name, pod.metadata.name)!;
    const replicas = set.spec.replicas ?? 1;
    const start = set.spec.ordinals?.start ?? 0;
    const condemned = ord < start || ord >= start + replicas;
    // whenScaled=Delete: a condemned pod's claims become owned by the pod alone (upstream moves the
    // reference from the set to the pod), and go with it.
    if (condemned && policy.whenScaled === "Delete")
      for (const t of set.spec.volumeClaimTemplates ?? []) {
        const claim = this.store.get("persistentvolumeclaims", ns, `${t.metadata.name}-${pod.metadata.name}`);
        if (claim && !claim.metadata.ownerReferences?.some((r) => r.uid === pod.metadata.uid)) {
          claim.metadata.ownerReferences = [
            ...(claim.metadata.ownerReferences ?? []).filter((r) => r.uid !== set.metadata.uid),
            { apiVersion: "v1", kind: "Pod", name: pod.metadata.name, uid: pod.metadata.uid! },
          ];
          this.store.update(PVC, ns, claim);
        }
      }
    this.store.markDeleted(POD, ns, pod.metadata.name);
  }

  reconcile(set: Obj): void {
    if (set.metadata.deletionTimestamp) return;
    const uid = set.metadata.uid!;
    // Revisions are named like ControllerRevisions: <set>-<hash>; pods carry the name in controller-revision-hash.
    const updateRevision = `${set.metadata.name}-${revisionOf(set.spec.template)}`;
    if (!this.revisions.has(uid)) this.revisions.set(uid, new Map());
    this.revisions.get(uid)!.set(updateRevision, structuredClone(set.spec.template));
    const currentRevision: string = set.status?.currentRevision ?? updateRevision;
    const replicas: number = set.spec.replicas ?? 1;
    const start: number = set.spec.ordinals?.start ?? 0;
    const parallel = set.spec.podManagementPolicy === "Parallel";
    const strategy = set.spec.updateStrategy?.type ?? "RollingUpdate";
    const partition: number = set.spec.updateStrategy?.rollingUpdate?.partition ?? 0;
    const minReady: number = set.spec.minReadySeconds ?? 0;
    const now = this.now();
    const pods = this.podsOf(set);
    const revisionOfPod = (p: Obj) => p.metadata.labels?.[REVISION_LABEL];
    const want = Array.from({ length: replicas }, (_, i) => start + i);
    const condemned = [...pods.keys()]
      .filter((o) => o < start || o >= start + replicas)
      .sort((a, b) => b - a);
    const step = (): void => {
      // Create and repair, lowest ordinal first.
      for (const ord of want) {
        const pod = pods.get(ord);
        if (!pod) {
          const rev =
            strategy === "RollingUpdate" && ord < start + partition ? currentRevision : updateRevision;
          this.createPod(set, ord, rev);
          if (!parallel) return;
          continue;
        }
        if (pod.status?.phase === "Failed" && !pod.metadata.deletionTimestamp) {
          this.deletePod(set, pod);
          if (!parallel) return;
          continue;
        }
        if (!parallel && (pod.metadata.deletionTimestamp || !isAvailable(pod, minReady, now))) return;
      }
      // Scale down, highest ordinal first; OrderedReady waits for every pod to be healthy and for each to be gone.
      if (condemned.length > 0) {
        if (parallel) {
          for (const ord of condemned)
            if (!pods.get(ord)!.metadata.deletionTimestamp) this.deletePod(set, pods.get(ord)!);
          return;
        }
        const target = pods.get(condemned[0]!)!;
        if (target.metadata.deletionTimestamp) return;
        if ([...pods.values()].some((p) => p !== target && !isHealthy(p))) return;
        this.deletePod(set, target);
        return;
      }
      // Rolling update: highest ordinal down to the partition, one pod at a time.
      if (strategy === "RollingUpdate") {
        for (const ord of [...want].reverse()) {
          if (ord < start + partition) break;
          const pod = pods.get(ord);
          if (!pod) return;
          if (revisionOfPod(pod) === updateRevision) {
            if (!isHealthy(pod)) return; // wait for the replacement to be Ready
            continue;
          }
          if ([...pods.values()].some((p) => !isHealthy(p))) return;
          this.deletePod(set, pod);
          return;
        }
      }
    };
    step();
    this.writeStatus(set, updateRevision, currentRevision, minReady, now);
    // minReadySeconds: look again when a pod may have become available.
    if (minReady > 0) {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.kick(), 100);
    }
  }

  private writeStatus(
    set0: Obj,
    updateRevision: string,
    currentRevision: string,
    minReady: number,
    now: number,
  ): void {
    const set = this.store.get("statefulsets", set0.metadata.namespace!, set0.metadata.name);
    if (!set || set.metadata.uid !== set0.metadata.uid) return;
    const pods = [...this.podsOf(set).values()];
    const rev = (p: Obj) => p.metadata.labels?.[REVISION_LABEL];
    const replicas = set.spec.replicas ?? 1;
    const status: any = {
      observedGeneration: set.metadata.generation,
      replicas: pods.length,
      readyReplicas: pods.filter(isReady).length,
      availableReplicas: pods.filter((p) => isAvailable(p, minReady, now)).length,
      currentReplicas: pods.filter((p) => rev(p) === currentRevision).length,
      updatedReplicas: pods.filter((p) => rev(p) === updateRevision).length,
      currentRevision,
      updateRevision,
      collisionCount: 0,
    };
    // On completion the current revision becomes the update revision.
    if (
      (set.spec.updateStrategy?.type ?? "RollingUpdate") === "RollingUpdate" &&
      status.updatedReplicas === replicas &&
      status.readyReplicas === replicas &&
      pods.length === replicas
    ) {
      status.currentRevision = updateRevision;
      status.currentReplicas = status.updatedReplicas;
    }
    const same = JSON.stringify(status) === JSON.stringify(set.status);
    if (!same) this.store.update(STS, set.metadata.namespace!, { ...set, status }, "status");
  }
}

/**
 * The garbage collector: deletes dependents whose owners are all gone (background propagation),
 * finishes foreground deletions once no blocking dependent is left, and orphans on request.
 */
export class GarbageCollector {
  private unsubscribe: () => void;

  constructor(private readonly store: Store) {
    this.unsubscribe = store.subscribe((e) => this.onEvent(e));
  }

  stop(): void {
    this.unsubscribe();
  }

  /** Objects in a foreground deletion, by uid: only these need work on every change. */
  private readonly foreground = new Set<string>();

  private allObjects(): { rt: ResourceType; o: Obj }[] {
    return RESOURCES.flatMap((rt) =>
      (this.store.scan(rt.plural) as Obj[]).map((o) => ({ rt, o: structuredClone(o) })),
    );
  }

  private onEvent(e: StoreEvent): void {
    if (e.type === "DELETED") {
      const uid = e.object.metadata.uid!;
      setImmediate(() => {
        for (const { rt, o } of this.allObjects()) {
          const refs = o.metadata.ownerReferences ?? [];
          if (!refs.some((r) => r.uid === uid)) continue;
          const remaining = refs.filter(
            (r) => r.uid !== uid && this.allObjects().some(({ o: x }) => x.metadata.uid === r.uid),
          );
          if (remaining.length === 0) {
            try {
              this.store.markDeleted(rt, o.metadata.namespace!, o.metadata.name);
            } catch {
              // already gone
            }
          }
        }
      });
    }
    // Foreground: an owner marked for deletion with the foregroundDeletion finalizer.
    const uid = e.object.metadata.uid!;
    if (
      e.type !== "DELETED" &&
      e.object.metadata.deletionTimestamp &&
      e.object.metadata.finalizers?.includes("foregroundDeletion")
    )
      this.foreground.add(uid);
    else if (this.foreground.has(uid)) this.foreground.delete(uid);
    if (this.foreground.size > 0) setImmediate(() => this.progressForeground());
  }

  private progressForeground(): void {
    for (const { rt, o } of this.allObjects()) {
      if (!o.metadata.deletionTimestamp || !o.metadata.finalizers?.includes("foregroundDeletion")) continue;
      const dependents = this.allObjects().filter(({ o: d }) =>
        d.metadata.ownerReferences?.some((r) => r.uid === o.metadata.uid),
      );
      for (const { rt: drt, o: d } of dependents)
        if (!d.metadata.deletionTimestamp)
          try {
            this.store.markDeleted(drt, d.metadata.namespace!, d.metadata.name);
          } catch {
            // already gone
          }
      if (dependents.length === 0) {
        o.metadata.finalizers = o.metadata.finalizers.filter((f) => f !== "foregroundDeletion");
        this.store.update(rt, o.metadata.namespace!, {
          ...o,
          metadata: { ...o.metadata, resourceVersion: undefined },
        });
      }
    }
  }

  /** Orphan propagation: dependents lose their reference to the owner. */
  orphan(ownerUid: string): void {
    for (const { rt, o } of this.allObjects()) {
      const refs = o.metadata.ownerReferences ?? [];
      if (!refs.some((r) => r.uid === ownerUid)) continue;
      o.metadata.ownerReferences = refs.filter((r) => r.uid !== ownerUid);
      this.store.update(rt, o.metadata.namespace!, o);
    }
  }
}

/**
 * The kubelet stand-in: pods go Pending -> Running, then Ready after the time the test chose (or
 * never, or crash); deleted pods terminate after their grace period (scaled by `graceScale`).
 */
export class Kubelet {
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly started = new Set<string>();
  private unsubscribe: () => void;

  constructor(
    private readonly store: Store,
    private readonly behavior: (podName: string) => PodBehavior,
    private readonly defaults: { readyAfterMs: number; graceMs: number },
  ) {
    this.unsubscribe = store.subscribe((e) => this.onEvent(e));
  }

  private stopped = false;

  stop(): void {
    this.stopped = true;
    this.unsubscribe();
    for (const t of this.timers) clearTimeout(t);
  }

  private later(ms: number, fn: () => void): void {
    if (ms <= 0) {
      // Immediately after the current event, without a timer's 1 ms minimum.
      setImmediate(() => {
        if (!this.stopped) fn();
      });
      return;
    }
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }

  private key(o: Obj): string {
    return `${o.metadata.namespace}/${o.metadata.name}/${o.metadata.uid}`;
  }

  private onEvent(e: StoreEvent): void {
    if (e.resource !== "pods") return;
    const pod = e.object;
    const k = this.key(pod);
    if (e.type === "DELETED") {
      this.started.delete(k);
      return;
    }
    if (pod.metadata.deletionTimestamp) {
      if (this.started.has(`${k}/terminating`)) return;
      this.started.add(`${k}/terminating`);
      const grace = Math.min(pod.metadata.deletionGracePeriodSeconds ?? 30, 30);
      this.later(grace === 0 ? 0 : this.defaults.graceMs, () => {
        const cur = this.store.get("pods", pod.metadata.namespace!, pod.metadata.name);
        if (cur?.metadata.uid === pod.metadata.uid)
          this.store.remove(POD, pod.metadata.namespace!, pod.metadata.name);
      });
      return;
    }
    if (e.type !== "ADDED" || this.started.has(k)) return;
    this.started.add(k);
    const b = this.behavior(pod.metadata.name);
    // Each transition is scheduled from the previous one, so they happen in order however busy the loop is.
    this.later(0, () => {
      this.setState(pod, "Running", false);
      if (b.crash) {
        this.later(5, () => this.setState(pod, "Running", false, true));
        return;
      }
      if (b.neverReady) return;
      this.later(b.readyAfterMs ?? this.defaults.readyAfterMs, () => {
        this.setState(pod, "Running", true);
        if (b.unreadyAfterMs !== undefined)
          this.later(b.unreadyAfterMs, () => this.setState(pod, "Running", false));
      });
    });
  }

  /** Sets a pod's Ready condition now (tests: a pod turning unhealthy, or healthy again). */
  setReady(namespace: string, name: string, ready: boolean): void {
    const pod = this.store.get("pods", namespace, name);
    if (pod) this.setState(pod, "Running", ready);
  }

  private setState(pod0: Obj, phase: string, ready: boolean, crashed = false): void {
    const pod = this.store.get("pods", pod0.metadata.namespace!, pod0.metadata.name);
    if (!pod || pod.metadata.uid !== pod0.metadata.uid || pod.metadata.deletionTimestamp) return;
    const now = new Date().toISOString();
    const prev = new Map<string, any>((pod.status?.conditions ?? []).map((c: any) => [c.type, c]));
    const cond = (type: string, status: boolean) => {
      const s = status ? "True" : "False";
      const old = prev.get(type);
      return { type, status: s, lastTransitionTime: old && old.status === s ? old.lastTransitionTime : now };
    };
    const name = pod.spec.containers?.[0]?.name ?? "main";
    const restarts = (pod.status?.containerStatuses?.[0]?.restartCount ?? 0) + (crashed ? 1 : 0);
    pod.status = {
      phase,
      conditions: [
        cond("PodScheduled", true),
        cond("Initialized", true),
        cond("ContainersReady", ready),
        cond("Ready", ready),
      ],
      containerStatuses: [
        {
          name,
          ready,
          restartCount: restarts,
          image: pod.spec.containers?.[0]?.image,
          state: crashed
            ? { waiting: { reason: "CrashLoopBackOff", message: "back-off restarting failed container" } }
            : { running: { startedAt: now } },
          ...(crashed
            ? { lastState: { terminated: { exitCode: 1, reason: "Error", finishedAt: now } } }
            : {}),
        },
      ],
      startTime: pod.status?.startTime ?? now,
    };
    this.store.update(POD, pod.metadata.namespace!, pod, "status");
  }
}
