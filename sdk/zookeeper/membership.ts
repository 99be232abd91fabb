/**
 * ZooKeeper membership as pure decisions: parse the committed dynamic configuration, and given what
 * was observed (which pods exist, which serve, who leads, the committed membership) and the
 * replicas wanted, say the next single safe step. No I/O: `admin.ts` observes and acts, and a
 * caller (the rollout provider, the real-server harness) loops observe -> decide -> act.
 *
 * Server ids are ordinal + 1 (`serverIdForOrdinal`); the pod `<set>-<ordinal>` runs one server.
 */
import { quorum, serverIdForOrdinal } from "./config";

/** Replica counts an ensemble may be asked for: odd, from 1 to `MAX_SERVERS`. */
export const MAX_SERVERS = 9;

export type Role = "participant" | "observer";

/** One `server.<id>=...` line of a dynamic configuration. */
export interface Member {
  readonly id: number;
  /** Host of the quorum and election addresses (a pod FQDN). */
  readonly host: string;
  readonly peerPort: number;
  readonly electionPort: number;
  readonly role: Role;
  /** `[<address>:]<port>` after the `;`, when the line has one. */
  readonly client?: string;
}

/** A committed dynamic configuration: its version (hex, as ZooKeeper prints it) and its servers. */
export interface Membership {
  /** Hex, without `0x`: the zxid of the reconfiguration that created it (e.g. "100000000"). */
  readonly version: string;
  /** Sorted by id. */
  readonly members: readonly Member[];
}

const SERVER_LINE = /^server\.(\d+)=([^:;\s]+):(\d+):(\d+)(?::(participant|observer))?(?:;(\S+))?$/;

/**
 * Parses the membership out of a `conf` four-letter-word reply (the part after `membership:`), a
 * `config` CLI reply or a dynamic configuration file: every `server.<id>=` line and the `version=`
 * line. Throws on a server line it cannot read (multi-address lines, which we never write).
 */
export function parseMembership(text: string): Membership {
  const start = text.indexOf("membership:");
  const body = start >= 0 ? text.slice(start + "membership:".length) : text;
  const members: Member[] = [];
  let version: string | undefined;
  for (const raw of body.split("\n")) {
    const line = raw.trim();
    if (line.startsWith("version=")) {
      version = line.slice("version=".length).toLowerCase();
      if (!/^[0-9a-f]+$/.test(version)) throw new Error(`unreadable membership version line "${line}"`);
    } else if (line.startsWith("server.")) {
      const m = SERVER_LINE.exec(line);
      if (!m) throw new Error(`unreadable membership line "${line}"`);
      members.push({
        id: Number(m[1]),
        host: m[2]!,
        peerPort: Number(m[3]),
        electionPort: Number(m[4]),
        role: (m[5] as Role | undefined) ?? "participant",
        ...(m[6] !== undefined ? { client: m[6] } : {}),
      });
    }
  }
  return { version: version ?? "0", members: members.sort((a, b) => a.id - b.id) };
}

/** Ids of the voting members (participants), ascending. */
export function votingIds(m: Membership): number[] {
  return m.members.filter((s) => s.role === "participant").map((s) => s.id);
}

/** The voting members as pod names of the set `setName` (`<set>-<id - 1>`), in id order. */
export function votingPods(m: Membership, setName: string): string[] {
  return votingIds(m).map((id) => `${setName}-${id - 1}`);
}

/** -1, 0 or 1 as version `a` is older than, equal to or newer than `b` (hex strings). */
export function compareVersions(a: string, b: string): number {
  const x = BigInt(`0x${a}`);
  const y = BigInt(`0x${b}`);
  return x < y ? -1 : x > y ? 1 : 0;
}

export interface ServerSpecInput {
  id: number;
  host: string;
  peerPort: number;
  electionPort: number;
  clientPort: number;
  /** Address the client port binds. @default - all addresses (`;<clientPort>`) */
  clientHost?: string;
}

/** `server.<id>=<host>:<peer>:<election>:participant;[<clientHost>:]<clientPort>`. */
export function serverSpec(s: ServerSpecInput): string {
  const client = s.clientHost ? `${s.clientHost}:${s.clientPort}` : String(s.clientPort);
  return `server.${s.id}=${s.host}:${s.peerPort}:${s.electionPort}:participant;${client}`;
}

/** Epoch of a zxid (its high 32 bits), from the hex form `srvr` prints (`0x500000012`). */
export function epochOf(zxid: string): number {
  return Number(BigInt(zxid.startsWith("0x") ? zxid : `0x${zxid}`) >> 32n);
}

export type Mode = "leader" | "follower" | "observer" | "standalone";

/** What was seen of one pod of the set. */
export interface ServerView {
  /** Pod name, `<set>-<ordinal>`. */
  readonly pod: string;
  readonly ordinal: number;
  /** `srvr` answered with a mode: the server serves clients (it is synced with a leader, or leads). */
  readonly serving: boolean;
  /** The mode `srvr` reported, when serving. */
  readonly mode?: Mode;
  /** The last zxid the server processed, hex with `0x`, when serving. */
  readonly zxid?: string;
}

/** One observation of an ensemble. */
export interface EnsembleView {
  /** StatefulSet name; pods are `<set>-<ordinal>`. */
  readonly setName: string;
  /** The StatefulSet's `spec.replicas`: the pods the controller keeps. */
  readonly replicas: number;
  /** The pods that exist (not terminating), in any order. */
  readonly servers: readonly ServerView[];
  /** The committed membership as the leader reports it; undefined without a (single) leader. */
  readonly membership?: Membership;
}

export type MembershipStep =
  /** Membership and pods are what was asked for. */
  | { kind: "done"; voters: number[] }
  /** Set the StatefulSet's replicas (create the joiners' pods, or delete pods already removed from the membership). */
  | { kind: "scale-pods"; replicas: number; reason: string }
  /** `reconfig -add` this server (its pod serves as a caught-up non-voting follower). */
  | { kind: "add"; id: number; pod: string; ordinal: number }
  /** `reconfig -remove` this server (before its pod is stopped). */
  | { kind: "remove"; id: number; pod: string; ordinal: number }
  /** Nothing safe to do yet; `pod` is the server waited for. Past a deadline this is the error to report. */
  | { kind: "wait"; pod: string; reason: string }
  /** Never safe without a person: the message says what is wrong and what to do. */
  | { kind: "refuse"; message: string };

/** Why `replicas` cannot be asked of an ensemble, or undefined. */
export function replicasError(replicas: unknown): string | undefined {
  return typeof replicas === "number" &&
    Number.isInteger(replicas) &&
    replicas >= 1 &&
    replicas <= MAX_SERVERS
    ? replicas % 2 === 1
      ? undefined
      : "must be 1, 3, 5, 7 or 9: an even count tolerates no more failures than the odd count below it"
    : "must be 1, 3, 5, 7 or 9: more than 9 voters slow every write, and two need both up for a quorum";
}

function describe(s: ServerView | undefined, pod: string): string {
  if (!s) return `${pod}: no pod`;
  return s.serving ? `${pod}: ${s.mode}` : `${pod}: not serving`;
}

/** `zk-3 (server.4)`. */
function label(setName: string, id: number): string {
  return `${setName}-${id - 1} (server.${id})`;
}

/**
 * A joiner may be added once it serves as a follower of the current leader's epoch: a follower
 * only serves after it has synced with the leader, and the epoch check rules out a server that is
 * still following an earlier leader. ZooKeeper checks again itself: `reconfig` fails with
 * NewConfigNoQuorum unless a quorum of the new configuration is connected and up to date.
 */
export function caughtUp(joiner: ServerView, leader: ServerView): boolean {
  return (
    joiner.serving &&
    joiner.mode === "follower" &&
    joiner.zxid !== undefined &&
    leader.zxid !== undefined &&
    epochOf(joiner.zxid) === epochOf(leader.zxid)
  );
}

/**
 * The next single step towards `desired` voting members `<set>-0..<set>-(desired - 1)`, each
 * one safe on its own:
 * - nothing changes without exactly one leader and its committed membership;
 * - pods for the new servers are created first (the set never drops a voting member's pod);
 * - a joiner is added only when it serves and is caught up, every voter serves, and one at a time,
 *   lowest ordinal first;
 * - members above `desired` are removed one at a time, highest ordinal first, before their pods are
 *   deleted; a serving member is removed only while every other voter serves;
 * - no step leaves fewer serving voters than the quorum of the membership it makes;
 * - pods above `desired` are deleted only once none of them is a member.
 */
export function nextMembershipStep(view: EnsembleView, desired: number): MembershipStep {
  const set = view.setName;
  const replicasProblem = replicasError(desired);
  if (replicasProblem) return { kind: "refuse", message: `replicas (${desired}) ${replicasProblem}` };

  // 1. Pods for every wanted server first: creating pods deletes nothing, and a new pod only
  // joins as a non-voting follower (or, on a first start, the first one bootstraps).
  if (view.replicas < desired)
    return {
      kind: "scale-pods",
      replicas: desired,
      reason: `create the pods of the new servers (${desired - view.replicas} to add)`,
    };

  const byOrdinal = new Map(view.servers.map((s) => [s.ordinal, s]));
  const leaders = view.servers.filter((s) => s.serving && s.mode === "leader");
  if (leaders.length > 1)
    return {
      kind: "refuse",
      message: `${leaders.map((s) => s.pod).join(" and ")} all report "leader": the ensemble is split; stop and investigate before changing its membership`,
    };
  const leader = leaders[0];
  if (!leader || !view.membership) {
    const states = view.servers
      .slice()
      .sort((a, b) => a.ordinal - b.ordinal)
      .map((s) => describe(s, s.pod));
    return {
      kind: "wait",
      pod: leader?.pod ?? `${set}-0`,
      reason: `no server is leading (${states.length > 0 ? states.join(", ") : "no pods"}); a membership change needs a leader`,
    };
  }

  const members = view.membership.members;
  const foreign = members.find((m) => m.id < 1 || m.id > MAX_SERVERS);
  if (foreign)
    return {
      kind: "refuse",
      message: `server.${foreign.id} (${foreign.host}) is in the membership but is no pod of ${set} (ids are ordinal + 1, at most ${MAX_SERVERS}); remove it by hand with reconfig -remove ${foreign.id}`,
    };
  const voters = members.filter((m) => m.role === "participant").map((m) => m.id);
  const isVoter = (id: number) => voters.includes(id);
  const servingOf = (id: number) => byOrdinal.get(id - 1)?.serving === true;
  const notServingVoter = (except?: number) => voters.find((id) => id !== except && !servingOf(id));

  // 2. Joiners: wanted servers that do not vote yet, lowest ordinal first.
  for (let ordinal = 0; ordinal < desired; ordinal++) {
    const id = serverIdForOrdinal(ordinal);
    if (isVoter(id)) continue;
    const pod = `${set}-${ordinal}`;
    const s = byOrdinal.get(ordinal);
    if (!s) return { kind: "wait", pod, reason: `${pod} (server.${id}) has no pod yet` };
    if (!s.serving)
      return {
        kind: "wait",
        pod,
        reason: `${pod} (server.${id}) is not serving yet: it must start, find the ensemble and sync as a non-voting follower`,
      };
    const down = notServingVoter();
    if (down !== undefined)
      return {
        kind: "wait",
        pod: `${set}-${down - 1}`,
        reason: `${label(set, down)} is a voting member but not serving; no server is added until every voter serves`,
      };
    if (!caughtUp(s, leader))
      return {
        kind: "wait",
        pod,
        reason: `${pod} (server.${id}) has not caught up with the leader ${leader.pod} (mode ${s.mode}, zxid ${s.zxid ?? "unknown"}, leader at ${leader.zxid ?? "unknown"})`,
      };
    return { kind: "add", id, pod, ordinal };
  }

  // 3. Members above the wanted count, highest ordinal first.
  const extra = members
    .map((m) => m.id)
    .filter((id) => id - 1 >= desired)
    .sort((a, b) => b - a);
  for (const id of extra) {
    const ordinal = id - 1;
    const pod = `${set}-${ordinal}`;
    if (isVoter(id)) {
      if (servingOf(id)) {
        const down = notServingVoter(id);
        if (down !== undefined)
          return {
            kind: "wait",
            pod: `${set}-${down - 1}`,
            reason: `${label(set, down)} is a voting member but not serving; removing the serving ${pod} now would leave no room for another failure`,
          };
      }
      const after = voters.filter((v) => v !== id);
      const servingAfter = after.filter(servingOf).length;
      if (after.length === 0 || servingAfter < quorum(after.length))
        return {
          kind: "wait",
          pod: `${set}-${(notServingVoter(id) ?? id) - 1}`,
          reason: `removing ${label(set, id)} would leave ${servingAfter} serving of ${after.length} voters, below the quorum of ${quorum(Math.max(after.length, 1))}`,
        };
    }
    return { kind: "remove", id, pod, ordinal };
  }

  // 4. Pods above the wanted count: none is a member any more.
  const podsAbove = view.servers.filter((s) => s.ordinal >= desired).map((s) => s.pod);
  if (view.replicas > desired)
    return {
      kind: "scale-pods",
      replicas: desired,
      reason: `delete the pods of removed servers (${podsAbove.length > 0 ? podsAbove.join(", ") : "none left running"})`,
    };
  if (podsAbove.length > 0)
    return {
      kind: "wait",
      pod: podsAbove[0]!,
      reason: `${podsAbove.join(", ")} still running after the scale-down`,
    };

  const down = notServingVoter();
  if (down !== undefined)
    return {
      kind: "wait",
      pod: `${set}-${down - 1}`,
      reason: `${label(set, down)} is a voting member but not serving`,
    };
  return { kind: "done", voters };
}

/**
 * The order of a rolling restart: pods that do not vote first, then the followers from the highest
 * ordinal down, the leader last (one election instead of one per restarted leader).
 */
export function restartOrder(view: EnsembleView): string[] {
  const voters = new Set(view.membership ? votingIds(view.membership) : []);
  const rank = (s: ServerView) =>
    s.serving && s.mode === "leader" ? 2 : voters.has(serverIdForOrdinal(s.ordinal)) ? 1 : 0;
  return view.servers
    .slice()
    .sort((a, b) => rank(a) - rank(b) || b.ordinal - a.ordinal)
    .map((s) => s.pod);
}

export type RestartStep =
  | { kind: "done" }
  /** Delete (restart) this pod now. `outage` is true for a one-member ensemble, which cannot restart without one. */
  | { kind: "restart"; pod: string; outage: boolean }
  | { kind: "wait"; pod: string; reason: string }
  | { kind: "refuse"; message: string };

/**
 * Whether restarting `pod` now keeps the ensemble serving: a leader, every voter serving, and the
 * voters that stay up still a quorum. A one-member ensemble can only restart with an outage.
 */
export function restartSafety(
  view: EnsembleView,
  pod: string,
): { safe: true } | { safe: false; reason: string } {
  const leaders = view.servers.filter((s) => s.serving && s.mode === "leader");
  if (leaders.length !== 1 || !view.membership)
    return {
      safe: false,
      reason:
        leaders.length > 1
          ? `${leaders.map((s) => s.pod).join(" and ")} all report "leader"`
          : "no server is leading",
    };
  const byOrdinal = new Map(view.servers.map((s) => [s.ordinal, s]));
  const voters = votingIds(view.membership);
  const down = voters.find((id) => byOrdinal.get(id - 1)?.serving !== true);
  if (down !== undefined)
    return {
      safe: false,
      reason: `${label(view.setName, down)} is a voting member but not serving; restart nothing until it serves`,
    };
  const target = view.servers.find((s) => s.pod === pod);
  if (!target) return { safe: false, reason: `${pod} has no pod` };
  const votes = voters.includes(serverIdForOrdinal(target.ordinal));
  if (votes && voters.length > 1 && voters.length - 1 < quorum(voters.length))
    return {
      safe: false,
      reason: `${voters.length - 1} of ${voters.length} voters would serve while ${pod} restarts, below the quorum of ${quorum(voters.length)}`,
    };
  return { safe: true };
}

/**
 * The next pod of a rolling restart among `pending` (pods still on the old configuration or
 * image), or why to wait: follows `restartOrder` and `restartSafety`.
 */
export function nextRestart(view: EnsembleView, pending: readonly string[]): RestartStep {
  const left = restartOrder(view).filter((p) => pending.includes(p));
  const absent = pending.filter((p) => !view.servers.some((s) => s.pod === p));
  if (left.length === 0 && absent.length === 0) return { kind: "done" };
  if (left.length === 0) return { kind: "wait", pod: absent[0]!, reason: `${absent[0]} has no pod yet` };
  const pod = left[0]!;
  const safety = restartSafety(view, pod);
  if (!safety.safe) {
    if (view.servers.filter((s) => s.serving && s.mode === "leader").length > 1)
      return { kind: "refuse", message: safety.reason };
    return { kind: "wait", pod, reason: `restarting ${pod} now is not safe: ${safety.reason}` };
  }
  const voters = view.membership ? votingIds(view.membership) : [];
  const outage =
    voters.length === 1 && voters[0] === serverIdForOrdinal(view.servers.find((s) => s.pod === pod)!.ordinal);
  return { kind: "restart", pod, outage };
}
