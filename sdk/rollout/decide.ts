/**
 * The rollout provider's decisions as pure functions of what it observed: is a scale-down safe,
 * would a change replace the set, is the live set the one this stack deployed, how far a rollout
 * has got, what the next teardown step is and what blocks it, which claims may ever be deleted.
 * No I/O here; sdk/rollout/provider.ts feeds these from the cluster.
 */
import type { V1ContainerState, V1Pod, V1StatefulSet } from "@kubernetes/client-node";
import { claimName, ordinalOf } from "../naming";
import { parseQuantity } from "../quantity";

/** A label selector map as the API's `labelSelector` query string: `k1=v1,k2=v2`. */
export const selectorString = (s: Record<string, string>): string =>
  Object.entries(s)
    .map(([k, v]) => `${k}=${v}`)
    .join(",");

/** What the provider needs to know of one pod. */
export interface PodView {
  name: string;
  ordinal: number;
  phase: string;
  ready: boolean;
  /** Epoch ms of the Ready condition's last transition to True (for `minReadySeconds`). */
  readySince?: number;
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
  /** A pod counts once Ready for this long (the set's `minReadySeconds`). @default 0 */
  minReadySeconds?: number;
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
  let readySince: number | undefined;
  const conditions = (pod.status?.conditions ?? []).map((c) => {
    if (c.type === "Ready" && c.status === "True" && c.lastTransitionTime)
      readySince = new Date(c.lastTransitionTime as unknown as string).getTime();
    return {
      type: c.type,
      status: c.status,
      ...(c.reason ? { reason: c.reason } : {}),
      ...(c.message ? { message: c.message } : {}),
    };
  });
  const cs = pod.status?.containerStatuses?.[0];
  return {
    name,
    ordinal,
    phase: pod.status?.phase ?? "Pending",
    ready: conditions.some((c) => c.type === "Ready" && c.status === "True"),
    ...(readySince !== undefined && !Number.isNaN(readySince) ? { readySince } : {}),
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

/**
 * Available as the StatefulSet controller counts it: Running, Ready for at least `minReadySeconds`
 * (kubernetes pkg/controller/statefulset/stateful_set_utils.go, isRunningAndAvailable).
 */
export function isAvailable(p: PodView, minReadySeconds: number, now: number): boolean {
  if (p.phase !== "Running" || !p.ready || p.terminating) return false;
  if (minReadySeconds <= 0) return true;
  return p.readySince !== undefined && now - p.readySince >= minReadySeconds * 1000;
}

/** JSON with object keys sorted: equal for equal values whatever order the keys came in (gRPC Structs reorder them). */
export function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x) =>
    x && typeof x === "object" && !Array.isArray(x)
      ? Object.fromEntries(
          Object.keys(x)
            .sort()
            .map((k) => [k, (x as Record<string, unknown>)[k]]),
        )
      : x,
  );
}

function range(start: number, count: number): number[] {
  return Array.from({ length: Math.max(0, count) }, (_, i) => start + i);
}

export interface ScaleDownOptions {
  /** Pods must have been Ready this long. @default 0 */
  minReadySeconds?: number;
  now?: number;
  /**
   * Let pods that are being removed be unhealthy (every pod that stays must still be healthy), as
   * the StatefulSet controller itself allows for the first unhealthy condemned pod. @default false
   */
  allowUnhealthyRemoval?: boolean;
}

/**
 * Why scaling `setName` down from `currentReplicas` to `targetReplicas` is refused, or undefined
 * when it is safe: every pod of the current range present, Running, Ready (available, with
 * `minReadySeconds`) and not terminating — or, with `allowUnhealthyRemoval`, every pod that stays.
 */
export function scaleDownRefusal(
  setName: string,
  pods: readonly PodView[],
  currentReplicas: number,
  ordinalsStart: number,
  targetReplicas: number,
  opts: ScaleDownOptions = {},
): string | undefined {
  const minReady = opts.minReadySeconds ?? 0;
  const now = opts.now ?? Date.now();
  const byOrdinal = new Map(pods.map((p) => [p.ordinal, p]));
  const mustBeHealthy = opts.allowUnhealthyRemoval ? targetReplicas : currentReplicas;
  const problems: string[] = [];
  for (const ord of range(ordinalsStart, mustBeHealthy)) {
    const p = byOrdinal.get(ord);
    if (!p) problems.push(`${setName}-${ord}: missing`);
    else if (!p.ready || p.terminating || p.phase !== "Running") problems.push(describePod(p));
    else if (!isAvailable(p, minReady, now))
      problems.push(`${describePod(p)} — Ready for less than minReadySeconds (${minReady})`);
  }
  if (!opts.allowUnhealthyRemoval)
    for (const p of pods)
      if (p.ordinal >= ordinalsStart + currentReplicas || p.ordinal < ordinalsStart)
        problems.push(`${describePod(p)} (outside the set's current range)`);
  if (problems.length === 0) return undefined;
  const who = opts.allowUnhealthyRemoval ? "every pod that stays" : "every pod";
  return [
    `refusing to scale StatefulSet "${setName}" from ${currentReplicas} to ${targetReplicas}: ${who} must be Ready before a scale-down, and ${problems.length === 1 ? "this one is" : `these ${problems.length} are`} not:`,
    ...problems.map((p) => `  - ${p}`),
    opts.allowUnhealthyRemoval
      ? "Nothing was changed. Fix the pods (or wait for them) and run the update again."
      : "Nothing was changed. Fix the pods (or wait for them) and run the update again; if only pods being removed are unhealthy, rollout.allowUnhealthyRemoval lets them go.",
  ].join("\n");
}

/** The StatefulSet fields Kubernetes forbids changing: a change makes the Kubernetes provider replace the set. */
export interface FixedSpec {
  namespace: string;
  name: string;
  serviceName: string;
  podManagementPolicy: "OrderedReady" | "Parallel";
  selector: Record<string, string>;
  /** In order: reordering is a change too. */
  volumeClaimTemplates: { name: string; storage: string; storageClass?: string; accessModes: string[] }[];
}

/** The fixed fields of a live set, as the API server returns them. */
export function liveFixedSpec(set: V1StatefulSet): FixedSpec {
  return {
    namespace: set.metadata?.namespace ?? "default",
    name: set.metadata?.name ?? "",
    serviceName: set.spec?.serviceName ?? "",
    podManagementPolicy:
      (set.spec?.podManagementPolicy as FixedSpec["podManagementPolicy"]) ?? "OrderedReady",
    selector: { ...set.spec?.selector?.matchLabels },
    volumeClaimTemplates: (set.spec?.volumeClaimTemplates ?? []).map((t) => ({
      name: t.metadata?.name ?? "",
      storage: String(t.spec?.resources?.requests?.storage ?? ""),
      ...(t.spec?.storageClassName ? { storageClass: t.spec.storageClassName } : {}),
      accessModes: [...(t.spec?.accessModes ?? [])],
    })),
  };
}

const labelsText = (l: Record<string, string>) =>
  Object.keys(l)
    .sort()
    .map((k) => `${k}=${l[k]}`)
    .join(",");
const templatesText = (ts: FixedSpec["volumeClaimTemplates"]) =>
  `[${ts.map((t) => `${t.name} ${t.storage} ${t.storageClass ?? "(default class)"} ${t.accessModes.join(",")}`).join("; ")}]`;

/**
 * The fixed fields that differ between `before` and `after`, one line each; empty when none.
 * `semantic` compares storage sizes as quantities (the API server may print `1024Mi` as `1Gi`);
 * without it, as pulumi-kubernetes compares inputs: as written.
 */
export function replacementChanges(before: FixedSpec, after: FixedSpec, semantic = false): string[] {
  const out: string[] = [];
  const diff = (field: string, a: string, b: string) => {
    if (a !== b) out.push(`${field}: ${a} -> ${b}`);
  };
  diff("metadata.namespace", before.namespace, after.namespace);
  diff("metadata.name", before.name, after.name);
  diff("spec.serviceName", before.serviceName, after.serviceName);
  diff("spec.podManagementPolicy", before.podManagementPolicy, after.podManagementPolicy);
  diff("spec.selector", labelsText(before.selector), labelsText(after.selector));
  const sameTemplates =
    before.volumeClaimTemplates.length === after.volumeClaimTemplates.length &&
    before.volumeClaimTemplates.every((t, i) => {
      const u = after.volumeClaimTemplates[i]!;
      const sameSize = semantic
        ? parseQuantity(t.storage) === parseQuantity(u.storage)
        : t.storage === u.storage;
      return (
        t.name === u.name &&
        sameSize &&
        (t.storageClass ?? "") === (u.storageClass ?? "") &&
        t.accessModes.join(",") === u.accessModes.join(",")
      );
    });
  if (!sameTemplates)
    out.push(
      `spec.volumeClaimTemplates: ${templatesText(before.volumeClaimTemplates)} -> ${templatesText(after.volumeClaimTemplates)}`,
    );
  return out;
}

/** What a rollout resource recorded about the set it manages. */
export interface Recorded {
  /** API server URL the set was deployed to. */
  server?: string;
  /** The set's `metadata.uid`; empty when a replacement is expected. */
  setUid?: string;
}

/**
 * Why the live set must not be touched by this rollout, or undefined: the kubeconfig now points
 * at another API server than the one recorded, or the live set is another object than the one
 * recorded (re-created outside this stack, or a same-named set elsewhere).
 */
export function identityRefusal(
  what: string,
  recorded: Recorded,
  server: string,
  liveUid: string | undefined,
): string | undefined {
  if (recorded.server && recorded.server !== server)
    return [
      `refusing to ${what}: it was deployed to the API server ${recorded.server}, but the kubeconfig now points at ${server}.`,
      `Nothing was changed. Point rollout.kubeconfig / KUBECONFIG / rollout.context back at ${recorded.server}; to move the app to another cluster, deploy it there under a new name.`,
    ].join("\n");
  if (recorded.setUid && liveUid && recorded.setUid !== liveUid)
    return [
      `refusing to ${what}: the live StatefulSet is not the one this stack deployed (uid ${liveUid}, recorded ${recorded.setUid}); it was deleted and re-created outside this stack.`,
      "Nothing was changed. Run `pulumi refresh` to adopt the live set as it is, or delete it yourself.",
    ].join("\n");
  return undefined;
}

/** Where a rollout to `set.replicas` stands. */
export interface RolloutState {
  done: boolean;
  /** Ordinals Ready (available, on the update revision where required), ascending. */
  ready: number[];
  /** The pod (or missing ordinal) the rollout waits on, lowest first. */
  waitingOn?: { ordinal: number; pod?: PodView; reason: string };
  /** Pods above the target still present (a scale-down in progress). */
  leaving: number[];
  /** OnDelete: pods on an old revision that only the user can replace. */
  stale: string[];
  /** Epoch ms when a Ready pod becomes available (`minReadySeconds`): look again then. */
  nextCheckAt?: number;
}

/**
 * Judges a rollout: every ordinal in range available (Ready for `minReadySeconds`), on the update
 * revision where the strategy will put it there (ordinals >= partition for RollingUpdate), nothing
 * above the range left, and the controller has seen the latest spec. O(pods).
 */
export function rolloutState(set: SetView, pods: Iterable<PodView>, now = Date.now()): RolloutState {
  const byOrdinal = new Map<number, PodView>();
  const leaving: number[] = [];
  const end = set.ordinalsStart + set.replicas;
  for (const p of pods) {
    byOrdinal.set(p.ordinal, p);
    if (p.ordinal < set.ordinalsStart || p.ordinal >= end) leaving.push(p.ordinal);
  }
  leaving.sort((a, b) => b - a);
  const minReady = set.minReadySeconds ?? 0;
  const updateRev = set.updateRevision;
  const ready: number[] = [];
  const stale: string[] = [];
  let waitingOn: RolloutState["waitingOn"];
  let nextCheckAt: number | undefined;
  for (let ord = set.ordinalsStart; ord < end; ord++) {
    const p = byOrdinal.get(ord);
    const mustUpdate =
      set.updateStrategy === "RollingUpdate" &&
      ord >= set.ordinalsStart + set.partition &&
      updateRev !== undefined;
    let reason: string | undefined;
    if (!p) reason = "not created yet";
    else if (p.terminating) reason = "terminating";
    else if (!p.ready) reason = "not Ready";
    else if (!isAvailable(p, minReady, now)) {
      reason = `Ready, not yet available (minReadySeconds ${minReady})`;
      const at = (p.readySince ?? now) + minReady * 1000;
      nextCheckAt = nextCheckAt === undefined ? at : Math.min(nextCheckAt, at);
    } else if (mustUpdate && p.revision !== updateRev)
      reason = `on revision ${p.revision}, waiting for ${updateRev}`;
    if (p && set.updateStrategy === "OnDelete" && updateRev && p.revision !== updateRev) stale.push(p.name);
    if (reason === undefined) ready.push(ord);
    else if (!waitingOn) waitingOn = { ordinal: ord, pod: p, reason };
  }
  const observed = set.observedGeneration >= set.generation;
  if (!waitingOn && !observed)
    waitingOn = { ordinal: set.ordinalsStart, reason: "the controller has not observed the latest spec yet" };
  if (!waitingOn && leaving.length > 0) {
    const ord = leaving[0]!;
    waitingOn = {
      ordinal: ord,
      pod: byOrdinal.get(ord),
      reason: "still present above the new replica count",
    };
  }
  return {
    done: waitingOn === undefined,
    ready,
    waitingOn,
    leaving,
    stale,
    ...(nextCheckAt !== undefined ? { nextCheckAt } : {}),
  };
}

/** Set fields that decide which pods count: a change re-judges every pod. */
const JUDGING_FIELDS = [
  "replicas",
  "ordinalsStart",
  "updateStrategy",
  "partition",
  "updateRevision",
  "minReadySeconds",
] as const;

/**
 * `rolloutState` kept up to date incrementally: each pod change costs O(1), so following a rollout
 * costs CPU linear in the pods' events, not pods x events. Judges exactly as `rolloutState` does
 * (a property test holds the two together); `waitingOn` and `stale`, needed only for a progress
 * line, a timeout or the final report, are computed from scratch.
 */
export class RolloutTracker {
  private set: SetView;
  private readonly pods = new Map<number, PodView>();
  /** In-range ordinals that count as done. */
  private readonly ok = new Set<number>();
  /** Ordinals present outside the range. */
  private readonly outside = new Set<number>();
  /** Ready ordinals waiting for minReadySeconds, and when they become available. */
  private readonly pending = new Map<number, number>();
  /** Ordinals that became done since the last `evaluate`. */
  private fresh: number[] = [];

  constructor(set: SetView) {
    this.set = set;
  }

  /** A new view of the set: re-judges every pod when a field that decides it changed. */
  setSet(view: SetView, now = Date.now()): void {
    const old = this.set;
    this.set = view;
    if (JUDGING_FIELDS.some((k) => old[k] !== view[k]))
      for (const ord of [...this.pods.keys()]) this.judge(ord, now);
  }

  upsert(p: PodView, now = Date.now()): void {
    this.pods.set(p.ordinal, p);
    this.judge(p.ordinal, now);
  }

  remove(ordinal: number, now = Date.now()): void {
    this.pods.delete(ordinal);
    this.judge(ordinal, now);
  }

  private inRange(ord: number): boolean {
    return ord >= this.set.ordinalsStart && ord < this.set.ordinalsStart + this.set.replicas;
  }

  private judge(ord: number, now: number): void {
    const p = this.pods.get(ord);
    this.pending.delete(ord);
    if (p && !this.inRange(ord)) this.outside.add(ord);
    else this.outside.delete(ord);
    let good = false;
    if (p && this.inRange(ord) && !p.terminating && p.ready) {
      const minReady = this.set.minReadySeconds ?? 0;
      const mustUpdate =
        this.set.updateStrategy === "RollingUpdate" &&
        ord >= this.set.ordinalsStart + this.set.partition &&
        this.set.updateRevision !== undefined;
      if (!isAvailable(p, minReady, now)) this.pending.set(ord, (p.readySince ?? now) + minReady * 1000);
      else good = !mustUpdate || p.revision === this.set.updateRevision;
    }
    if (good && !this.ok.has(ord)) {
      this.ok.add(ord);
      this.fresh.push(ord);
    } else if (!good) this.ok.delete(ord);
  }

  /** Where the rollout stands now; `newlyReady` lists ordinals that became done since the last call, ascending. */
  evaluate(now = Date.now()): {
    done: boolean;
    newlyReady: number[];
    readyCount: number;
    leaving: number[];
    nextCheckAt?: number;
  } {
    for (const [ord, at] of [...this.pending]) if (at <= now) this.judge(ord, now);
    let nextCheckAt: number | undefined;
    for (const at of this.pending.values())
      nextCheckAt = nextCheckAt === undefined ? at : Math.min(nextCheckAt, at);
    const newlyReady = this.fresh.filter((o) => this.ok.has(o)).sort((a, b) => a - b);
    this.fresh = [];
    const observed = this.set.observedGeneration >= this.set.generation;
    return {
      done: this.ok.size === this.set.replicas && this.outside.size === 0 && observed,
      newlyReady,
      readyCount: this.ok.size,
      leaving: [...this.outside].sort((a, b) => b - a),
      ...(nextCheckAt !== undefined ? { nextCheckAt } : {}),
    };
  }

  /** The full judgement, from scratch (O(pods)): for progress lines, timeouts and the final report. */
  full(now = Date.now()): RolloutState {
    return rolloutState(this.set, this.pods.values(), now);
  }
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
 * While the teardown waits for `condemned` to go: the pods the StatefulSet controller waits on
 * first. Upstream (stateful_set_control.go, processCondemned with monotonic ordering) deletes a
 * condemned pod only when every pod that stays is Running, Ready and available; a condemned pod
 * that is itself the first unhealthy one is deleted anyway.
 */
export function teardownBlockers(
  pods: readonly PodView[],
  condemned: string,
  minReadySeconds: number,
  now = Date.now(),
): PodView[] {
  const target = pods.find((p) => p.name === condemned);
  if (!target || target.terminating) return [];
  return pods
    .filter((p) => p.ordinal < target.ordinal && !isAvailable(p, minReadySeconds, now))
    .sort((a, b) => a.ordinal - b.ordinal);
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
