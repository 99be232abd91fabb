/**
 * The scheduler and kubelet stand-in for one node, `sim-node`. A new pod is bound to the node (spec.nodeName,
 * PodScheduled), then started: by default on timers (Running, then Ready after the time the test chose, or never,
 * or a crash); with a `runtime`, by the test's own processes, readiness decided by polling `runtime.ready` as a
 * readiness probe would (pkg/kubelet/prober: periodSeconds, Ready's lastTransitionTime set when it flips). A deleted
 * pod is stopped and, once stopped or at the end of its grace period, deleted again with a zero grace period and
 * its uid as precondition, as the kubelet's status manager does (pkg/kubelet/status/status_manager.go,
 * canBeDeleted), which removes it unless finalizers hold it.
 */
import type { Obj, Store, StoreEvent } from "./store";
import { RT } from "./store";

const POD = RT.pods!;

/** What the test decides for one pod (timer mode). */
export interface PodBehavior {
  /** Milliseconds from start to Ready. @default the simulator's default */
  readyAfterMs?: number;
  /** Never becomes Ready (stays Running, not Ready). */
  neverReady?: boolean;
  /** Crashes on start: CrashLoopBackOff, never Ready. */
  crash?: boolean;
  /** Turns unready this long after becoming Ready. */
  unreadyAfterMs?: number;
}

/** What a runtime may say of a pod it started. */
export interface PodStarted {
  /** The address the pod's processes listen on: status.podIP. */
  podIP?: string;
}

/** A container runtime a test provides, to back pods with real processes. */
export interface PodRuntime {
  /**
   * Starts the pod's processes; a rejection is a crash (CrashLoopBackOff). It may say the address the pod's
   * processes listen on, which becomes status.podIP (e.g. a loopback address per pod).
   */
  start(pod: Obj): Promise<PodStarted | undefined> | PodStarted | undefined;
  /** Stops them; the pod goes once this resolves, or at the end of its grace period. */
  stop(pod: Obj): Promise<void> | void;
  /** The readiness probe; a rejection counts as not ready. */
  ready(pod: Obj): Promise<boolean> | boolean;
}

export const NODE_NAME = "sim-node";

interface Running {
  uid: string;
  poller?: NodeJS.Timeout;
  started: boolean;
  terminating: boolean;
}

export class Kubelet {
  /** When set, pods run on it instead of timers. */
  runtime?: PodRuntime;
  /** How often `runtime.ready` is polled (a readiness probe's periodSeconds). */
  readinessPeriodMs = 200;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly pods = new Map<string, Running>();
  private readonly unsubscribe: () => void;
  private stopped = false;

  constructor(
    private readonly store: Store,
    private readonly behavior: (podName: string) => PodBehavior,
    private readonly defaults: { readyAfterMs: number; graceMs: number },
  ) {
    this.unsubscribe = store.subscribe((e) => this.onEvent(e));
  }

  /**
   * Shuts the node down: stops every pod started on the runtime (awaiting each `stop`, bounded by its grace
   * period), then stops the kubelet. Pod objects stay as they are, as when a node dies. Timer-mode pods have
   * nothing to stop.
   */
  async shutdown(): Promise<void> {
    const runtime = this.runtime;
    const running = [...this.pods.entries()].filter(([, p]) => p.started && !p.terminating);
    this.stop();
    if (!runtime) return;
    await Promise.all(
      running.map(async ([key, p]) => {
        const [ns, name] = key.split("/") as [string, string];
        const pod = this.store.get("pods", ns, name);
        if (!pod || pod.metadata.uid !== p.uid) return;
        const grace = (pod.spec?.terminationGracePeriodSeconds ?? 30) * 1000;
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          Promise.resolve(runtime.stop(pod)).catch(() => {}),
          new Promise<void>((r) => {
            timer = setTimeout(r, grace);
          }),
        ]);
        clearTimeout(timer);
      }),
    );
  }

  /** Stops the kubelet: nothing more is started, readied or terminated (a node gone dark). */
  stop(): void {
    this.stopped = true;
    this.unsubscribe();
    for (const t of this.timers) clearTimeout(t);
    for (const p of this.pods.values()) clearTimeout(p.poller);
  }

  private later(ms: number, fn: () => void): void {
    if (this.stopped) return;
    if (ms <= 0) {
      // Immediately after the current event, without a timer's 1 ms minimum.
      setImmediate(() => {
        if (!this.stopped) fn();
      });
      return;
    }
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (!this.stopped) fn();
    }, ms);
    this.timers.add(t);
  }

  private key(o: Obj): string {
    return `${o.metadata.namespace}/${o.metadata.name}`;
  }

  private current(pod: Obj): Obj | undefined {
    const cur = this.store.get("pods", pod.metadata.namespace!, pod.metadata.name);
    return cur?.metadata.uid === pod.metadata.uid ? cur : undefined;
  }

  private onEvent(e: StoreEvent): void {
    if (e.resource !== "pods") return;
    const pod = e.object;
    const k = this.key(pod);
    const known = this.pods.get(k);
    if (e.type === "DELETED") {
      if (known && known.uid === pod.metadata.uid) {
        this.pods.delete(k);
        clearTimeout(known.poller);
        // Removed without a graceful stop (a force delete): the containers are killed afterwards.
        if (!known.terminating && known.started && this.runtime)
          void Promise.resolve(this.runtime.stop(pod)).catch(() => {});
      }
      return;
    }
    if (pod.metadata.deletionTimestamp) {
      const same = known !== undefined && known.uid === pod.metadata.uid;
      if (same && known.terminating) return;
      const state: Running = same ? known : { uid: pod.metadata.uid!, started: false, terminating: false };
      state.terminating = true;
      clearTimeout(state.poller);
      this.pods.set(k, state);
      this.terminate(pod, state);
      return;
    }
    if (e.type !== "ADDED" || known?.uid === pod.metadata.uid) return;
    const state: Running = { uid: pod.metadata.uid!, started: false, terminating: false };
    this.pods.set(k, state);
    this.later(0, () => {
      const cur = this.current(pod);
      if (!cur || cur.metadata.deletionTimestamp) return;
      // The scheduler's binding, then the kubelet's start. On timers the two land in one write (a real cluster
      // writes binding, Pending with ContainerCreating, then Running); a runtime's start takes its own time.
      if (this.runtime) {
        if (!cur.spec?.nodeName) this.store.bind(cur.metadata.namespace!, cur.metadata.name, NODE_NAME);
        void this.startOnRuntime(pod, state, this.runtime);
      } else this.startOnTimers(cur, state);
    });
  }

  private startOnTimers(pod: Obj, state: Running): void {
    const b = this.behavior(pod.metadata.name);
    state.started = true;
    if (pod.spec?.nodeName) this.setState(pod, "Running", false);
    else
      this.store.bind(
        pod.metadata.namespace!,
        pod.metadata.name,
        NODE_NAME,
        this.status(pod, "Running", false),
      );
    if (b.crash) {
      this.later(5, () => this.setState(pod, "Running", false, true));
      return;
    }
    if (b.neverReady) return;
    // Each transition is scheduled from the previous one, so they happen in order however busy the loop is.
    this.later(b.readyAfterMs ?? this.defaults.readyAfterMs, () => {
      this.setState(pod, "Running", true);
      if (b.unreadyAfterMs !== undefined)
        this.later(b.unreadyAfterMs, () => this.setState(pod, "Running", false));
    });
  }

  private async startOnRuntime(pod: Obj, state: Running, runtime: PodRuntime): Promise<void> {
    let podIP: string | undefined;
    try {
      podIP = (await runtime.start(pod))?.podIP;
    } catch {
      state.started = true;
      this.setState(pod, "Running", false, true);
      return;
    }
    state.started = true;
    if (state.terminating || this.stopped) return;
    this.setState(pod, "Running", false, false, podIP);
    let ready = false;
    const probe = async () => {
      if (state.terminating || this.stopped) return;
      const cur = this.current(pod);
      if (!cur) return;
      let now = false;
      try {
        now = await runtime.ready(cur);
      } catch {
        now = false;
      }
      if (state.terminating || this.stopped) return;
      if (now !== ready) {
        ready = now;
        this.setState(pod, "Running", ready);
      }
      state.poller = setTimeout(() => void probe(), this.readinessPeriodMs);
    };
    await probe();
  }

  private terminate(pod: Obj, state: Running): void {
    const graceSeconds = pod.metadata.deletionGracePeriodSeconds ?? 30;
    const finish = () => {
      const cur = this.current(pod);
      if (cur && cur.metadata.deletionGracePeriodSeconds !== 0)
        this.store.markDeleted(POD, cur.metadata.namespace!, cur.metadata.name, 0);
    };
    const runtime = this.runtime;
    if (runtime && state.started) {
      if (graceSeconds === 0) {
        void Promise.resolve(runtime.stop(pod)).catch(() => {});
        finish();
        return;
      }
      let timer: NodeJS.Timeout | undefined;
      const bound = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, graceSeconds * 1000);
      });
      void Promise.race([Promise.resolve(runtime.stop(pod)).catch(() => {}), bound]).then(() => {
        clearTimeout(timer);
        if (!this.stopped) finish();
      });
      return;
    }
    // Timer mode: the grace period, scaled down to graceMs (none when it is zero).
    this.later(Math.min(graceSeconds, 30) === 0 ? 0 : this.defaults.graceMs, finish);
  }

  /** Sets a pod's Ready condition now (tests: a pod turning unhealthy, or healthy again). */
  setReady(namespace: string, name: string, ready: boolean): void {
    const pod = this.store.get("pods", namespace, name);
    if (pod) this.setState(pod, "Running", ready);
  }

  private setState(pod0: Obj, phase: string, ready: boolean, crashed = false, podIP?: string): void {
    const pod = this.current(pod0);
    if (!pod || pod.metadata.deletionTimestamp) return;
    pod.status = this.status(pod, phase, ready, crashed, podIP);
    this.store.update(POD, pod.metadata.namespace!, pod, "status");
  }

  /** The status a pod in this state reports (conditions keep their lastTransitionTime while unchanged). */
  private status(pod: Obj, phase: string, ready: boolean, crashed = false, podIP?: string): any {
    const now = new Date().toISOString();
    const prev = new Map<string, any>((pod.status?.conditions ?? []).map((c: any) => [c.type, c]));
    const cond = (type: string, status: boolean) => {
      const s = status ? "True" : "False";
      const old = prev.get(type);
      return { type, status: s, lastTransitionTime: old && old.status === s ? old.lastTransitionTime : now };
    };
    const running = phase === "Running";
    const previousIP: string | undefined = pod.status?.podIP;
    const previous = new Map<string, any>((pod.status?.containerStatuses ?? []).map((c: any) => [c.name, c]));
    const containers: any[] = pod.spec?.containers?.length ? pod.spec.containers : [{ name: "main" }];
    const status: any = {
      phase,
      conditions: [
        cond("PodScheduled", true),
        ...(running ? [cond("Initialized", true), cond("ContainersReady", ready), cond("Ready", ready)] : []),
      ],
      ...(running
        ? {
            containerStatuses: containers.map((c) => {
              const restarts = (previous.get(c.name)?.restartCount ?? 0) + (crashed ? 1 : 0);
              return {
                name: c.name,
                ready,
                restartCount: restarts,
                image: c.image,
                state: crashed
                  ? {
                      waiting: {
                        reason: "CrashLoopBackOff",
                        message: "back-off restarting failed container",
                      },
                    }
                  : { running: { startedAt: previous.get(c.name)?.state?.running?.startedAt ?? now } },
                ...(crashed
                  ? { lastState: { terminated: { exitCode: 1, reason: "Error", finishedAt: now } } }
                  : {}),
              };
            }),
            startTime: pod.status?.startTime ?? now,
          }
        : {}),
    };
    const ip = podIP ?? previousIP;
    if (ip) Object.assign(status, { hostIP: "127.0.0.1", podIP: ip, podIPs: [{ ip }] });
    return status;
  }
}
