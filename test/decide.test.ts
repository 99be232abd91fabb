/** The rollout decisions, directly and as properties over generated observations. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  claimsToDelete,
  type PodView,
  RolloutTracker,
  rolloutState,
  type SetView,
  scaleDownRefusal,
  teardownStep,
} from "../sdk/rollout/decide";

const pod = (ordinal: number, over: Partial<PodView> = {}): PodView => ({
  name: `s-${ordinal}`,
  ordinal,
  phase: "Running",
  ready: true,
  terminating: false,
  revision: "s-new",
  conditions: [{ type: "Ready", status: over.ready === false ? "False" : "True" }],
  restarts: 0,
  ...over,
});

const set = (over: Partial<SetView> = {}): SetView => ({
  name: "s",
  replicas: 3,
  ordinalsStart: 0,
  updateStrategy: "RollingUpdate",
  partition: 0,
  podManagementPolicy: "OrderedReady",
  generation: 1,
  observedGeneration: 1,
  updateRevision: "s-new",
  currentRevision: "s-new",
  ...over,
});

const arbPods = fc
  .record({
    n: fc.integer({ min: 0, max: 8 }),
    present: fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }),
    ready: fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }),
    terminating: fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }),
  })
  .map(({ n, present, ready, terminating }) => ({
    n,
    pods: present.flatMap((p, i) =>
      p ? [pod(i, { ready: ready[i]!, terminating: terminating[i]! && !ready[i] })] : [],
    ),
  }));

describe("scale-down guard", () => {
  it("refuses naming each unhealthy or missing pod", () => {
    const msg = scaleDownRefusal("s", [pod(0), pod(2, { ready: false, phase: "Pending" })], 3, 0, 1);
    expect(msg).toBe(
      [
        'refusing to scale StatefulSet "s" from 3 to 1: every pod must be Ready before a scale-down, and these 2 are not:',
        "  - s-1: missing",
        "  - s-2: phase Pending, conditions Ready=False",
        "Nothing was changed. Fix the pods (or wait for them) and run the update again; if only pods being removed are unhealthy, rollout.allowUnhealthyRemoval lets them go.",
      ].join("\n"),
    );
  });

  it("property: accepts exactly when every ordinal in range is present, Ready and not terminating", () => {
    fc.assert(
      fc.property(arbPods, ({ n, pods }) => {
        const healthy =
          pods.every((p) => p.ordinal < n && p.ready && !p.terminating) &&
          Array.from({ length: n }, (_, i) => i).every((i) => pods.some((p) => p.ordinal === i));
        expect(scaleDownRefusal("s", pods, n, 0, Math.max(0, n - 1)) === undefined).toBe(healthy);
      }),
    );
  });
});

describe("rollout state", () => {
  it("waits for the lowest ordinal that is not Ready, then for leftovers above the range", () => {
    expect(
      rolloutState(set(), [pod(0), pod(1, { ready: false }), pod(2, { ready: false })]).waitingOn,
    ).toMatchObject({ ordinal: 1, reason: "not Ready" });
    expect(rolloutState(set({ replicas: 2 }), [pod(0), pod(1), pod(2)]).waitingOn).toMatchObject({
      ordinal: 2,
      reason: "still present above the new replica count",
    });
    expect(rolloutState(set(), [pod(0), pod(1), pod(2)]).done).toBe(true);
    expect(rolloutState(set({ observedGeneration: 0 }), [pod(0), pod(1), pod(2)]).done).toBe(false);
  });

  it("honours the partition: only ordinals at or above it must reach the update revision", () => {
    const pods = [pod(0, { revision: "s-old" }), pod(1, { revision: "s-old" }), pod(2)];
    expect(rolloutState(set({ partition: 2 }), pods).done).toBe(true);
    expect(rolloutState(set({ partition: 1 }), pods).waitingOn).toMatchObject({
      ordinal: 1,
      reason: "on revision s-old, waiting for s-new",
    });
    const onDelete = rolloutState(set({ updateStrategy: "OnDelete" }), pods);
    expect([onDelete.done, onDelete.stale]).toEqual([true, ["s-0", "s-1"]]);
  });

  it("property: done means every ordinal in range is Ready and nothing is above it; ready is ascending", () => {
    fc.assert(
      fc.property(arbPods, ({ n, pods }) => {
        const st = rolloutState(set({ replicas: n }), pods);
        expect([...st.ready].sort((a, b) => a - b)).toEqual(st.ready);
        if (st.done) {
          for (let i = 0; i < n; i++) expect(pods.find((p) => p.ordinal === i)?.ready).toBe(true);
          expect(pods.every((p) => p.ordinal < n)).toBe(true);
        } else {
          const w = st.waitingOn!;
          // Nothing lower than what it waits on is missing or unready.
          for (let i = 0; i < Math.min(w.ordinal, n); i++) expect(st.ready).toContain(i);
        }
      }),
    );
  });
});

describe("incremental tracker", () => {
  /** A random pod observation: which ordinal, and what it looks like now (or gone). */
  const arbEvent = fc.record({
    ordinal: fc.integer({ min: 0, max: 7 }),
    gone: fc.boolean(),
    ready: fc.boolean(),
    terminating: fc.boolean(),
    revision: fc.constantFrom("s-old", "s-new"),
    readyAgoMs: fc.integer({ min: 0, max: 3000 }),
    /** Time passes before this observation: pods become available without an event. */
    laterMs: fc.integer({ min: 0, max: 1500 }),
  });
  const arbSet = fc.record({
    replicas: fc.integer({ min: 0, max: 7 }),
    partition: fc.integer({ min: 0, max: 7 }),
    updateStrategy: fc.constantFrom("RollingUpdate" as const, "OnDelete" as const),
    minReadySeconds: fc.constantFrom(0, 1, 2),
    observedGeneration: fc.constantFrom(0, 1),
  });

  it("property: after any sequence of pod and set changes, judges exactly as rolloutState", () => {
    fc.assert(
      fc.property(arbSet, fc.array(fc.oneof(arbEvent, arbSet), { maxLength: 40 }), (first, steps) => {
        let now = 1_000_000;
        let view = set(first);
        const pods = new Map<number, PodView>();
        const tracker = new RolloutTracker(view);
        const announced = new Set<number>();
        for (const step of steps) {
          if ("ordinal" in step) {
            now += step.laterMs;
            if (step.gone) {
              pods.delete(step.ordinal);
              tracker.remove(step.ordinal, now);
            } else {
              const p = pod(step.ordinal, {
                ready: step.ready,
                terminating: step.terminating,
                revision: step.revision,
                readySince: now - step.readyAgoMs,
              });
              pods.set(step.ordinal, p);
              tracker.upsert(p, now);
            }
          } else {
            view = set(step);
            tracker.setSet(view, now);
          }
          const got = tracker.evaluate(now);
          const want = rolloutState(view, pods.values(), now);
          expect(got.done).toBe(want.done);
          expect(got.readyCount).toBe(want.ready.length);
          expect(got.leaving).toEqual(want.leaving);
          expect(got.nextCheckAt).toBe(want.nextCheckAt);
          // Every ordinal that is done has been reported as newly ready at least once.
          for (const o of got.newlyReady) announced.add(o);
          for (const o of want.ready) expect(announced.has(o)).toBe(true);
        }
      }),
    );
  });
});

describe("teardown", () => {
  it("property: removes pods strictly from the highest ordinal down, one at a time, to none", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 }), fc.integer({ min: 0, max: 10 }), (replicas, existing) => {
        // A model of the cluster: `existing` pods 0..existing-1, the set at `replicas`.
        let pods = Array.from({ length: existing }, (_, i) => pod(i));
        let current = replicas;
        const removed: number[] = [];
        for (let steps = 0; steps < 50; steps++) {
          const step = teardownStep(pods, current, 0);
          if ("done" in step) break;
          current = step.scaleTo;
          // The controller removes the highest pod above the new count.
          const above = pods.filter((p) => p.ordinal >= current).sort((a, b) => b.ordinal - a.ordinal);
          if (step.waitFor) expect(step.waitFor).toBe(above[0]?.name);
          if (above[0]) {
            removed.push(above[0].ordinal);
            pods = pods.filter((p) => p !== above[0]);
          }
        }
        expect(pods).toEqual([]);
        expect(current).toBe(0);
        expect(removed).toEqual(Array.from({ length: existing }, (_, i) => existing - 1 - i));
      }),
    );
  });
});

describe("claims", () => {
  it("property: never deletes a claim unless whenDeleted is Delete and no pod is left", () => {
    fc.assert(
      fc.property(
        fc.constantFrom("Retain" as const, "Delete" as const),
        fc.integer({ min: 0, max: 5 }),
        fc.array(fc.string({ minLength: 1 }), { maxLength: 6 }),
        (whenDeleted, podsLeft, claims) => {
          const doomed = claimsToDelete(whenDeleted, podsLeft, claims);
          if (whenDeleted === "Retain" || podsLeft > 0) expect(doomed).toEqual([]);
          else expect(doomed).toEqual(claims);
        },
      ),
    );
  });
});

describe("retry backoff", () => {
  it("doubles from 100 ms to a 2 s cap, and honours Retry-After", async () => {
    const { backoffMs } = await import("../sdk/rollout/client");
    expect([0, 1, 2, 3, 4, 5, 10].map((a) => backoffMs(a))).toEqual([100, 200, 400, 800, 1600, 2000, 2000]);
    expect(backoffMs(0, "3")).toBe(3000);
    expect(backoffMs(5, "0")).toBe(0);
    expect(backoffMs(0, "120")).toBe(30_000);
    expect(backoffMs(2, "soon")).toBe(400);
  });
});
