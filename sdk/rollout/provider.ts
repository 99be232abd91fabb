/**
 * The rollout provider's operations: the guard that refuses an unsafe scale-down before the
 * StatefulSet changes, the watcher that waits for ordered readiness and rolling updates, and the
 * ordered teardown that keeps claims. components/rollout.ts wires them into Pulumi dynamic
 * resources; tests call them directly against the simulator.
 */
import type { V1Pod, V1StatefulSet } from "@kubernetes/client-node";
import { ordinalOf } from "../naming";
import { Cluster, type Log, RolloutError } from "./client";
import {
  claimNamesFor,
  claimsToDelete,
  describePod,
  type PodView,
  podView,
  rolloutState,
  type SetView,
  scaleDownRefusal,
  teardownStep,
} from "./decide";

export { RolloutError };

/** Annotations a kept claim gets when its set is destroyed. */
export const RELEASED_FROM = "stateful.pulumi.com/released-from";
export const RELEASED_AT = "stateful.pulumi.com/released-at";

export interface RolloutInputs {
  namespace: string;
  /** StatefulSet name. */
  name: string;
  replicas: number;
  ordinalsStart: number;
  podManagementPolicy: "OrderedReady" | "Parallel";
  updateStrategy: "RollingUpdate" | "OnDelete";
  partition: number;
  whenDeleted: "Retain" | "Delete";
  /** Claim template names. */
  claimTemplates: string[];
  /** Labels selecting the set's pods and claims. */
  selector: Record<string, string>;
  /** Seconds to wait for a rollout or teardown before failing. */
  timeoutSeconds: number;
  /** Hash of the pod template: a change means a rolling update to wait for. */
  templateHash: string;
  /** Fields whose change makes the Kubernetes provider replace the set, as `field=value` lines. */
  immutable: string;
  /** Let a change of `immutable` fields through (the set is replaced: all pods go at once). */
  allowReplacement: boolean;
  /** Kubeconfig YAML (a secret input); @default - the ambient kubeconfig */
  kubeconfig?: string;
  /** @default - the kubeconfig's current context */
  context?: string;
}

export interface RolloutResult {
  readyPods: string[];
  keptClaims: string[];
}

const selectorString = (s: Record<string, string>) =>
  Object.entries(s)
    .map(([k, v]) => `${k}=${v}`)
    .join(",");

const stsPath = (ns: string) => `/apis/apps/v1/namespaces/${ns}/statefulsets`;
const podsPath = (ns: string) => `/api/v1/namespaces/${ns}/pods`;

function connect(i: RolloutInputs, log: Log): Promise<Cluster> {
  return Cluster.connect({
    kubeconfig: i.kubeconfig,
    context: i.context,
    deadline: Date.now() + i.timeoutSeconds * 1000,
    log,
  });
}

function setView(i: RolloutInputs, set: V1StatefulSet): SetView {
  return {
    name: i.name,
    replicas: set.spec?.replicas ?? 1,
    ordinalsStart: set.spec?.ordinals?.start ?? 0,
    updateStrategy:
      (set.spec?.updateStrategy?.type as SetView["updateStrategy"] | undefined) ?? "RollingUpdate",
    partition: set.spec?.updateStrategy?.rollingUpdate?.partition ?? 0,
    podManagementPolicy:
      (set.spec?.podManagementPolicy as SetView["podManagementPolicy"] | undefined) ?? "OrderedReady",
    generation: set.metadata?.generation ?? 0,
    observedGeneration: set.status?.observedGeneration ?? 0,
    updateRevision: set.status?.updateRevision,
    currentRevision: set.status?.currentRevision,
  };
}

function podsOf(i: RolloutInputs, objects: Iterable<V1Pod>): PodView[] {
  return [...objects].map((o) => podView(i.name, o)).filter((p): p is PodView => p !== undefined);
}

/** The set's pods, kept current by list + watch. */
function watchPods(cluster: Cluster, i: RolloutInputs) {
  const labelSelector = selectorString(i.selector);
  return cluster.watch(podsPath(i.namespace), { labelSelector }, () =>
    cluster.core.listNamespacedPod({ namespace: i.namespace, labelSelector }),
  );
}

/** Lines describing which immutable fields differ. */
function immutableChanges(before: string, after: string): string[] {
  const a = new Map(before.split("\n").map((l) => [l.split("=")[0], l]));
  return after.split("\n").filter((l) => a.get(l.split("=")[0]) !== l);
}

/**
 * Runs before the StatefulSet is updated. Refuses (throws) when the update would scale down while
 * any pod is not Ready, or would make the Kubernetes provider replace the set, unless allowed.
 */
export async function guardUpdate(
  olds: RolloutInputs,
  news: RolloutInputs,
  log: Log = console.log,
): Promise<void> {
  const changed = immutableChanges(olds.immutable, news.immutable);
  if (changed.length > 0 && !news.allowReplacement)
    throw new RolloutError(
      [
        `refusing to change StatefulSet "${news.namespace}/${news.name}": these fields cannot change in place, so the set would be replaced and every pod deleted at once:`,
        ...changed.map((c) => `  - ${c}`),
        "Set rollout.allowReplacement to true to accept the outage (claims are kept with the default retention). Nothing was changed.",
      ].join("\n"),
    );
  if (news.replicas >= olds.replicas) return;
  const cluster = await connect(news, log);
  const set = await cluster.getStatefulSet(news.namespace, news.name);
  if (!set) return;
  const pods = podsOf(news, (await cluster.listPods(news.namespace, selectorString(news.selector))).items);
  const refusal = scaleDownRefusal(
    news.name,
    pods,
    set.spec?.replicas ?? 1,
    set.spec?.ordinals?.start ?? 0,
    news.replicas,
  );
  if (refusal) throw new RolloutError(refusal);
  log(`${news.name}: all ${set.spec?.replicas ?? 1} pods Ready; scaling down to ${news.replicas} is safe`);
}

/**
 * Waits until the set has `inputs.replicas` pods Ready (in ascending ordinal order, one progress
 * line each), pods above it gone (claims kept and reported), and the rolling update done as far as
 * `partition` allows; OnDelete pods on an old revision are reported, not waited for.
 */
export async function waitForRollout(
  inputs: RolloutInputs,
  log: Log = console.log,
  previous?: RolloutInputs,
  /** How often to say what is still awaited when nothing else happens. */
  heartbeatMs = 30_000,
): Promise<RolloutResult> {
  const started = Date.now();
  let lastLine = started;
  const say: Log = (line) => {
    lastLine = Date.now();
    log(line);
  };
  const cluster = await connect(inputs, log);
  const ns = inputs.namespace;
  const sets = cluster.watch(stsPath(ns), { fieldSelector: `metadata.name=${inputs.name}` }, async () => {
    const list = await cluster.apps.listNamespacedStatefulSet({
      namespace: ns,
      fieldSelector: `metadata.name=${inputs.name}`,
    });
    return list;
  });
  const pods = watchPods(cluster, inputs);
  const announced = new Set<number>();
  const gone = new Set<string>();
  const seenLeaving = new Set<string>();
  try {
    await Promise.all([sets.start(), pods.start()]);
    for (;;) {
      const set = sets.objects.get(inputs.name);
      if (set) {
        const view = setView(inputs, set);
        const podViews = podsOf(inputs, pods.objects.values());
        const state = rolloutState({ ...view, replicas: inputs.replicas }, podViews);
        const total = inputs.replicas;
        // Progress: newly Ready ordinals, ascending, counted in that order.
        for (const ord of state.ready) {
          if (announced.has(ord)) continue;
          if (
            inputs.podManagementPolicy === "OrderedReady" &&
            state.ready.some((o) => o < ord && !announced.has(o))
          )
            break;
          announced.add(ord);
          if (
            !previous ||
            ord >= previous.ordinalsStart + previous.replicas ||
            inputs.templateHash !== previous.templateHash
          )
            say(
              `${inputs.name}-${ord} ready (${announced.size}/${total}) after ${((Date.now() - started) / 1000).toFixed(1)}s`,
            );
        }
        for (const p of podViews) if (state.leaving.includes(p.ordinal)) seenLeaving.add(p.name);
        for (const name of seenLeaving)
          if (!pods.objects.has(name) && !gone.has(name)) {
            gone.add(name);
            say(`${name} gone (scale-down to ${total})`);
          }
        if (!state.done && Date.now() - lastLine >= heartbeatMs) {
          const w = state.waitingOn!;
          say(
            `${inputs.name}: ${state.ready.length}/${total} ready after ${((Date.now() - started) / 1000).toFixed(0)}s; waiting for ${inputs.name}-${w.ordinal}: ${w.reason}`,
          );
        }
        if (state.done) {
          const kept =
            previous && inputs.replicas < previous.replicas
              ? claimNamesFor(
                  inputs.claimTemplates,
                  inputs.name,
                  inputs.ordinalsStart + inputs.replicas,
                  previous.replicas - inputs.replicas,
                )
              : [];
          if (kept.length > 0) say(`${inputs.name}: claims of removed pods kept: ${kept.join(", ")}`);
          if (state.stale.length > 0)
            say(
              `${inputs.name}: updateStrategy OnDelete: ${state.stale.join(", ")} still run the old revision; delete them yourself to update them`,
            );
          say(
            `${inputs.name}: ${total}/${total} pods ready after ${((Date.now() - started) / 1000).toFixed(1)}s`,
          );
          return {
            readyPods: state.ready.map((o) => `${inputs.name}-${o}`),
            keptClaims: kept,
          };
        }
        if (Date.now() > cluster.opts.deadline) {
          const w = state.waitingOn!;
          throw new RolloutError(
            [
              `timed out after ${inputs.timeoutSeconds}s waiting for StatefulSet "${ns}/${inputs.name}" (${state.ready.length}/${total} ready):`,
              `  ${w.pod ? describePod(w.pod) : `${inputs.name}-${w.ordinal}: not created`} — ${w.reason}`,
              ...(pods.lastError ? [`  last watch error: ${pods.lastError}`] : []),
            ].join("\n"),
          );
        }
      } else if (Date.now() > cluster.opts.deadline) {
        throw new RolloutError(
          `timed out after ${inputs.timeoutSeconds}s: StatefulSet "${ns}/${inputs.name}" ${sets.lastError ? `could not be read (last error: ${sets.lastError})` : "does not exist"}`,
        );
      }
      await Promise.race([
        pods.changed(Math.max(0, Math.min(1000, cluster.remainingMs, heartbeatMs - (Date.now() - lastLine)))),
        sets.changed(1000),
      ]);
    }
  } finally {
    sets.stop();
    pods.stop();
  }
}

/**
 * Destroy: scales the set down one ordinal at a time, N-1 first, each pod gone before the next;
 * then marks every claim with where it came from and lists it. Claims are deleted only for
 * `whenDeleted: "Delete"` and only once no pod is left (the Kubernetes garbage collector does it
 * for claims the set owns; the provider for claims the cluster did not give an owner).
 */
export async function teardown(
  inputs: RolloutInputs,
  log: Log = console.log,
  heartbeatMs = 30_000,
): Promise<RolloutResult> {
  const cluster = await connect(inputs, log);
  const ns = inputs.namespace;
  const started = Date.now();
  const pods = watchPods(cluster, inputs);
  let podsLeft = 0;
  try {
    await pods.start();
    for (;;) {
      const set = await cluster.getStatefulSet(ns, inputs.name);
      const views = podsOf(inputs, pods.objects.values());
      podsLeft = views.length;
      if (!set) break;
      const step = teardownStep(views, set.spec?.replicas ?? 1, set.spec?.ordinals?.start ?? 0);
      if ("done" in step) break;
      if (step.scaleTo !== (set.spec?.replicas ?? 1)) await cluster.scale(ns, inputs.name, step.scaleTo);
      if (step.waitFor) {
        const name = step.waitFor;
        let lastLine = Date.now();
        while (pods.objects.has(name)) {
          if (Date.now() - lastLine >= heartbeatMs) {
            const p = podView(inputs.name, pods.objects.get(name));
            log(`${inputs.name}: waiting for ${p ? describePod(p) : name} to go`);
            lastLine = Date.now();
          }
          if (Date.now() > cluster.opts.deadline) {
            const p = podView(inputs.name, pods.objects.get(name));
            throw new RolloutError(
              `timed out after ${inputs.timeoutSeconds}s tearing down "${ns}/${inputs.name}": ${p ? describePod(p) : name} is still there. Claims were not touched.`,
            );
          }
          await pods.changed(
            Math.max(0, Math.min(1000, cluster.remainingMs, heartbeatMs - (Date.now() - lastLine))),
          );
        }
        log(
          `${name} gone (${podsOf(inputs, pods.objects.values()).length} left) after ${((Date.now() - started) / 1000).toFixed(1)}s`,
        );
      }
    }
  } finally {
    pods.stop();
  }
  // Only `<template>-<set>-<ordinal>`: not the claims of another set whose name starts the same.
  const prefixOk = (n: string) =>
    inputs.claimTemplates.some((t) => ordinalOf(`${t}-${inputs.name}`, n) !== undefined);
  const claims = (await cluster.listClaims(ns, selectorString(inputs.selector)))
    .map((c) => c.metadata?.name ?? "")
    .filter(prefixOk)
    .sort();
  const doomed = claimsToDelete(inputs.whenDeleted, podsLeft, claims);
  const kept = claims.filter((c) => !doomed.includes(c));
  const at = new Date().toISOString();
  for (const c of kept)
    await cluster.annotateClaim(ns, c, { [RELEASED_FROM]: `${ns}/${inputs.name}`, [RELEASED_AT]: at });
  if (kept.length > 0)
    log(
      `${inputs.name}: kept ${kept.length} claims: ${kept.join(", ")} (marked ${RELEASED_FROM}=${ns}/${inputs.name}; delete them when the data is no longer needed)`,
    );
  if (doomed.length > 0) {
    // Claims the set owns go with the set (garbage collector); the others are deleted here.
    const set = await cluster.getStatefulSet(ns, inputs.name);
    const owned = (await cluster.listClaims(ns, selectorString(inputs.selector))).filter((c) =>
      c.metadata?.ownerReferences?.some((r) => r.uid === set?.metadata?.uid),
    );
    for (const c of doomed) if (!owned.some((o) => o.metadata?.name === c)) await cluster.deleteClaim(ns, c);
    log(
      `${inputs.name}: whenDeleted is Delete: ${doomed.length} claims deleted with the set: ${doomed.join(", ")}`,
    );
  }
  return { readyPods: [], keptClaims: kept };
}
