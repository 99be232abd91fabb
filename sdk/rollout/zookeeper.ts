/**
 * The rollout's ZooKeeper membership hooks (docs/zookeeper-scaling.md, "How it maps onto the
 * rollout"): the provider reaches the servers only by exec into their pods (exec.ts) and runs the
 * membership procedure of sdk/zookeeper/admin.ts around the StatefulSet change:
 *
 * - guard, before a lower `replicas` is applied: the members above the new count are removed by
 *   `reconfig`, one at a time, highest first, each confirmed. The guard does not touch
 *   `spec.replicas`: the pods of the removed servers go when pulumi-kubernetes applies the lower
 *   count (it owns that field; a second field manager on it would make its later apply of a
 *   different count a server-side-apply conflict). A scale-down that cannot proceed (no leader, a
 *   voter not serving) is refused before anything changes, in `preview` too;
 * - watcher, after the set is applied: the joiners are added one at a time, lowest ordinal first,
 *   each once it serves; pods on an old revision (updateStrategy OnDelete) are restarted one at a
 *   time, the leader last; the voting members are returned.
 *
 * What was done stays done and is consistent (every member has its pod; a pod above the
 * membership is a non-voting follower), so an interrupted `up` continues on the next one.
 * The decisions are pure (`scaleDownPlan` here, `nextMembershipStep` / `nextRestart` in
 * sdk/zookeeper/membership.ts); this file only observes and acts through the cluster.
 */
import type { V1StatefulSet } from "@kubernetes/client-node";
import {
  type EnsembleTarget,
  type Exec,
  MembershipError,
  observeEnsemble,
  type PodList,
  reconcileMembership,
  rollingRestart,
} from "../zookeeper/admin";
import { type EnsembleView, nextMembershipStep } from "../zookeeper/membership";
import { type Cluster, type Log, RolloutError } from "./client";
import { podView, selectorString } from "./decide";
import { PodExecError, podExec } from "./exec";
import type { RolloutInputs, ZooKeeperRollout } from "./protocol";

export type { ZooKeeperRollout };

/** What admin.ts needs to reach and name the servers of this rollout's set. */
export function targetOf(i: Pick<RolloutInputs, "name">, zk: ZooKeeperRollout): EnsembleTarget {
  return {
    setName: i.name,
    serviceDomain: zk.serviceDomain,
    clientPort: zk.clientPort,
    serverPort: zk.serverPort,
    electionPort: zk.electionPort,
  };
}

export type ScaleDownPlan =
  /** Members above `desired` to remove (highest first); the guard removes them. */
  | { kind: "remove"; ids: number[] }
  /** Nothing to remove: the membership is already within `desired`. */
  | { kind: "nothing" }
  /** Not now: the message names the server and says that nothing was changed. */
  | { kind: "refuse"; message: string; pod?: string };

/**
 * The guard's judgement of a scale-down from one observation (pure): refused unless the first
 * step towards `desired` can be taken now (a single leader with its membership, every voter that
 * must serve serving); otherwise the members above `desired` to remove.
 */
export function scaleDownPlan(view: EnsembleView, desired: number): ScaleDownPlan {
  const step = nextMembershipStep(view, desired);
  const to = `scaling ${view.setName} from ${view.replicas} to ${desired} servers`;
  switch (step.kind) {
    case "refuse":
      return { kind: "refuse", message: `refusing ${to}: ${step.message}. Nothing was changed.` };
    case "wait":
      return {
        kind: "refuse",
        pod: step.pod,
        message: `refusing ${to}: ${step.reason}. Nothing was changed; the scale continues once ${step.pod} serves (run the update again).`,
      };
    case "add":
      // An earlier scale-up stopped before adding this server: the watcher adds it; nothing to remove first.
      return { kind: "nothing" };
    case "remove":
    case "scale-pods":
    case "done": {
      const ids = (view.membership?.members ?? [])
        .map((m) => m.id)
        .filter((id) => id > desired)
        .sort((a, b) => b - a);
      return ids.length > 0 ? { kind: "remove", ids } : { kind: "nothing" };
    }
  }
}

/** Pods of the set that exist and are not terminating, and the set's replicas. */
async function podList(cluster: Cluster, i: RolloutInputs): Promise<PodList & { set?: V1StatefulSet }> {
  const [set, list] = await Promise.all([
    cluster.getStatefulSet(i.namespace, i.name),
    cluster.listPods(i.namespace, selectorString(i.selector)),
  ]);
  const pods: { name: string; ordinal: number }[] = [];
  for (const p of list.items) {
    const v = podView(i.name, p);
    if (v && !v.terminating) pods.push({ name: v.name, ordinal: v.ordinal });
  }
  pods.sort((a, b) => a.ordinal - b.ordinal);
  return { replicas: set?.spec?.replicas ?? 0, pods, ...(set ? { set } : {}) };
}

/**
 * An exec into the ZooKeeper container of the set's pods, within the rollout's deadline. admin.ts
 * reads a failed four-letter word as "not serving"; the last exec failure is kept (`lastFailure`)
 * so that an error can say when the pods could not be reached at all (e.g. no RBAC for pods/exec).
 */
export async function execFor(
  cluster: Cluster,
  i: RolloutInputs,
  zk: ZooKeeperRollout,
): Promise<Exec & { lastFailure?: string }> {
  const inner = await podExec({
    kc: cluster.kc,
    namespace: i.namespace,
    container: zk.container,
    deadline: cluster.opts.deadline,
  });
  const exec: Exec & { lastFailure?: string } = async (pod, command, stdin) => {
    try {
      const r = await inner(pod, command, stdin);
      exec.lastFailure = undefined;
      return r;
    } catch (e) {
      // Past the deadline nothing was tried: the error that ends the wait says enough.
      if (!(e instanceof PodExecError && e.pastDeadline)) exec.lastFailure = (e as Error).message;
      throw e;
    }
  };
  return exec;
}

/** `message`, plus the last exec failure when there was one. */
const withExecFailure = (message: string, exec: { lastFailure?: string }) =>
  exec.lastFailure ? `${message}\n(last exec failure: ${exec.lastFailure})` : message;

/** Observes the ensemble once (read only: `srvr` and `conf`). */
async function observe(cluster: Cluster, i: RolloutInputs, zk: ZooKeeperRollout, exec: Exec) {
  const { replicas, pods } = await podList(cluster, i);
  return observeEnsemble(exec, targetOf(i, zk), replicas, pods);
}

/**
 * The guard's check of a ZooKeeper scale-down, for `diff` (preview) and before `update` acts:
 * throws the refusal; returns the plan otherwise. Changes nothing.
 */
export async function checkScaleDown(
  cluster: Cluster,
  news: RolloutInputs,
  zk: ZooKeeperRollout,
  exec?: Exec & { lastFailure?: string },
): Promise<Exclude<ScaleDownPlan, { kind: "refuse" }>> {
  const run = exec ?? (await execFor(cluster, news, zk));
  const view = await observe(cluster, news, zk, run);
  const plan = scaleDownPlan(view, news.replicas);
  if (plan.kind === "refuse") throw new RolloutError(withExecFailure(plan.message, run));
  return plan;
}

/** How long one change may take to be read back: 30 s, never past the rollout's deadline. */
const confirmMs = (cluster: Cluster) => Math.max(1000, Math.min(30_000, cluster.remainingMs));

/** Thrown by the guard's `scalePods`: the removals are done, the apply lowers the replicas. */
class RemovalsDone extends Error {}

/**
 * Guard, before a lower `replicas` is applied: removes the members above it, one confirmed
 * `reconfig` at a time, highest first. Refuses before anything changes when the first step cannot
 * be taken; a failure later leaves what was removed removed (their pods keep running as
 * non-voting servers until the lower count is applied), and the next update continues.
 */
export async function removeMembersAbove(
  cluster: Cluster,
  news: RolloutInputs,
  zk: ZooKeeperRollout,
  log: Log,
): Promise<void> {
  const exec = await execFor(cluster, news, zk);
  const plan = await checkScaleDown(cluster, news, zk, exec);
  if (plan.kind === "nothing") return;
  log(
    `${news.name}: removing server(s) ${plan.ids.map((id) => `${news.name}-${id - 1} (server.${id})`).join(", ")} from the ZooKeeper membership before their pods stop`,
  );
  try {
    await reconcileMembership({
      exec,
      target: targetOf(news, zk),
      user: { password: zk.superPassword },
      desired: news.replicas,
      pods: () => podList(cluster, news),
      scalePods: async (n) => {
        // Lowering spec.replicas is the apply's job; raising it here is never right.
        if (n < (await podList(cluster, news)).replicas) throw new RemovalsDone();
        throw new RolloutError(
          `${news.name}: spec.replicas is below the ${n} servers this scale-down keeps; it was changed outside this program. Nothing else was changed.`,
        );
      },
      timeoutMs: Math.max(1000, cluster.remainingMs),
      confirmMs: confirmMs(cluster),
      log: (l) => log(`${news.name}: ${l}`),
    });
  } catch (e) {
    if (e instanceof RemovalsDone) return;
    if (e instanceof MembershipError)
      throw new RolloutError(
        withExecFailure(
          `${e.message}\nThe membership and the pods are consistent (servers removed so far stay removed; their pods keep running until the lower replicas are applied). Run the update again to continue.`,
          exec,
        ),
      );
    throw e;
  }
}

/** Pods of the set on another revision than the set's update revision (OnDelete: to restart). */
async function stalePods(cluster: Cluster, i: RolloutInputs): Promise<string[]> {
  const set = await cluster.getStatefulSet(i.namespace, i.name);
  const update = set?.status?.updateRevision;
  if (!update) return [];
  const list = await cluster.listPods(i.namespace, selectorString(i.selector));
  const out: string[] = [];
  for (const p of list.items) {
    const v = podView(i.name, p);
    if (v && !v.terminating && v.revision !== undefined && v.revision !== update) out.push(v.name);
  }
  return out.sort();
}

/**
 * Watcher, after the set is applied and its pods are up: adds the joiners (lowest ordinal first,
 * each once it serves), then restarts the pods still on an old revision (OnDelete), the leader
 * last, and confirms that every voter serves. Returns the voting members' pod names.
 */
export async function settleMembership(
  cluster: Cluster,
  i: RolloutInputs,
  zk: ZooKeeperRollout,
  log: Log,
): Promise<string[]> {
  const exec = await execFor(cluster, i, zk);
  const target = targetOf(i, zk);
  const reconcile = () =>
    reconcileMembership({
      exec,
      target,
      user: { password: zk.superPassword },
      desired: i.replicas,
      pods: () => podList(cluster, i),
      scalePods: async (n) => {
        throw new RolloutError(
          `${i.name}: spec.replicas is ${(await podList(cluster, i)).replicas}, not the ${n} the program applied: it was changed outside this program (kubectl scale, an autoscaler). ZooKeeper membership is managed through replicas only; set it back. The membership was left as it is.`,
        );
      },
      timeoutMs: Math.max(1000, cluster.remainingMs),
      confirmMs: confirmMs(cluster),
      log: (l) => log(`${i.name}: ${l}`),
    });
  const wrap = async <T>(f: () => Promise<T>): Promise<T> => {
    try {
      return await f();
    } catch (e) {
      if (e instanceof MembershipError)
        throw new RolloutError(
          withExecFailure(
            `${e.message}\nWhat was done stays done and is consistent; run the update again to continue.`,
            exec,
          ),
        );
      throw e;
    }
  };
  let voters = await wrap(reconcile);
  if (i.updateStrategy === "OnDelete" && (await stalePods(cluster, i)).length > 0) {
    const restarted = await wrap(() =>
      rollingRestart({
        exec,
        target,
        pending: () => stalePods(cluster, i),
        pods: () => podList(cluster, i),
        restartPod: async (pod) => {
          await cluster.retry(`deleting pod ${i.namespace}/${pod}`, () =>
            cluster.core.deleteNamespacedPod({ namespace: i.namespace, name: pod }),
          );
        },
        timeoutMs: Math.max(1000, cluster.remainingMs),
        log: (l) => log(`${i.name}: ${l}`),
      }),
    );
    log(`${i.name}: restarted ${restarted.join(", ")} (leader last)`);
    voters = await wrap(reconcile);
  }
  return voters.map((id) => `${i.name}-${id - 1}`);
}
