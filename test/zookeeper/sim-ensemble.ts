/**
 * The same proof as scale.ts, with the cluster's decisions and the real rollout provider: the
 * simulator's StatefulSet controller (test/sim/statefulset-controller.ts, after upstream
 * pkg/controller/statefulset) decides which pod exists when, and each simulated pod's container is
 * a real ZooKeeper server from the harness (harness.ts, the same overlay) on its own loopback
 * address:
 *
 * - the kubelet's runtime hook (test/sim/kubelet.ts) starts the server when the simulator starts
 *   the pod's container, from the pod's own spec (command, env, probes, ports) with the ConfigMap
 *   and Secret the simulator holds, and stops it (SIGTERM) when the pod is deleted; the pod's DNS
 *   record is published while the pod runs (upstream publishes it for an existing pod, before it is
 *   Ready, with the headless Service's publishNotReadyAddresses);
 * - readiness is the rendered readiness probe command run against that server, polled as
 *   pkg/kubelet/prober does (a period, Ready flipped when the result changes);
 * - `pods/exec` (test/sim/exec.ts, over the real WebSocket) runs the command in the pod's
 *   environment against the pod's server, as the harness's exec does.
 *
 * Each `up` calls the real provider functions as `pulumi up` does with a ZooKeeperEnsemble:
 * guardDiff then guardUpdate (ZooKeeper removals before a lower count), apply the objects to the
 * simulator, then waitForRollout (joiners added, OnDelete pods restarted leader last). The
 * objects are the component's (`resolveZooKeeper` + `statefulAppManifests`, checked against the
 * rendered ones in test/zookeeper.test.ts); the Secret carries the digest of a password made here,
 * as the credentials resource does. Writers log every
 * acknowledged write; at the end every znode is read from every server after `sync`.
 */
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { statefulAppManifests } from "../../sdk/manifests";
import { rolloutInputs, zooKeeperRollout } from "../../sdk/rollout/inputs";
import {
  guardCreate,
  guardDiff,
  guardUpdate,
  type RolloutInputs,
  type RolloutOutputs,
  waitForRollout,
} from "../../sdk/rollout/provider";
import { superDigest } from "../../sdk/zookeeper/config";
import { superUserSecretManifest } from "../../sdk/zookeeper/credentials";
import { resolveZooKeeper, type ZooKeeperEnsembleArgs } from "../../sdk/zookeeper/ensemble";
import { MAX_SERVERS } from "../../sdk/zookeeper/membership";
import { Sim } from "../sim";
import { fourLetterWord, LocalCluster, LocalPod, podTemplate, waitFor } from "./harness";
import { LeaderWatch } from "./leaders";
import { type Comparison, compare, maxGap, readAll, Writers } from "./load";
import type { PathResult } from "./scale";

type Log = (line: string) => void;
type Obj = Record<string, any>;

/** What this bridge adds to harness.ts's overlay, and why. */
export const SIM_OVERLAY = [
  "reconfig -add server.<id>=...;<clientPort>: the provider's line gets the pod's loopback address before the client port (;<ip>:<clientPort>), as the start script's own line has it with ZK_CLIENT_HOST; with ';<clientPort>' a server rebinds its client port to every address, which one host of several servers cannot give: without this the joiner logs 'binding to port /0.0.0.0:2181', a BindException, and 1->3 stops (in a pod: unchanged)",
  "kubelet: terminationGracePeriodSeconds is bounded by the harness's 10 s SIGKILL (in a pod: the pod's grace period)",
] as const;

/** A path through the provider, with the voting members the watcher returned at its end. */
export interface ProviderPath extends PathResult {
  voting: string[];
}

export interface ProviderPathsResult extends Omit<Comparison, "max_write_gap_ms" | "examples"> {
  scale_paths: string[];
  paths: ProviderPath[];
  max_write_gap_ms: number;
  two_leaders: boolean;
  two_leader_incidents: string[];
  max_simultaneous_leaders: number;
  /** The pods the roll deleted, in order (from the simulator's pod deletions). */
  restart_order: string[];
  leader_restarted_last: boolean;
  /** The provider's outputs after the last `up`. */
  voting_members: string[];
  /** After the roll, every server's `conf` shows the changed setting (maxClientCnxns=100). */
  rolled_config: boolean;
  /** `reconfig -add` lines that got the overlay's client address. */
  add_lines_rewritten: number;
  examples: string[];
}

const NS = "default";
const SET = "zk";

/** The ensemble of verify.ts's `scaleProgram`, resolved for the provider. */
function ensembleArgs(replicas: number, changed: boolean): ZooKeeperEnsembleArgs {
  return {
    replicas,
    serviceName: "zk-headless",
    selectorLabels: { app: "zk" },
    heap: "256M",
    ...(changed ? { maxClientCnxns: 100, jvmFlags: ["-Djute.maxbuffer=4194304"] } : {}),
    rollout: { timeoutSeconds: 240 },
  };
}

/** The objects an `up` with `replicas` applies, and the rollout inputs, as the component builds them. */
export function providerObjects(replicas: number, changed: boolean) {
  const spec = resolveZooKeeper(SET, ensembleArgs(replicas, changed));
  const m = statefulAppManifests(spec.app);
  return { spec, m };
}

/** A Secret's key as a pod's env sees it (data is base64; stringData as written). */
function secretValues(secret: Obj | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries((secret?.data ?? {}) as Record<string, string>))
    out[k] = Buffer.from(v, "base64").toString("utf8");
  for (const [k, v] of Object.entries((secret?.stringData ?? {}) as Record<string, string>)) out[k] = v;
  return out;
}

export async function providerPaths(root: string, classpath: string, log: Log): Promise<ProviderPathsResult> {
  const password = randomBytes(18).toString("base64url");
  const probeSpec = resolveZooKeeper(SET, ensembleArgs(1, false));
  const srv = probeSpec.servers;
  const cluster = await LocalCluster.create(join(root, "cluster"), MAX_SERVERS, [
    srv.clientPort,
    srv.serverPort,
    srv.electionPort,
  ]);
  const sim = await Sim.start({ graceMs: 5 });
  // One real server per live pod (by uid: a recreated pod is a new process on the same claim).
  const pods = new Map<string, { uid: string; pod: LocalPod }>();
  const deletions: string[] = [];
  let rewritten = 0;

  sim.kubelet.readinessPeriodMs = 500;
  sim.kubelet.runtime = {
    start: (pod) => {
      const name: string = pod.metadata.name;
      const set = sim.store.get("statefulsets", NS, SET);
      if (!set) throw new Error(`no StatefulSet for ${name}`);
      // The pod's own template: its spec as the controller created it, not the set's current one.
      const cmName = pod.spec.volumes.find((v: Obj) => v.configMap).configMap.name;
      const cm = sim.store.get("configmaps", NS, cmName);
      if (!cm) throw new Error(`${name}: ConfigMap ${cmName} does not exist`);
      for (const e of pod.spec.containers[0].env ?? []) {
        const ref = e.valueFrom?.secretKeyRef;
        if (ref) cluster.secrets[ref.name] = secretValues(sim.store.get("secrets", NS, ref.name));
      }
      const rendered = podTemplate(
        {
          metadata: set.metadata,
          spec: { ...set.spec, template: { metadata: pod.metadata, spec: pod.spec } },
        },
        cm,
      );
      const local = new LocalPod(cluster, rendered, name);
      pods.set(name, { uid: pod.metadata.uid!, pod: local });
      local.create();
      return { podIP: local.ip };
    },
    stop: async (pod) => {
      const p = pods.get(pod.metadata.name);
      if (!p || p.uid !== pod.metadata.uid) return;
      await p.pod.delete();
      if (pods.get(pod.metadata.name) === p) pods.delete(pod.metadata.name);
    },
    ready: async (pod) => {
      const p = pods.get(pod.metadata.name);
      return !!p && p.uid === pod.metadata.uid && p.pod.running && (await p.pod.probe("readiness"));
    },
  };
  sim.exec = async (req) => {
    const p = pods.get(req.pod);
    if (!p || !p.pod.running) return { stdout: "", stderr: "container not running\n", exitCode: 126 };
    let stdin = req.stdin === "" ? undefined : req.stdin;
    if (stdin !== undefined)
      stdin = stdin.replace(
        /^(reconfig .*-add server\.(\d+)=\S+;)(\d+)$/gm,
        (_all, head: string, id: string, port: string) => {
          rewritten++;
          return `${head}${cluster.ips[Number(id) - 1]!}:${port}`;
        },
      );
    return p.pod.exec(req.command, stdin);
  };
  const terminating = new Set<string>();
  sim.store.subscribe((ev) => {
    if (ev.resource !== "pods") return;
    const m = ev.object.metadata as Obj;
    if (m.deletionTimestamp && !terminating.has(m.uid)) {
      terminating.add(m.uid);
      deletions.push(m.name);
    }
  });

  const logs = (l: string) => log(`  provider: ${l}`);
  let guard: RolloutOutputs | undefined;
  let watcher: RolloutOutputs | undefined;
  /** What `pulumi up` does: guard, apply (only if the guard let it through), watcher. */
  const up = async (replicas: number, changed = false): Promise<RolloutOutputs> => {
    const { spec, m } = providerObjects(replicas, changed);
    const inputs: RolloutInputs = {
      ...rolloutInputs(spec.app, m.statefulSet.spec.template),
      kubeconfig: sim.kubeconfig(),
      zookeeper: zooKeeperRollout(spec.servers, password),
    };
    if (!guard) guard = await guardCreate(inputs, logs);
    else {
      // The engine diffs (preview) before it updates.
      await guardDiff(guard, inputs, logs);
      guard = await guardUpdate(guard, inputs, logs);
    }
    sim.apply("secrets", NS, superUserSecretManifest(spec, superDigest(password)));
    sim.apply("services", NS, m.headlessService!);
    if (m.configMap) sim.apply("configmaps", NS, m.configMap);
    sim.apply("statefulsets", NS, m.statefulSet);
    watcher = await waitForRollout(inputs, logs, watcher);
    return watcher;
  };

  const live = () => [...pods.values()].filter((p) => p.pod.running).map((p) => p.pod);
  const leaderOf = async (): Promise<string | undefined> => {
    for (const p of live()) if ((await p.mode())?.mode === "leader") return p.name;
    return undefined;
  };
  const connectString = cluster.ips.map((ip) => `${ip}:${srv.clientPort}`).join(",");
  const writers = new Writers(classpath, join(root, "writers"), connectString);
  const watch = new LeaderWatch(() => live().map((p) => ({ name: p.name, ip: p.ip })), srv.clientPort);
  const paths: ProviderPath[] = [];
  try {
    const first = await up(1);
    log(`provider: one server, voting ${first.votingMembers?.join(",")}`);
    await writers.start();
    watch.start();
    let replicas = 1;
    const step = async (desired: number, label: string, changed = false) => {
      const from = Date.now();
      log(`provider: ${label}`);
      const out = await up(desired, changed);
      await new Promise((r) => setTimeout(r, 1000)); // let the writers show they still write
      const to = Date.now();
      paths.push({
        path: label,
        ms: to - from,
        max_write_gap_ms: maxGap(writers.parse(), from, to),
        voting: out.votingMembers ?? [],
      });
      log(
        `provider: ${label}: voting ${out.votingMembers?.join(",")} in ${to - from} ms, longest write gap ${paths.at(-1)!.max_write_gap_ms} ms`,
      );
      replicas = desired;
      return out;
    };
    for (const n of [3, 5, 3, 1]) await step(n, `${replicas}->${n}`);
    await step(3, "1->3 (kept claims)");

    /**
     * Leadership to one of `targets`: the leader's pod is deleted (as a node drain would) until
     * one of them leads; the controller recreates it on the same claim.
     */
    const moveLeader = async (targets: string[]) => {
      for (let i = 0; i < 6; i++) {
        const leader = await leaderOf();
        if (leader && targets.includes(leader)) break;
        log(`provider: leader is ${leader}; deleting its pod to move leadership to ${targets.join(" or ")}`);
        if (leader) {
          const uid = pods.get(leader)?.uid;
          sim.store.markDeleted(sim.rt("pods"), NS, leader);
          await waitFor(`${leader} to be recreated and serve`, 120_000, async () => {
            const p = pods.get(leader);
            return p && p.uid !== uid && (await p.pod.mode()) ? true : undefined;
          });
        }
        await waitFor(`one leader among the ${replicas}`, 120_000, async () => {
          const modes = await Promise.all(live().map((p) => p.mode()));
          return modes.length === replicas &&
            modes.every(Boolean) &&
            modes.filter((m) => m!.mode === "leader").length === 1
            ? true
            : undefined;
        });
      }
      const lead = await leaderOf();
      if (!lead || !targets.includes(lead))
        throw new Error(`could not make ${targets.join(" or ")} the leader (leader: ${lead})`);
      const since = Date.now();
      await waitFor("the writers to write again", 60_000, async () =>
        writers.acksSince(since) > 0 ? true : undefined,
      );
    };
    await moveLeader([`${SET}-2`]);
    await step(5, "3->5 (zk-2 leading)");

    // A static configuration change: a new template (OnDelete); the watcher rolls the pods.
    const before = await leaderOf();
    const mark = deletions.length;
    await step(5, "roll (leader last)", true);
    const restart_order = deletions.slice(mark);
    const stale = sim
      .pods()
      .filter(
        (p) =>
          p.metadata.labels?.["controller-revision-hash"] !==
          sim.store.get("statefulsets", NS, SET)?.status?.updateRevision,
      );
    if (stale.length > 0) throw new Error(`pods not rolled: ${stale.map((p) => p.metadata.name).join(", ")}`);

    // The roll did change the servers: each one's running configuration has the new setting.
    const confs = await Promise.all(
      live().map((p) => fourLetterWord(p.ip, srv.clientPort, "conf", 5000).then((c) => ({ p: p.name, c }))),
    );
    const rolled_config = confs.length === 5 && confs.every(({ c }) => /^maxClientCnxns=100$/m.test(c ?? ""));
    if (!rolled_config)
      log(
        `provider: not every server runs the changed configuration: ${confs.map(({ p, c }) => `${p}: ${/^maxClientCnxns=.*$/m.exec(c ?? "")?.[0] ?? "no conf"}`).join(", ")}`,
      );

    // 5 -> 3 while one of the removed servers leads: the guard's removal hands leadership off.
    await moveLeader([`${SET}-3`, `${SET}-4`]);
    const last = await step(3, "5->3 (leader removed)", true);

    const writeLog = await writers.stop();
    await watch.stop();
    const data = new Map<string, Map<string, string>>();
    for (const p of live()) {
      const d = await readAll(classpath, `${p.ip}:${srv.clientPort}`);
      if (!d) throw new Error(`could not read ${p.name}`);
      data.set(p.name, d);
    }
    const comparison = compare(writeLog, data);
    log(
      `provider paths: acked ${comparison.acked_writes} writes (${writeLog.errors} errors retried), lost ${comparison.lost_writes}, diverged ${comparison.diverged_paths}; roll order ${restart_order.join(", ")} (leader before: ${before}); ${rewritten} add lines rewritten`,
    );
    for (const e of comparison.examples) log(`  ${e}`);
    const { max_write_gap_ms: _whole, ...rest } = comparison;
    return {
      ...rest,
      scale_paths: paths.map((p) => p.path),
      paths,
      max_write_gap_ms: Math.max(...paths.map((p) => p.max_write_gap_ms)),
      two_leaders: watch.incidents.length > 0,
      two_leader_incidents: watch.incidents.map((i) => `${i.servers.join("+")}: ${i.why}`),
      max_simultaneous_leaders: watch.maxLeaders,
      restart_order,
      leader_restarted_last: restart_order.length === 5 && restart_order.at(-1) === before,
      voting_members: last.votingMembers ?? [],
      rolled_config,
      add_lines_rewritten: rewritten,
    };
  } finally {
    await watch.stop();
    await writers.stop().catch(() => undefined);
    await sim.stop();
    await Promise.all([...pods.values()].map((p) => p.pod.stop()));
  }
}
