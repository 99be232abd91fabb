/**
 * The rollout provider's operations (docs/rollout.md):
 * - the guard, before the StatefulSet changes: refuses an unsafe scale-down, a change that would
 *   replace the set, or a set that is not the one this stack deployed — judged against the live
 *   cluster, not Pulumi's state — and, for an accepted replacement, drains the old set in order;
 * - the watcher, after the set changed: waits for ordered readiness (availability), rolling
 *   updates and scale-downs, follows another owner of `spec.replicas`, drains a set it replaced;
 * - the teardown, on destroy: only a set that still carries this rollout's marker and is the one it
 *   deployed, N-1..0, claims kept whatever `whenScaled` says.
 * sdk/rollout/entry.ts wires these into the dynamic-provider interface; tests call them directly.
 */
import type { V1Pod, V1StatefulSet } from "@kubernetes/client-node";
import { ordinalOf } from "../naming";
import { Cluster, type Log, RolloutError, UnreachableError } from "./client";
import {
  canonical,
  claimNamesFor,
  claimsToDelete,
  describePod,
  type FixedSpec,
  identityRefusal,
  liveFixedSpec,
  type PodView,
  podView,
  type Recorded,
  RolloutTracker,
  replacementChanges,
  type SetView,
  scaleDownRefusal,
  selectorString,
  teardownBlockers,
  teardownStep,
} from "./decide";

import { type ClaimTemplate, ROLLOUT_ANNOTATION, type RolloutInputs } from "./protocol";
import { checkScaleDown, removeMembersAbove, settleMembership } from "./zookeeper";

export { type ClaimTemplate, ROLLOUT_ANNOTATION, RolloutError, type RolloutInputs, UnreachableError };

/** Annotations a kept claim gets when its set is destroyed. */
export const RELEASED_FROM = "stateful.pulumi.com/released-from";
export const RELEASED_AT = "stateful.pulumi.com/released-at";
/** Environment variable: let a destroy finish when the API server cannot be reached at all. */
export const DELETE_UNREACHABLE_ENV = "PULUMI_STATEFUL_DELETE_UNREACHABLE";

/** What a rollout resource keeps in state: its inputs, and what it recorded of the set. */
export interface RolloutOutputs extends RolloutInputs, Recorded {
  readyPods?: string[];
  keptClaims?: string[];
  /** ZooKeeper: the pods of the voting members, in id order (watcher). */
  votingMembers?: string[];
}

/** A create or update that did something before failing: the dynamic-provider host records `id` and `properties`. */
export class PartialStateError extends RolloutError {
  readonly reasons: string[];
  constructor(
    message: string,
    readonly id: string,
    readonly properties: RolloutOutputs,
  ) {
    super(message);
    this.reasons = [message];
  }
}

const stsPath = (ns: string) => `/apis/apps/v1/namespaces/${ns}/statefulsets`;
const podsPath = (ns: string) => `/api/v1/namespaces/${ns}/pods`;
const secs = (ms: number) => (ms / 1000).toFixed(1);

function connect(i: RolloutInputs, log: Log): Promise<Cluster> {
  return Cluster.connect({
    kubeconfig: i.kubeconfig,
    context: i.context,
    deadline: Date.now() + i.timeoutSeconds * 1000,
    log,
  });
}

export function fixedOf(i: RolloutInputs): FixedSpec {
  return {
    namespace: i.namespace,
    name: i.name,
    serviceName: i.serviceName,
    podManagementPolicy: i.podManagementPolicy,
    selector: i.selector,
    volumeClaimTemplates: i.claimTemplates,
  };
}

function setView(i: Pick<RolloutInputs, "name" | "minReadySeconds">, set: V1StatefulSet): SetView {
  return {
    name: i.name,
    replicas: set.spec?.replicas ?? 1,
    ordinalsStart: set.spec?.ordinals?.start ?? 0,
    updateStrategy:
      (set.spec?.updateStrategy?.type as SetView["updateStrategy"] | undefined) ?? "RollingUpdate",
    partition: set.spec?.updateStrategy?.rollingUpdate?.partition ?? 0,
    podManagementPolicy:
      (set.spec?.podManagementPolicy as SetView["podManagementPolicy"] | undefined) ?? "OrderedReady",
    minReadySeconds: set.spec?.minReadySeconds ?? i.minReadySeconds,
    generation: set.metadata?.generation ?? 0,
    observedGeneration: set.status?.observedGeneration ?? 0,
    updateRevision: set.status?.updateRevision,
    currentRevision: set.status?.currentRevision,
  };
}

const observed = (set: V1StatefulSet) =>
  (set.status?.observedGeneration ?? 0) >= (set.metadata?.generation ?? 0);

function podsOf(setName: string, objects: Iterable<V1Pod>): PodView[] {
  const out: PodView[] = [];
  for (const o of objects) {
    const v = podView(setName, o);
    if (v) out.push(v);
  }
  return out;
}

/** The set's pods, kept current by list + watch. */
function watchPods(cluster: Cluster, ns: string, selector: Record<string, string>) {
  const labelSelector = selectorString(selector);
  return cluster.watch(podsPath(ns), { labelSelector }, () =>
    cluster.core.listNamespacedPod({ namespace: ns, labelSelector }),
  );
}

/** Who hears of each changed pod. */
interface PodSink {
  upsert(v: PodView, now: number): void;
  remove(ordinal: number, now: number): void;
}

/** Pod views kept current from a watch with work proportional to what changed (not to the set's size). */
class PodViews {
  readonly byName = new Map<string, PodView>();
  constructor(
    private readonly setName: string,
    private readonly pods: ReturnType<typeof watchPods>,
    private readonly tracker?: PodSink,
  ) {}
  refresh(now = Date.now()): void {
    for (const name of this.pods.takeChanged()) {
      const v = podView(this.setName, this.pods.objects.get(name));
      if (v) {
        this.byName.set(name, v);
        this.tracker?.upsert(v, now);
      } else if (this.byName.delete(name)) this.tracker?.remove(ordinalOf(this.setName, name)!, now);
    }
  }
  values(): IterableIterator<PodView> {
    return this.byName.values();
  }
}

/** Why the guard or watcher must stop, judged against the live cluster. */
interface Review {
  cluster: Cluster;
  /** The set as deployed (at the old name, if it changes). */
  live?: V1StatefulSet;
  /** The changes that replace the set (empty: none). */
  replacement: string[];
}

/**
 * The guard's judgement, shared by `diff` (so a refusal shows in `pulumi preview`) and `update`
 * (right before the set changes): identity, replacement, and scale-down health — all against the
 * live cluster, so a failed earlier update, an out-of-band scale, a refresh or a targeted run
 * cannot slip an unsafe change through.
 */
async function review(olds: RolloutOutputs, news: RolloutInputs, log: Log): Promise<Review> {
  const cluster = await connect(news, log);
  const ref = `StatefulSet "${olds.namespace}/${olds.name}"`;
  const live = await cluster.getStatefulSet(olds.namespace, olds.name);
  const identity = identityRefusal(`change ${ref}`, olds, cluster.identity.server, live?.metadata?.uid);
  if (identity) throw new RolloutError(identity);
  const byField = new Map<string, string>();
  for (const c of replacementChanges(fixedOf(olds), fixedOf(news))) byField.set(c.split(":")[0]!, c);
  if (live && olds.namespace === news.namespace && olds.name === news.name)
    for (const c of replacementChanges(liveFixedSpec(live), fixedOf(news), true))
      byField.set(c.split(":")[0]!, `${c} (live)`);
  const replacement = [...byField.values()];
  if (replacement.length > 0 && !news.allowReplacement)
    throw new RolloutError(
      [
        `refusing to change ${ref}: these fields cannot change in place, so the set would be replaced (every pod deleted${olds.name !== news.name || olds.namespace !== news.namespace ? ", and the new set starts with new, empty claims" : ""}):`,
        ...replacement.map((c) => `  - ${c}`),
        "Nothing was changed. Set rollout.allowReplacement to true to accept it: the old pods are then removed in order (N-1..0) and their claims kept.",
      ].join("\n"),
    );
  if (live && replacement.length === 0) {
    const current = live.spec?.replicas ?? 1;
    let from = current;
    if (news.replicas < current && current !== olds.replicas) {
      const hpas = await cluster.autoscalersOf(olds.namespace, olds.name);
      if (hpas.length > 0) {
        log(
          `${news.name}: spec.replicas is ${current} (HorizontalPodAutoscaler ${hpas.map((h) => `"${h}"`).join(", ")}), not the ${olds.replicas} this stack applied; judging the change from ${olds.replicas}`,
        );
        from = olds.replicas;
      }
    }
    if (news.replicas < from) {
      const pods = podsOf(
        news.name,
        (await cluster.listPods(news.namespace, selectorString(news.selector))).items,
      );
      const refusal = scaleDownRefusal(
        news.name,
        pods,
        from,
        live.spec?.ordinals?.start ?? 0,
        news.replicas,
        {
          minReadySeconds: live.spec?.minReadySeconds ?? news.minReadySeconds,
          allowUnhealthyRemoval: news.allowUnhealthyRemoval,
        },
      );
      if (refusal) throw new RolloutError(refusal);
    }
  }
  return { cluster, live, replacement };
}

const GUARDED: (keyof RolloutInputs)[] = [
  "namespace",
  "name",
  "replicas",
  "ordinalsStart",
  "serviceName",
  "podManagementPolicy",
  "minReadySeconds",
  "claimTemplates",
  "selector",
  "allowReplacement",
  "allowUnhealthyRemoval",
  "deleteUnreachable",
  "owner",
  "kubeconfig",
  "context",
  "timeoutSeconds",
];

export function inputsChanged(
  olds: Partial<RolloutInputs>,
  news: RolloutInputs,
  keys: readonly (keyof RolloutInputs)[],
): boolean {
  return keys.some((k) => canonical(olds[k]) !== canonical(news[k]));
}

/** Guard create: records where the set lives (and its uid, when it already exists). */
export async function guardCreate(news: RolloutInputs, log: Log = console.log): Promise<RolloutOutputs> {
  const cluster = await connect(news, log);
  const live = await cluster.getStatefulSet(news.namespace, news.name);
  return { ...news, server: cluster.identity.server, setUid: live?.metadata?.uid ?? "" };
}

/** A lower count than the live set's, without a replacement (spec.replicas defaults to 1). */
function inPlaceScaleDown(r: Review, news: RolloutInputs): boolean {
  return r.live !== undefined && r.replacement.length === 0 && news.replicas < (r.live.spec?.replicas ?? 1);
}

/**
 * Guard diff: throws a refusal (shown by `pulumi preview` and `pulumi up` before anything
 * changes); reports a change when the inputs changed or the live set differs from them, so that
 * `update` runs its checks again right before the set is applied.
 */
export async function guardDiff(olds: RolloutOutputs, news: RolloutInputs, log: Log = console.log) {
  const r = await review(olds, news, log);
  const liveReplicas = r.live?.spec?.replicas;
  // A ZooKeeper scale-down: judged against the ensemble (read only), so preview shows a refusal.
  if (news.zookeeper && inPlaceScaleDown(r, news)) await checkScaleDown(r.cluster, news, news.zookeeper);
  return {
    changes:
      inputsChanged(olds, news, GUARDED) ||
      (r.live !== undefined && liveReplicas !== news.replicas) ||
      (r.live?.metadata?.uid ?? "") !== (olds.setUid ?? ""),
  };
}

/**
 * Guard update: the same judgement, then, for an accepted replacement that keeps the set's name,
 * the old set's pods are removed N-1..0 and its claims protected before the Kubernetes provider
 * deletes it (all pods at once otherwise).
 */
export async function guardUpdate(
  olds: RolloutOutputs,
  news: RolloutInputs,
  log: Log = console.log,
): Promise<RolloutOutputs> {
  const r = await review(olds, news, log);
  const sameName = olds.name === news.name && olds.namespace === news.namespace;
  if (r.replacement.length > 0 && r.live && sameName) {
    log(
      `${news.name}: replacing StatefulSet "${news.namespace}/${news.name}" (${r.replacement.join("; ")}); removing its pods in order first`,
    );
    await drain(r.cluster, olds, r.live, log, { forReplacement: true });
  } else if (news.replicas < (r.live?.spec?.replicas ?? 0)) {
    log(`${news.name}: all pods healthy; scaling down to ${news.replicas} is safe`);
    // ZooKeeper: the members above the new count leave the membership before their pods stop.
    if (news.zookeeper && inPlaceScaleDown(r, news))
      await removeMembersAbove(r.cluster, news, news.zookeeper, log);
  }
  return {
    ...news,
    server: r.cluster.identity.server,
    // After a replacement the next set is a new object: recorded again by the next update.
    setUid: r.replacement.length > 0 ? "" : (r.live?.metadata?.uid ?? ""),
  };
}

/**
 * Waits until the set has its replicas available (in ascending ordinal order, one progress line
 * each), pods above them gone, and the rolling update done as far as `partition` allows; OnDelete
 * pods on an old revision are reported, not waited for. When another owner (an HPA) sets
 * `spec.replicas`, follows the live value and says so. After a replacement that changed the set's
 * name or namespace, drains the old set in order. A timeout still records what it saw.
 */
export async function waitForRollout(
  inputs: RolloutInputs,
  log: Log = console.log,
  previous?: RolloutOutputs,
  /** How often to say what is still awaited when nothing else happens. */
  heartbeatMs = 30_000,
  /** Filled with what the wait received (benchmarks). */
  stats?: { events: number },
): Promise<RolloutOutputs> {
  const started = Date.now();
  let lastLine = started;
  const say: Log = (line) => {
    lastLine = Date.now();
    log(line);
  };
  const cluster = await connect(inputs, log);
  const ns = inputs.namespace;
  if (previous && previous.name === inputs.name && previous.namespace === inputs.namespace) {
    const identity = identityRefusal(
      `wait for StatefulSet "${ns}/${inputs.name}"`,
      { server: previous.server },
      cluster.identity.server,
      undefined,
    );
    if (identity) throw new RolloutError(identity);
  }
  const id = `${ns}/${inputs.name}`;
  const outputs = (extra: Partial<RolloutOutputs>): RolloutOutputs => ({
    ...inputs,
    server: cluster.identity.server,
    setUid: "",
    ...extra,
  });
  const sets = cluster.watch(stsPath(ns), { fieldSelector: `metadata.name=${inputs.name}` }, () =>
    cluster.apps.listNamespacedStatefulSet({ namespace: ns, fieldSelector: `metadata.name=${inputs.name}` }),
  );
  const pods = watchPods(cluster, ns, inputs.selector);
  let tracker: RolloutTracker | undefined;
  // The tracker exists once the set is seen; pods seen before are fed to it then.
  const views = new PodViews(inputs.name, pods, {
    upsert: (v, now) => tracker?.upsert(v, now),
    remove: (o, now) => tracker?.remove(o, now),
  });
  const announced = new Set<number>();
  const gone = new Set<string>();
  const seenLeaving = new Set<string>();
  let ownerSaid: number | undefined;
  let result: { set: V1StatefulSet; replicas: number };
  try {
    await Promise.all([sets.start(), pods.start()]);
    for (;;) {
      const now = Date.now();
      views.refresh(now);
      const set = sets.objects.get(inputs.name);
      let nextCheckAt: number | undefined;
      if (set) {
        const view = setView(inputs, set);
        // Another owner of spec.replicas (an HPA): wait for what the set asks for, and say why.
        let total = inputs.replicas;
        if (observed(set) && view.replicas !== inputs.replicas) {
          total = view.replicas;
          if (ownerSaid !== total) {
            ownerSaid = total;
            const hpas = await cluster.autoscalersOf(ns, inputs.name);
            say(
              `${inputs.name}: spec.replicas is ${total}, not the program's ${inputs.replicas}: ${
                hpas.length > 0
                  ? `HorizontalPodAutoscaler ${hpas.map((h) => `"${h}"`).join(", ")} owns it`
                  : "it was changed outside this program"
              }; waiting for ${total} pods`,
            );
          }
        }
        if (!tracker) {
          tracker = new RolloutTracker({ ...view, replicas: total });
          for (const v of views.values()) tracker.upsert(v, now);
        } else tracker.setSet({ ...view, replicas: total }, now);
        const state = tracker.evaluate(now);
        nextCheckAt = state.nextCheckAt;
        // Progress: newly Ready ordinals, ascending within one observation.
        for (const ord of state.newlyReady) {
          if (announced.has(ord)) continue;
          announced.add(ord);
          if (
            !previous ||
            ord >= previous.ordinalsStart + previous.replicas ||
            inputs.templateHash !== previous.templateHash
          )
            say(`${inputs.name}-${ord} ready (${announced.size}/${total}) after ${secs(now - started)}s`);
        }
        for (const ord of state.leaving) seenLeaving.add(`${inputs.name}-${ord}`);
        for (const name of seenLeaving)
          if (!pods.objects.has(name) && !gone.has(name)) {
            gone.add(name);
            say(`${name} gone (scale-down to ${total})`);
          }
        if (state.done) {
          result = { set, replicas: total };
          break;
        }
        if (now - lastLine >= heartbeatMs) {
          const w = tracker.full(now).waitingOn!;
          say(
            `${inputs.name}: ${state.readyCount}/${total} ready after ${((now - started) / 1000).toFixed(0)}s; waiting for ${inputs.name}-${w.ordinal}: ${w.reason}`,
          );
        }
        if (now > cluster.opts.deadline) {
          const full = tracker.full(now);
          const w = full.waitingOn!;
          throw new PartialStateError(
            [
              `timed out after ${inputs.timeoutSeconds}s waiting for StatefulSet "${id}" (${full.ready.length}/${total} ready):`,
              `  ${w.pod ? describePod(w.pod) : `${inputs.name}-${w.ordinal}: not created`} — ${w.reason}`,
              ...(pods.lastError ? [`  last watch error: ${pods.lastError}`] : []),
            ].join("\n"),
            id,
            outputs({
              setUid: set.metadata?.uid ?? "",
              readyPods: full.ready.map((o) => `${inputs.name}-${o}`),
            }),
          );
        }
      } else if (now > cluster.opts.deadline) {
        throw new PartialStateError(
          `timed out after ${inputs.timeoutSeconds}s: StatefulSet "${id}" ${sets.lastError ? `could not be read (last error: ${sets.lastError})` : "does not exist"}`,
          id,
          outputs({ readyPods: [] }),
        );
      }
      const fatal = sets.fatal ?? pods.fatal;
      if (fatal) throw fatal;
      const wake = Math.min(
        1000,
        cluster.remainingMs,
        heartbeatMs - (Date.now() - lastLine),
        nextCheckAt !== undefined ? nextCheckAt - Date.now() + 5 : Number.POSITIVE_INFINITY,
      );
      await Promise.race([pods.changed(Math.max(0, wake)), sets.changed(1000)]);
    }
  } finally {
    sets.stop();
    pods.stop();
    if (stats) stats.events = sets.events + pods.events;
  }
  const { set, replicas } = result;
  const final = tracker!.full();
  const out = outputs({
    setUid: set.metadata?.uid ?? "",
    readyPods: final.ready.map((o) => `${inputs.name}-${o}`),
  });
  if (previous && (previous.name !== inputs.name || previous.namespace !== inputs.namespace)) {
    // A replacement under a new name or namespace: the old set's pods go in order, before the
    // engine deletes the old set at the end of the update.
    const old = await cluster.getStatefulSet(previous.namespace, previous.name);
    const identity = identityRefusal(
      `remove the replaced StatefulSet "${previous.namespace}/${previous.name}"`,
      previous,
      cluster.identity.server,
      old?.metadata?.uid,
    );
    if (old && !identity && old.metadata?.annotations?.[ROLLOUT_ANNOTATION] === previous.owner)
      await drain(cluster, previous, old, log, { forReplacement: true });
    else if (old)
      log(
        `${inputs.name}: leaving the old StatefulSet "${previous.namespace}/${previous.name}" alone: ${identity ?? "this rollout no longer manages it"}`,
      );
  }
  await reuseClaims(cluster, inputs, replicas, log);
  if (previous && replicas < previous.replicas && previous.name === inputs.name) {
    const removed = claimNamesFor(
      inputs.claimTemplates.map((t) => t.name),
      inputs.name,
      inputs.ordinalsStart + replicas,
      previous.replicas - replicas,
    );
    const present = new Set(
      (await cluster.listClaims(ns, selectorString(inputs.selector))).map((c) => c.metadata?.name ?? ""),
    );
    const kept = removed.filter((c) => present.has(c));
    const deleted = removed.filter((c) => !present.has(c));
    if (kept.length > 0) say(`${inputs.name}: claims of removed pods kept: ${kept.join(", ")}`);
    if (deleted.length > 0)
      say(
        `${inputs.name}: claims of removed pods deleted (whenScaled: ${inputs.whenScaled}): ${deleted.join(", ")}`,
      );
    out.keptClaims = kept;
  }
  if (inputs.zookeeper) {
    // Joiners added, pods on an old revision restarted leader last (OnDelete), voters confirmed.
    try {
      out.votingMembers = await settleMembership(cluster, inputs, inputs.zookeeper, say);
    } catch (e) {
      if (e instanceof RolloutError && !(e instanceof PartialStateError))
        throw new PartialStateError(e.message, id, out);
      throw e;
    }
    say(`${inputs.name}: voting members ${out.votingMembers.join(", ")}`);
  }
  const stale = inputs.zookeeper ? [] : final.stale;
  if (stale.length > 0)
    say(
      `${inputs.name}: updateStrategy OnDelete: ${stale.join(", ")} still run the old revision; delete them yourself to update them`,
    );
  say(`${inputs.name}: ${replicas}/${replicas} pods ready after ${secs(Date.now() - started)}s`);
  return out;
}

/** Claims of pods in range that a destroy had marked released: in use again, so the mark goes. */
async function reuseClaims(cluster: Cluster, i: RolloutInputs, replicas: number, log: Log): Promise<void> {
  const inUse = new Set(
    claimNamesFor(
      i.claimTemplates.map((t) => t.name),
      i.name,
      i.ordinalsStart,
      replicas,
    ),
  );
  const marked = (await cluster.listClaims(i.namespace, selectorString(i.selector))).filter(
    (c) => inUse.has(c.metadata?.name ?? "") && c.metadata?.annotations?.[RELEASED_FROM] !== undefined,
  );
  for (const c of marked)
    await cluster.patchClaim(i.namespace, c.metadata!.name!, () => ({
      annotations: { [RELEASED_FROM]: null, [RELEASED_AT]: null },
    }));
  if (marked.length > 0)
    log(
      `${i.name}: claims in use again, released mark removed: ${marked.map((c) => c.metadata?.name).join(", ")}`,
    );
}

/**
 * Removes a set's pods one at a time, N-1 first, each gone before the next. First the claims are
 * protected: `whenScaled: Delete` would delete each removed pod's claim, and, before a
 * replacement, `whenDeleted: Delete` would delete them all with the old set — both are switched
 * to Retain on the live set, and claim references that say otherwise are dropped once the
 * controller has seen the change (the controller reconciles them on every sync:
 * pkg/controller/statefulset/stateful_set_utils.go, updateClaimOwnerRefForSetAndPod).
 */
async function drain(
  cluster: Cluster,
  i: RolloutInputs,
  set: V1StatefulSet,
  log: Log,
  opts: { forReplacement: boolean; heartbeatMs?: number },
): Promise<number> {
  const ns = i.namespace;
  const heartbeatMs = opts.heartbeatMs ?? 30_000;
  const started = Date.now();
  const policy = set.spec?.persistentVolumeClaimRetentionPolicy ?? {};
  const whenDeleted = opts.forReplacement ? "Retain" : (policy.whenDeleted ?? "Retain");
  if (policy.whenScaled === "Delete" || (policy.whenDeleted ?? "Retain") !== whenDeleted) {
    const written = await cluster.setRetention(ns, i.name, { whenDeleted, whenScaled: "Retain" });
    log(
      `${i.name}: claim retention set to whenDeleted ${whenDeleted}, whenScaled Retain for the ${opts.forReplacement ? "replacement" : "teardown"}, so no claim goes with its pod`,
    );
    await protectClaims(cluster, i, written, whenDeleted === "Retain");
  }
  const pods = watchPods(cluster, ns, i.selector);
  const views = new PodViews(i.name, pods);
  try {
    await pods.start();
    for (;;) {
      const live = await cluster.getStatefulSet(ns, i.name);
      views.refresh();
      const current = [...views.values()];
      if (!live) return current.length;
      const step = teardownStep(current, live.spec?.replicas ?? 1, live.spec?.ordinals?.start ?? 0);
      if ("done" in step) return current.length;
      if (step.scaleTo !== (live.spec?.replicas ?? 1)) await cluster.scale(ns, i.name, step.scaleTo);
      if (!step.waitFor) continue;
      const name = step.waitFor;
      let lastLine = Date.now();
      const why = () => {
        views.refresh();
        const all = [...views.values()];
        const p = all.find((v) => v.name === name);
        const blockers = teardownBlockers(all, name, live.spec?.minReadySeconds ?? i.minReadySeconds);
        return `${p ? describePod(p) : name}${
          blockers.length > 0
            ? `; the StatefulSet controller removes it only once every lower pod is Ready and available, and ${blockers.map(describePod).join("; ")}`
            : ""
        }`;
      };
      while (pods.objects.has(name)) {
        if (pods.fatal) throw pods.fatal;
        if (Date.now() - lastLine >= heartbeatMs) {
          log(`${i.name}: waiting for ${why()} to go`);
          lastLine = Date.now();
        }
        if (Date.now() > cluster.opts.deadline)
          throw new RolloutError(
            `timed out after ${i.timeoutSeconds}s removing the pods of StatefulSet "${ns}/${i.name}": ${why()} is still there. Claims were not touched.`,
          );
        await pods.changed(
          Math.max(0, Math.min(1000, cluster.remainingMs, heartbeatMs - (Date.now() - lastLine))),
        );
      }
      views.refresh();
      log(`${name} gone (${views.byName.size} left) after ${secs(Date.now() - started)}s`);
    }
  } finally {
    pods.stop();
  }
}

/**
 * After the retention policy was switched to Retain: waits for the controller to observe it, then
 * drops any reference that would still delete a claim with a pod (and, for `dropSetRefs`, with the
 * set), as Retain means.
 */
async function protectClaims(
  cluster: Cluster,
  i: RolloutInputs,
  written: V1StatefulSet,
  dropSetRefs: boolean,
): Promise<void> {
  const generation = written.metadata?.generation ?? 0;
  for (;;) {
    const s = await cluster.getStatefulSet(i.namespace, i.name);
    if (!s || (s.status?.observedGeneration ?? 0) >= generation) break;
    if (Date.now() > cluster.opts.deadline)
      throw new RolloutError(
        `timed out after ${i.timeoutSeconds}s waiting for the StatefulSet controller to observe the claim retention change of "${i.namespace}/${i.name}"; no pod was removed`,
      );
    await new Promise((r) => setTimeout(r, 200));
  }
  const uid = written.metadata?.uid;
  for (const c of await ourClaims(cluster, i)) {
    const refs = c.metadata?.ownerReferences ?? [];
    const keep = refs.filter(
      (r) =>
        !(r.kind === "Pod" && ordinalOf(i.name, r.name) !== undefined) && !(dropSetRefs && r.uid === uid),
    );
    if (keep.length !== refs.length)
      await cluster.patchClaim(i.namespace, c.metadata!.name!, (claim) => ({
        ownerReferences: (claim.metadata?.ownerReferences ?? []).filter((r) =>
          keep.some((k) => k.uid === r.uid),
        ),
      }));
  }
}

/** The set's claims: `<template>-<set>-<ordinal>` only, not those of a set whose name starts the same. */
async function ourClaims(cluster: Cluster, i: RolloutInputs) {
  const ok = (n: string) => i.claimTemplates.some((t) => ordinalOf(`${t.name}-${i.name}`, n) !== undefined);
  return (await cluster.listClaims(i.namespace, selectorString(i.selector)))
    .filter((c) => ok(c.metadata?.name ?? ""))
    .sort((a, b) => (a.metadata?.name ?? "").localeCompare(b.metadata?.name ?? ""));
}

function deleteUnreachable(i: RolloutOutputs): boolean {
  return i.deleteUnreachable || /^(1|true|yes)$/i.test(process.env[DELETE_UNREACHABLE_ENV] ?? "");
}

/**
 * Destroy: only a set that carries this rollout's marker and is the one it deployed, on the API
 * server it was deployed to. Removes the pods N-1..0, each gone before the next; then marks every
 * claim with where it came from and lists it. Claims are deleted only for `whenDeleted: "Delete"`
 * and only once no pod is left (the garbage collector for claims the set owns; the provider for
 * claims the cluster did not give an owner).
 */
export async function teardown(
  props: RolloutOutputs,
  log: Log = console.log,
  heartbeatMs = 30_000,
): Promise<{ keptClaims: string[] }> {
  const ns = props.namespace;
  const ref = `StatefulSet "${ns}/${props.name}"`;
  let cluster: Cluster;
  let set: V1StatefulSet | undefined;
  try {
    cluster = await connect(props, log);
    set = await cluster.getStatefulSet(ns, props.name);
  } catch (err) {
    if (err instanceof UnreachableError && deleteUnreachable(props)) {
      log(
        `${props.name}: ${err.message}; ${DELETE_UNREACHABLE_ENV}/rollout.deleteUnreachable is set, so the rollout is removed from the stack without touching that cluster (its pods and claims, if it still exists, are as they were)`,
      );
      return { keptClaims: [] };
    }
    if (err instanceof UnreachableError)
      throw new RolloutError(
        `${err.message}\nNothing was changed. If that cluster is gone for good, run the destroy again with ${DELETE_UNREACHABLE_ENV}=true to remove the rollout from the stack without touching it.`,
      );
    throw err;
  }
  const identity = identityRefusal(`tear down ${ref}`, props, cluster.identity.server, set?.metadata?.uid);
  if (identity) throw new RolloutError(identity);
  if (set && set.metadata?.annotations?.[ROLLOUT_ANNOTATION] !== props.owner) {
    log(
      `${props.name}: ${ref} is no longer managed by this rollout (annotation ${ROLLOUT_ANNOTATION} is ${JSON.stringify(set.metadata?.annotations?.[ROLLOUT_ANNOTATION] ?? null)}, not "${props.owner}"): leaving it and its pods alone`,
    );
    return { keptClaims: [] };
  }
  const podsLeft = set ? await drain(cluster, props, set, log, { forReplacement: false, heartbeatMs }) : 0;
  const claims = (await ourClaims(cluster, props)).map((c) => c.metadata?.name ?? "");
  const doomed = claimsToDelete(props.whenDeleted, podsLeft, claims);
  const kept = claims.filter((c) => !doomed.includes(c));
  const at = new Date().toISOString();
  for (const c of kept)
    await cluster.patchClaim(ns, c, () => ({
      annotations: { [RELEASED_FROM]: `${ns}/${props.name}`, [RELEASED_AT]: at },
    }));
  if (kept.length > 0)
    log(
      `${props.name}: kept ${kept.length} claims: ${kept.join(", ")} (marked ${RELEASED_FROM}=${ns}/${props.name}; delete them when the data is no longer needed)`,
    );
  if (doomed.length > 0) {
    // Claims the set owns go with the set (garbage collector); the others are deleted here.
    const uid = set?.metadata?.uid;
    const owned = new Set(
      (await ourClaims(cluster, props))
        .filter((c) => uid && c.metadata?.ownerReferences?.some((r) => r.uid === uid))
        .map((c) => c.metadata?.name),
    );
    for (const c of doomed) if (!owned.has(c)) await cluster.deleteClaim(ns, c);
    log(
      `${props.name}: whenDeleted is Delete: ${doomed.length} claims deleted with the set: ${doomed.join(", ")}`,
    );
  }
  return { keptClaims: kept };
}
