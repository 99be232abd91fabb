/**
 * Runs what ZooKeeperEnsemble renders on real ZooKeeper servers (Debian's `zookeeper` package) on
 * loopback, as pods of a StatefulSet would run it. The configuration, java.env, start command and
 * probe commands are taken byte for byte from the rendered objects; the only changes needed to run
 * several servers on one host are the overlay below, listed field by field (`OVERLAY`).
 *
 * A `LocalPod` is what a kubelet would see of one pod: its name and ordinal, a claim directory that
 * outlives it, its environment (Secret keys included), create/delete (DNS record and container),
 * start/stop (the container alone), probes and `exec`. A kubelet behind the cluster simulator
 * builds one from the pod's StatefulSet and ConfigMap (`podTemplate`). `LocalStatefulSet` plays
 * the controller here, with `podManagementPolicy: Parallel`, OnDelete and retained claims;
 * `LocalCluster` is the node and the headless Service's DNS (a record per existing pod, published
 * before it is Ready).
 */
import { type ChildProcess, spawn } from "node:child_process";
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import * as net from "node:net";
import { join } from "node:path";
import type { ExecResult } from "../../sdk/zookeeper/admin";
import { renderProgram } from "../../testing/render";

export const ZK_JAR = "/usr/share/java/zookeeper.jar";
export const ZK_BIN = "/usr/share/zookeeper/bin";
export const ZK_SERVER_SH = `${ZK_BIN}/zkServer.sh`;
export const CLIENT_CP = `${ZK_JAR}:/usr/share/java/slf4j-nop.jar`;

/** What differs from a pod, and why. Printed with every run; `overlayZooCfg` applies the zoo.cfg part. */
export const OVERLAY = [
  "zoo.cfg dataDir: <claim>/data, the pod's claim directory of this run (in a pod: the claim mounted at /var/lib/zookeeper)",
  "env ZOOCFGDIR: a directory holding the rendered zoo.cfg (with the dataDir above) and the unchanged java.env (in a pod: the ConfigMap at /conf)",
  "env ZK_CLIENT_HOST: the pod's loopback address; the start script binds the client port there and the probes and admin commands connect there (in a pod: unset: every address, and localhost)",
  "env ZK_HOSTS_FILE: a hosts file with a line per existing pod, read by the start script (in a pod: unset: cluster DNS)",
  "env SERVER_JVMFLAGS: -Djdk.net.hosts.file=<the same hosts file> for the server JVM (in a pod: cluster DNS)",
  "env PATH: Debian's zkServer.sh and zkCli.sh with test/zookeeper/zkEnv.sh, upstream's zkEnv.sh behaviour (in a pod: the image's scripts)",
  "env ZOO_LOG_DIR: the pod's directory",
] as const;

export interface RenderedEnsemble {
  setName: string;
  zooCfg: string;
  javaEnv: string;
  command: string[];
  env: {
    name: string;
    value?: string;
    valueFrom?: { fieldRef?: { fieldPath?: string }; secretKeyRef?: { name?: string; key?: string } };
  }[];
  readiness: { command: string[]; timeoutSeconds: number };
  liveness: { command: string[]; timeoutSeconds: number };
  /** `<service>.<namespace>.svc.<clusterDomain>`. */
  serviceDomain: string;
  clientPort: number;
  serverPort: number;
  electionPort: number;
  podManagementPolicy: string;
  /** The pod template's config hash: changes roll the pods. */
  configHash: string;
}

type Obj = Record<string, any>;

/**
 * What a pod of `set` runs, from the StatefulSet and its ConfigMap as Kubernetes objects: what a
 * kubelet needs to start a `LocalPod` (rendered here, or read from the cluster simulator).
 */
export function podTemplate(set: Obj, cm: Obj): RenderedEnsemble {
  const container = set.spec.template.spec.containers[0];
  const port = (name: string) => container.ports.find((p: Obj) => p.name === name).containerPort as number;
  const ns = set.metadata.namespace ?? "default";
  return {
    setName: set.metadata.name,
    zooCfg: cm.data["zoo.cfg"],
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
    serviceDomain: `${set.spec.serviceName}.${ns}.svc.cluster.local`,
    clientPort: port("client"),
    serverPort: port("server"),
    electionPort: port("leader-election"),
    podManagementPolicy: set.spec.podManagementPolicy,
    configHash: set.spec.template.metadata.annotations?.["stateful.pulumi.com/config-hash"] ?? "",
  };
}

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
  return podTemplate(set, cm);
}

/** zoo.cfg with the overlay's one change: dataDir replaced. */
export function overlayZooCfg(cfg: string, dataDir: string): string {
  const lines = cfg.split("\n");
  const d = lines.filter((l) => l.startsWith("dataDir=")).length;
  if (d !== 1) throw new Error(`zoo.cfg must have one dataDir line (has ${d})`);
  return lines.map((l) => (l.startsWith("dataDir=") ? `dataDir=${dataDir}` : l)).join("\n");
}

/** The container's environment as the kubelet would set it: values, the pod name, Secret keys. */
export function containerEnv(
  env: RenderedEnsemble["env"],
  podName: string,
  secrets: Record<string, Record<string, string>>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of env) {
    const ref = e.valueFrom?.secretKeyRef;
    if (e.value !== undefined) out[e.name] = e.value;
    else if (e.valueFrom?.fieldRef?.fieldPath === "metadata.name") out[e.name] = podName;
    else if (ref?.name && ref.key) {
      const v = secrets[ref.name]?.[ref.key];
      if (v === undefined) throw new Error(`pod ${podName}: Secret ${ref.name} has no key ${ref.key}`);
      out[e.name] = v;
    } else throw new Error(`harness cannot provide env ${e.name}: ${JSON.stringify(e.valueFrom)}`);
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

export async function waitFor<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | undefined>,
  pollMs = 200,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/** Runs a command to its end; `stdin` is written and closed. Never rejects. */
export function run(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
  stdin?: string,
): Promise<ExecResult> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, {
      env,
      stdio: [stdin === undefined ? "ignore" : "pipe", "pipe", "pipe"],
      timeout: timeoutMs,
      killSignal: "SIGKILL",
    });
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (d) => {
      stdout += d;
    });
    child.stderr!.on("data", (d) => {
      stderr += d;
    });
    if (stdin !== undefined) child.stdin!.end(stdin);
    child.on("error", (e) => resolve({ exitCode: 127, stdout, stderr: `${stderr}${e.message}` }));
    child.on("close", (code) => resolve({ exitCode: code ?? 137, stdout, stderr }));
  });
}

const live = new Set<ChildProcess>();
process.on("exit", () => {
  for (const c of live) if (c.pid) killGroup(c.pid, "SIGKILL");
});

export function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

/** Starts a detached process group whose output goes to `logFile`; it is killed when this process exits. */
export function spawnLogged(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  logFile: string,
): ChildProcess {
  const log = openSync(logFile, "a");
  const child = spawn(cmd, args, { env, detached: true, stdio: ["ignore", log, log] });
  closeSync(log);
  live.add(child);
  child.on("exit", () => live.delete(child));
  return child;
}

/** Stops a process group: SIGTERM, SIGKILL after 10 s (a pod's grace period, shortened). */
export async function stopProcess(
  child: ChildProcess | undefined,
  signal: NodeJS.Signals = "SIGTERM",
): Promise<void> {
  if (!child?.pid || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  killGroup(child.pid, signal);
  const timer = setTimeout(() => killGroup(child.pid!, "SIGKILL"), 10_000);
  await exited;
  clearTimeout(timer);
}

/** The host: loopback addresses per ordinal, the headless Service's DNS records, Secrets, Debian's scripts. */
export class LocalCluster {
  readonly bin: string;
  readonly hostsFile: string;
  private readonly records = new Map<string, string>();

  private constructor(
    readonly root: string,
    readonly ips: string[],
    readonly secrets: Record<string, Record<string, string>>,
  ) {
    this.bin = join(root, "bin");
    mkdirSync(this.bin, { recursive: true });
    for (const s of ["zkServer.sh", "zkCli.sh"])
      if (!existsSync(join(this.bin, s))) symlinkSync(join(ZK_BIN, s), join(this.bin, s));
    writeFileSync(join(this.bin, "zkEnv.sh"), readFileSync(join(__dirname, "zkEnv.sh")));
    this.hostsFile = join(root, "hosts");
    this.writeHosts();
  }

  /** Addresses for `maxPods` ordinals with the ensemble's ports free. */
  static async create(
    root: string,
    maxPods: number,
    ports: number[],
    secrets: Record<string, Record<string, string>> = {},
  ): Promise<LocalCluster> {
    mkdirSync(root, { recursive: true });
    return new LocalCluster(root, await pickAddresses(maxPods, ports), secrets);
  }

  /** A pod's DNS record appears when it is created and goes when it is deleted. */
  publish(fqdn: string, ip: string | undefined): void {
    if (ip === undefined) this.records.delete(fqdn);
    else this.records.set(fqdn, ip);
    this.writeHosts();
  }

  private writeHosts(): void {
    const tmp = `${this.hostsFile}.tmp`;
    writeFileSync(tmp, [...this.records].map(([name, ip]) => `${ip} ${name}\n`).join(""));
    // Atomic for the readers (the JVMs and the start script).
    renameSync(tmp, this.hostsFile);
  }
}

/** One pod: a name, an ordinal, a claim that outlives it, the container's environment and command. */
export class LocalPod {
  readonly ordinal: number;
  readonly ip: string;
  readonly fqdn: string;
  readonly dir: string;
  readonly claimDir: string;
  private proc?: ChildProcess;
  rendered: RenderedEnsemble;
  env: Record<string, string> = {};

  constructor(
    readonly cluster: LocalCluster,
    rendered: RenderedEnsemble,
    readonly name: string,
  ) {
    this.rendered = rendered;
    this.ordinal = Number(name.slice(name.lastIndexOf("-") + 1));
    this.ip = cluster.ips[this.ordinal]!;
    this.fqdn = `${name}.${rendered.serviceDomain}`;
    this.dir = join(cluster.root, "pods", name);
    this.claimDir = join(cluster.root, "claims", `datadir-${name}`);
    mkdirSync(this.dir, { recursive: true });
    mkdirSync(this.claimDir, { recursive: true });
    this.applyTemplate(rendered);
  }

  /** Mounts the rendered ConfigMap and sets the environment (a pod created from this template). */
  applyTemplate(rendered: RenderedEnsemble): void {
    this.rendered = rendered;
    const conf = join(this.dir, "configmap");
    mkdirSync(conf, { recursive: true });
    writeFileSync(join(conf, "zoo.cfg"), overlayZooCfg(rendered.zooCfg, join(this.claimDir, "data")));
    writeFileSync(join(conf, "java.env"), rendered.javaEnv);
    this.env = {
      ...containerEnv(rendered.env, this.name, this.cluster.secrets),
      ZOOCFGDIR: conf,
      ZK_CLIENT_HOST: this.ip,
      ZK_HOSTS_FILE: this.cluster.hostsFile,
      SERVER_JVMFLAGS: `-Djdk.net.hosts.file=${this.cluster.hostsFile}`,
      PATH: `${this.cluster.bin}:${process.env.PATH}`,
      ZOO_LOG_DIR: this.dir,
      HOME: this.dir,
    };
  }

  get running(): boolean {
    return this.proc !== undefined && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** Starts the container's command, exactly as rendered. */
  start(): void {
    if (this.running) throw new Error(`${this.name} is already running`);
    const [cmd, ...args] = this.rendered.command;
    this.proc = spawnLogged(cmd!, args, this.env, join(this.dir, "server.log"));
  }

  /** SIGTERM to the container, as a pod deletion does (the pod's DNS record stays; see `delete`). */
  async stop(): Promise<void> {
    await stopProcess(this.proc);
    this.proc = undefined;
  }

  /** The pod is created: its DNS record appears (published before it is Ready) and its container starts. */
  create(): void {
    this.cluster.publish(this.fqdn, this.ip);
    this.start();
  }

  /** The pod is deleted: its container stops and its DNS record goes; the claim stays. */
  async delete(): Promise<void> {
    await this.stop();
    this.cluster.publish(this.fqdn, undefined);
  }

  /** `kubectl exec`: runs `command` with the container's environment. */
  exec(command: string[], stdin?: string, timeoutMs = 60_000): Promise<ExecResult> {
    const [cmd, ...args] = command;
    return run(cmd!, args, this.env, timeoutMs, stdin);
  }

  /** Runs a rendered probe command; true when it exits 0. */
  async probe(which: "readiness" | "liveness"): Promise<boolean> {
    const p = this.rendered[which];
    const r = await this.exec(p.command, undefined, p.timeoutSeconds * 1000 + 2000);
    return r.exitCode === 0;
  }

  /** `srvr` mode straight from the harness (no exec), or undefined when not serving. */
  async mode(): Promise<{ mode: string; zxid: string } | undefined> {
    const reply = await fourLetterWord(this.ip, this.rendered.clientPort, "srvr", 2000);
    const mode = reply ? /^Mode: (\w+)$/m.exec(reply)?.[1] : undefined;
    const zxid = reply ? /^Zxid: (0x[0-9a-f]+)$/m.exec(reply)?.[1] : undefined;
    return mode && zxid ? { mode, zxid } : undefined;
  }
}

/**
 * The StatefulSet controller for `podManagementPolicy: Parallel`: pods below `replicas` are created
 * (and started) at once, pods above it deleted at once; claims are kept (Retain). A template
 * change applies to pods created or restarted afterwards (updateStrategy OnDelete).
 */
export class LocalStatefulSet {
  replicas = 0;
  readonly pods = new Map<number, LocalPod>();
  private readonly podRevisions = new Map<number, string>();
  private revision: string;

  constructor(
    readonly cluster: LocalCluster,
    private template: RenderedEnsemble,
  ) {
    if (template.podManagementPolicy !== "Parallel")
      throw new Error(
        `the harness plays a Parallel StatefulSet; the rendered one is ${template.podManagementPolicy}`,
      );
    this.revision = template.configHash;
  }

  get setName(): string {
    return this.template.setName;
  }

  async scale(replicas: number): Promise<void> {
    this.replicas = replicas;
    const gone = [...this.pods.keys()].filter((o) => o >= replicas);
    await Promise.all(gone.map((o) => this.deletePod(o)));
    for (let o = 0; o < replicas; o++) if (!this.pods.has(o)) this.createPod(o);
  }

  private createPod(ordinal: number): LocalPod {
    const pod = new LocalPod(this.cluster, this.template, `${this.setName}-${ordinal}`);
    this.pods.set(ordinal, pod);
    this.podRevisions.set(ordinal, this.revision);
    pod.create();
    return pod;
  }

  private async deletePod(ordinal: number): Promise<void> {
    const pod = this.pods.get(ordinal)!;
    this.pods.delete(ordinal);
    await pod.delete();
  }

  /** A new template (e.g. a configuration change); existing pods keep the old one until restarted. */
  setTemplate(template: RenderedEnsemble): void {
    this.template = template;
    this.revision = template.configHash;
  }

  /** Pods not on the current template. */
  pending(): string[] {
    return [...this.pods.keys()]
      .filter((o) => this.podRevisions.get(o) !== this.revision)
      .map((o) => this.pods.get(o)!.name);
  }

  /** Deletes the pod; the controller recreates it with the current template (OnDelete). */
  async restartPod(name: string): Promise<void> {
    const ordinal = [...this.pods].find(([, p]) => p.name === name)?.[0];
    if (ordinal === undefined) throw new Error(`no pod ${name}`);
    await this.deletePod(ordinal);
    this.createPod(ordinal);
  }

  pod(name: string): LocalPod {
    const p = [...this.pods.values()].find((x) => x.name === name);
    if (!p) throw new Error(`no pod ${name}`);
    return p;
  }

  list(): { replicas: number; pods: { name: string; ordinal: number }[] } {
    return {
      replicas: this.replicas,
      pods: [...this.pods.values()].map((p) => ({ name: p.name, ordinal: p.ordinal })),
    };
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.pods.values()].map((p) => p.stop()));
  }
}
