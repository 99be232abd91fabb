/**
 * The rollout provider's decisions as pure functions of what it observed: is a scale-down safe,
 * how far a rollout has got, what the next teardown step is, which claims may ever be deleted.
 * No I/O here; sdk/rollout/provider.ts feeds these from the cluster.
 */
import type { V1ContainerState, V1Pod } from "@kubernetes/client-node";
import { claimName, ordinalOf } from "../naming";

/** What the provider needs to know of one pod. */
export interface PodView {
  name: string;
  ordinal: number;
  phase: string;
  ready: boolean;
  terminating: boolean;
  /** The pod's `controller-revision-hash` label. */
  revision?: string;
  conditions: { type: string; status: string; reason?: string; message?: string }[];
  /** `running`, `waiting (CrashLoopBackOff: ...)`, `terminated (Error, exit 1)`... */
  containerState?: string;
  lastContainerState?: string;
  restarts: number;
}

/** What the provider needs to know of the set. */
export interface SetView {
  name: string;
  /** `spec.replicas` */
  replicas: number;
  ordinalsStart: number;
  updateStrategy: "RollingUpdate" | "OnDelete";
  partition: number;
  podManagementPolicy: "OrderedReady" | "Parallel";
  generation: number;
  observedGeneration: number;
  updateRevision?: string;
  currentRevision?: string;
}

/** Converts a Kubernetes pod object into a PodView, or undefined when it is not one of the set's ordinals. */
export function podView(setName: string, pod: V1Pod | undefined): PodView | undefined {
  const name = pod?.metadata?.name ?? "";
  const ordinal = ordinalOf(setName, name);
  if (!pod || ordinal === undefined) return undefined;
  const conditions = (pod.status?.conditions ?? []).map((c) => ({
    type: c.type,
    status: c.status,
    ...(c.reason ? { reason: c.reason } : {}),
    ...(c.message ? { message: c.message } : {}),
  }));
  const cs = pod.status?.containerStatuses?.[0];
  return {
    name,
    ordinal,
    phase: pod.status?.phase ?? "Pending",
    ready: conditions.some((c) => c.type === "Ready" && c.status === "True"),
    terminating: Boolean(pod.metadata?.deletionTimestamp),
    revision: pod.metadata?.labels?.["controller-revision-hash"],
    conditions,
    containerState: describeState(cs?.state),
    lastContainerState: describeState(cs?.lastState),
    restarts: cs?.restartCount ?? 0,
  };
}

function describeState(s: V1ContainerState | undefined): string | undefined {
  if (!s) return undefined;
  if (s.running) return "running";
  if (s.waiting) return `waiting (${[s.waiting.reason, s.waiting.message].filter(Boolean).join(": ")})`;
  if (s.terminated)
    return `terminated (${[s.terminated.reason, s.terminated.exitCode !== undefined ? `exit ${s.terminated.exitCode}` : undefined].filter(Boolean).join(", ")})`;
  return undefined;
}

/** `zk-1: phase Running, Ready=False (ContainersNotReady), container waiting (CrashLoopBackOff), last terminated (Error, exit 1), 3 restarts` */
export function describePod(p: PodView): string {
  const conds = p.conditions
    .filter((c) => c.type === "Ready" || c.type === "ContainersReady" || c.status !== "True")
    .map((c) => `${c.type}=${c.status}${c.reason ? ` (${c.reason})` : ""}`);
  return [
    `${p.name}: phase ${p.phase}${p.terminating ? " (terminating)" : ""}`,
    conds.length > 0 ? `conditions ${conds.join(", ")}` : "no conditions",
    p.containerState ? `container ${p.containerState}` : undefined,
    p.lastContainerState ? `last ${p.lastContainerState}` : undefined,
    p.restarts > 0 ? `${p.restarts} restarts` : undefined,
  ]
    .filter(Boolean)
    .join(", ");
}

function range(start: number, count: number): number[] {
  return Array.from({ length: Math.max(0, count) }, (_, i) => start + i);
}

/**
 * Why scaling `setName` down from `currentReplicas` is refused, or undefined when every pod of
 * the set is Ready. A missing pod of the current range counts as unhealthy.
 */
export function scaleDownRefusal(
  setName: string,
  pods: readonly PodView[],
  currentReplicas: number,
  ordinalsStart: number,
  targetReplicas: number,
): string | undefined {
  const byOrdinal = new Map(pods.map((p) => [p.ordinal, p]));
  const problems: string[] = [];
  for (const ord of range(ordinalsStart, currentReplicas)) {
    const p = byOrdinal.get(ord);
    if (!p) problems.push(`${setName}-${ord}: missing`);
    else if (!p.ready || p.terminating) problems.push(describePod(p));
  }
  for (const p of pods)
    if (p.ordinal >= ordinalsStart + currentReplicas || p.ordinal < ordinalsStart)
      problems.push(`${describePod(p)} (outside the set's current range)`);
  if (problems.length === 0) return undefined;
  return [
    `refusing to scale StatefulSet "${setName}" from ${currentReplicas} to ${targetReplicas}: every pod must be Ready before a scale-down, and ${problems.length === 1 ? "this one is" : `these ${problems.length} are`} not:`,
    ...problems.map((p) => `  - ${p}`),
    "Nothing was changed. Fix the pods (or wait for them) and run the update again.",
  ].join("\n");
}

/** Where a rollout to `set.replicas` stands. */
export interface RolloutState {
  done: boolean;
  /** Ordinals Ready (and, where required, on the update revision), ascending. */
  ready: number[];
  /** The pod (or missing ordinal) the rollout waits on, lowest first. */
  waitingOn?: { ordinal: number; pod?: PodView; reason: string };
  /** Pods above the target still present (a scale-down in progress). */
  leaving: number[];
  /** OnDelete: pods on an old revision that only the user can replace. */
  stale: string[];
}

/**
 * Judges a rollout: every ordinal in range Ready, on the update revision where the strategy will
 * put it there (ordinals >= partition for RollingUpdate), nothing above the range left, and the
 * controller has seen the latest spec.
 */
export function rolloutState(set: SetView, pods: readonly PodView[]): RolloutState {
  const byOrdinal = new Map(pods.map((p) => [p.ordinal, p]));
  const want = range(set.ordinalsStart, set.replicas);
  const leaving = pods
    .filter((p) => p.ordinal < set.ordinalsStart || p.ordinal >= set.ordinalsStart + set.replicas)
    .map((p) => p.ordinal)
    .sort((a, b) => b - a);
  const updateRev = set.updateRevision;
  const ready: number[] = [];
  const stale: string[] = [];
  let waitingOn: RolloutState["waitingOn"];
  for (const ord of want) {
    const p = byOrdinal.get(ord);
    const mustUpdate =
      set.updateStrategy === "RollingUpdate" &&
      ord >= set.ordinalsStart + set.partition &&
      updateRev !== undefined;
    let reason: string | undefined;
    if (!p) reason = "not created yet";
    else if (p.terminating) reason = "terminating";
    else if (!p.ready) reason = "not Ready";
    else if (mustUpdate && p.revision !== updateRev)
      reason = `on revision ${p.revision}, waiting for ${updateRev}`;
    if (p && set.updateStrategy === "OnDelete" && updateRev && p.revision !== updateRev) stale.push(p.name);
    if (reason === undefined) ready.push(ord);
    else if (!waitingOn) waitingOn = { ordinal: ord, pod: p, reason };
  }
  const observed = set.observedGeneration >= set.generation;
  if (!waitingOn && !observed)
    waitingOn = {
      ordinal: want[0] ?? set.ordinalsStart,
      reason: "the controller has not observed the latest spec yet",
    };
  if (!waitingOn && leaving.length > 0) {
    const ord = leaving[0]!;
    waitingOn = {
      ordinal: ord,
      pod: byOrdinal.get(ord),
      reason: "still present above the new replica count",
    };
  }
  return { done: waitingOn === undefined, ready, waitingOn, leaving, stale };
}

/** The next step of an ordered teardown: scale to one fewer than the highest present ordinal, or done. */
export function teardownStep(
  pods: readonly PodView[],
  currentReplicas: number,
  ordinalsStart: number,
): { scaleTo: number; waitFor?: string } | { done: true } {
  if (pods.length === 0 && currentReplicas === 0) return { done: true };
  const highest = pods.reduce((m, p) => Math.max(m, p.ordinal), -1);
  if (currentReplicas > 0 && (highest < 0 || highest < ordinalsStart + currentReplicas - 1))
    // The set wants more pods than exist: shrink to what exists, then proceed one by one.
    return { scaleTo: Math.max(0, highest - ordinalsStart + 1) };
  if (highest < 0) return currentReplicas === 0 ? { done: true } : { scaleTo: 0 };
  const target = Math.max(0, highest - ordinalsStart);
  return {
    scaleTo: Math.min(target, currentReplicas),
    waitFor: `${pods.find((p) => p.ordinal === highest)!.name}`,
  };
}

/**
 * The claims the provider itself may delete on destroy: none, unless the user asked for
 * `whenDeleted: "Delete"`, and then only once no pod of the set is left.
 */
export function claimsToDelete(
  whenDeleted: "Retain" | "Delete",
  podsLeft: number,
  claims: readonly string[],
): string[] {
  if (whenDeleted !== "Delete" || podsLeft > 0) return [];
  return [...claims];
}

/** The claims a set's templates give ordinals `[start, start + count)`. */
export function claimNamesFor(
  templates: readonly string[],
  setName: string,
  start: number,
  count: number,
): string[] {
  return templates.flatMap((t) => range(start, count).map((i) => claimName(t, setName, i)));
}
