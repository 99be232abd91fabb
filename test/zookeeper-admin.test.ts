/**
 * The membership commands against a model ensemble behind a fake `exec`: the commands sent, the
 * password kept out of every command line and every message, the confirmation, and the errors
 * that name the server. Real servers run the same code in test/zookeeper.test.ts.
 */
import { describe, expect, it } from "vitest";
import {
  type EnsembleTarget,
  type Exec,
  fourLetterWordCommand,
  MembershipError,
  parseSrvr,
  reconcileMembership,
  rollingRestart,
} from "../sdk/zookeeper/admin";

const PASSWORD = "pw-0123456789abcdef";
const target: EnsembleTarget = {
  setName: "zk",
  serviceDomain: "zk-headless.default.svc.cluster.local",
  clientPort: 2181,
  serverPort: 2888,
  electionPort: 3888,
};

interface Pod {
  serving: boolean;
}

/** A model ZooKeeper ensemble that answers the commands admin.ts sends. */
class Model {
  members = new Map<number, string>();
  version = 0x100000000;
  leader = 1;
  replicas = 0;
  pods = new Map<number, Pod>();
  commands: { pod: string; command: string[]; stdin?: string }[] = [];
  /** Pods that never serve once created. */
  stuck = new Set<number>();
  /** Accepted digest password. */
  password = PASSWORD;
  /** Servers removed while leading, which keep reporting "leader" with their last membership. */
  zombies = new Map<number, string>();

  constructor(n: number) {
    for (let i = 1; i <= n; i++) this.members.set(i, `server.${i}=zk-${i - 1}.h:2888:3888:participant;2181`);
    this.scale(n);
  }

  scale(n: number) {
    this.replicas = n;
    for (const o of [...this.pods.keys()]) if (o >= n) this.pods.delete(o);
    for (let o = 0; o < n; o++) if (!this.pods.has(o)) this.pods.set(o, { serving: !this.stuck.has(o) });
  }

  exec: Exec = async (pod, command, stdin) => {
    this.commands.push({ pod, command, ...(stdin !== undefined ? { stdin } : {}) });
    const ordinal = Number(pod.split("-")[1]);
    const p = this.pods.get(ordinal);
    if (!p) return { stdout: "", stderr: "no such pod", exitCode: 1 };
    if (command[0] === "bash" && command.length === 4) {
      if (!p.serving)
        return {
          stdout: "This ZooKeeper instance is not currently serving requests\n",
          stderr: "",
          exitCode: 0,
        };
      const hex = this.version.toString(16);
      const zombie = this.zombies.get(ordinal + 1);
      if (command[3] === "srvr")
        return {
          stdout: `Zxid: 0x${hex}\nMode: ${ordinal + 1 === this.leader || zombie ? "leader" : "follower"}\n`,
          stderr: "",
          exitCode: 0,
        };
      if (command[3] === "conf" && zombie) return { stdout: zombie, stderr: "", exitCode: 0 };
      if (command[3] === "conf")
        return {
          stdout: `serverId=${ordinal + 1}\nmembership: \n${[...this.members.values()].join("\n")}\nversion=${hex}`,
          stderr: "",
          exitCode: 0,
        };
    }
    // zkCli.sh reading commands from stdin, echoing them back as jline does on a terminal.
    let out = `${stdin}`;
    let code = 0;
    let authed = false;
    for (const line of (stdin ?? "").split("\n")) {
      const f = line.split(" ");
      if (f[0] === "addauth") authed = f[2] === `super:${this.password}`;
      if (f[0] === "reconfig") {
        if (!authed) {
          out += "Insufficient permission : /zookeeper/config\n";
          code = 1;
        } else if (Number.parseInt(f[2]!, 16) !== this.version) {
          out += "KeeperErrorCode = BadVersion for /zookeeper/config\n";
          code = 1;
        } else {
          if (f[3] === "-add") {
            const id = Number(/^server\.(\d+)=/.exec(f[4]!)![1]);
            this.members.set(id, f[4]!);
          } else {
            const id = Number(f[4]);
            this.members.delete(id);
            // A removed leader keeps saying "leader" with the membership that removed it.
            if (id === this.leader)
              this.zombies.set(
                id,
                `membership: \n${[...this.members.values()].join("\n")}\nversion=${(this.version + 0x10).toString(16)}`,
              );
          }
          this.version += 0x10;
          if (!this.members.has(this.leader)) this.leader = Math.max(...this.members.keys());
        }
      }
    }
    return { stdout: out, stderr: "", exitCode: code };
  };
}

const fast = { sleep: async () => {}, pollMs: 0, confirmMs: 50 };
const reconcile = (m: Model, desired: number, timeoutMs = 2000, password = PASSWORD) =>
  reconcileMembership({
    exec: m.exec,
    target,
    user: { password },
    desired,
    pods: async () => ({
      replicas: m.replicas,
      pods: [...m.pods.keys()].map((o) => ({ name: `zk-${o}`, ordinal: o })),
    }),
    scalePods: async (n) => m.scale(n),
    timeoutMs,
    ...fast,
  });

describe("membership commands", () => {
  it("reads srvr replies", () => {
    expect(parseSrvr("Zxid: 0x200000003\nMode: follower\n")).toEqual({
      serving: true,
      mode: "follower",
      zxid: "0x200000003",
    });
    expect(parseSrvr("This ZooKeeper instance is not currently serving requests\n")).toEqual({
      serving: false,
    });
    expect(parseSrvr(undefined)).toEqual({ serving: false });
    expect(fourLetterWordCommand("srvr", 2181)[3]).toBe("srvr");
  });

  it("scales 3 -> 5 -> 1 one confirmed reconfig at a time; the password only ever on stdin", async () => {
    const m = new Model(3);
    expect(await reconcile(m, 5)).toEqual([1, 2, 3, 4, 5]);
    expect(await reconcile(m, 1)).toEqual([1]);
    expect(m.replicas).toBe(1);
    const reconfigs = m.commands.filter((c) => c.stdin).map((c) => c.stdin!.split("\n")[1]);
    expect(reconfigs).toEqual([
      "reconfig -v 100000000 -add server.4=zk-3.zk-headless.default.svc.cluster.local:2888:3888:participant;2181",
      "reconfig -v 100000010 -add server.5=zk-4.zk-headless.default.svc.cluster.local:2888:3888:participant;2181",
      "reconfig -v 100000020 -remove 5",
      "reconfig -v 100000030 -remove 4",
      "reconfig -v 100000040 -remove 3",
      "reconfig -v 100000050 -remove 2",
    ]);
    for (const c of m.commands) expect(c.command.join(" ")).not.toContain(PASSWORD);
    // zkCli runs on a serving voter that is not the one removed.
    expect(m.commands.filter((c) => c.stdin?.includes("-remove 2")).map((c) => c.pod)).toEqual(["zk-0"]);
  });

  it("goes on past a removed leader that keeps reporting leader", async () => {
    const m = new Model(5);
    m.leader = 5;
    expect(await reconcile(m, 3)).toEqual([1, 2, 3]);
    expect([...m.zombies.keys()]).toEqual([5, 4]);
  });

  it("stops naming the joiner that never serves, and continues from there on the next call", async () => {
    const m = new Model(3);
    m.stuck.add(3);
    const err = await reconcile(m, 5, 200).catch((e) => e);
    expect(err).toBeInstanceOf(MembershipError);
    expect(err.pod).toBe("zk-3");
    expect(err.message).toMatch(
      /^zk: scaling to 5 stopped after 200 ms: zk-3 \(server\.4\) is not serving yet: it must start, find the ensemble and sync as a non-voting follower$/,
    );
    // Membership and replicas are consistent: nothing was added, the pods exist.
    expect([...m.members.keys()]).toEqual([1, 2, 3]);
    expect(m.replicas).toBe(5);
    m.pods.get(3)!.serving = true;
    expect(await reconcile(m, 5)).toEqual([1, 2, 3, 4, 5]);
  });

  it("reports a refused reconfig without the password", async () => {
    const m = new Model(3);
    m.password = "another";
    const err = await reconcile(m, 1, 300).catch((e) => e);
    expect(err).toBeInstanceOf(MembershipError);
    expect(err.pod).toBe("zk-2");
    expect(err.message).toContain(
      "removing zk-2 (server.3) from membership version 100000000 was not confirmed: zkCli said:",
    );
    expect(err.message).toContain("Insufficient permission");
    expect(err.message).toContain("addauth digest super:<redacted>");
    expect(err.message).not.toContain(PASSWORD);
  });

  it("refuses a password that zkCli's command line would split", async () => {
    const err = await reconcile(new Model(3), 1, 300, "two words").catch((e) => e);
    expect(err.message).toBe("the super-user password must be a non-empty string without whitespace or ':'");
  });

  it("rolls followers first and the leader last", async () => {
    const m = new Model(5);
    m.leader = 2;
    let pending = ["zk-0", "zk-1", "zk-2", "zk-3", "zk-4"];
    const order = await rollingRestart({
      exec: m.exec,
      target,
      pending: async () => pending,
      pods: async () => ({
        replicas: m.replicas,
        pods: [...m.pods.keys()].map((o) => ({ name: `zk-${o}`, ordinal: o })),
      }),
      restartPod: async (p) => {
        pending = pending.filter((x) => x !== p);
      },
      timeoutMs: 1000,
      sleep: fast.sleep,
      pollMs: 0,
    });
    expect(order).toEqual(["zk-4", "zk-3", "zk-2", "zk-0", "zk-1"]);
  });
});
