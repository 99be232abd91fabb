/**
 * ZooKeeper membership commands, run inside the pods through an `exec` callback (the rollout
 * provider implements it with @kubernetes/client-node's Exec; the real-server test with a local
 * process carrying the pod's environment). Every command is plain bash, `zkCli.sh` and the
 * four-letter words the start script already needs; nothing listens or connects from outside.
 *
 * The decisions are in `membership.ts`; this file observes, acts and confirms:
 * `observeEnsemble` -> `nextMembershipStep` -> `addServer` / `removeServer` / scale the pods,
 * looped by `reconcileMembership` until the membership is what was asked for, or a deadline names
 * the server it waited for.
 */
import {
  compareVersions,
  type EnsembleView,
  type Membership,
  type MembershipStep,
  type Mode,
  nextMembershipStep,
  nextRestart,
  parseMembership,
  type ServerView,
  serverSpec,
  votingIds,
} from "./membership";

export interface ExecResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/**
 * Runs `command` in the ZooKeeper container of `pod` and resolves when it exits; `stdin`, when
 * given, is written to the command's standard input and closed. Never rejects for a non-zero exit.
 */
export type Exec = (pod: string, command: string[], stdin?: string) => Promise<ExecResult>;

/** What the commands need to know about the ensemble (`ZooKeeperSpec.servers`). */
export interface EnsembleTarget {
  setName: string;
  /** `<service>.<namespace>.svc.<clusterDomain>`. */
  serviceDomain: string;
  clientPort: number;
  serverPort: number;
  electionPort: number;
  /**
   * Address the client port of the server of `ordinal` binds, written into its `server.<id>` line.
   * @default - none: every address (`;<clientPort>`), as in a pod
   */
  clientHost?: (ordinal: number) => string | undefined;
}

/** The super user's password; only its digest is on the servers. Never logged, never in a command line. */
export interface SuperUser {
  password: string;
}

/** A failed membership change: what was waited for or what failed, naming the server. */
export class MembershipError extends Error {
  constructor(
    message: string,
    /** The pod the change stopped at, when one is to blame. */
    readonly pod?: string,
  ) {
    super(message);
    this.name = "MembershipError";
  }
}

/** Bash that sends `word` to the pod's own server and prints the reply; exit 3 when nothing listens. */
export function fourLetterWordCommand(word: string, clientPort: number): string[] {
  return [
    "bash",
    "-c",
    [
      `exec 3<>"/dev/tcp/\${ZK_CLIENT_HOST:-localhost}/${clientPort}" || exit 3`,
      'printf %s "$0" >&3',
      `while IFS= read -r -t 10 line || [ -n "$line" ]; do printf '%s\\n' "$line"; done <&3`,
    ].join("\n"),
    word,
  ];
}

/** The pod's own server's reply to `word`, or undefined when it does not answer. */
export async function fourLetterWord(
  exec: Exec,
  pod: string,
  word: string,
  clientPort: number,
): Promise<string | undefined> {
  try {
    const r = await exec(pod, fourLetterWordCommand(word, clientPort));
    return r.exitCode === 0 && r.stdout !== "" ? r.stdout : undefined;
  } catch {
    return undefined;
  }
}

/** Mode and zxid out of a `srvr` reply; not serving when it has no mode. */
export function parseSrvr(reply: string | undefined): { serving: boolean; mode?: Mode; zxid?: string } {
  const mode = reply ? /^Mode: (\w+)$/m.exec(reply)?.[1] : undefined;
  const zxid = reply ? /^Zxid: (0x[0-9a-f]+)$/m.exec(reply)?.[1] : undefined;
  if (!mode || !["leader", "follower", "observer", "standalone"].includes(mode)) return { serving: false };
  return { serving: true, mode: mode as Mode, ...(zxid ? { zxid } : {}) };
}

/** `srvr` on one pod. */
export async function serverStatus(
  exec: Exec,
  pod: { name: string; ordinal: number },
  clientPort: number,
): Promise<ServerView> {
  return {
    pod: pod.name,
    ordinal: pod.ordinal,
    ...parseSrvr(await fourLetterWord(exec, pod.name, "srvr", clientPort)),
  };
}

/** The membership the pod's server holds (`conf`), or undefined when it does not answer or serve. */
export async function readMembership(
  exec: Exec,
  pod: string,
  clientPort: number,
): Promise<Membership | undefined> {
  const reply = await fourLetterWord(exec, pod, "conf", clientPort);
  return reply?.includes("membership:") ? parseMembership(reply) : undefined;
}

/**
 * One observation: `srvr` on every pod, and the committed membership from the leader (the leader
 * holds the last committed configuration; a follower's may lag). A server that reports "leader"
 * but is no voting member of its own membership is a deposed leader (a removed leader keeps
 * reporting "leader", committing nothing, until it stops): it is reported as not serving. No
 * membership unless exactly one leader remains.
 */
export async function observeEnsemble(
  exec: Exec,
  target: EnsembleTarget,
  replicas: number,
  pods: readonly { name: string; ordinal: number }[],
): Promise<EnsembleView> {
  const seen = await Promise.all(pods.map((p) => serverStatus(exec, p, target.clientPort)));
  const claims = await Promise.all(
    seen
      .filter((s) => s.mode === "leader")
      .map(async (s) => ({ s, m: await readMembership(exec, s.pod, target.clientPort) })),
  );
  const genuine = claims.filter(({ s, m }) =>
    m?.members.some((x) => x.id === s.ordinal + 1 && x.role === "participant"),
  );
  const deposed = new Set(claims.filter((c) => !genuine.includes(c)).map((c) => c.s.pod));
  const servers = seen.map((s) =>
    deposed.has(s.pod) ? { pod: s.pod, ordinal: s.ordinal, serving: false } : s,
  );
  const membership = genuine.length === 1 ? genuine[0]!.m : undefined;
  return { setName: target.setName, replicas, servers, ...(membership ? { membership } : {}) };
}

function redact(text: string, secret: string): string {
  return secret === "" ? text : text.split(secret).join("<redacted>");
}

/** Lines of zkCli output worth showing in an error: no JVM or client chatter. */
function cliMessage(out: string): string {
  return out
    .split("\n")
    .map((l) => l.trim())
    .filter(
      (l) =>
        l !== "" &&
        !/^\[[^\]]*\] (INFO|DEBUG|WARN)\b/.test(l) &&
        !/^(Connecting to|Welcome to ZooKeeper|JLine support|WATCHER::|WatchedEvent|\[zk: )/.test(l),
    )
    .join("; ");
}

function checkPassword(password: string): void {
  if (typeof password !== "string" || password === "" || /[\s:]/.test(password))
    throw new MembershipError("the super-user password must be a non-empty string without whitespace or ':'");
}

/**
 * `reconfig -v <version> <change>` through the server of `pod`, as the super user: the password
 * goes to zkCli's standard input, never into a command line (which Kubernetes would log), and
 * is redacted from what comes back. Returns zkCli's exit code and its (redacted) messages.
 */
export async function reconfig(
  exec: Exec,
  pod: string,
  clientPort: number,
  change: string,
  version: string,
  user: SuperUser,
): Promise<{ ok: boolean; message: string }> {
  checkPassword(user.password);
  const stdin = `addauth digest super:${user.password}\nreconfig -v ${version} ${change}\nquit\n`;
  const r = await exec(
    pod,
    ["bash", "-c", `exec zkCli.sh -server "\${ZK_CLIENT_HOST:-localhost}:${clientPort}"`],
    stdin,
  );
  const out = redact(`${r.stdout}\n${r.stderr}`, user.password);
  return {
    ok: r.exitCode === 0 && !/KeeperErrorCode|Exception|No quorum|Insufficient permission/.test(out),
    message: cliMessage(out),
  };
}

export interface ChangeOptions {
  exec: Exec;
  target: EnsembleTarget;
  user: SuperUser;
  /** The observation the change was decided on (its membership is the one changed). */
  view: EnsembleView;
  /** How long to wait for the new membership to be read back. @default 30000 */
  confirmMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A serving voting member to run zkCli in, not `avoid`; the leader when nothing else serves. */
function clientPod(view: EnsembleView, avoid: number): ServerView {
  const voters = view.membership ? votingIds(view.membership) : [];
  const serving = view.servers.filter((s) => s.serving && s.ordinal + 1 !== avoid);
  return (
    serving.find((s) => voters.includes(s.ordinal + 1) && s.mode === "follower") ??
    serving.find((s) => voters.includes(s.ordinal + 1)) ??
    view.servers.find((s) => s.mode === "leader")!
  );
}

/**
 * Polls the servers of `view` until the leader reports a membership newer than `before` for which
 * `expected` holds, and `alsoOn` (when serving) reports at least that version too.
 */
async function confirm(
  o: ChangeOptions,
  before: string,
  expected: (m: Membership) => boolean,
  alsoOn: string[],
): Promise<Membership | undefined> {
  const sleep = o.sleep ?? defaultSleep;
  const deadline = Date.now() + (o.confirmMs ?? 30_000);
  for (;;) {
    const pods = o.view.servers.map((s) => ({ name: s.pod, ordinal: s.ordinal }));
    const now = await observeEnsemble(o.exec, o.target, o.view.replicas, pods);
    const m = now.membership;
    if (m && compareVersions(m.version, before) > 0 && expected(m)) {
      const lagging: string[] = [];
      for (const pod of alsoOn) {
        const theirs = await readMembership(o.exec, pod, o.target.clientPort);
        if (theirs && compareVersions(theirs.version, m.version) < 0) lagging.push(pod);
      }
      if (lagging.length === 0) return m;
    }
    if (Date.now() > deadline) return undefined;
    await sleep(500);
  }
}

/** What `serverSpec` writes for the server of `ordinal`. */
export function specFor(target: EnsembleTarget, ordinal: number): string {
  return serverSpec({
    id: ordinal + 1,
    host: `${target.setName}-${ordinal}.${target.serviceDomain}`,
    peerPort: target.serverPort,
    electionPort: target.electionPort,
    clientPort: target.clientPort,
    clientHost: target.clientHost?.(ordinal),
  });
}

/**
 * Adds the server of `ordinal` as a voting member (`reconfig -add`), conditional on the observed
 * membership version, and confirms it: the leader reports a newer version listing it as a
 * participant, and the server itself reports that version. Returns the new membership.
 */
export async function addServer(o: ChangeOptions, ordinal: number): Promise<Membership> {
  const before = o.view.membership!;
  const id = ordinal + 1;
  const pod = `${o.target.setName}-${ordinal}`;
  const via = clientPod(o.view, 0);
  const r = await reconfig(
    o.exec,
    via.pod,
    o.target.clientPort,
    `-add ${specFor(o.target, ordinal)}`,
    before.version,
    o.user,
  );
  const after = await confirm(
    o,
    before.version,
    (m) => m.members.some((s) => s.id === id && s.role === "participant"),
    [pod],
  );
  if (!after)
    throw new MembershipError(
      `adding ${pod} (server.${id}) to membership version ${before.version} was not confirmed${r.ok ? "" : `: zkCli said: ${r.message}`}`,
      pod,
    );
  return after;
}

/**
 * Removes the server of `id` from the membership (`reconfig -remove`), conditional on the observed
 * version, and confirms it: the leader reports a newer version without it, and the remaining
 * voters and the removed server (when it still serves) report that version, so its volume's
 * configuration no longer lists it. Its pod may then be stopped.
 */
export async function removeServer(o: ChangeOptions, id: number): Promise<Membership> {
  const before = o.view.membership!;
  const pod = `${o.target.setName}-${id - 1}`;
  const via = clientPod(o.view, id);
  const r = await reconfig(o.exec, via.pod, o.target.clientPort, `-remove ${id}`, before.version, o.user);
  const stay = votingIds(before)
    .filter((v) => v !== id)
    .map((v) => `${o.target.setName}-${v - 1}`);
  const removedServes = o.view.servers.some((s) => s.pod === pod && s.serving);
  const after = await confirm(
    o,
    before.version,
    (m) => !m.members.some((s) => s.id === id),
    removedServes ? [...stay, pod] : stay,
  );
  if (!after)
    throw new MembershipError(
      `removing ${pod} (server.${id}) from membership version ${before.version} was not confirmed${r.ok ? "" : `: zkCli said: ${r.message}`}`,
      pod,
    );
  return after;
}

export interface PodList {
  /** The StatefulSet's spec.replicas. */
  replicas: number;
  /** Pods that exist and are not terminating. */
  pods: { name: string; ordinal: number }[];
}

export interface ReconcileOptions {
  exec: Exec;
  target: EnsembleTarget;
  user: SuperUser;
  /** Voting servers wanted: `<set>-0..<set>-(desired - 1)`. */
  desired: number;
  /** The set's replicas and its pods, as they are now. */
  pods: () => Promise<PodList>;
  /** Sets the StatefulSet's replicas; resolves once the request is accepted (the loop waits for pods itself). */
  scalePods: (replicas: number) => Promise<void>;
  /** Deadline for the whole change, waits and retries included. */
  timeoutMs: number;
  log?: (line: string) => void;
  /** Between observations while waiting. @default 1000 */
  pollMs?: number;
  /** How long each change may take to be read back. @default 30000 */
  confirmMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Loops observe -> `nextMembershipStep` -> act until the membership is `desired` servers and the
 * set has exactly their pods; every change is confirmed before the next observation. Throws a
 * `MembershipError` naming the server when the deadline passes while waiting, or at once when the
 * decision refuses; what was done stays done (membership and replicas consistent), so calling
 * it again continues from there. Returns the voting ids.
 */
export async function reconcileMembership(o: ReconcileOptions): Promise<number[]> {
  const log = o.log ?? (() => {});
  const sleep = o.sleep ?? defaultSleep;
  checkPassword(o.user.password);
  const deadline = Date.now() + o.timeoutMs;
  let lastFailure = "";
  let lastWait = "";
  for (;;) {
    const { replicas, pods } = await o.pods();
    const view = await observeEnsemble(o.exec, o.target, replicas, pods);
    const step: MembershipStep = nextMembershipStep(view, o.desired);
    const change = {
      exec: o.exec,
      target: o.target,
      user: o.user,
      view,
      sleep: o.sleep,
      confirmMs: o.confirmMs,
    };
    switch (step.kind) {
      case "done":
        log(`membership: ${step.voters.length} voting member(s), version ${view.membership!.version}`);
        return step.voters;
      case "refuse":
        throw new MembershipError(`${o.target.setName}: ${step.message}`);
      case "scale-pods":
        log(`membership: replicas ${replicas} -> ${step.replicas}: ${step.reason}`);
        await o.scalePods(step.replicas);
        continue;
      case "add":
      case "remove":
        try {
          log(
            `membership: ${step.kind === "add" ? "adding" : "removing"} ${step.pod} (server.${step.id}) at version ${view.membership!.version}`,
          );
          const m =
            step.kind === "add" ? await addServer(change, step.ordinal) : await removeServer(change, step.id);
          log(`membership: version ${m.version}, voters ${votingIds(m).join(",")}`);
          lastFailure = "";
          continue;
        } catch (e) {
          if (!(e instanceof MembershipError)) throw e;
          lastFailure = e.message;
          log(`membership: ${e.message}; observing again`);
          if (Date.now() > deadline)
            throw new MembershipError(
              `${o.target.setName}: scaling to ${o.desired} stopped after ${o.timeoutMs} ms: ${e.message}`,
              step.pod,
            );
          await sleep(o.pollMs ?? 1000);
          continue;
        }
      case "wait":
        if (Date.now() > deadline)
          throw new MembershipError(
            `${o.target.setName}: scaling to ${o.desired} stopped after ${o.timeoutMs} ms: ${step.reason}${lastFailure ? ` (last failure: ${lastFailure})` : ""}`,
            step.pod,
          );
        if (step.reason !== lastWait) log(`membership: waiting: ${step.reason}`);
        lastWait = step.reason;
        await sleep(o.pollMs ?? 1000);
    }
  }
}

export interface RestartOptions {
  exec: Exec;
  target: EnsembleTarget;
  /** Pods still on the old configuration or image. */
  pending: () => Promise<string[]>;
  pods: () => Promise<PodList>;
  /** Deletes the pod (OnDelete: the controller recreates it with the new template). */
  restartPod: (pod: string) => Promise<void>;
  timeoutMs: number;
  log?: (line: string) => void;
  pollMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * A rolling restart, leader last (`nextRestart`): one pod at a time, each only once every voter
 * serves and the rest keep a quorum. Returns the pods in the order they were restarted.
 */
export async function rollingRestart(o: RestartOptions): Promise<string[]> {
  const log = o.log ?? (() => {});
  const sleep = o.sleep ?? defaultSleep;
  const deadline = Date.now() + o.timeoutMs;
  const order: string[] = [];
  for (;;) {
    const { replicas, pods } = await o.pods();
    const view = await observeEnsemble(o.exec, o.target, replicas, pods);
    const step = nextRestart(view, await o.pending());
    if (step.kind === "done") return order;
    if (step.kind === "refuse") throw new MembershipError(`${o.target.setName}: ${step.message}`);
    if (step.kind === "wait") {
      if (Date.now() > deadline)
        throw new MembershipError(
          `${o.target.setName}: rolling restart stopped after ${o.timeoutMs} ms: ${step.reason}`,
          step.pod,
        );
      await sleep(o.pollMs ?? 1000);
      continue;
    }
    const role = view.servers.find((s) => s.pod === step.pod)?.mode ?? "not serving";
    log(
      `restart: ${step.pod} (${role})${step.outage ? " — a one-member ensemble is down while it restarts" : ""}`,
    );
    await o.restartPod(step.pod);
    order.push(step.pod);
  }
}
