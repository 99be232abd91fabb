/**
 * Pod predicates and StatefulSet identity helpers, as upstream defines them in
 * pkg/controller/statefulset/stateful_set_utils.go and pkg/api/v1/pod/util.go.
 */
import type { Obj, OwnerRef } from "./store";

export const REVISION_LABEL = "controller-revision-hash";
export const POD_NAME_LABEL = "statefulset.kubernetes.io/pod-name";
export const POD_INDEX_LABEL = "apps.kubernetes.io/pod-index";

/**
 * getParentNameAndOrdinal: `<parent>-<ordinal>`. Upstream's pattern `(.*)-([0-9]+)$` also takes leading zeros
 * ("web-01" has ordinal 1, and then fails identityMatches); here such a name has no ordinal.
 */
export function parentAndOrdinal(podName: string): { parent: string; ordinal: number } | undefined {
  const m = /^(.*)-(0|[1-9][0-9]*)$/.exec(podName);
  return m ? { parent: m[1]!, ordinal: Number(m[2]) } : undefined;
}

/** The ordinal of a pod of set `setName`, or undefined when the pod is not named after the set. */
export function ordinalOf(setName: string, podName: string): number | undefined {
  const p = parentAndOrdinal(podName);
  return p && p.parent === setName ? p.ordinal : undefined;
}

/** podutil.IsPodReady: the Ready condition is True. */
export function isReady(pod: Obj): boolean {
  return (pod.status?.conditions ?? []).some((c: any) => c.type === "Ready" && c.status === "True");
}

export function isCreated(pod: Obj): boolean {
  return !!pod.status?.phase;
}

export function isTerminating(pod: Obj): boolean {
  return !!pod.metadata.deletionTimestamp;
}

export function isRunningAndReady(pod: Obj): boolean {
  return pod.status?.phase === "Running" && isReady(pod);
}

/** isHealthy: Running and Ready, and not terminating. */
export function isHealthy(pod: Obj): boolean {
  return isRunningAndReady(pod) && !isTerminating(pod);
}

/** When a Ready pod becomes available (Ready for longer than minReadySeconds), in epoch ms; undefined if not Ready. */
export function availableAt(pod: Obj, minReadySeconds: number): number | undefined {
  if (!isReady(pod)) return undefined;
  if (minReadySeconds <= 0) return Number.NEGATIVE_INFINITY;
  const c = pod.status.conditions.find((x: any) => x.type === "Ready");
  const t = Date.parse(c?.lastTransitionTime ?? "");
  return Number.isNaN(t) ? undefined : t + minReadySeconds * 1000;
}

/** podutil.IsPodAvailable: Ready, and for longer than minReadySeconds (strictly, as `Before(now)`). */
export function isAvailable(pod: Obj, minReadySeconds: number, now: number): boolean {
  const at = availableAt(pod, minReadySeconds);
  return at !== undefined && (minReadySeconds <= 0 || at < now);
}

/** metav1.GetControllerOf. */
export function controllerOf(o: Obj): OwnerRef | undefined {
  return o.metadata.ownerReferences?.find((r) => r.controller);
}

/** metav1.NewControllerRef. */
export function controllerRef(owner: Obj, apiVersion: string, kind: string): OwnerRef {
  return {
    apiVersion,
    kind,
    name: owner.metadata.name,
    uid: owner.metadata.uid!,
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** Whether a pod's container is running (not waiting after a crash). */
export function containerRunning(pod: Obj, container: string): boolean {
  if (pod.status?.phase !== "Running") return false;
  const s = (pod.status?.containerStatuses ?? []).find((c: any) => c.name === container);
  return !!s?.state?.running;
}
