/**
 * A model ZooKeeper ensemble behind the simulator: its kubelet runtime starts and stops one model
 * server per pod (readiness = "serving", as the rendered probe), and its exec handler answers the
 * commands sdk/zookeeper/admin.ts sends (the four-letter words `srvr` and `conf` over bash's
 * /dev/tcp, and `zkCli.sh` reading `addauth` / `reconfig` / `quit` from stdin), so that the rollout
 * provider drives it through the real client-node Exec and the simulator's pods/exec.
 *
 * The model, kept consistent: one committed membership (version = the zxid of the reconfig that
 * made it), one leader at most (elected, highest id, among the running voters once they are a
 * quorum; a new epoch each time), a volume per ordinal that outlives its pod (the membership the
 * server last saw). As the start script does: ordinal 0 with an empty volume and no ensemble
 * bootstraps a one-member ensemble; a server whose volume lists it is a voter; any other joins as
 * a non-voting follower once an ensemble serves. A removed leader keeps reporting "leader" with
 * the membership that removed it until its pod stops (as real servers do). `reconfig` checks the
 * super user's password, the version, and that an added server is a caught-up follower.
 *
 * Every change is recorded in `events` (with the simulator's pod deletions added by the test) so a
 * test can assert the order of what happened.
 */
import { quorum, SUPER_DIGEST_KEY, superDigest, superUserSecretName } from "../../sdk/zookeeper/config";
import type { ExecRequest, ExecResult, Sim } from "../sim";

interface Server {
  ordinal: number;
  /** The pod's uid: a new pod is a new process. */
  uid: string;
  /** The process answers on its client port (it has started). */
  booted: boolean;
  /** Removed while leading: reports "leader" with `deposedConf` until it stops. */
  deposed?: string;
}

interface Config {
  version: number;
  /** id -> server line */
  members: Map<number, string>;
}

export interface FakeZooKeeperOptions {
  setName: string;
  /**
   * The super user's password. @default - as the servers do: the digest in the Secret
   * `<set>-zookeeper-super` (namespace "default"), read at each `addauth`
   */
  password?: string;
  /** How long a process takes to answer after its pod starts. @default 30 */
  bootMs?: number;
}

const hex = (n: number) => n.toString(16);

export class FakeZooKeeper {
  /** What happened, in order: `start zk-1`, `serving zk-1`, `reconfig -add 2`, `stop zk-4`, ... */
  readonly events: string[] = [];
  /** Every exec: pod, command, stdin. */
  readonly commands: { pod: string; command: string[]; stdin: string }[] = [];
  /** Ordinals whose process never starts answering (until `unstick`). */
  readonly stuck = new Set<number>();
  /** Reconfig changes (e.g. "-remove 3") that fail as if no quorum acknowledged them. */
  readonly failing = new Set<string>();
  /**
   * What the readiness probe checks: "serving" (the rendered probe: `srvr` has a mode) or
   * "running" (a probe that only sees the process, like the previous release's `ruok`).
   */
  probe: "serving" | "running" = "serving";
  /** Ordinals whose process answers but never serves (no quorum of its own, lost). */
  readonly notServing = new Set<number>();
  committed?: Config;
  leader?: number;
  epoch = 0;
  counter = 0;
  private readonly servers = new Map<number, Server>();
  /** ordinal -> the membership its volume holds. */
  readonly volumes = new Map<number, Config>();
  private readonly announced = new Set<string>();

  constructor(
    private readonly sim: Sim,
    private readonly o: FakeZooKeeperOptions,
  ) {
    sim.exec = (req) => this.exec(req);
    sim.kubelet.readinessPeriodMs = 20;
    sim.kubelet.runtime = {
      start: (pod) => this.start(pod),
      stop: (pod) => this.stop(pod),
      ready: (pod) => this.ready(pod),
    };
  }

  private ordinalOf(pod: string): number | undefined {
    const m = new RegExp(`^${this.o.setName}-(\\d+)$`).exec(pod);
    return m ? Number(m[1]) : undefined;
  }

  private podOf(ordinal: number) {
    return `${this.o.setName}-${ordinal}`;
  }

  private line(id: number): string {
    return `server.${id}=${this.podOf(id - 1)}.h:2888:3888:participant;2181`;
  }

  voters(): number[] {
    return this.committed ? [...this.committed.members.keys()].sort((a, b) => a - b) : [];
  }

  private start(pod: any) {
    const ordinal = this.ordinalOf(pod.metadata.name)!;
    const s: Server = { ordinal, uid: pod.metadata.uid, booted: false };
    this.servers.set(ordinal, s);
    this.events.push(`start ${pod.metadata.name}`);
    if (!this.stuck.has(ordinal))
      setTimeout(() => {
        if (this.servers.get(ordinal) === s) s.booted = true;
      }, this.o.bootMs ?? 30);
    return undefined;
  }

  private stop(pod: any) {
    const ordinal = this.ordinalOf(pod.metadata.name)!;
    const s = this.servers.get(ordinal);
    if (s && s.uid === pod.metadata.uid) {
      this.servers.delete(ordinal);
      this.events.push(`stop ${pod.metadata.name}`);
      this.refresh();
    }
  }

  private ready(pod: any): boolean {
    const ordinal = this.ordinalOf(pod.metadata.name)!;
    if (this.probe === "running") return this.servers.get(ordinal)?.booted === true;
    return this.serving(ordinal);
  }

  /** A stuck process starts answering. */
  unstick(ordinal: number): void {
    this.stuck.delete(ordinal);
    const s = this.servers.get(ordinal);
    if (s) s.booted = true;
  }

  /** Elections and bootstrap, from who runs now. */
  refresh(): void {
    const up = (o: number) => {
      const s = this.servers.get(o);
      return !!s && s.booted && !s.deposed && !this.notServing.has(o);
    };
    if (!this.committed) {
      // The start script: ordinal 0, empty volume, no ensemble: a one-member ensemble.
      if (up(0) && !this.volumes.has(0)) {
        this.committed = { version: 0x100000000, members: new Map([[1, this.line(1)]]) };
        this.volumes.set(0, this.committed);
        this.epoch = 1;
        this.counter = 0;
        this.leader = 1;
        this.events.push(`bootstrap ${this.podOf(0)}`);
      }
      return;
    }
    const voters = this.voters();
    const quorate = voters.filter((id) => up(id - 1)).length >= quorum(voters.length);
    if (this.leader !== undefined && (!up(this.leader - 1) || !quorate)) {
      this.events.push(`leader ${this.podOf(this.leader - 1)} lost`);
      this.leader = undefined;
    }
    if (this.leader === undefined) {
      const upVoters = voters.filter((id) => up(id - 1));
      if (upVoters.length >= quorum(voters.length)) {
        this.leader = Math.max(...upVoters);
        this.epoch++;
        this.counter = 0;
        this.events.push(`elected ${this.podOf(this.leader - 1)}`);
      }
    }
    // Servers that run learn the committed membership (a joiner: members + itself, not voting).
    for (const [o, s] of this.servers)
      if (s.booted && !s.deposed && this.leader !== undefined) this.volumes.set(o, this.committed);
  }

  serving(ordinal: number): boolean {
    this.refresh();
    const s = this.servers.get(ordinal);
    if (!s?.booted || s.deposed || this.notServing.has(ordinal) || this.leader === undefined) return false;
    if (!this.announced.has(s.uid)) {
      this.announced.add(s.uid);
      this.events.push(`serving ${this.podOf(ordinal)}`);
    }
    return true;
  }

  private zxid(): string {
    return `0x${hex(this.epoch)}${hex(this.counter).padStart(8, "0")}`;
  }

  private confText(c: Config, serverId: number): string {
    return [
      "clientPort=2181",
      "dataDir=/var/lib/zookeeper/data",
      `serverId=${serverId}`,
      "membership: ",
      ...[...c.members.keys()].sort((a, b) => a - b).map((id) => c.members.get(id)!),
      `version=${hex(c.version)}`,
      "",
    ].join("\n");
  }

  private exec(req: ExecRequest): ExecResult {
    this.commands.push({ pod: req.pod, command: req.command, stdin: req.stdin });
    const ordinal = this.ordinalOf(req.pod);
    const s = ordinal === undefined ? undefined : this.servers.get(ordinal);
    if (ordinal === undefined || !s) return { stdout: "", stderr: "no process", exitCode: 127 };
    const [cmd, flag, script, word] = req.command;
    if (cmd === "bash" && flag === "-c" && word !== undefined && script?.includes("/dev/tcp/")) {
      if (!s.booted) return { stdout: "", stderr: "bash: connect: Connection refused\n", exitCode: 3 };
      if (s.deposed) {
        if (word === "srvr") return { stdout: `Zxid: ${this.zxid()}\nMode: leader\n`, exitCode: 0 };
        if (word === "conf") return { stdout: s.deposed, exitCode: 0 };
      }
      if (!this.serving(ordinal))
        return { stdout: "This ZooKeeper instance is not currently serving requests\n", exitCode: 0 };
      if (word === "srvr")
        return {
          stdout: `Zookeeper version: 3.8.4-fake\nZxid: ${this.zxid()}\nMode: ${ordinal === this.leader! - 1 ? "leader" : "follower"}\nNode count: 5\n`,
          exitCode: 0,
        };
      if (word === "conf") return { stdout: this.confText(this.committed!, ordinal + 1), exitCode: 0 };
      return { stdout: "", exitCode: 0 };
    }
    if (cmd === "bash" && flag === "-c" && script?.startsWith("exec zkCli.sh"))
      return this.zkCli(ordinal, req.stdin);
    return { stdout: "", stderr: `bash: ${cmd}: command not found\n`, exitCode: 127 };
  }

  /** zkCli.sh reading its commands from stdin (jline echoes each line). */
  private zkCli(ordinal: number, stdin: string): ExecResult {
    let out = "Connecting to localhost:2181\nWelcome to ZooKeeper!\n";
    if (!this.serving(ordinal))
      return { stdout: out, stderr: "KeeperErrorCode = ConnectionLoss for /zookeeper/config\n", exitCode: 1 };
    let authed = false;
    for (const raw of stdin.split("\n")) {
      const line = raw.trim();
      if (line === "") continue;
      const f = line.split(/\s+/);
      if (f[0] === "addauth") {
        out += `[zk: localhost:2181(CONNECTED) 0] ${line}\n`;
        authed =
          f[1] === "digest" && f[2]?.startsWith("super:") === true && this.authenticates(f[2].slice(6));
      } else if (f[0] === "reconfig") {
        out += `[zk: localhost:2181(CONNECTED) 1] ${line}\n`;
        out += this.reconfig(authed, f.slice(1));
      } else if (f[0] === "quit") break;
    }
    return { stdout: out, exitCode: 0 };
  }

  /** The digest check ZooKeeper's DigestAuthenticationProvider makes for the super user. */
  private authenticates(password: string): boolean {
    if (this.o.password !== undefined) return password === this.o.password;
    const secret = this.sim.store.get("secrets", "default", superUserSecretName(this.o.setName)) as
      | { data?: Record<string, string>; stringData?: Record<string, string> }
      | undefined;
    const data = secret?.data?.[SUPER_DIGEST_KEY];
    const digest =
      typeof data === "string"
        ? Buffer.from(data, "base64").toString("utf8")
        : secret?.stringData?.[SUPER_DIGEST_KEY];
    return digest !== undefined && digest === superDigest(password);
  }

  private reconfig(authed: boolean, args: string[]): string {
    const c = this.committed!;
    if (!authed) return "Insufficient permission : /zookeeper/config\n";
    if (args[0] !== "-v" || Number.parseInt(args[1]!, 16) !== c.version)
      return "KeeperErrorCode = BadVersion for /zookeeper/config\n";
    const members = new Map(c.members);
    if (args[2] === "-add") {
      const m = /^server\.(\d+)=/.exec(args[3] ?? "");
      if (!m) return "Arguments are not valid\n";
      const id = Number(m[1]);
      const joiner = this.servers.get(id - 1);
      if (!joiner || !this.serving(id - 1))
        return "KeeperErrorCode = NewConfigNoQuorum for /zookeeper/config\n";
      members.set(id, args[3]!);
    } else if (args[2] === "-remove") {
      const id = Number(args[3]);
      if (!members.delete(id)) return "Arguments are not valid\n";
      if (members.size === 0) return "KeeperErrorCode = BadArguments for /zookeeper/config\n";
    } else return "Arguments are not valid\n";
    if (this.failing.has(`${args[2]} ${args[3]}`))
      return "KeeperErrorCode = NewConfigNoQuorum for /zookeeper/config\n";
    this.counter++;
    const next: Config = { version: Number(BigInt(this.zxid())), members };
    const wasLeader = this.leader;
    this.committed = next;
    this.events.push(
      `reconfig ${args[2]} ${args[2] === "-add" ? /^server\.(\d+)=/.exec(args[3]!)![1] : args[3]}`,
    );
    if (wasLeader !== undefined && !members.has(wasLeader)) {
      // The removed leader keeps reporting "leader" with the new membership until it stops.
      const s = this.servers.get(wasLeader - 1);
      if (s) s.deposed = this.confText(next, wasLeader);
      this.leader = undefined;
    }
    this.refresh();
    return `Committed new configuration:\n${this.confText(next, 0)}`;
  }

  /** The pods of the voting members, as the provider reports them. */
  votingPods(): string[] {
    return this.voters().map((id) => this.podOf(id - 1));
  }
}
