/**
 * The start script's decisions, run for real in bash with a stand-in zkServer.sh that prints what
 * it would start with, and peers played by small TCP servers answering four-letter words. The
 * real-server test (zookeeper.test.ts) runs the same script with ZooKeeper itself.
 */
import { spawn } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startScript } from "../sdk/zookeeper/config";
import { pickAddresses } from "./zookeeper/harness";

const DOMAIN = "zk-headless.default.svc.cluster.local";
const script = startScript({
  serviceDomain: DOMAIN,
  clientPort: 2181,
  serverPort: 2888,
  electionPort: 3888,
  maxServers: 9,
});
let root: string;
let ips: string[];
const servers: net.Server[] = [];

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "zk-start-"));
  ips = await pickAddresses(9, [2181]);
  mkdirSync(join(root, "bin"));
  // Prints the configuration it was given instead of starting ZooKeeper.
  writeFileSync(
    join(root, "bin", "zkServer.sh"),
    '#!/bin/bash\necho "ZOOCFGDIR=$ZOOCFGDIR"\ncat "$ZOOCFGDIR/zoo.cfg"\ncat "$(sed -n "s/^dynamicConfigFile=//p" "$ZOOCFGDIR/zoo.cfg")"\n',
  );
  chmodSync(join(root, "bin", "zkServer.sh"), 0o755);
});

afterAll(async () => {
  for (const s of servers) s.close();
  rmSync(root, { recursive: true, force: true });
});

/** A peer that answers `conf` with `membership`, or "not serving" when undefined. */
function peer(ordinal: number, membership?: string): Promise<void> {
  const s = net.createServer((sock) => {
    sock.once("data", () => {
      sock.end(
        membership === undefined
          ? "This ZooKeeper instance is not currently serving requests\n"
          : `serverId=${ordinal + 1}\nmembership: \n${membership}\nversion=100000000`,
      );
    });
  });
  servers.push(s);
  return new Promise((r) => s.listen(2181, ips[ordinal], () => r()));
}

/** Runs the script for pod zk-<ordinal> on a volume, with DNS records for `pods`. */
function start(ordinal: number, volume: string, pods: number[], timeoutMs = 8000) {
  const conf = join(root, `conf-${ordinal}`);
  mkdirSync(conf, { recursive: true });
  writeFileSync(join(conf, "zoo.cfg"), `tickTime=2000\ndataDir=${volume}/data\nclientPort=2181\n`);
  writeFileSync(join(conf, "java.env"), "# java.env\n");
  const hosts = join(root, `hosts-${ordinal}`);
  writeFileSync(hosts, pods.map((o) => `${ips[o]} zk-${o}.${DOMAIN}\n`).join(""));
  return new Promise<{ code: number | null; out: string }>((resolve) => {
    const child = spawn("bash", ["-ec", script], {
      env: {
        PATH: `${join(root, "bin")}:${process.env.PATH}`,
        POD_NAME: `zk-${ordinal}`,
        ZOOCFGDIR: conf,
        ZK_HOSTS_FILE: hosts,
      },
      timeout: timeoutMs,
    });
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    child.stderr.on("data", (d) => {
      out += d;
    });
    child.on("close", (code) => resolve({ code, out }));
  });
}

const line = (o: number) => `server.${o + 1}=zk-${o}.${DOMAIN}:2888:3888:participant;2181`;

describe("the start script", () => {
  it("bootstraps a one-member ensemble on the first ordinal when no peer pod exists", async () => {
    const vol = join(root, "v-boot");
    const r = await start(0, vol, [0]);
    expect(r.code).toBe(0);
    expect(r.out).toContain("no peer runs ZooKeeper: bootstrapping a one-member ensemble");
    expect(r.out).toContain(`ZOOCFGDIR=${vol}/conf`);
    expect(r.out).toContain(`dynamicConfigFile=${vol}/conf/zoo.cfg.dynamic.initial\n${line(0)}`);
    expect(readFileSync(join(vol, "data", "myid"), "utf8")).toBe("1\n");
    expect(existsSync(join(vol, "conf", "java.env"))).toBe(true);
    expect(existsSync(join(vol, "conf", "waiting"))).toBe(false);
  });

  it("joins with the running members plus itself, never forming an ensemble of its own", async () => {
    await peer(0, `${line(0)}\n${line(1)}`);
    const r = await start(2, join(root, "v-join"), [0, 1, 2]);
    expect(r.code).toBe(0);
    expect(r.out).toContain("joining the running ensemble as a non-voting follower");
    expect(r.out).toContain(`zoo.cfg.dynamic.initial\n${line(0)}\n${line(1)}\n${line(2)}`);
  });

  it("refuses an empty volume whose server is already a voting member (a lost volume)", async () => {
    const r = await start(1, join(root, "v-lost"), [0, 1]);
    expect(r.code).toBe(1);
    expect(r.out).toContain(
      "zookeeper: zk-1 (server.2): refusing to start: server.2 is a member of the running ensemble but this volume is empty (lost or replaced?); remove it first (reconfig -remove 2), then it rejoins as a new server",
    );
  });

  it("restarts with the committed membership on its volume, asking no one", async () => {
    const vol = join(root, "v-restart");
    mkdirSync(join(vol, "conf"), { recursive: true });
    mkdirSync(join(vol, "data", "version-2"), { recursive: true });
    writeFileSync(join(vol, "data", "version-2", "snapshot.0"), "x");
    writeFileSync(join(vol, "conf", "zoo.cfg.dynamic.100000000"), `${line(0)}\n${line(4)}\n`);
    writeFileSync(join(vol, "conf", "zoo.cfg.dynamic.300000002"), `${line(0)}\n${line(4)}\n${line(5)}\n`);
    writeFileSync(join(vol, "conf", "zoo.cfg"), `dynamicConfigFile=${vol}/conf/zoo.cfg.dynamic.300000002\n`);
    const r = await start(5, vol, [5]);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`starting with ${vol}/conf/zoo.cfg.dynamic.300000002: 3 server(s)`);
    // The static part is the ConfigMap's, refreshed; the pointer is the volume's.
    expect(r.out).toContain(
      `tickTime=2000\ndataDir=${vol}/data\nclientPort=2181\ndynamicConfigFile=${vol}/conf/zoo.cfg.dynamic.300000002\n`,
    );
  });

  it("refuses a volume with data but no dynamic configuration (not written by this script)", async () => {
    const vol = join(root, "v-legacy");
    mkdirSync(join(vol, "data", "version-2"), { recursive: true });
    writeFileSync(join(vol, "data", "version-2", "log.1"), "x");
    const r = await start(0, vol, [0]);
    expect(r.code).toBe(1);
    expect(r.out).toContain(
      "refusing to start: " + `${vol}/data holds data but this volume has no dynamic configuration`,
    );
  });

  it("keeps waiting, live, while peers exist but none serves", async () => {
    await peer(3); // runs ZooKeeper, not serving
    const vol = join(root, "v-wait");
    const r = await start(0, vol, [0, 3], 3000);
    expect(r.code).toBeNull(); // still waiting when killed
    expect(r.out).toContain("waiting for a serving member of the ensemble (new volume)");
    expect(existsSync(join(vol, "conf", "waiting"))).toBe(true);
  });
});
