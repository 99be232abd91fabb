/**
 * The procedure this release replaces, replayed on real servers so the check can be seen to fail:
 * the membership as a static server list in zoo.cfg (reconfiguration off), and a scale from 3 to 5
 * done the way the StatefulSet controller did it: zk-3 and zk-4 created with the 5-server list
 * (OrderedReady, Ready = `ruok`), then the rolling update from the highest ordinal restarting zk-2,
 * zk-1, zk-0 with the new list, with zk-2 leading when it starts.
 *
 * The static files are the rendered static zoo.cfg with the previous release's two differences:
 * `reconfigEnabled=false` and the `server.<id>=<fqdn>:<peer>:<election>` lines, plus the previous
 * overlay's `clientPortAddress` (nothing else binds the client address without a dynamic file).
 */

import type { ChildProcess } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  fourLetterWord,
  LocalCluster,
  type RenderedEnsemble,
  spawnLogged,
  stopProcess,
  waitFor,
} from "./harness";
import { LeaderWatch } from "./leaders";
import { compare, readAll, Writers } from "./load";

type Log = (line: string) => void;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface OldRunResult {
  lost_writes: number;
  diverged_paths: number;
  two_leaders: boolean;
  acked_writes: number;
  max_write_gap_ms: number;
  max_simultaneous_leaders: number;
}

/** The previous release's zoo.cfg for `n` servers, on the harness's paths. */
export function legacyZooCfg(rendered: RenderedEnsemble, n: number, dataDir: string, ip: string): string {
  const servers = Array.from(
    { length: n },
    (_, i) =>
      `server.${i + 1}=${rendered.setName}-${i}.${rendered.serviceDomain}:${rendered.serverPort}:${rendered.electionPort}`,
  );
  return `${rendered.zooCfg
    .replace(/^dataDir=.*$/m, `dataDir=${dataDir}`)
    .replace(/^clientPort=(\d+)$/m, `clientPort=$1\nclientPortAddress=${ip}`)
    .replace(/^reconfigEnabled=true$/m, "reconfigEnabled=false")
    .replace(/^standaloneEnabled=false$/m, `standaloneEnabled=${n === 1}`)}${servers.join("\n")}\n`;
}

class LegacyPod {
  proc?: ChildProcess;
  constructor(
    readonly cluster: LocalCluster,
    readonly rendered: RenderedEnsemble,
    readonly ordinal: number,
    readonly root: string,
  ) {}
  get name() {
    return `${this.rendered.setName}-${this.ordinal}`;
  }
  get ip() {
    return this.cluster.ips[this.ordinal]!;
  }
  start(servers: number): void {
    const dir = join(this.root, this.name);
    const conf = join(dir, "conf");
    const data = join(dir, "data");
    mkdirSync(conf, { recursive: true });
    mkdirSync(data, { recursive: true });
    writeFileSync(join(conf, "zoo.cfg"), legacyZooCfg(this.rendered, servers, data, this.ip));
    writeFileSync(join(conf, "java.env"), this.rendered.javaEnv);
    writeFileSync(join(data, "myid"), `${this.ordinal + 1}\n`);
    this.cluster.publish(`${this.name}.${this.rendered.serviceDomain}`, this.ip);
    this.proc = spawnLogged(
      "zkServer.sh",
      ["start-foreground"],
      {
        ...process.env,
        ZOOCFGDIR: conf,
        SERVER_JVMFLAGS: `-Djdk.net.hosts.file=${this.cluster.hostsFile}`,
        PATH: `${this.cluster.bin}:${process.env.PATH}`,
        ZOO_LOG_DIR: dir,
      },
      join(dir, "server.log"),
    );
  }
  async stop(): Promise<void> {
    await stopProcess(this.proc);
    this.proc = undefined;
  }
  async mode(): Promise<string | undefined> {
    const r = await fourLetterWord(this.ip, this.rendered.clientPort, "srvr", 2000);
    return r ? /^Mode: (\w+)$/m.exec(r)?.[1] : undefined;
  }
  /** The previous readiness: `ruok` answered. */
  async ready(): Promise<boolean> {
    return (await fourLetterWord(this.ip, this.rendered.clientPort, "ruok", 2000)) === "imok";
  }
  /** Ready as the kubelet would report it with the previous probe: `ruok`, initialDelaySeconds 5, periodSeconds 5. */
  async becomesReady(): Promise<void> {
    await sleep(5000);
    await waitFor(`${this.name} ruok`, 60_000, async () => ((await this.ready()) ? true : undefined), 5000);
  }
}

/** One replay of 3 -> 5 with zk-2 leading under the old procedure. */
export async function oldProcedureRun(
  root: string,
  rendered: RenderedEnsemble,
  classpath: string,
  log: Log,
): Promise<OldRunResult> {
  const cluster = await LocalCluster.create(join(root, "cluster"), 5, [
    rendered.clientPort,
    rendered.serverPort,
    rendered.electionPort,
  ]);
  const pods = [0, 1, 2, 3, 4].map((o) => new LegacyPod(cluster, rendered, o, join(root, "cluster", "pods")));
  const up = () => pods.filter((p) => p.proc);
  const quorumOf = (among: LegacyPod[]) =>
    waitFor(`one leader among ${among.map((p) => p.name).join(", ")}`, 90_000, async () => {
      const modes = await Promise.all(among.map((p) => p.mode()));
      return modes.filter((m) => m === "leader").length === 1 &&
        modes.every((m) => m === "leader" || m === "follower")
        ? among[modes.indexOf("leader")]!
        : undefined;
    });
  const writers = new Writers(
    classpath,
    join(root, "writers"),
    cluster.ips.map((ip) => `${ip}:${rendered.clientPort}`).join(","),
  );
  const watch = new LeaderWatch(() => up().map((p) => ({ name: p.name, ip: p.ip })), rendered.clientPort);
  try {
    for (const p of pods.slice(0, 3)) p.start(3);
    let leader = await quorumOf(pods.slice(0, 3));
    for (let i = 0; i < 6 && leader.ordinal !== 2; i++) {
      await leader.stop();
      leader.start(3);
      leader = await quorumOf(pods.slice(0, 3));
    }
    if (leader.ordinal !== 2)
      throw new Error(`old procedure: could not make zk-2 the leader (${leader.name})`);
    log(`old procedure: zk-2 leads 3 servers with the static list; writers start`);
    await writers.start();
    watch.start();
    await sleep(1000);
    // OrderedReady scale-up: each new pod Ready (ruok) before the next.
    for (const p of pods.slice(3)) {
      p.start(5);
      await p.becomesReady();
    }
    // The rolling update from the highest ordinal: zk-4 and zk-3 are already on the new revision.
    for (const p of [pods[2]!, pods[1]!, pods[0]!]) {
      await p.stop();
      p.start(5);
      await p.becomesReady();
    }
    await sleep(3000);
    const writeLog = await writers.stop();
    await watch.stop();
    const data = new Map<string, Map<string, string>>();
    for (const p of pods) {
      const d = await readAll(classpath, `${p.ip}:${rendered.clientPort}`);
      if (d) data.set(p.name, d);
      else log(`old procedure: ${p.name} cannot be read`);
    }
    const c = compare(writeLog, data);
    const result = {
      lost_writes: c.lost_writes,
      diverged_paths: c.diverged_paths,
      two_leaders: watch.incidents.length > 0,
      acked_writes: c.acked_writes,
      max_write_gap_ms: c.max_write_gap_ms,
      max_simultaneous_leaders: watch.maxLeaders,
    };
    for (const s of watch.samples.filter((x) => x.leaders.length > 1).slice(0, 8))
      log(`  ${s.t}: ${s.leaders.map((l) => `${l.server}@${l.zxid}`).join(" ")}`);
    log(
      `old procedure: acked ${c.acked_writes}, lost ${c.lost_writes}, diverged ${c.diverged_paths}, most leaders at once ${watch.maxLeaders}, two leaders ${result.two_leaders}${watch.incidents[0] ? ` (${watch.incidents[0].servers.join("+")}: ${watch.incidents[0].why})` : ""}`,
    );
    for (const e of c.examples.slice(0, 2)) log(`  ${e}`);
    return result;
  } finally {
    await watch.stop();
    await writers.stop().catch(() => undefined);
    await Promise.all(pods.map((p) => p.stop()));
  }
}
