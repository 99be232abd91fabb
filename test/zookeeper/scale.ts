/**
 * The new procedure on real servers: a Parallel StatefulSet of rendered pods whose membership is
 * changed by `reconcileMembership` (sdk/zookeeper/admin.ts) through exec into the pods, with
 * writers running throughout: 1 -> 3 -> 5 -> 3 -> 1 -> 3 (on the claims kept from before),
 * 3 -> 5 with zk-2 leading, a configuration change rolled leader last, a voting member's volume
 * lost, every pod restarted at once, and 5 -> 3 removing the leader.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import {
  type EnsembleTarget,
  type Exec,
  MembershipError,
  observeEnsemble,
  reconcileMembership,
  removeServer,
  rollingRestart,
} from "../../sdk/zookeeper/admin";
import { superDigest, superUserSecretName } from "../../sdk/zookeeper/config";
import { MAX_SERVERS } from "../../sdk/zookeeper/membership";
import { LocalCluster, LocalStatefulSet, type RenderedEnsemble, waitFor } from "./harness";
import { LeaderWatch } from "./leaders";
import { type Comparison, compare, maxGap, readAll, Writers } from "./load";

type Log = (line: string) => void;

export interface PathResult {
  path: string;
  ms: number;
  max_write_gap_ms: number;
}

export interface NewProcedureResult extends Omit<Comparison, "max_write_gap_ms"> {
  /** Longest stretch without an acknowledged write during the scale paths and the roll. */
  max_write_gap_ms: number;
  /** The same over the whole run, the deliberate outage of restarting every pod at once included. */
  whole_run_max_write_gap_ms: number;
  scale_paths: string[];
  paths: PathResult[];
  two_leaders: boolean;
  two_leader_incidents: string[];
  max_simultaneous_leaders: number;
  restart_order: string[];
  leader_restarted_last: boolean;
  /** Files of the run (server logs, configuration, the writers' log) that contain the super user's password. */
  password_in_files: number;
  voters: number[];
  probes: boolean;
}

/** Files under `dir` whose content contains `secret`. */
function filesContaining(dir: string, secret: string): string[] {
  const found: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) found.push(...filesContaining(p, secret));
    else if (e.isFile() && readFileSync(p).includes(secret)) found.push(p);
  }
  return found;
}

/** Sets up a cluster, a set and the admin callbacks for `rendered`. */
export async function localEnsemble(root: string, rendered: RenderedEnsemble) {
  const password = randomBytes(18).toString("base64url");
  const secrets = { [superUserSecretName(rendered.setName)]: { superDigest: superDigest(password) } };
  const cluster = await LocalCluster.create(
    root,
    MAX_SERVERS,
    [rendered.clientPort, rendered.serverPort, rendered.electionPort],
    secrets,
  );
  const set = new LocalStatefulSet(cluster, rendered);
  const exec: Exec = (pod, command, stdin) => set.pod(pod).exec(command, stdin);
  const target: EnsembleTarget = {
    setName: rendered.setName,
    serviceDomain: rendered.serviceDomain,
    clientPort: rendered.clientPort,
    serverPort: rendered.serverPort,
    electionPort: rendered.electionPort,
    clientHost: (ordinal) => cluster.ips[ordinal],
  };
  const connectString = cluster.ips.map((ip) => `${ip}:${rendered.clientPort}`).join(",");
  return { cluster, set, exec, target, password, connectString };
}

export async function newProcedure(
  root: string,
  rendered: RenderedEnsemble,
  changed: RenderedEnsemble,
  classpath: string,
  log: Log,
): Promise<NewProcedureResult> {
  const { cluster, set, exec, target, password, connectString } = await localEnsemble(
    join(root, "cluster"),
    rendered,
  );
  const user = { password };
  const scaleTo = (desired: number) =>
    reconcileMembership({
      exec,
      target,
      user,
      desired,
      pods: async () => set.list(),
      scalePods: (r) => set.scale(r),
      timeoutMs: 180_000,
      log,
    });
  const running = () =>
    [...set.pods.values()].filter((p) => p.running).map((p) => ({ name: p.name, ip: p.ip }));
  const leaderOf = async (): Promise<string | undefined> => {
    for (const p of set.pods.values()) if ((await p.mode())?.mode === "leader") return p.name;
    return undefined;
  };
  /** Every pod serving, one leader: a quorum of the whole set. */
  const settled = (what: string) =>
    waitFor(what, 120_000, async () => {
      const modes = await Promise.all([...set.pods.values()].map((p) => p.mode()));
      const leaders = modes.filter((m) => m?.mode === "leader").length;
      return leaders === 1 && modes.every((m) => m !== undefined) ? true : undefined;
    });

  const writers = new Writers(classpath, join(root, "writers"), connectString);
  const marks: { t: number; what: string }[] = [];
  const pathAt = (t: number) => marks.filter((m) => m.t <= t).at(-1)?.what ?? "start";
  const watch = new LeaderWatch(running, rendered.clientPort);
  const paths: PathResult[] = [];
  let probes = true;
  try {
    // A one-member ensemble from an empty volume: bootstrapped by the first ordinal.
    await scaleTo(1);
    const zk0 = set.pod(`${set.setName}-0`);
    probes &&= (await zk0.probe("readiness")) && (await zk0.probe("liveness"));
    log(`${zk0.name} serves alone; readiness and liveness pass: ${probes}`);
    await writers.start();
    watch.start();

    let replicas = 1;
    const scale = async (desired: number, label = `${replicas}->${desired}`) => {
      const from = Date.now();
      log(`scale ${label}`);
      marks.push({ t: from, what: `scale ${label}` });
      const voters = await scaleTo(desired);
      await new Promise((r) => setTimeout(r, 1000)); // let the writers show they still write
      const to = Date.now();
      const log_ = writers.parse();
      paths.push({ path: label, ms: to - from, max_write_gap_ms: maxGap(log_, from, to) });
      log(
        `scale ${label}: voters ${voters.join(",")} in ${to - from} ms, longest write gap ${paths.at(-1)!.max_write_gap_ms} ms`,
      );
      replicas = desired;
      return voters;
    };
    await scale(3);
    await scale(5);
    await scale(3);
    await scale(1);
    // zk-1 and zk-2 come back on their kept claims, whose configuration no longer lists them.
    await scale(3, "1->3 (kept claims)");

    // Leadership to zk-2, where a rolling restart from the highest ordinal would have left it.
    const zk2 = `${set.setName}-2`;
    for (let i = 0; i < 6; i++) {
      const leader = await leaderOf();
      if (leader === zk2) break;
      log(`leader is ${leader}; restarting it to move leadership`);
      marks.push({ t: Date.now(), what: `restarting leader ${leader}` });
      if (leader) await set.restartPod(leader);
      await settled("the three servers to serve again");
    }
    const lead = await leaderOf();
    if (lead !== zk2) throw new Error(`could not make ${zk2} the leader (leader: ${lead})`);
    const since = Date.now();
    await waitFor("the writers to write again", 60_000, async () =>
      writers.acksSince(since) > 0 ? true : undefined,
    );
    await scale(5, "3->5 (zk-2 leading)");

    // A static configuration change rolls every pod, leader last.
    const before = await leaderOf();
    set.setTemplate(changed);
    const from = Date.now();
    marks.push({ t: from, what: "roll" });
    const order = await rollingRestart({
      exec,
      target,
      pending: async () => set.pending(),
      pods: async () => set.list(),
      restartPod: (p) => set.restartPod(p),
      timeoutMs: 180_000,
      log,
    });
    await settled("the rolled ensemble to serve");
    paths.push({
      path: "roll (leader last)",
      ms: Date.now() - from,
      max_write_gap_ms: maxGap(writers.parse(), from, Date.now()),
    });
    log(`rolled ${order.join(", ")}; longest write gap ${paths.at(-1)!.max_write_gap_ms} ms`);
    const leader_restarted_last = order.at(-1) === before;

    // A lost volume: zk-4's claim replaced by an empty one while server.5 votes. It must refuse to
    // start, the next scale attempt must stop naming it, and after a person removes server.5 it
    // rejoins as a new server that the next attempt adds back.
    const t1 = Date.now();
    marks.push({ t: t1, what: "lost volume" });
    const zk4 = set.pod(`${set.setName}-4`);
    await zk4.stop();
    rmSync(zk4.claimDir, { recursive: true, force: true });
    mkdirSync(zk4.claimDir, { recursive: true });
    zk4.start();
    await waitFor(`${zk4.name} to refuse to start`, 60_000, async () => (zk4.running ? undefined : true));
    const refused = readFileSync(join(zk4.dir, "server.log"), "utf8").includes(
      "refusing to start: server.5 is a member of the running ensemble but this volume is empty",
    );
    let stoppedAt: string | undefined;
    try {
      await reconcileMembership({
        exec,
        target,
        user,
        desired: 5,
        pods: async () => set.list(),
        scalePods: (r) => set.scale(r),
        timeoutMs: 3000,
        log,
      });
    } catch (e) {
      if (!(e instanceof MembershipError)) throw e;
      stoppedAt = e.pod;
      log(`the scale stops: ${e.message}`);
    }
    const view = await observeEnsemble(exec, target, set.replicas, set.list().pods);
    await removeServer({ exec, target, user, view }, 5);
    log("server.5 removed by hand (reconfig -remove 5); the kubelet restarts zk-4");
    zk4.start();
    await scale(5, "lost volume (zk-4)");
    paths.at(-1)!.ms = Date.now() - t1;
    probes &&= refused && stoppedAt === zk4.name;
    log(`lost volume: refused ${refused}, scale stopped at ${stoppedAt}`);

    // Every pod at once (a node pool replaced): the membership comes back from the volumes.
    const t0 = Date.now();
    marks.push({ t: t0, what: "restart all at once" });
    const all = [...set.pods.values()].sort((a, b) => a.ordinal - b.ordinal);
    await Promise.all(all.map((p) => p.stop()));
    all[0]!.start();
    all[1]!.start();
    await waitFor("zk-0 and zk-1 to run", 60_000, async () =>
      (await all[0]!.probe("liveness")) && (await all[1]!.probe("liveness")) ? true : undefined,
    );
    const noQuorumReady = (await all[0]!.probe("readiness")) || (await all[1]!.probe("readiness"));
    probes &&= !noQuorumReady;
    log(
      `two of five up: readiness ${noQuorumReady ? "passes (wrong)" : "fails, as it must without a quorum"}; liveness passes`,
    );
    for (const p of all.slice(2)) p.start();
    await settled("the restarted ensemble to serve");
    for (const p of all) probes &&= (await p.probe("readiness")) && (await p.probe("liveness"));
    const all5 = await scaleTo(5);
    await new Promise((r) => setTimeout(r, 1000));
    paths.push({
      path: "restart all at once",
      ms: Date.now() - t0,
      max_write_gap_ms: maxGap(writers.parse(), t0, Date.now()),
    });
    log(`every pod restarted at once: voters ${all5.join(",")}, probes ${probes}`);

    // 5 -> 3 while one of the removed servers leads: the removal hands leadership off.
    const removed = [`${set.setName}-3`, `${set.setName}-4`];
    for (let i = 0; i < 6; i++) {
      const leader = await leaderOf();
      if (leader && removed.includes(leader)) break;
      log(`leader is ${leader}; restarting it to move leadership to zk-3 or zk-4`);
      marks.push({ t: Date.now(), what: `restarting leader ${leader}` });
      if (leader) await set.restartPod(leader);
      await settled("the five servers to serve again");
    }
    const removedLeader = await leaderOf();
    if (!removedLeader || !removed.includes(removedLeader))
      throw new Error(`could not make zk-3 or zk-4 the leader (leader: ${removedLeader})`);
    const since2 = Date.now();
    await waitFor("the writers to write again", 60_000, async () =>
      writers.acksSince(since2) > 0 ? true : undefined,
    );
    const voters = await scale(3, "5->3 (leader removed)");

    const writeLog = await writers.stop();
    await watch.stop();
    const data = new Map<string, Map<string, string>>();
    for (const p of set.pods.values()) {
      const d = await readAll(classpath, `${p.ip}:${rendered.clientPort}`);
      if (!d) throw new Error(`could not read ${p.name}`);
      data.set(p.name, d);
    }
    for (const x of watch.samples.filter((x) => x.leaders.length > 1).slice(0, 5))
      log(
        `two servers report leader at ${x.t} (${pathAt(x.t)}): ${x.leaders.map((l) => `${l.server}@${l.zxid}`).join(" ")}`,
      );
    const comparison = compare(writeLog, data);
    const password_in_files = filesContaining(join(root, "cluster"), password);
    if (password_in_files.length > 0) log(`the password is in ${password_in_files.join(", ")}`);
    log(
      `acked ${comparison.acked_writes} writes (${writeLog.errors} errors retried), lost ${comparison.lost_writes}, diverged ${comparison.diverged_paths}`,
    );
    for (const e of comparison.examples) log(`  ${e}`);
    const { max_write_gap_ms: whole, ...rest } = comparison;
    return {
      ...rest,
      max_write_gap_ms: Math.max(
        ...paths.filter((p) => p.path !== "restart all at once").map((p) => p.max_write_gap_ms),
      ),
      whole_run_max_write_gap_ms: whole,
      scale_paths: paths.map((p) => p.path),
      paths,
      two_leaders: watch.incidents.length > 0,
      two_leader_incidents: watch.incidents.map((i) => `${i.servers.join("+")}: ${i.why}`),
      max_simultaneous_leaders: watch.maxLeaders,
      restart_order: order,
      password_in_files: password_in_files.length,
      leader_restarted_last,
      voters,
      probes,
    };
  } finally {
    await watch.stop();
    await writers.stop().catch(() => undefined);
    await set.stopAll();
    void cluster;
  }
}
