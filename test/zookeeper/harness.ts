/**
 * Boots what ZooKeeperEnsemble renders on real ZooKeeper servers (Debian's `zookeeper` package) on
 * loopback. The configuration, java.env, start command and probe commands are taken byte for byte
 * from the rendered objects; the only changes needed to run several servers on one host are the
 * overlay below, listed field by field (`OVERLAY`).
 */
import { type ChildProcess, spawn } from "node:child_process";
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import * as net from "node:net";
import { join } from "node:path";
import { renderProgram } from "../../testing/render";

export const ZK_JAR = "/usr/share/java/zookeeper.jar";
export const ZK_SERVER_SH = "/usr/share/zookeeper/bin/zkServer.sh";
const CLIENT_CP = `${ZK_JAR}:/usr/share/java/slf4j-nop.jar`;

/** What differs from a pod, and why. Printed with every run; `overlayZooCfg` applies the zoo.cfg part. */
export const OVERLAY = [
  "zoo.cfg dataDir: a directory of this run per server (in a pod: the claim mounted at /var/lib/zookeeper)",
  "zoo.cfg clientPortAddress: added, the server's own loopback address (in a pod: every address of the pod)",
  "env ZOOCFGDIR: the directory holding this server's zoo.cfg and the unchanged java.env (in a pod: the ConfigMap at /conf)",
  "env SERVER_JVMFLAGS: -Djdk.net.hosts.file mapping each pod FQDN to its server's loopback address (in a pod: cluster DNS)",
  "env ZK_CLIENT_HOST: the server's loopback address, for the probes (in a pod: localhost)",
  "env PATH: Debian's zkServer.sh with test/zookeeper/zkEnv.sh, upstream's zkEnv.sh behaviour (in a pod: the image's scripts)",
  "env ZOO_LOG_DIR: this server's directory",
] as const;

export interface RenderedEnsemble {
  setName: string;
  zooCfg: string;
  javaEnv: string;
  command: string[];
  env: { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath?: string } } }[];
  readiness: { command: string[]; timeoutSeconds: number };
  liveness: { command: string[]; timeoutSeconds: number };
  /** Pod FQDNs in server-id order, read from the server lines of zoo.cfg. */
  fqdns: string[];
  clientPort: number;
  peerPorts: number[];
}

type Obj = Record<string, any>;

/** Renders `program` under mocks (the `npm run render` path) and picks out what a server runs. */
export async function renderEnsemble(
  program: () => unknown,
  config?: Record<string, string>,
): Promise<RenderedEnsemble> {
  const objects = await renderProgram(program, { config });
  const set = objects.find((o) => o.object.kind === "StatefulSet")!.object as Obj;
  const cmName = set.spec.template.spec.volumes.find((v: Obj) => v.configMap).configMap.name;
  const cm = objects.find((o) => o.object.kind === "ConfigMap" && o.object.metadata.name === cmName)!
    .object as Obj;
  const container = set.spec.template.spec.containers[0];
  const zooCfg: string = cm.data["zoo.cfg"];
  const servers = [...zooCfg.matchAll(/^server\.(\d+)=([^:\n]+):(\d+):(\d+)$/gm)];
  const clientPort = Number(/^clientPort=(\d+)$/m.exec(zooCfg)![1]);
  return {
    setName: set.metadata.name,
    zooCfg,
    javaEnv: cm.data["java.env"],
    command: container.command,
    env: container.env,
    readiness: {
      command: container.readinessProbe.exec.command,
      timeoutSeconds: container.readinessProbe.timeoutSeconds,
    },
    liveness: {
      command: container.livenessProbe.exec.command,
      timeoutSeconds: container.livenessProbe.timeoutSeconds,
    },
    fqdns: servers.map((m) => m[2]!),
    clientPort,
    peerPorts: [Number(servers[0]![3]), Number(servers[0]![4])],
  };
}

/** zoo.cfg with the overlay's two changes: dataDir replaced, clientPortAddress added after clientPort. */
export function overlayZooCfg(cfg: string, dataDir: string, clientPortAddress: string): string {
  const lines = cfg.split("\n");
  const d = lines.filter((l) => l.startsWith("dataDir=")).length;
  const c = lines.filter((l) => l.startsWith("clientPort=")).length;
  if (d !== 1 || c !== 1)
    throw new Error(`zoo.cfg must have one dataDir and one clientPort line (has ${d} and ${c})`);
  if (lines.some((l) => l.startsWith("clientPortAddress=")))
    throw new Error("zoo.cfg already sets clientPortAddress");
  return lines
    .flatMap((l) =>
      l.startsWith("dataDir=")
        ? [`dataDir=${dataDir}`]
        : l.startsWith("clientPort=")
          ? [l, `clientPortAddress=${clientPortAddress}`]
          : [l],
    )
    .join("\n");
}

/** The container's environment as the kubelet would set it: plain values and the pod name. */
export function containerEnv(env: RenderedEnsemble["env"], podName: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of env) {
    if (e.value !== undefined) out[e.name] = e.value;
    else if (e.valueFrom?.fieldRef?.fieldPath === "metadata.name") out[e.name] = podName;
    else throw new Error(`harness cannot provide env ${e.name}: ${JSON.stringify(e.valueFrom)}`);
  }
  return out;
}

function canListen(ip: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once("error", () => resolve(false));
    s.listen(port, ip, () => s.close(() => resolve(true)));
  });
}

/** `n` loopback addresses in a random 127.a.b.0/24 block where every port is free. */
export async function pickAddresses(n: number, ports: number[]): Promise<string[]> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const a = 1 + Math.floor(Math.random() * 254);
    const b = Math.floor(Math.random() * 256);
    const ips = Array.from({ length: n }, (_, i) => `127.${a}.${b}.${10 + i}`);
    const free = await Promise.all(ips.flatMap((ip) => ports.map((p) => canListen(ip, p))));
    if (free.every(Boolean)) return ips;
  }
  throw new Error("no free loopback block found in 50 tries");
}

/** Sends a four-letter word; resolves with the reply, or undefined when the server does not answer. */
export function fourLetterWord(
  ip: string,
  port: number,
  word: string,
  timeoutMs = 3000,
): Promise<string | undefined> {
  return new Promise((resolve) => {
    let data = "";
    const sock = net.connect({ host: ip, port });
    const done = (v: string | undefined) => {
      sock.destroy();
      resolve(v);
    };
    sock.setTimeout(timeoutMs, () => done(undefined));
    sock.on("connect", () => sock.write(word));
    sock.on("data", (d) => {
      data += d.toString();
    });
    sock.on("end", () => done(data));
    sock.on("error", () => done(undefined));
  });
}

/** `leader`, `follower`, `standalone`, or undefined when not serving. */
export async function mode(ip: string, port: number): Promise<string | undefined> {
  const reply = await fourLetterWord(ip, port, "srvr");
  return reply ? /^Mode: (\w+)$/m.exec(reply)?.[1] : undefined;
}

export async function waitFor<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | undefined>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function run(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, {
      env,
      stdio: ["ignore", "pipe", "pipe"],
      timeout: timeoutMs,
      killSignal: "SIGKILL",
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** Runs a ZooKeeper CLI command through the given server with the package's Java client. */
export function zkCli(ip: string, port: number, ...args: string[]): Promise<RunResult> {
  return run(
    "java",
    ["-cp", CLIENT_CP, "org.apache.zookeeper.ZooKeeperMain", "-server", `${ip}:${port}`, ...args],
    process.env,
    30_000,
  );
}

const live = new Set<ChildProcess>();
process.on("exit", () => {
  for (const c of live) if (c.pid) killGroup(c.pid, "SIGKILL");
});

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

export interface Server {
  index: number;
  podName: string;
  ip: string;
  dir: string;
  env: Record<string, string>;
  process?: ChildProcess;
}

/** A rendered ensemble laid out under `root`, one directory and loopback address per server. */
export class Ensemble {
  readonly servers: Server[];

  private constructor(
    readonly rendered: RenderedEnsemble,
    readonly root: string,
    ips: string[],
  ) {
    const bin = join(root, "bin");
    mkdirSync(bin, { recursive: true });
    if (!existsSync(join(bin, "zkServer.sh"))) symlinkSync(ZK_SERVER_SH, join(bin, "zkServer.sh"));
    writeFileSync(join(bin, "zkEnv.sh"), readFileSync(join(__dirname, "zkEnv.sh")));
    const hostsFile = join(root, "hosts");
    writeFileSync(hostsFile, rendered.fqdns.map((f, i) => `${ips[i]} ${f}\n`).join(""));
    this.servers = rendered.fqdns.map((_, i) => {
      const podName = `${rendered.setName}-${i}`;
      const dir = join(root, podName);
      mkdirSync(join(dir, "conf"), { recursive: true });
      writeFileSync(join(dir, "conf", "zoo.cfg"), overlayZooCfg(rendered.zooCfg, join(dir, "data"), ips[i]!));
      writeFileSync(join(dir, "conf", "java.env"), rendered.javaEnv);
      const env = {
        ...containerEnv(rendered.env, podName),
        ZOOCFGDIR: join(dir, "conf"),
        SERVER_JVMFLAGS: `-Djdk.net.hosts.file=${hostsFile}`,
        ZK_CLIENT_HOST: ips[i]!,
        PATH: `${bin}:${process.env.PATH}`,
        ZOO_LOG_DIR: dir,
      };
      return { index: i, podName, ip: ips[i]!, dir, env };
    });
  }

  static async create(rendered: RenderedEnsemble, root: string): Promise<Ensemble> {
    const ips = await pickAddresses(rendered.fqdns.length, [rendered.clientPort, ...rendered.peerPorts]);
    return new Ensemble(rendered, root, ips);
  }

  /** Starts server `i` with the rendered command, exactly as the container would run it. */
  start(i: number): void {
    const s = this.servers[i]!;
    const log = openSync(join(s.dir, "server.log"), "a");
    const [cmd, ...args] = this.rendered.command;
    const child = spawn(cmd!, args, { env: s.env, detached: true, stdio: ["ignore", log, log] });
    closeSync(log);
    live.add(child);
    child.on("exit", () => live.delete(child));
    s.process = child;
  }

  async stop(i: number): Promise<void> {
    const s = this.servers[i]!;
    const child = s.process;
    if (!child?.pid || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once("exit", r));
    killGroup(child.pid, "SIGTERM");
    const timer = setTimeout(() => killGroup(child.pid!, "SIGKILL"), 10_000);
    await exited;
    clearTimeout(timer);
    s.process = undefined;
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.servers.map((_, i) => this.stop(i)));
  }

  mode(i: number): Promise<string | undefined> {
    return mode(this.servers[i]!.ip, this.rendered.clientPort);
  }

  /** Waits until the servers `among` have one leader and the rest follow; returns the leader's index. */
  waitForQuorum(among: number[], timeoutMs = 90_000): Promise<number> {
    return waitFor(
      `one leader among ${among.map((i) => this.servers[i]!.podName).join(", ")}`,
      timeoutMs,
      async () => {
        const modes = await Promise.all(among.map((i) => this.mode(i)));
        const leaders = among.filter((_, k) => modes[k] === "leader");
        return leaders.length === 1 && modes.every((m) => m === "leader" || m === "follower")
          ? leaders[0]
          : undefined;
      },
    );
  }

  /** Runs a rendered probe command against server `i`; true when it exits 0. */
  async probe(i: number, which: "readiness" | "liveness"): Promise<boolean> {
    const p = this.rendered[which];
    const [cmd, ...args] = p.command;
    const r = await run(cmd!, args, this.servers[i]!.env, p.timeoutSeconds * 1000 + 2000);
    return r.code === 0;
  }

  async write(i: number, path: string, value: string): Promise<boolean> {
    const r = await zkCli(this.servers[i]!.ip, this.rendered.clientPort, "create", path, value);
    return r.code === 0;
  }

  /** Reads through server `i` until it returns `expected` (a follower may lag by a moment). */
  async readsBack(i: number, path: string, expected: string, timeoutMs = 15_000): Promise<boolean> {
    try {
      await waitFor(`${path} = ${expected} on ${this.servers[i]!.podName}`, timeoutMs, async () => {
        const r = await zkCli(this.servers[i]!.ip, this.rendered.clientPort, "get", path);
        return r.code === 0 && r.stdout.split("\n").includes(expected) ? true : undefined;
      });
      return true;
    } catch {
      return false;
    }
  }
}
