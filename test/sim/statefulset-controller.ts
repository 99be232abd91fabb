/**
 * The StatefulSet controller, after upstream's pkg/controller/statefulset: stateful_set.go (claiming pods),
 * stateful_set_control.go (updateStatefulSet: processReplica, processCondemned, the rolling update, status),
 * stateful_pod_control.go (creating pods and claims, claim retention) and stateful_set_utils.go (the predicates
 * and the claim owner-reference rules). It runs in-process against the Store and reacts to its events.
 *
 * Simplified, on purpose: revisions are kept in memory (no ControllerRevision objects; a revision is named
 * `<set>-<hash of the template>`); the MaxUnavailableStatefulSet feature is off (maxUnavailable is ignored); a pod
 * whose volumes do not match the claim templates is not "repaired" (upstream's update of pod volumes would be
 * refused anyway); errors are retried after 100 ms rather than with upstream's exponential backoff; burst mode
 * (Parallel) acts on all pods in one pass rather than in slow-start batches.
 */
import { createHash } from "node:crypto";
import { ApiError } from "./errors";
import { labelSelectorMatcher } from "./patch";
import {
  availableAt,
  controllerOf,
  controllerRef,
  isAvailable,
  isCreated,
  isHealthy,
  isRunningAndReady,
  isTerminating,
  ordinalOf,
  POD_INDEX_LABEL,
  POD_NAME_LABEL,
  parentAndOrdinal,
  REVISION_LABEL,
} from "./pod-util";
import { type Obj, type OwnerRef, RT, type Store } from "./store";

const POD = RT.pods!;
const PVC = RT.persistentvolumeclaims!;
const STS = RT.statefulsets!;

const SET_KIND = { apiVersion: "apps/v1", kind: "StatefulSet" };
const POD_KIND = { apiVersion: "v1", kind: "Pod" };

/** The revision hash of a pod template (upstream hashes the ControllerRevision data; 10 hex digits here). */
export function revisionOf(template: unknown): string {
  return createHash("sha256").update(JSON.stringify(template)).digest("hex").slice(0, 10);
}

type Policy = { whenDeleted: string; whenScaled: string };

/** getPersistentVolumeClaimRetentionPolicy: Retain/Retain unless set. */
function retentionPolicy(set: Obj): Policy {
  const p = set.spec.persistentVolumeClaimRetentionPolicy ?? {};
  return { whenDeleted: p.whenDeleted || "Retain", whenScaled: p.whenScaled || "Retain" };
}

/** A pod as the claim rules see it: a real one, or the one about to be created (no uid yet). */
type PodLike = { metadata: { name: string; uid?: string } };

function inRange(set: Obj, ordinal: number): boolean {
  const start = set.spec.ordinals?.start ?? 0;
  return ordinal >= start && ordinal < start + (set.spec.replicas ?? 1);
}

// --- Claim owner references (stateful_set_utils.go: isClaimOwnerUpToDate, updateClaimOwnerRefForSetAndPod) ---

const matchesRef = (ref: OwnerRef, obj: PodLike, kind: typeof SET_KIND) =>
  ref.apiVersion === kind.apiVersion && ref.kind === kind.kind && ref.name === obj.metadata.name;

/** A reference to an object of that kind and name, but another uid: left by an earlier incarnation. */
function hasStaleOwnerRef(claim: Obj, obj: PodLike, kind: typeof SET_KIND): boolean {
  const ref = (claim.metadata.ownerReferences ?? []).find((r) => matchesRef(r, obj, kind));
  return ref !== undefined && ref.uid !== obj.metadata.uid;
}

const hasOwnerRef = (claim: Obj, owner: PodLike) =>
  !!owner.metadata.uid && (claim.metadata.ownerReferences ?? []).some((r) => r.uid === owner.metadata.uid);

/** Another controller owns the claim (ignored when the policy is Retain/Retain). */
function hasUnexpectedController(claim: Obj, set: Obj, pod: PodLike): boolean {
  const policy = retentionPolicy(set);
  if (policy.whenScaled === "Retain" && policy.whenDeleted === "Retain") return false;
  for (const ref of claim.metadata.ownerReferences ?? []) {
    if (matchesRef(ref, set, SET_KIND)) {
      if (ref.uid !== set.metadata.uid) return true;
      continue;
    }
    if (matchesRef(ref, pod, POD_KIND)) {
      if (ref.uid !== pod.metadata.uid) return true;
      continue;
    }
    if (ref.controller) return true;
  }
  return false;
}

function hasNonControllerOwner(claim: Obj, set: Obj, pod: PodLike): boolean {
  return (claim.metadata.ownerReferences ?? []).some(
    (r) =>
      (r.uid === set.metadata.uid || (!!pod.metadata.uid && r.uid === pod.metadata.uid)) && !r.controller,
  );
}

/**
 * Whether the claim's references match the policy: Retain/Retain none; Retain/Delete (whenScaled/whenDeleted)
 * the set; Delete/Retain the pod once it is scaled down; Delete/Delete the set while the pod is in range, the pod
 * once it is not. Stale references or a foreign controller: left alone (reported up to date).
 */
function isClaimOwnerUpToDate(claim: Obj, set: Obj, pod: PodLike, ordinal: number): boolean {
  if (hasStaleOwnerRef(claim, set, SET_KIND) || hasStaleOwnerRef(claim, pod, POD_KIND)) return true;
  if (hasUnexpectedController(claim, set, pod)) return !(hasOwnerRef(claim, set) || hasOwnerRef(claim, pod));
  if (hasNonControllerOwner(claim, set, pod)) return false;
  const policy = retentionPolicy(set);
  const scaledDown = !inRange(set, ordinal);
  const setRef = hasOwnerRef(claim, set);
  const podRef = hasOwnerRef(claim, pod);
  if (policy.whenScaled === "Delete" && policy.whenDeleted === "Delete")
    return scaledDown !== setRef && scaledDown === podRef;
  if (policy.whenScaled === "Delete") return !setRef && scaledDown === podRef;
  if (policy.whenDeleted === "Delete") return setRef && !podRef;
  return !setRef && !podRef;
}

/** Scrubs the set's and pod's references and adds the controller references the policy calls for. */
function updateClaimOwnerRefs(claim: Obj, set: Obj, pod: PodLike, ordinal: number): void {
  const unexpected = hasUnexpectedController(claim, set, pod);
  let refs = (claim.metadata.ownerReferences ?? []).filter(
    (r) => !matchesRef(r, set, SET_KIND) && !matchesRef(r, pod, POD_KIND),
  );
  if (!unexpected) {
    const policy = retentionPolicy(set);
    const scaledDown = !inRange(set, ordinal);
    const add = (owner: Obj, kind: typeof SET_KIND) => {
      if (!refs.some((r) => r.uid === owner.metadata.uid))
        refs = [...refs, controllerRef(owner, kind.apiVersion, kind.kind)];
    };
    if (policy.whenScaled === "Delete" && scaledDown && pod.metadata.uid) add(pod as Obj, POD_KIND);
    if (policy.whenDeleted === "Delete" && (policy.whenScaled !== "Delete" || !scaledDown))
      add(set, SET_KIND);
  }
  claim.metadata.ownerReferences = refs;
}

/**
 * The StatefulSet controller. Pods `<set>-<ordinal>` get the template's labels plus pod-name, pod-index and
 * controller-revision-hash, hostname = pod name, subdomain = serviceName, and one controller ownerReference.
 * Claims are created before their pod and reused.
 */
export class StatefulSetController {
  /** Templates by set uid and revision, so pods below a partition keep the current revision. */
  private readonly revisions = new Map<string, Map<string, unknown>>();
  /** Per set uid: a sync due later (minReadySeconds, or a retry after an error). */
  private readonly requeues = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private readonly derivedCache = new Map<
    string,
    { key: string; selects: (labels: Record<string, string> | undefined) => boolean; revision: string }
  >();
  private pending = false;
  private stopped = false;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly store: Store,
    private readonly now: () => number = Date.now,
  ) {
    this.unsubscribe = store.subscribe((e) => {
      if (e.resource === "statefulsets" || e.resource === "pods" || e.resource === "persistentvolumeclaims")
        this.kick();
    });
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe();
    for (const { timer } of this.requeues.values()) clearTimeout(timer);
    this.requeues.clear();
  }

  /** Schedules a sync of every set (coalesced). */
  kick(): void {
    if (this.pending || this.stopped) return;
    this.pending = true;
    setImmediate(() => {
      this.pending = false;
      if (this.stopped) return;
      for (const set of this.store.scan("statefulsets") as Obj[]) this.sync(structuredClone(set));
    });
  }

  private requeueAt(uid: string, at: number): void {
    const existing = this.requeues.get(uid);
    if (existing && existing.at <= at) return;
    if (existing) clearTimeout(existing.timer);
    const timer = setTimeout(
      () => {
        this.requeues.delete(uid);
        this.kick();
      },
      Math.max(1, at - this.now()),
    );
    this.requeues.set(uid, { at, timer });
  }

  private sync(set: Obj): void {
    try {
      this.syncSet(set);
    } catch (err) {
      // Upstream requeues a failed sync with rate-limited backoff; a fixed short delay here.
      if (err instanceof ApiError) this.requeueAt(set.metadata.uid!, this.now() + 100);
      else throw err;
    }
  }

  /**
   * getPodsForStatefulSet / ClaimPods (pkg/controller/controller_ref_manager.go): a pod named after the set and
   * matching its selector is the set's; an orphan like that is adopted (controller reference added) unless it or
   * the set is being deleted; an owned pod that no longer matches is released.
   */
  private claimPods(set: Obj): Readonly<Obj>[] {
    const ns = set.metadata.namespace!;
    const uid = set.metadata.uid!;
    const deleting = isTerminating(set);
    const selects = this.derived(set).selects;
    // The stored objects themselves (read-only here): copied only where written.
    const claimed: Readonly<Obj>[] = [];
    for (const p of this.store.scan("pods", ns) as Obj[]) {
      const matches =
        ordinalOf(set.metadata.name, p.metadata.name) !== undefined && selects(p.metadata.labels);
      const ref = controllerOf(p);
      if (ref) {
        if (ref.uid !== uid) continue;
        if (matches) claimed.push(p);
        else if (!deleting) {
          const pod = structuredClone(p);
          pod.metadata.ownerReferences = pod.metadata.ownerReferences!.filter((r) => r.uid !== uid);
          this.store.update(POD, ns, pod);
        }
        continue;
      }
      if (deleting || !matches || isTerminating(p)) continue;
      // canAdoptFunc: adopt only if the set read afresh is the same one and not being deleted.
      const fresh = this.store.peek("statefulsets", ns, set.metadata.name);
      if (!fresh || fresh.metadata.uid !== uid || isTerminating(fresh)) continue;
      const pod = structuredClone(p);
      pod.metadata.ownerReferences = [
        ...(pod.metadata.ownerReferences ?? []).filter((r) => r.uid !== uid),
        controllerRef(set, SET_KIND.apiVersion, SET_KIND.kind),
      ];
      claimed.push(this.store.update(POD, ns, pod));
    }
    return claimed;
  }

  /** What a set's spec implies, computed once per generation (the spec changes only with the generation). */
  private derived(set: Obj): {
    selects: (labels: Record<string, string> | undefined) => boolean;
    revision: string;
  } {
    const key = `${set.metadata.uid}/${set.metadata.generation}`;
    let d = this.derivedCache.get(set.metadata.uid!);
    if (d?.key !== key) {
      d = { key, selects: labelSelectorMatcher(set.spec.selector), revision: revisionOf(set.spec.template) };
      this.derivedCache.set(set.metadata.uid!, d);
    }
    return d;
  }

  private template(set: Obj, revision: string): any {
    return this.revisions.get(set.metadata.uid!)?.get(revision) ?? set.spec.template;
  }

  private claimName(set: Obj, template: any, ordinal: number): string {
    return `${template.metadata.name}-${set.metadata.name}-${ordinal}`;
  }

  /**
   * createPersistentVolumeClaims: each missing claim from its template, labelled with the template's labels and
   * the selector's matchLabels. There is no volume provisioner: a new claim is Bound at once.
   */
  private createClaims(set: Obj, ordinal: number): void {
    const ns = set.metadata.namespace!;
    for (const t of set.spec.volumeClaimTemplates ?? []) {
      const name = this.claimName(set, t, ordinal);
      if (this.store.peek("persistentvolumeclaims", ns, name)) continue;
      this.store.create(PVC, ns, {
        metadata: {
          name,
          labels: { ...t.metadata?.labels, ...set.spec.selector?.matchLabels },
          ...(t.metadata?.annotations ? { annotations: { ...t.metadata.annotations } } : {}),
        },
        spec: structuredClone(t.spec),
        status: { phase: "Bound" },
      });
    }
  }

  /** ClaimsMatchRetentionPolicy: every existing claim of the pod has the references the policy calls for. */
  private claimsMatchRetentionPolicy(set: Obj, pod: PodLike, ordinal: number): boolean {
    for (const t of set.spec.volumeClaimTemplates ?? []) {
      const claim = this.store.peek(
        "persistentvolumeclaims",
        set.metadata.namespace!,
        this.claimName(set, t, ordinal),
      );
      if (claim && !isClaimOwnerUpToDate(claim as Obj, set, pod, ordinal)) return false;
    }
    return true;
  }

  /** UpdatePodClaimForRetentionPolicy: rewrites the references of each claim that is not up to date. */
  private updateClaimsForRetentionPolicy(set: Obj, pod: PodLike, ordinal: number): void {
    const ns = set.metadata.namespace!;
    for (const t of set.spec.volumeClaimTemplates ?? []) {
      const stored = this.store.peek("persistentvolumeclaims", ns, this.claimName(set, t, ordinal));
      if (!stored || isClaimOwnerUpToDate(stored as Obj, set, pod, ordinal)) continue;
      const claim = structuredClone(stored) as Obj;
      updateClaimOwnerRefs(claim, set, pod, ordinal);
      this.store.update(PVC, ns, claim);
    }
  }

  /** PodClaimIsStale: with whenScaled=Delete, a claim still referring to an earlier pod of that name blocks creation. */
  private podClaimIsStale(set: Obj, ordinal: number): boolean {
    if (retentionPolicy(set).whenScaled === "Retain") return false;
    const placeholder: PodLike = { metadata: { name: `${set.metadata.name}-${ordinal}` } };
    return (set.spec.volumeClaimTemplates ?? []).some((t: any) => {
      const claim = this.store.peek(
        "persistentvolumeclaims",
        set.metadata.namespace!,
        this.claimName(set, t, ordinal),
      );
      return claim !== undefined && hasStaleOwnerRef(claim as Obj, placeholder, POD_KIND);
    });
  }

  /** CreateStatefulPod: claims first, then the pod from the revision's template, then the claims' references. */
  private createPod(set: Obj, ordinal: number, revision: string): Obj {
    this.createClaims(set, ordinal);
    const tmpl = structuredClone(this.template(set, revision));
    const name = `${set.metadata.name}-${ordinal}`;
    const volumes = [
      ...(tmpl.spec.volumes ?? []),
      ...(set.spec.volumeClaimTemplates ?? []).map((t: any) => ({
        name: t.metadata.name,
        persistentVolumeClaim: { claimName: this.claimName(set, t, ordinal) },
      })),
    ];
    const pod = this.store.create(POD, set.metadata.namespace!, {
      metadata: {
        name,
        labels: {
          ...tmpl.metadata?.labels,
          [POD_NAME_LABEL]: name,
          [POD_INDEX_LABEL]: String(ordinal),
          [REVISION_LABEL]: revision,
        },
        annotations: { ...tmpl.metadata?.annotations },
        ...(tmpl.metadata?.finalizers ? { finalizers: [...tmpl.metadata.finalizers] } : {}),
        ownerReferences: [controllerRef(set, SET_KIND.apiVersion, SET_KIND.kind)],
      },
      spec: { ...tmpl.spec, volumes, hostname: name, subdomain: set.spec.serviceName },
      status: { phase: "Pending" },
    });
    this.updateClaimsForRetentionPolicy(set, pod, ordinal);
    return pod;
  }

  private deletePod(pod: Obj): void {
    this.store.markDeleted(POD, pod.metadata.namespace!, pod.metadata.name);
  }

  /** identityMatches: the pod-name label names the pod (updateIdentity also sets the pod-index label). */
  private fixIdentity(set: Obj, stored: Readonly<Obj>, ordinal: number): void {
    if (stored.metadata.labels?.[POD_NAME_LABEL] === stored.metadata.name) return;
    const pod = structuredClone(stored) as Obj;
    pod.metadata.labels = {
      ...pod.metadata.labels,
      [POD_NAME_LABEL]: pod.metadata.name,
      [POD_INDEX_LABEL]: String(ordinal),
    };
    this.store.update(POD, set.metadata.namespace!, pod);
  }

  private syncSet(set: Obj): void {
    const uid = set.metadata.uid!;
    const name = set.metadata.name;
    // Revisions are named like ControllerRevisions: <set>-<hash>; pods carry the name in controller-revision-hash.
    const updateRevision = `${name}-${this.derived(set).revision}`;
    if (!this.revisions.has(uid)) this.revisions.set(uid, new Map());
    const known = this.revisions.get(uid)!;
    known.set(updateRevision, structuredClone(set.spec.template));
    // getStatefulSetRevisions: a current revision that names no known revision starts over at the update revision.
    const currentRevision: string =
      set.status?.currentRevision && known.has(set.status.currentRevision)
        ? set.status.currentRevision
        : updateRevision;

    const pods = this.claimPods(set);
    if (!isTerminating(set)) this.updateStatefulSet(set, pods, currentRevision, updateRevision);
    this.writeStatus(set, currentRevision, updateRevision);
  }

  /** updateStatefulSet (stateful_set_control.go), minus the status, which writeStatus computes afterwards. */
  private updateStatefulSet(
    set: Obj,
    pods: readonly Readonly<Obj>[],
    currentRevision: string,
    updateRevision: string,
  ): void {
    const start: number = set.spec.ordinals?.start ?? 0;
    const count: number = set.spec.replicas ?? 1;
    const minReady: number = set.spec.minReadySeconds ?? 0;
    const monotonic = set.spec.podManagementPolicy !== "Parallel";
    const strategy = set.spec.updateStrategy?.type ?? "RollingUpdate";
    const rolling = set.spec.updateStrategy?.rollingUpdate;
    const now = this.now();
    const ordinal = (p: Obj) => parentAndOrdinal(p.metadata.name)!.ordinal;

    // replicas: one slot per ordinal in range (a pod, or none yet); condemned: the others, highest first.
    const slots: { ordinal: number; pod?: Obj }[] = Array.from({ length: count }, (_, i) => ({
      ordinal: start + i,
    }));
    const condemned: Obj[] = [];
    for (const p of pods) {
      const o = ordinal(p);
      if (o >= start && o < start + count) slots[o - start]!.pod = p;
      else condemned.push(p);
    }
    condemned.sort((a, b) => ordinal(b) - ordinal(a));

    // The first unhealthy pod: the lowest in range (a missing pod counts), else the lowest condemned one.
    let firstUnhealthy: Obj | "missing" | undefined;
    for (const s of slots)
      if (!s.pod || !isHealthy(s.pod)) {
        firstUnhealthy = s.pod ?? "missing";
        break;
      }
    if (firstUnhealthy === undefined) firstUnhealthy = [...condemned].reverse().find((p) => !isHealthy(p));
    const isFirstUnhealthy = (p: Obj) =>
      typeof firstUnhealthy === "object" && firstUnhealthy.metadata.uid === p.metadata.uid;

    // newVersionedStatefulSetPod: below the partition, the current revision.
    const revisionFor = (o: number) =>
      strategy === "RollingUpdate" &&
      ((rolling === undefined && o < start + (set.status?.currentReplicas ?? 0)) ||
        (rolling !== undefined && o < start + (rolling.partition ?? 0)))
        ? currentRevision
        : updateRevision;

    // processReplica: returns true when, in monotonic mode, nothing further may happen in this sync.
    const processReplica = (slot: (typeof slots)[number]): boolean => {
      let pod = slot.pod;
      // Failed or Succeeded pods are deleted; the next sync recreates them once they are gone.
      if (pod && (pod.status?.phase === "Failed" || pod.status?.phase === "Succeeded")) {
        if (!isTerminating(pod)) this.deletePod(pod);
        return true;
      }
      if (!pod) {
        if (this.podClaimIsStale(set, slot.ordinal)) return true;
        pod = slot.pod = this.createPod(set, slot.ordinal, revisionFor(slot.ordinal));
        if (monotonic) return true;
      }
      if (pod.status?.phase === "Pending") {
        this.createClaims(set, slot.ordinal);
        this.updateClaimsForRetentionPolicy(set, pod, slot.ordinal);
      }
      if (monotonic && isTerminating(pod)) return true;
      if (monotonic && !isRunningAndReady(pod)) return true;
      if (monotonic && !isAvailable(pod, minReady, now)) return true;
      // Enforce the invariants: identity and claim references.
      this.fixIdentity(set, pod, slot.ordinal);
      if (!this.claimsMatchRetentionPolicy(set, pod, slot.ordinal))
        this.updateClaimsForRetentionPolicy(set, pod, slot.ordinal);
      return false;
    };
    let stop = false;
    for (const slot of slots) {
      if (processReplica(slot) && monotonic) {
        stop = true;
        break;
      }
    }
    if (stop) return;

    // Fix the claims of condemned pods (e.g. whenScaled=Delete: the pod becomes their controller).
    for (const p of condemned)
      if (!this.claimsMatchRetentionPolicy(set, p, ordinal(p)))
        this.updateClaimsForRetentionPolicy(set, p, ordinal(p));

    // processCondemned: in monotonic mode all replicas are Running, Ready and available here; condemned pods go
    // highest first, one per sync; a terminating one blocks; an unhealthy one blocks unless it is the first
    // unhealthy pod. Burst mode deletes every condemned pod not already terminating.
    for (const p of condemned) {
      if (isTerminating(p)) {
        if (monotonic) return;
        continue;
      }
      if (monotonic && !isFirstUnhealthy(p) && (!isRunningAndReady(p) || !isAvailable(p, minReady, now)))
        return;
      this.deletePod(p);
      if (monotonic) return;
    }

    // OnDelete: pods are updated when someone deletes them.
    if (strategy !== "RollingUpdate") return;
    // Rolling update: from the highest ordinal down to the partition, delete one pod on another revision, then
    // wait for its replacement to be healthy.
    const updateMin = rolling?.partition ?? 0;
    for (let i = slots.length - 1; i >= updateMin; i--) {
      const pod = slots[i]!.pod;
      if (!pod) return;
      if (pod.metadata.labels?.[REVISION_LABEL] !== updateRevision && !isTerminating(pod)) {
        this.deletePod(pod);
        return;
      }
      if (!isHealthy(pod)) return;
    }
  }

  /**
   * The status (computeReplicaStatus, completeRollingUpdate): replicas counts created pods, terminating ones
   * included; readyReplicas the Running and Ready ones; availableReplicas those Ready for longer than
   * minReadySeconds; currentReplicas and updatedReplicas leave terminating pods out. Computed from the pods as they
   * are after this sync's own writes (upstream's next sync would write the same). Schedules a sync for when a Ready
   * pod becomes available.
   */
  private writeStatus(set0: Obj, currentRevision: string, updateRevision: string): void {
    const ns = set0.metadata.namespace!;
    const set = this.store.peek("statefulsets", ns, set0.metadata.name);
    if (!set || set.metadata.uid !== set0.metadata.uid) return;
    const minReady: number = set0.spec.minReadySeconds ?? 0;
    const now = this.now();
    const pods = (this.store.scan("pods", ns) as Obj[]).filter(
      (p) =>
        controllerOf(p)?.uid === set.metadata.uid &&
        ordinalOf(set.metadata.name, p.metadata.name) !== undefined,
    );
    const rev = (p: Obj) => p.metadata.labels?.[REVISION_LABEL];
    const live = pods.filter((p) => isCreated(p) && !isTerminating(p));
    const replicas = set0.spec.replicas ?? 1;
    const status: any = {
      observedGeneration: set0.metadata.generation,
      replicas: pods.filter(isCreated).length,
      readyReplicas: pods.filter(isRunningAndReady).length,
      availableReplicas: pods.filter((p) => isRunningAndReady(p) && isAvailable(p, minReady, now)).length,
      currentReplicas: live.filter((p) => rev(p) === currentRevision).length,
      updatedReplicas: live.filter((p) => rev(p) === updateRevision).length,
      currentRevision,
      updateRevision,
      collisionCount: 0,
    };
    if (
      (set0.spec.updateStrategy?.type ?? "RollingUpdate") === "RollingUpdate" &&
      status.updatedReplicas === replicas &&
      status.readyReplicas === replicas &&
      status.replicas === replicas
    ) {
      status.currentRevision = updateRevision;
      status.currentReplicas = status.updatedReplicas;
    }
    if (JSON.stringify(status) !== JSON.stringify(set.status))
      this.store.update(STS, ns, { ...(set as Obj), status }, "status");
    // minReadySeconds: look again when the next Ready pod becomes available.
    if (minReady > 0) {
      const next = Math.min(
        ...pods.map((p) => availableAt(p, minReady) ?? Number.POSITIVE_INFINITY).filter((t) => t >= now),
      );
      if (Number.isFinite(next)) this.requeueAt(set.metadata.uid!, next + 5);
    }
  }
}
