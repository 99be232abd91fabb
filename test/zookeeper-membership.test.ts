/** The membership decisions, directly and as properties over generated observations. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { quorum } from "../sdk/zookeeper/config";
import {
  caughtUp,
  compareVersions,
  type EnsembleView,
  epochOf,
  type Member,
  type Membership,
  type MembershipStep,
  nextMembershipStep,
  nextRestart,
  parseMembership,
  restartOrder,
  restartSafety,
  type ServerView,
  serverSpec,
  votingIds,
  votingPods,
} from "../sdk/zookeeper/membership";

const CONF = `clientPort=2181
secureClientPort=-1
dataDir=/var/lib/zookeeper/data/version-2
serverId=1
peerType=0
membership: 
server.1=zk-0.zk-headless.default.svc.cluster.local:2888:3888:participant;0.0.0.0:2181
server.2=zk-1.zk-headless.default.svc.cluster.local:2888:3888:participant;0.0.0.0:2181
server.3=zk-2.zk-headless.default.svc.cluster.local:2888:3888:observer;2181
version=10000008b`;

const member = (id: number, role: Member["role"] = "participant"): Member => ({
  id,
  host: `zk-${id - 1}.h`,
  peerPort: 2888,
  electionPort: 3888,
  role,
});
const membership = (ids: number[], version = "100000000"): Membership => ({
  version,
  members: ids.map((i) => member(i)),
});
const server = (ordinal: number, over: Partial<ServerView> = {}): ServerView => ({
  pod: `zk-${ordinal}`,
  ordinal,
  serving: true,
  mode: "follower",
  zxid: "0x100000010",
  ...over,
});
/** `n` voters on pods 0..n-1, all serving, `leader` leading. */
const healthy = (n: number, leader = 0, extraPods = 0): EnsembleView => ({
  setName: "zk",
  replicas: n + extraPods,
  servers: Array.from({ length: n + extraPods }, (_, o) =>
    server(o, { mode: o === leader ? "leader" : "follower" }),
  ),
  membership: membership(Array.from({ length: n }, (_, i) => i + 1)),
});

describe("parsing the membership", () => {
  it("reads a conf reply: servers, roles, client addresses and the version", () => {
    const m = parseMembership(CONF);
    expect(m.version).toBe("10000008b");
    expect(m.members).toEqual([
      {
        id: 1,
        host: "zk-0.zk-headless.default.svc.cluster.local",
        peerPort: 2888,
        electionPort: 3888,
        role: "participant",
        client: "0.0.0.0:2181",
      },
      {
        id: 2,
        host: "zk-1.zk-headless.default.svc.cluster.local",
        peerPort: 2888,
        electionPort: 3888,
        role: "participant",
        client: "0.0.0.0:2181",
      },
      {
        id: 3,
        host: "zk-2.zk-headless.default.svc.cluster.local",
        peerPort: 2888,
        electionPort: 3888,
        role: "observer",
        client: "2181",
      },
    ]);
    expect(votingIds(m)).toEqual([1, 2]);
    expect(votingPods(m, "zk")).toEqual(["zk-0", "zk-1"]);
  });

  it("reads a dynamic file without version, and refuses lines it cannot read", () => {
    expect(parseMembership("server.2=a:1:2\nserver.1=b:1:2:participant;3").members.map((s) => s.id)).toEqual([
      1, 2,
    ]);
    expect(parseMembership("server.1=a:1:2").version).toBe("0");
    expect(() => parseMembership("server.1=a:1:2|b:1:2;3")).toThrow(
      'unreadable membership line "server.1=a:1:2|b:1:2;3"',
    );
  });

  it("compares hex versions and epochs", () => {
    expect(compareVersions("ff", "100")).toBe(-1);
    expect(compareVersions("200000001", "10000008b")).toBe(1);
    expect(compareVersions("a", "A".toLowerCase())).toBe(0);
    expect(epochOf("0x500000012")).toBe(5);
  });

  it("writes the reconfig server line, client port on every address unless told", () => {
    const s = { id: 4, host: "zk-3.h", peerPort: 2888, electionPort: 3888, clientPort: 2181 };
    expect(serverSpec(s)).toBe("server.4=zk-3.h:2888:3888:participant;2181");
    expect(serverSpec({ ...s, clientHost: "127.0.0.13" })).toBe(
      "server.4=zk-3.h:2888:3888:participant;127.0.0.13:2181",
    );
  });
});

describe("the next membership step", () => {
  it("scales up: pods first, then each joiner once it serves and caught up, lowest first", () => {
    expect(nextMembershipStep(healthy(3), 5)).toEqual({
      kind: "scale-pods",
      replicas: 5,
      reason: "create the pods of the new servers (2 to add)",
    });
    const up = {
      ...healthy(3),
      replicas: 5,
      servers: [...healthy(3).servers, server(3, { serving: false }), server(4)],
    };
    expect(nextMembershipStep(up, 5)).toEqual({
      kind: "wait",
      pod: "zk-3",
      reason:
        "zk-3 (server.4) is not serving yet: it must start, find the ensemble and sync as a non-voting follower",
    });
    const behind = { ...up, servers: [...healthy(3).servers, server(3, { zxid: "0x0" }), server(4)] };
    expect(nextMembershipStep(behind, 5)).toMatchObject({ kind: "wait", pod: "zk-3" });
    expect(nextMembershipStep(healthy(3, 0, 2), 5)).toEqual({ kind: "add", id: 4, pod: "zk-3", ordinal: 3 });
  });

  it("scales down: removes the highest member first, then deletes the pods", () => {
    expect(nextMembershipStep(healthy(5), 3)).toEqual({ kind: "remove", id: 5, pod: "zk-4", ordinal: 4 });
    const removed = { ...healthy(5), membership: membership([1, 2, 3]) };
    expect(nextMembershipStep(removed, 3)).toEqual({
      kind: "scale-pods",
      replicas: 3,
      reason: "delete the pods of removed servers (zk-3, zk-4)",
    });
    expect(nextMembershipStep(healthy(3), 3)).toEqual({ kind: "done", voters: [1, 2, 3] });
  });

  it("grows a one-member ensemble and shrinks back to one", () => {
    expect(nextMembershipStep(healthy(1, 0, 2), 3)).toEqual({ kind: "add", id: 2, pod: "zk-1", ordinal: 1 });
    expect(nextMembershipStep({ ...healthy(3), membership: membership([1, 2]) }, 1)).toEqual({
      kind: "remove",
      id: 2,
      pod: "zk-1",
      ordinal: 1,
    });
  });

  it("waits, naming the server, without a leader or while a voter does not serve", () => {
    const noLeader = {
      ...healthy(3),
      servers: healthy(3).servers.map((s) => ({ ...s, serving: false, mode: undefined })),
    };
    expect(nextMembershipStep(noLeader, 5)).toEqual({
      kind: "scale-pods",
      replicas: 5,
      reason: "create the pods of the new servers (2 to add)",
    });
    expect(nextMembershipStep({ ...noLeader, replicas: 5 }, 5)).toEqual({
      kind: "wait",
      pod: "zk-0",
      reason:
        "no server is leading (zk-0: not serving, zk-1: not serving, zk-2: not serving); a membership change needs a leader",
    });
    const down = healthy(5, 0);
    const zk1Down = {
      ...down,
      servers: down.servers.map((s) => (s.ordinal === 1 ? { ...s, serving: false, mode: undefined } : s)),
    };
    expect(nextMembershipStep(zk1Down, 3)).toEqual({
      kind: "wait",
      pod: "zk-1",
      reason:
        "zk-1 (server.2) is a voting member but not serving; removing the serving zk-4 now would leave no room for another failure",
    });
    expect(nextMembershipStep(zk1Down, 5)).toEqual({
      kind: "wait",
      pod: "zk-1",
      reason: "zk-1 (server.2) is a voting member but not serving",
    });
  });

  it("removes a member whose pod is gone when the rest keep a quorum", () => {
    const view = { ...healthy(3), membership: membership([1, 2, 3, 4, 5]) };
    expect(nextMembershipStep(view, 3)).toEqual({ kind: "remove", id: 5, pod: "zk-4", ordinal: 4 });
  });

  it("refuses two leaders, a member that is no pod of the set, and a bad replica count", () => {
    const two = {
      ...healthy(3),
      servers: healthy(3).servers.map(
        (s) => ({ ...s, mode: s.ordinal < 2 ? "leader" : "follower" }) as ServerView,
      ),
    };
    expect(nextMembershipStep(two, 3)).toEqual({
      kind: "refuse",
      message:
        'zk-0 and zk-1 all report "leader": the ensemble is split; stop and investigate before changing its membership',
    });
    const foreign = {
      ...healthy(3),
      membership: { version: "1", members: [...membership([1, 2, 3]).members, member(12)] },
    };
    expect(nextMembershipStep(foreign, 3)).toMatchObject({
      kind: "refuse",
      message: expect.stringContaining("server.12 (zk-11.h) is in the membership but is no pod of zk"),
    });
    expect(nextMembershipStep(healthy(3), 4)).toEqual({
      kind: "refuse",
      message:
        "replicas (4) must be 1, 3, 5, 7 or 9: an even count tolerates no more failures than the odd count below it",
    });
  });
});

/** Arbitrary observations: any pods, any modes, any membership of ids 1..9. */
const arbView = fc
  .record({
    replicas: fc.integer({ min: 0, max: 9 }),
    extra: fc.integer({ min: -2, max: 2 }),
    serving: fc.array(fc.boolean(), { minLength: 11, maxLength: 11 }),
    leader: fc.integer({ min: -1, max: 10 }),
    secondLeader: fc.option(fc.integer({ min: 0, max: 10 }), { freq: 10 }),
    epochs: fc.array(fc.integer({ min: 1, max: 2 }), { minLength: 11, maxLength: 11 }),
    members: fc.subarray([1, 2, 3, 4, 5, 6, 7, 8, 9], { minLength: 1 }),
    observers: fc.subarray([1, 2, 3, 4, 5, 6, 7, 8, 9]),
    hasMembership: fc.boolean(),
  })
  .map((g): EnsembleView => {
    const pods = Math.max(0, Math.min(11, g.replicas + g.extra));
    const servers = Array.from({ length: pods }, (_, o) => {
      const serving = g.serving[o]! || o === g.leader;
      const mode = !serving ? undefined : o === g.leader || o === g.secondLeader ? "leader" : "follower";
      return server(o, { serving, mode, zxid: serving ? `0x${g.epochs[o]}00000001` : undefined });
    });
    const members = g.members.map((id) =>
      member(id, g.observers.includes(id) && g.members.length > 1 ? "observer" : "participant"),
    );
    return {
      setName: "zk",
      replicas: g.replicas,
      servers,
      ...(g.hasMembership ? { membership: { version: "100000001", members } } : {}),
    };
  });
const arbDesired = fc.constantFrom(1, 3, 5, 7, 9);

function voters(view: EnsembleView): number[] {
  return view.membership ? votingIds(view.membership) : [];
}
const servingIds = (view: EnsembleView) =>
  new Set(view.servers.filter((s) => s.serving).map((s) => s.ordinal + 1));

describe("membership steps, for all observations", () => {
  it("never leave fewer serving voters than the quorum, never add before the joiner serves and caught up, never touch more than one server", () => {
    fc.assert(
      fc.property(arbView, arbDesired, (view, desired) => {
        const step: MembershipStep = nextMembershipStep(view, desired);
        const v = voters(view);
        const up = servingIds(view);
        const leaders = view.servers.filter((s) => s.serving && s.mode === "leader");
        if (step.kind === "add" || step.kind === "remove") {
          // Only with exactly one leader and its membership.
          expect(leaders).toHaveLength(1);
          expect(view.membership).toBeDefined();
        }
        if (step.kind === "add") {
          const joiner = view.servers.find((s) => s.ordinal === step.ordinal)!;
          expect(v).not.toContain(step.id);
          expect(step.ordinal).toBeLessThan(desired);
          expect(caughtUp(joiner, leaders[0]!)).toBe(true);
          // Every voter serves, so the grown membership (joiner included) has all its voters serving.
          expect(v.every((id) => up.has(id))).toBe(true);
          expect(v.length + 1).toBeGreaterThanOrEqual(quorum(v.length + 1));
        }
        if (step.kind === "remove") {
          expect(step.ordinal).toBeGreaterThanOrEqual(desired);
          expect(view.membership!.members.some((m) => m.id === step.id)).toBe(true);
          if (v.includes(step.id)) {
            const after = v.filter((id) => id !== step.id);
            expect(after.length).toBeGreaterThanOrEqual(1);
            expect(after.filter((id) => up.has(id)).length).toBeGreaterThanOrEqual(quorum(after.length));
            if (up.has(step.id)) expect(after.every((id) => up.has(id))).toBe(true);
            // Highest member first.
            expect(Math.max(...view.membership!.members.map((m) => m.id))).toBe(step.id);
          }
        }
        if (step.kind === "scale-pods") {
          if (step.replicas < view.replicas)
            // Deleting pods: none of them is a member.
            expect(view.membership!.members.every((m) => m.id - 1 < step.replicas)).toBe(true);
          else expect(step.replicas).toBe(desired);
        }
        if (step.kind === "done") {
          expect(v).toEqual(Array.from({ length: desired }, (_, i) => i + 1));
          expect(view.replicas).toBe(desired);
          expect(v.every((id) => up.has(id))).toBe(true);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it("reach the wanted membership one server at a time from any healthy ensemble, keeping a quorum throughout", () => {
    fc.assert(
      fc.property(arbDesired, arbDesired, fc.nat(8), (from, desired, leaderPick) => {
        // A model of the ensemble: pods serve once created, reconfigs succeed.
        let members = Array.from({ length: from }, (_, i) => i + 1);
        let replicas: number = from;
        const leader = leaderPick % from;
        let leaderId = leader + 1;
        const steps: string[] = [];
        for (let i = 0; i < 40; i++) {
          const view: EnsembleView = {
            setName: "zk",
            replicas,
            servers: Array.from({ length: replicas }, (_, o) =>
              server(o, { mode: o + 1 === leaderId ? "leader" : "follower" }),
            ),
            membership: membership(members),
          };
          const step = nextMembershipStep(view, desired);
          steps.push(step.kind);
          if (step.kind === "done") {
            expect(members).toEqual(Array.from({ length: desired }, (_, k) => k + 1));
            expect(replicas).toBe(desired);
            // Never more than one change per step, never more steps than servers changed + 2 pod scalings.
            expect(steps.filter((s) => s === "add" || s === "remove")).toHaveLength(Math.abs(desired - from));
            return;
          }
          expect(step.kind === "add" || step.kind === "remove" || step.kind === "scale-pods").toBe(true);
          if (step.kind === "add") members = [...members, step.id].sort((a, b) => a - b);
          if (step.kind === "remove") {
            members = members.filter((m) => m !== step.id);
            if (step.id === leaderId) leaderId = members[members.length - 1]!; // the handed-off leader
          }
          if (step.kind === "scale-pods") replicas = step.replicas;
          expect(members.length).toBeGreaterThanOrEqual(quorum(members.length));
          expect(members.every((id) => id - 1 < replicas)).toBe(true);
        }
        throw new Error(`no convergence: ${steps.join(",")}`);
      }),
    );
  });
});

describe("the rolling restart", () => {
  it("restarts non-voters first, then followers from the highest ordinal, the leader last", () => {
    const view = { ...healthy(5, 2, 1), membership: membership([1, 2, 3, 4, 5]) };
    expect(restartOrder(view)).toEqual(["zk-5", "zk-4", "zk-3", "zk-1", "zk-0", "zk-2"]);
    expect(nextRestart(view, ["zk-2", "zk-0"])).toEqual({ kind: "restart", pod: "zk-0", outage: false });
    expect(nextRestart(view, ["zk-2"])).toEqual({ kind: "restart", pod: "zk-2", outage: false });
    expect(nextRestart(view, [])).toEqual({ kind: "done" });
  });

  it("waits while a voter does not serve; a one-member ensemble restarts with an outage", () => {
    const view = healthy(3, 0);
    const zk1Down = {
      ...view,
      servers: view.servers.map((s) => (s.ordinal === 1 ? { ...s, serving: false, mode: undefined } : s)),
    };
    expect(nextRestart(zk1Down, ["zk-2"])).toEqual({
      kind: "wait",
      pod: "zk-2",
      reason:
        "restarting zk-2 now is not safe: zk-1 (server.2) is a voting member but not serving; restart nothing until it serves",
    });
    expect(restartSafety(view, "zk-1")).toEqual({ safe: true });
    expect(nextRestart(healthy(1), ["zk-0"])).toEqual({ kind: "restart", pod: "zk-0", outage: true });
  });

  it("for all observations: the leader only when it is the last one left, never while a voter is down", () => {
    fc.assert(
      fc.property(arbView, fc.subarray([0, 1, 2, 3, 4, 5, 6, 7, 8]), (view, pendingOrdinals) => {
        const pending = pendingOrdinals.map((o) => `zk-${o}`);
        const step = nextRestart(view, pending);
        if (step.kind !== "restart") return;
        const v = voters(view);
        const up = servingIds(view);
        expect(pending).toContain(step.pod);
        expect(v.every((id) => up.has(id))).toBe(true);
        const target = view.servers.find((s) => s.pod === step.pod)!;
        if (target.mode === "leader")
          expect(pending.filter((p) => view.servers.some((s) => s.pod === p))).toEqual([step.pod]);
        if (v.includes(target.ordinal + 1) && v.length > 1)
          expect(v.length - 1).toBeGreaterThanOrEqual(quorum(v.length));
      }),
      { numRuns: 2000 },
    );
  });
});
