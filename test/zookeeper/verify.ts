/**
 * The ZooKeeper verification on real servers (Debian's package, loopback): the rendered start
 * script and configuration scaled 1 -> 3 -> 5 -> 3 -> 1 -> 3 -> 5 (zk-2 leading) by dynamic
 * reconfiguration through exec, a configuration change rolled leader last, a lost volume, a
 * restart of every pod at once and 5 -> 3 removing the leader, with writers logging every acknowledged write; then the previous procedure
 * (static server list, restart from the highest ordinal) on 3 -> 5 with zk-2 leading, which must
 * be seen to lose writes or run two leaders. In between, the same servers as the simulator's pods
 * (its StatefulSet controller deciding which pod exists when) driven by the real rollout provider:
 * 1 -> 3 -> 5 -> 3 -> 1 -> 3, 3 -> 5 with zk-2 leading, a configuration roll, 5 -> 3 removing
 * the leader (sim-ensemble.ts).
 * See harness.ts and sim-ensemble.ts for the overlay.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { OVERLAY, renderEnsemble, ZK_JAR, ZK_SERVER_SH } from "./harness";
import { compileLoad } from "./load";
import { oldProcedureRun } from "./old-procedure";
import { newProcedure, type PathResult } from "./scale";
import { type ProviderPathsResult, providerPaths, SIM_OVERLAY } from "./sim-ensemble";

export interface VerifyResult {
  /** The harness's paths (reconcileMembership/rollingRestart on the harness's own StatefulSet). */
  scale_paths: string[];
  paths: PathResult[];
  acked_writes: number;
  lost_writes: number;
  diverged_paths: number;
  max_write_gap_ms: number;
  whole_run_max_write_gap_ms: number;
  two_leaders: boolean;
  max_simultaneous_leaders: number;
  restart_order: string[];
  leader_restarted_last: boolean;
  password_in_files: number;
  voters: number[];
  probes: boolean;
  /**
   * The same servers as pods of the simulator (its StatefulSet controller decides which pod exists
   * when), driven by the real rollout provider (guardUpdate, apply, waitForRollout). Its acked,
   * lost and diverged writes, two leaders and longest write gap are also folded into the
   * top-level figures.
   */
  provider_paths: Omit<ProviderPathsResult, "examples" | "two_leader_incidents">;
  old_procedure: {
    path: string;
    runs: number;
    runs_failing_the_check: number;
    runs_with_two_leaders: number;
    lost_writes: number[];
    diverged_paths: number[];
  };
  elapsed_ms: number;
}

type Log = (line: string) => void;

export function zookeeperInstalled(): string | undefined {
  for (const f of [ZK_JAR, ZK_SERVER_SH])
    if (!existsSync(f))
      return `${f} is missing: install Debian's zookeeper package (apt-get install zookeeper)`;
  return undefined;
}

/** The ensemble the check runs: the zookeeper example's settings on a small heap. */
export async function scaleProgram(changed: boolean) {
  const { ZooKeeperEnsemble } = await import("../../components");
  return () =>
    new ZooKeeperEnsemble("zk", {
      serviceName: "zk-headless",
      selectorLabels: { app: "zk" },
      heap: "256M",
      // A static change rolls the pods: a different connection limit and a -D on servers and clients.
      ...(changed ? { maxClientCnxns: 100, jvmFlags: ["-Djute.maxbuffer=4194304"] } : {}),
      rollout: false,
    });
}

/** Whether every check the result carries holds (the old procedure must fail its own). */
export function passed(r: VerifyResult): boolean {
  return (
    r.lost_writes === 0 &&
    r.diverged_paths === 0 &&
    !r.two_leaders &&
    r.leader_restarted_last &&
    r.probes &&
    r.voters.length === 3 &&
    r.password_in_files === 0 &&
    r.acked_writes > 0 &&
    r.provider_paths.acked_writes > 0 &&
    r.provider_paths.lost_writes === 0 &&
    r.provider_paths.diverged_paths === 0 &&
    !r.provider_paths.two_leaders &&
    r.provider_paths.leader_restarted_last &&
    r.provider_paths.rolled_config &&
    r.provider_paths.voting_members.length === 3 &&
    r.old_procedure.runs_failing_the_check > 0
  );
}

/** At most this many replays of the old procedure to see one fail the check (unless more are asked for). */
const OLD_MAX_RUNS = 3;

export async function verifyZooKeeper(log: Log = () => {}, oldRuns = 1): Promise<VerifyResult> {
  const missing = zookeeperInstalled();
  if (missing) throw new Error(missing);
  const started = Date.now();
  const root = mkdtempSync(join(tmpdir(), "zk-verify-"));
  log(`overlay (the only changes from a pod):\n  - ${OVERLAY.join("\n  - ")}`);
  log(`and behind the simulator (provider paths):\n  - ${SIM_OVERLAY.join("\n  - ")}`);
  let ok = false;
  try {
    // One render at a time: Pulumi's mocks are process-global.
    const rendered = await renderEnsemble(await scaleProgram(false));
    const changed = await renderEnsemble(await scaleProgram(true));
    const classpath = await compileLoad(join(root, "classes"));
    const now = await newProcedure(join(root, "new"), rendered, changed, classpath, log);
    const viaProvider = await providerPaths(join(root, "provider"), classpath, log);
    // The old procedure's damage depends on election timing: it failed the check in nearly every
    // replay, not all (one npm test run saw a clean one). It is replayed `oldRuns` times, and
    // then again, up to OLD_MAX_RUNS, until one run fails the check (showing the check can fail).
    const old: Awaited<ReturnType<typeof oldProcedureRun>>[] = [];
    const fails = (o: { lost_writes: number; diverged_paths: number; two_leaders: boolean }) =>
      o.lost_writes > 0 || o.diverged_paths > 0 || o.two_leaders;
    for (let i = 0; i < oldRuns || (i < OLD_MAX_RUNS && !old.some(fails)); i++)
      old.push(await oldProcedureRun(join(root, `old-${i}`), rendered, classpath, log));
    const { examples: _, two_leader_incidents: __, ...rest } = now;
    const { examples: ___, two_leader_incidents: provIncidents, ...provider_paths } = viaProvider;
    const result: VerifyResult = {
      ...rest,
      acked_writes: rest.acked_writes + viaProvider.acked_writes,
      lost_writes: rest.lost_writes + viaProvider.lost_writes,
      diverged_paths: rest.diverged_paths + viaProvider.diverged_paths,
      max_write_gap_ms: Math.max(rest.max_write_gap_ms, viaProvider.max_write_gap_ms),
      two_leaders: rest.two_leaders || viaProvider.two_leaders,
      max_simultaneous_leaders: Math.max(rest.max_simultaneous_leaders, viaProvider.max_simultaneous_leaders),
      provider_paths,
      old_procedure: {
        path: "3->5 (zk-2 leading), static list, restart from the highest ordinal",
        runs: old.length,
        runs_failing_the_check: old.filter(fails).length,
        runs_with_two_leaders: old.filter((o) => o.two_leaders).length,
        lost_writes: old.map((o) => o.lost_writes),
        diverged_paths: old.map((o) => o.diverged_paths),
      },
      elapsed_ms: Date.now() - started,
    };
    if (now.two_leader_incidents.length > 0) log(`two leaders: ${now.two_leader_incidents.join("; ")}`);
    if (provIncidents.length > 0) log(`two leaders (provider paths): ${provIncidents.join("; ")}`);
    ok = passed(result);
    return result;
  } finally {
    if (ok) rmSync(root, { recursive: true, force: true });
    else log(`server logs kept in ${root}`);
  }
}
