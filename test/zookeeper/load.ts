/**
 * Writer clients that log every acknowledged write, a reader that reads every znode from every
 * server after `sync`, and the comparison: acknowledged writes lost, paths on which servers
 * disagree, the longest time without any acknowledged write. The Java side is ZkLoad.java,
 * compiled once per run against Debian's zookeeper.jar.
 */
import type { ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CLIENT_CP, run, spawnLogged, stopProcess } from "./harness";

export const LOAD_ROOT = "/load";

/** Compiles ZkLoad.java into `dir`; returns the classpath to run it with. */
export async function compileLoad(dir: string): Promise<string> {
  mkdirSync(dir, { recursive: true });
  if (!existsSync(join(dir, "ZkLoad.class"))) {
    const r = await run(
      "javac",
      ["-nowarn", "-cp", CLIENT_CP, "-d", dir, join(__dirname, "ZkLoad.java")],
      process.env,
      120_000,
    );
    if (r.exitCode !== 0) throw new Error(`javac ZkLoad.java failed: ${r.stderr}`);
  }
  return `${dir}:${CLIENT_CP}`;
}

export interface Ack {
  t: number;
  writer: number;
  path: string;
  payload: string;
}

export interface WriteLog {
  creates: Ack[];
  sets: Ack[];
  /** setData payloads in the order they were sent, per path (sent ones may apply without an ack). */
  attempted: Map<string, string[]>;
  errors: number;
}

/** Several writers in one JVM, writing until `stop()`. */
export class Writers {
  private proc?: ChildProcess;
  private readonly stopFile: string;
  private readonly logFile: string;

  constructor(
    private readonly classpath: string,
    dir: string,
    private readonly connectString: string,
    private readonly count = 3,
  ) {
    mkdirSync(dir, { recursive: true });
    this.stopFile = join(dir, "stop");
    this.logFile = join(dir, "writers.log");
  }

  /** Starts the writers and resolves once they write (their setup needs a serving ensemble). */
  async start(timeoutMs = 90_000): Promise<void> {
    writeFileSync(this.logFile, "");
    this.proc = spawnLogged(
      "java",
      [
        "-Xmx256m",
        "-cp",
        this.classpath,
        "ZkLoad",
        "write",
        this.connectString,
        LOAD_ROOT,
        String(this.count),
        this.stopFile,
      ],
      process.env,
      this.logFile,
    );
    const deadline = Date.now() + timeoutMs;
    while (!/^A /m.test(readFileSync(this.logFile, "utf8"))) {
      if (Date.now() > deadline)
        throw new Error(`writers did not write within ${timeoutMs} ms; see ${this.logFile}`);
      if (this.proc.exitCode !== null) throw new Error(`writers exited; see ${this.logFile}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** Acks so far (the log is read as it grows). */
  acksSince(t: number): number {
    return this.parse().creates.filter((a) => a.t >= t).length;
  }

  async stop(): Promise<WriteLog> {
    writeFileSync(this.stopFile, "");
    const proc = this.proc;
    if (proc && proc.exitCode === null) {
      const exited = new Promise((r) => proc.once("exit", r));
      const timer = setTimeout(() => void stopProcess(proc, "SIGKILL"), 30_000);
      await exited;
      clearTimeout(timer);
    }
    return this.parse();
  }

  parse(): WriteLog {
    const log: WriteLog = { creates: [], sets: [], attempted: new Map(), errors: 0 };
    for (const line of readFileSync(this.logFile, "utf8").split("\n")) {
      const f = line.split(" ");
      if (f[0] === "A" || f[0] === "S") {
        const ack = { t: Number(f[1]), writer: Number(f[2]), path: f[3]!, payload: f[4]! };
        (f[0] === "A" ? log.creates : log.sets).push(ack);
      } else if (f[0] === "T") {
        const list = log.attempted.get(f[3]!) ?? [];
        list.push(f[4]!);
        log.attempted.set(f[3]!, list);
      } else if (f[0] === "E") log.errors++;
    }
    return log;
  }
}

/** Every znode under the load root as one server has it after `sync`, or undefined when unreachable. */
export async function readAll(classpath: string, server: string): Promise<Map<string, string> | undefined> {
  const r = await run(
    "java",
    ["-Xmx256m", "-cp", classpath, "ZkLoad", "read", server, LOAD_ROOT],
    process.env,
    180_000,
  );
  if (r.exitCode !== 0 || !/^END \d+$/m.test(r.stdout)) return undefined;
  const data = new Map<string, string>();
  for (const line of r.stdout.split("\n")) {
    if (!line.startsWith("R ")) continue;
    const [, path, payload] = line.split(" ");
    data.set(path!, payload ?? "");
  }
  return data;
}

export interface Comparison {
  acked_writes: number;
  /** Acknowledged writes (creates, and the last acknowledged setData of each path) missing or different on some server. */
  lost_writes: number;
  /** Paths whose presence or data differ between servers. */
  diverged_paths: number;
  /** Longest stretch with no acknowledged write by any writer, in [from, to). */
  max_write_gap_ms: number;
  examples: string[];
}

/** Longest stretch without an ack in [from, to]. */
export function maxGap(log: WriteLog, from: number, to: number): number {
  const times = [...log.creates, ...log.sets]
    .map((a) => a.t)
    .filter((t) => t >= from && t <= to)
    .sort((a, b) => a - b);
  let gap = 0;
  let prev = from;
  for (const t of times) {
    gap = Math.max(gap, t - prev);
    prev = t;
  }
  return Math.max(gap, to - prev);
}

/** Compares what was acknowledged with what each server holds. */
export function compare(log: WriteLog, servers: Map<string, Map<string, string>>): Comparison {
  const examples: string[] = [];
  const note = (s: string) => {
    if (examples.length < 5) examples.push(s);
  };
  let lost = 0;
  for (const a of log.creates) {
    const bad = [...servers].filter(([, d]) => d.get(a.path) !== a.payload).map(([name]) => name);
    if (bad.length > 0) {
      lost++;
      note(
        `acked ${a.path}=${a.payload} at ${a.t}: ${bad.map((n) => `${n} has ${servers.get(n)!.get(a.path) ?? "nothing"}`).join(", ")}`,
      );
    }
  }
  // A setData path must end at its last acknowledged payload or one sent after it.
  const lastSet = new Map<string, Ack>();
  for (const s of log.sets) lastSet.set(s.path, s);
  for (const [path, ack] of lastSet) {
    const sent = log.attempted.get(path) ?? [];
    const allowed = new Set(sent.slice(sent.indexOf(ack.payload)));
    const bad = [...servers].filter(([, d]) => !allowed.has(d.get(path) ?? "")).map(([n]) => n);
    if (bad.length > 0) {
      lost++;
      note(
        `acked ${path}=${ack.payload} at ${ack.t}: ${bad.map((n) => `${n} has ${servers.get(n)!.get(path) ?? "nothing"}`).join(", ")}`,
      );
    }
  }
  const paths = new Set<string>();
  for (const d of servers.values()) for (const p of d.keys()) paths.add(p);
  let diverged = 0;
  for (const p of paths) {
    const values = new Set([...servers.values()].map((d) => d.get(p) ?? "<absent>"));
    if (values.size > 1) {
      diverged++;
      note(`${p}: ${[...servers].map(([n, d]) => `${n}=${d.get(p) ?? "absent"}`).join(" ")}`);
    }
  }
  const all = [...log.creates, ...log.sets].map((a) => a.t);
  return {
    acked_writes: log.creates.length + log.sets.length,
    lost_writes: lost,
    diverged_paths: diverged,
    max_write_gap_ms: all.length > 0 ? maxGap(log, Math.min(...all), Math.max(...all)) : 0,
    examples,
  };
}
