/**
 * The ZooKeeper verification: the `zookeeper` example (3 servers) and a 5-server ensemble,
 * rendered by the real components and run on Debian's ZooKeeper. See harness.ts for the overlay.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ensemble, OVERLAY, renderEnsemble, ZK_JAR, ZK_SERVER_SH } from "./harness";

export interface VerifyResult {
  servers: number;
  leader: string;
  write_read: boolean;
  survives_one_down: boolean;
  rejoined: boolean;
  probes: boolean;
  five_survives_two_down: boolean;
  elapsed_ms: number;
}

type Log = (line: string) => void;

export function zookeeperInstalled(): string | undefined {
  for (const f of [ZK_JAR, ZK_SERVER_SH])
    if (!existsSync(f))
      return `${f} is missing: install Debian's zookeeper package (apt-get install zookeeper)`;
  return undefined;
}

async function probesAll(e: Ensemble, indices: number[], expected: boolean): Promise<boolean> {
  const results = await Promise.all(
    indices.flatMap((i) => [e.probe(i, "readiness"), e.probe(i, "liveness")]),
  );
  return results.every((r) => r === expected);
}

/**
 * Renders `program`, lays its servers out under `dir`, starts them all and waits for a quorum;
 * runs `check` with every index and the leader's; stops every server, also when `check` throws.
 */
async function withRunningEnsemble<T>(
  program: () => unknown,
  dir: string,
  log: Log,
  check: (e: Ensemble, all: number[], leader: number) => Promise<T>,
): Promise<T> {
  const e = await Ensemble.create(await renderEnsemble(program), dir);
  try {
    log(`servers: ${e.servers.map((s) => `${s.podName}@${s.ip}`).join(", ")}`);
    for (const s of e.servers) e.start(s.index);
    const all = e.servers.map((s) => s.index);
    return await check(e, all, await e.waitForQuorum(all));
  } finally {
    await e.stopAll();
  }
}

/** A znode written through `writer` is read back through `reader`. */
async function replicates(
  e: Ensemble,
  writer: number,
  reader: number,
  path: string,
  value: string,
): Promise<boolean> {
  return (await e.write(writer, path, value)) && (await e.readsBack(reader, path, value));
}

/** 3 servers (the zookeeper example): quorum, write/read, leader down, rejoin, probes. */
async function threeServers(root: string, log: Log) {
  const { runExample } = await import("../../examples/catalog");
  return withRunningEnsemble(
    () => runExample("zookeeper"),
    join(root, "three"),
    log,
    async (e, all, leader) => {
      log(`leader ${e.servers[leader]!.podName}`);
      // Each server's id came from its pod's ordinal, written by the rendered start script.
      for (const s of e.servers) {
        const myid = readFileSync(join(s.dir, "data", "myid"), "utf8").trim();
        if (myid !== String(s.index + 1))
          throw new Error(`${s.podName} wrote myid ${myid}, expected ${s.index + 1}`);
      }
      let probes = await probesAll(e, all, true);
      const [a, b] = all.filter((i) => i !== leader) as [number, number];
      const stamp = `${Date.now()}`;
      const write_read = await replicates(e, a, b, "/pulumi-stateful-check", stamp);
      log(`write through ${e.servers[a]!.podName}, read through ${e.servers[b]!.podName}: ${write_read}`);

      // Stop the leader: the two others must elect a new one and keep serving reads and writes.
      await e.stop(leader);
      await e.waitForQuorum([a, b]);
      probes = probes && (await probesAll(e, [leader], false));
      const survives_one_down = await replicates(e, a, b, "/pulumi-stateful-outage", stamp);
      log(`${e.servers[leader]!.podName} down, write and read on the others: ${survives_one_down}`);

      // Restart it with the same command: it rejoins and catches up on what it missed.
      e.start(leader);
      await e.waitForQuorum(all);
      const rejoined = await e.readsBack(leader, "/pulumi-stateful-outage", stamp);
      probes = probes && (await probesAll(e, all, true));
      log(`${e.servers[leader]!.podName} restarted, caught up: ${rejoined}; probes: ${probes}`);
      return { leader: e.servers[leader]!.podName, write_read, survives_one_down, rejoined, probes };
    },
  );
}

/** 5 servers with two down (the leader among them): the other three serve. */
async function fiveServers(root: string, log: Log): Promise<boolean> {
  const { ZooKeeperEnsemble } = await import("../../components");
  const program = () => new ZooKeeperEnsemble("zk5", { replicas: 5, heap: "256M" });
  return withRunningEnsemble(program, join(root, "five"), log, async (e, all, leader) => {
    const other = all.find((i) => i !== leader)!;
    await Promise.all([e.stop(leader), e.stop(other)]);
    const rest = all.filter((i) => i !== leader && i !== other);
    await e.waitForQuorum(rest);
    const ok = await replicates(e, rest[0]!, rest[2]!, "/pulumi-stateful-five", `${Date.now()}`);
    log(`${e.servers[leader]!.podName} and ${e.servers[other]!.podName} down, three serve: ${ok}`);
    return ok;
  });
}

export async function verifyZooKeeper(log: Log = () => {}): Promise<VerifyResult> {
  const missing = zookeeperInstalled();
  if (missing) throw new Error(missing);
  const started = Date.now();
  const root = mkdtempSync(join(tmpdir(), "zk-verify-"));
  log(`overlay (the only changes from a pod):\n  - ${OVERLAY.join("\n  - ")}`);
  let ok = false;
  try {
    const three = await threeServers(root, log);
    const five_survives_two_down = await fiveServers(root, log);
    const result = { servers: 3, ...three, five_survives_two_down, elapsed_ms: Date.now() - started };
    ok = Object.values(result).every((v) => v !== false);
    return result;
  } finally {
    if (ok) rmSync(root, { recursive: true, force: true });
    else log(`server logs kept in ${root}`);
  }
}
