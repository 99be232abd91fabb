/**
 * The ZooKeeper verification on real servers (Debian's package, loopback): the rendered start
 * script and configuration scaled 1 -> 3 -> 5 -> 3 -> 1 -> 3 -> 5 (zk-2 leading) by dynamic
 * reconfiguration through exec, a configuration change rolled leader last, a lost volume, a
 * restart of every pod at once and 5 -> 3 removing the leader, with writers logging every acknowledged write; then the previous procedure
 * (static server list, restart from the highest ordinal) on 3 -> 5 with zk-2 leading, which must
 * be seen to lose writes or run two leaders. See harness.ts for the overlay.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { OVERLAY, renderEnsemble, ZK_JAR, ZK_SERVER_SH } from "./harness";
import { compileLoad } from "./load";
import { oldProcedureRun } from "./old-procedure";
import { newProcedure, type PathResult } from "./scale";

export interface VerifyResult {
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
    r.old_procedure.runs_failing_the_check > 0
  );
}

export async function verifyZooKeeper(log: Log = () => {}, oldRuns = 1): Promise<VerifyResult> {
  const missing = zookeeperInstalled();
  if (missing) throw new Error(missing);
  const started = Date.now();
  const root = mkdtempSync(join(tmpdir(), "zk-verify-"));
  log(`overlay (the only changes from a pod):\n  - ${OVERLAY.join("\n  - ")}`);
  let ok = false;
  try {
    // One render at a time: Pulumi's mocks are process-global.
    const rendered = await renderEnsemble(await scaleProgram(false));
    const changed = await renderEnsemble(await scaleProgram(true));
    const classpath = await compileLoad(join(root, "classes"));
    const now = await newProcedure(join(root, "new"), rendered, changed, classpath, log);
    const old = [];
    for (let i = 0; i < oldRuns; i++)
      old.push(await oldProcedureRun(join(root, `old-${i}`), rendered, classpath, log));
    const { examples: _, two_leader_incidents: __, ...rest } = now;
    const result: VerifyResult = {
      ...rest,
      old_procedure: {
        path: "3->5 (zk-2 leading), static list, restart from the highest ordinal",
        runs: old.length,
        runs_failing_the_check: old.filter((o) => o.lost_writes > 0 || o.diverged_paths > 0 || o.two_leaders)
          .length,
        runs_with_two_leaders: old.filter((o) => o.two_leaders).length,
        lost_writes: old.map((o) => o.lost_writes),
        diverged_paths: old.map((o) => o.diverged_paths),
      },
      elapsed_ms: Date.now() - started,
    };
    if (now.two_leader_incidents.length > 0) log(`two leaders: ${now.two_leader_incidents.join("; ")}`);
    ok = passed(result);
    return result;
  } finally {
    if (ok) rmSync(root, { recursive: true, force: true });
    else log(`server logs kept in ${root}`);
  }
}
