/**
 * ZooKeeper membership through the real rollout provider functions (guardDiff / guardUpdate /
 * waitForRollout) against the simulator, whose pods run a model ZooKeeper
 * (test/support/fake-zookeeper.ts) reached only through pods/exec, as a cluster would be.
 * Each `up` below does what `pulumi up` does with a ZooKeeperEnsemble: guard (diff, then
 * update), apply the rendered objects, watcher.
 */
import { afterEach, describe, expect, it } from "vitest";
import { statefulAppManifests } from "../sdk/manifests";
import { rolloutInputs, zooKeeperRollout } from "../sdk/rollout/inputs";
import {
  guardCreate,
  guardDiff,
  guardUpdate,
  type RolloutInputs,
  type RolloutOutputs,
  waitForRollout,
} from "../sdk/rollout/provider";
import { scaleDownPlan } from "../sdk/rollout/zookeeper";
import { resolveZooKeeper, type ZooKeeperEnsembleArgs } from "../sdk/zookeeper/ensemble";
import type { EnsembleView } from "../sdk/zookeeper/membership";
import { Sim } from "./sim";
import { FakeZooKeeper } from "./support/fake-zookeeper";

const PASSWORD = "zk-super-0123456789abcdef";

let sim: Sim | undefined;
afterEach(async () => {
  await sim?.stop();
  sim = undefined;
});

interface Stack {
  sim: Sim;
  zk: FakeZooKeeper;
  logs: string[];
  guard?: RolloutOutputs;
  watcher?: RolloutOutputs;
}

async function start(): Promise<Stack> {
  sim = await Sim.start({ graceMs: 5 });
  const zk = new FakeZooKeeper(sim, { setName: "zk", password: PASSWORD });
  // The simulator's pod deletions, in the same timeline as the model's events.
  const terminating = new Set<string>();
  sim.store.subscribe((ev) => {
    if (ev.resource !== "pods") return;
    const { name, uid, deletionTimestamp } = ev.object.metadata as {
      name: string;
      uid: string;
      deletionTimestamp?: string;
    };
    if (deletionTimestamp && !terminating.has(uid)) {
      terminating.add(uid);
      zk.events.push(`terminating ${name}`);
    }
  });
  return { sim, zk, logs: [] };
}

function build(s: Stack, replicas: number, args: ZooKeeperEnsembleArgs = {}) {
  const spec = resolveZooKeeper("zk", { replicas, rollout: { timeoutSeconds: 60 }, ...args });
  const m = statefulAppManifests(spec.app);
  const inputs: RolloutInputs = {
    ...rolloutInputs(spec.app, m.statefulSet.spec.template),
    kubeconfig: s.sim.kubeconfig(),
    zookeeper: zooKeeperRollout(spec.servers, PASSWORD),
  };
  return { m, inputs };
}

/** What `pulumi up` does: guard, apply (only if the guard let it through), watcher. */
async function up(s: Stack, replicas: number, args: ZooKeeperEnsembleArgs = {}): Promise<RolloutOutputs> {
  const { m, inputs } = build(s, replicas, args);
  const log = (l: string) => s.logs.push(l);
  if (!s.guard) s.guard = await guardCreate(inputs, log);
  else {
    await guardDiff(s.guard, inputs, log);
    s.guard = await guardUpdate(s.guard, inputs, log);
  }
  s.zk.events.push(`apply replicas=${replicas}`);
  s.sim.apply("services", "default", m.headlessService!);
  if (m.configMap) s.sim.apply("configmaps", "default", m.configMap);
  s.sim.apply("statefulsets", "default", m.statefulSet);
  try {
    s.watcher = await waitForRollout(inputs, log, s.watcher);
  } catch (e: any) {
    // The engine records a partial update's properties as the watcher's outputs.
    if (e?.properties) s.watcher = e.properties;
    throw e;
  }
  return s.watcher!;
}

const at = (s: Stack, event: string) => {
  const i = s.zk.events.indexOf(event);
  if (i < 0) throw new Error(`no event "${event}" in ${s.zk.events.join(" | ")}`);
  return i;
};
const since = (s: Stack, mark: number) => s.zk.events.slice(mark);
const livePods = (s: Stack) =>
  s.sim
    .pods()
    .filter((p) => !p.metadata.deletionTimestamp)
    .map((p) => p.metadata.name)
    .sort();
const liveReplicas = (s: Stack) => s.sim.store.get("statefulsets", "default", "zk")?.spec?.replicas;

/** An ensemble of `pods` pods whose voters are `voters`, zk-(leader-1) leading, `down` not serving. */
function view(pods: number, voters: number[], leader: number, down: number[] = []): EnsembleView {
  return {
    setName: "zk",
    replicas: pods,
    servers: Array.from({ length: pods }, (_, o) =>
      down.includes(o)
        ? { pod: `zk-${o}`, ordinal: o, serving: false }
        : {
            pod: `zk-${o}`,
            ordinal: o,
            serving: true,
            mode: o + 1 === leader ? ("leader" as const) : ("follower" as const),
            zxid: "0x100000005",
          },
    ),
    membership: {
      version: "100000004",
      members: voters.map((id) => ({
        id,
        host: `zk-${id - 1}.h`,
        peerPort: 2888,
        electionPort: 3888,
        role: "participant" as const,
      })),
    },
  };
}

describe("scaleDownPlan (the guard's judgement, pure)", () => {
  it("removes the members above the new count, highest first", () => {
    expect(scaleDownPlan(view(5, [1, 2, 3, 4, 5], 1), 3)).toEqual({ kind: "remove", ids: [5, 4] });
    // Already removed by an interrupted earlier run: nothing left to remove; the apply deletes the pods.
    expect(scaleDownPlan(view(5, [1, 2, 3], 1), 3)).toEqual({ kind: "nothing" });
    // A dead member above the new count may go while the rest keep a quorum.
    expect(scaleDownPlan(view(5, [1, 2, 3, 4, 5], 1, [4]), 3)).toEqual({ kind: "remove", ids: [5, 4] });
  });

  it("refuses, naming the server, when the first step cannot be taken now", () => {
    expect(scaleDownPlan(view(5, [1, 2, 3, 4, 5], 1, [1]), 3)).toEqual({
      kind: "refuse",
      pod: "zk-1",
      message:
        "refusing scaling zk from 5 to 3 servers: zk-1 (server.2) is a voting member but not serving; removing the serving zk-4 now would leave no room for another failure. Nothing was changed; the scale continues once zk-1 serves (run the update again).",
    });
    const noLeader = scaleDownPlan({ ...view(3, [1, 2, 3], 0), membership: undefined }, 1);
    expect(noLeader.kind).toBe("refuse");
    const split = scaleDownPlan(
      {
        ...view(3, [1, 2, 3], 1),
        servers: view(3, [1, 2, 3], 1).servers.map((x) => ({ ...x, mode: "leader" as const })),
      },
      1,
    );
    expect(split).toEqual({
      kind: "refuse",
      message:
        'refusing scaling zk from 3 to 1 servers: zk-0 and zk-1 and zk-2 all report "leader": the ensemble is split; stop and investigate before changing its membership. Nothing was changed.',
    });
  });
});

describe("ZooKeeper membership follows replicas through the rollout", () => {
  it("1 -> 3 -> 5 -> 3 -> 1: joiners added after they serve, lowest first; members removed highest first, before their pods stop", async () => {
    const s = await start();
    let out = await up(s, 1);
    expect(out.votingMembers).toEqual(["zk-0"]);
    expect(s.zk.votingPods()).toEqual(["zk-0"]);

    let mark = s.zk.events.length;
    out = await up(s, 3);
    expect(out.votingMembers).toEqual(["zk-0", "zk-1", "zk-2"]);
    expect(s.zk.votingPods()).toEqual(["zk-0", "zk-1", "zk-2"]);
    expect(since(s, mark).filter((e) => e.startsWith("reconfig"))).toEqual([
      "reconfig -add 2",
      "reconfig -add 3",
    ]);
    expect(at(s, "serving zk-1")).toBeLessThan(at(s, "reconfig -add 2"));
    expect(at(s, "serving zk-2")).toBeLessThan(at(s, "reconfig -add 3"));
    expect(at(s, `apply replicas=3`)).toBeLessThan(at(s, "reconfig -add 2"));

    mark = s.zk.events.length;
    out = await up(s, 5);
    expect(out.votingMembers).toEqual(["zk-0", "zk-1", "zk-2", "zk-3", "zk-4"]);
    expect(since(s, mark).filter((e) => e.startsWith("reconfig"))).toEqual([
      "reconfig -add 4",
      "reconfig -add 5",
    ]);
    expect(at(s, "serving zk-4")).toBeLessThan(at(s, "reconfig -add 5"));

    mark = s.zk.events.length;
    out = await up(s, 3);
    expect(out.votingMembers).toEqual(["zk-0", "zk-1", "zk-2"]);
    const down = since(s, mark).filter((e) => /^(reconfig|apply|stop|terminating)/.test(e));
    // Removed before the lower count is applied, so before any pod is asked to stop.
    expect(down.slice(0, 3)).toEqual(["reconfig -remove 5", "reconfig -remove 4", "apply replicas=3"]);
    expect(down.slice(3).sort()).toEqual(["stop zk-3", "stop zk-4", "terminating zk-3", "terminating zk-4"]);
    expect(livePods(s)).toEqual(["zk-0", "zk-1", "zk-2"]);

    mark = s.zk.events.length;
    out = await up(s, 1);
    expect(out.votingMembers).toEqual(["zk-0"]);
    const toOne = since(s, mark).filter((e) => /^(reconfig|apply|stop)/.test(e));
    expect(toOne.slice(0, 3)).toEqual(["reconfig -remove 3", "reconfig -remove 2", "apply replicas=1"]);
    expect(toOne.slice(3).sort()).toEqual(["stop zk-1", "stop zk-2"]);
    expect(s.zk.votingPods()).toEqual(["zk-0"]);

    // The password went only to zkCli's stdin: never a command line, never a log line.
    for (const c of s.zk.commands) expect(c.command.join(" ")).not.toContain(PASSWORD);
    for (const l of s.logs) expect(l).not.toContain(PASSWORD);
    expect(s.zk.commands.some((c) => c.stdin.includes(`super:${PASSWORD}`))).toBe(true);
  });

  it("a template change restarts the pods one at a time, the leader last (OnDelete)", async () => {
    const s = await start();
    await up(s, 3);
    // Make zk-1 the leader, so that "leader last" is not "ordinal order".
    s.zk.leader = 2;
    s.zk.epoch++;
    const mark = s.zk.events.length;
    const out = await up(s, 3, { image: "zookeeper:3.8.5" });
    const stops = since(s, mark).filter((e) => e.startsWith("stop"));
    expect(stops).toEqual(["stop zk-2", "stop zk-0", "stop zk-1"]);
    expect(out.votingMembers).toEqual(["zk-0", "zk-1", "zk-2"]);
    const set = s.sim.store.get("statefulsets", "default", "zk")!;
    expect(set.spec.updateStrategy.type).toBe("OnDelete");
    for (const p of s.sim.pods())
      expect(p.metadata.labels?.["controller-revision-hash"]).toBe(set.status.updateRevision);
    expect(s.logs.some((l) => l.includes("restarted zk-2, zk-0, zk-1 (leader last)"))).toBe(true);
  });

  it("refuses a scale-down that cannot proceed, naming the server, before anything changes (preview too)", async () => {
    const s = await start();
    await up(s, 5);
    // Readiness that only sees the process (the generic pod-health check passes): the ensemble decides.
    s.zk.probe = "running";
    s.zk.notServing.add(1);
    const mark = s.zk.events.length;
    const { inputs } = build(s, 3);
    const preview = await guardDiff(s.guard!, inputs, () => {}).catch((e) => e);
    expect(preview.message).toBe(
      "refusing scaling zk from 5 to 3 servers: zk-1 (server.2) is a voting member but not serving; removing the serving zk-4 now would leave no room for another failure. Nothing was changed; the scale continues once zk-1 serves (run the update again).",
    );
    const err = await up(s, 3).catch((e) => e);
    expect(err.message).toBe(preview.message);
    // The update refuses on its own too (an engine may update without the diff in this process).
    const update = await guardUpdate(s.guard!, inputs, () => {}).catch((e) => e);
    expect(update.message).toBe(preview.message);
    expect(since(s, mark).filter((e) => /^(reconfig|apply|stop)/.test(e))).toEqual([]);
    expect(liveReplicas(s)).toBe(5);
    expect(s.zk.votingPods()).toHaveLength(5);

    // No leader: a majority of the voters does not serve.
    s.zk.notServing.add(2);
    s.zk.notServing.add(3);
    const noLeader = await guardDiff(s.guard!, inputs, () => {}).catch((e) => e);
    expect(noLeader.message).toMatch(
      /^refusing scaling zk from 5 to 3 servers: no server is leading \(zk-0: not serving, zk-1: not serving, zk-2: not serving, zk-3: not serving, zk-4: not serving\); a membership change needs a leader\. Nothing was changed/,
    );

    // Once they serve again, the same update goes through.
    s.zk.notServing.clear();
    s.zk.probe = "serving";
    expect((await up(s, 3)).votingMembers).toEqual(["zk-0", "zk-1", "zk-2"]);
  });

  it("a scale-down refused because the pods cannot be reached by exec says why (RBAC)", async () => {
    const s = await start();
    await up(s, 3);
    s.sim.faults = (req) => (req.subresource === "exec" ? [{ kind: "status", code: 403 }] : []);
    const { inputs } = build(s, 1);
    const err = await guardDiff(s.guard!, inputs, () => {}).catch((e) => e);
    expect(err.message).toMatch(/^refusing scaling zk from 3 to 1 servers: no server is leading/);
    expect(err.message).toMatch(
      /\n\(last exec failure: exec in pod default\/zk-\d \(container zookeeper\): not allowed \(HTTP 403: the kubeconfig's user needs "create" on pods\/exec\)\)$/,
    );
    s.sim.faults = undefined;
    expect(s.zk.votingPods()).toEqual(["zk-0", "zk-1", "zk-2"]);
  });

  it("an interrupted scale-up leaves membership and pods consistent, and the next up continues", async () => {
    const s = await start();
    await up(s, 3);
    s.zk.stuck.add(4);
    const err = await up(s, 5, { rollout: { timeoutSeconds: 8 } }).catch((e) => e);
    // The watcher waits for every pod to serve before it adds any: it stops naming zk-4.
    expect(err.message).toMatch(
      /^timed out after 8s waiting for StatefulSet "default\/zk" \(4\/5 ready\):\n {2}zk-4: .* not Ready$/,
    );
    // Every member has its pod; zk-4 exists but does not vote.
    expect(s.zk.voters().every((id) => livePods(s).includes(`zk-${id - 1}`))).toBe(true);
    expect(s.zk.voters()).toEqual([1, 2, 3]);
    expect(liveReplicas(s)).toBe(5);
    s.zk.unstick(4);
    expect((await up(s, 5)).votingMembers).toEqual(["zk-0", "zk-1", "zk-2", "zk-3", "zk-4"]);
  });

  it("an interrupted scale-down keeps what was removed removed and every member's pod; the next up continues", async () => {
    const s = await start();
    await up(s, 5);
    s.zk.failing.add("-remove 3");
    const err = await up(s, 1, { rollout: { timeoutSeconds: 10 } }).catch((e) => e);
    expect(err.message).toMatch(
      /^zk: scaling to 1 stopped after \d+ ms: removing zk-2 \(server\.3\) from membership version \w+ was not confirmed: zkCli said: KeeperErrorCode = NewConfigNoQuorum for \/zookeeper\/config\nThe membership and the pods are consistent/,
    );
    expect(err.message).not.toContain("last exec failure");
    expect(err.message).not.toContain(PASSWORD);
    expect(s.zk.voters()).toEqual([1, 2, 3]);
    // The guard stopped the update: the set still has every pod, the removed ones non-voting.
    expect(liveReplicas(s)).toBe(5);
    expect(livePods(s)).toEqual(["zk-0", "zk-1", "zk-2", "zk-3", "zk-4"]);
    s.zk.failing.clear();
    const mark = s.zk.events.length;
    expect((await up(s, 1)).votingMembers).toEqual(["zk-0"]);
    expect(since(s, mark).filter((e) => e.startsWith("reconfig"))).toEqual([
      "reconfig -remove 3",
      "reconfig -remove 2",
    ]);
    expect(livePods(s)).toEqual(["zk-0"]);
  });
});
