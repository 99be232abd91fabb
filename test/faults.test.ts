/**
 * Reliability: 200 seeded fault schedules (5xx, 429 with Retry-After, 409, slow responses, reset
 * connections, cut watches, 410 on resume, API server restarts) over create, scale-up, scale-down
 * and destroy.
 * Every run must end converged or with a clear RolloutError inside its deadline, and these must
 * hold throughout: no claim is deleted, no pod is created before the lower ordinals are Ready, no
 * scale-down starts while a pod is unhealthy. A failing seed reproduces with FAULT_SEED=<seed>.
 */
import { describe, expect, it } from "vitest";
import { guardUpdate, RolloutError, teardown, waitForRollout } from "../sdk/rollout/provider";
import { prng, Sim, seededFaults, until } from "./sim";
import { deploy, inputsFor } from "./support/rollout-fixture";

const SCENARIOS = ["create", "scale-up", "scale-down", "destroy"] as const;
const RUNS = Number(process.env.FAULT_RUNS ?? 200);
const ONLY = process.env.FAULT_SEED !== undefined ? Number(process.env.FAULT_SEED) : undefined;
/**
 * Deadlines are harness parameters, not what is asserted: generous enough that a loaded machine (another
 * CPU-heavy process beside the tests) does not reach them where the provider converges.
 */
const TIMEOUT_S = Number(process.env.FAULT_TIMEOUT_S ?? 20);
/** The deadline of a create whose app-1 never becomes Ready: app-0 must be Ready and app-1 Running well before it. */
const STUCK_TIMEOUT_S = 6;
/** Schedules run at once, in one process (one event loop shared with their simulators). */
const CONCURRENCY = Number(process.env.FAULT_CONCURRENCY ?? 8);

interface Outcome {
  seed: number;
  scenario: (typeof SCENARIOS)[number];
  result: "converged" | "refused" | "error";
  message?: string;
  elapsedMs: number;
  violations: string[];
  faultsInjected: number;
  timeoutS: number;
}

const isReady = (p: any) =>
  p?.status?.conditions?.some((c: any) => c.type === "Ready" && c.status === "True") &&
  !p.metadata.deletionTimestamp;

async function runSchedule(seed: number): Promise<Outcome> {
  const rnd = prng(seed * 7919);
  const scenario = SCENARIOS[seed % SCENARIOS.length]!;
  const sim = await Sim.start({ readyAfterMs: 3 + Math.floor(rnd() * 10), graceMs: 2 });
  const violations: string[] = [];
  let faultsInjected = 0;
  let lastReplicas: number | undefined;
  // Invariants, checked on every change the simulator makes.
  sim.store.subscribe((e) => {
    if (
      e.resource === "persistentvolumeclaims" &&
      (e.type === "DELETED" || e.object.metadata.deletionTimestamp)
    )
      violations.push(`claim ${e.object.metadata.name} deleted`);
    if (e.resource === "pods" && e.type === "ADDED") {
      const ord = Number(e.object.metadata.name.split("-").at(-1));
      for (let lower = 0; lower < ord; lower++)
        if (!isReady(sim.store.get("pods", "default", `app-${lower}`)))
          violations.push(`app-${ord} created before app-${lower} was Ready`);
    }
    if (e.resource === "statefulsets" && e.type === "MODIFIED") {
      const replicas = e.object.spec.replicas;
      if (lastReplicas !== undefined && replicas < lastReplicas) {
        const unhealthy = sim.pods().filter((p) => !isReady(p));
        if (unhealthy.length > 0)
          violations.push(
            `scale-down to ${replicas} while ${unhealthy.map((p) => p.metadata.name)} not Ready`,
          );
      }
      lastReplicas = replicas;
    }
  });
  let started = Date.now();
  let inputs = inputsFor(sim, "app", { replicas: 3 }, { timeoutSeconds: TIMEOUT_S });
  let outcome: Omit<Outcome, "elapsedMs" | "violations" | "faultsInjected" | "timeoutS"> = {
    seed,
    scenario,
    result: "converged",
  };
  try {
    // Set-up without faults.
    const initial = scenario === "scale-up" ? 2 : scenario === "scale-down" ? 4 : 3;
    if (scenario !== "create") {
      deploy(sim, "app", { replicas: initial });
      await until("initial rollout", () => sim.pods().filter(isReady).length === initial, 20_000).catch(
        (e) => {
          throw new Error(
            `${e.message}: ${JSON.stringify(sim.pods().map((p) => [p.metadata.name, p.status]))} ${JSON.stringify(sim.store.get("statefulsets", "default", "app")?.status)}`,
          );
        },
      );
    }
    // Faults from here on; the deadline is measured from here.
    started = Date.now();
    const faults = seededFaults(seed, {
      serverError: 0.05 + rnd() * 0.15,
      tooMany: rnd() * 0.04,
      conflict: rnd() * 0.2,
      slow: rnd() * 0.2,
      slowMs: 40,
      cutWatch: rnd() * 0.4,
      expireWatch: rnd() * 0.3,
      // Connections dropped without an answer (ECONNRESET): retryable, like a 5xx.
      reset: rnd() * 0.05,
    });
    sim.faults = (req) => {
      const f = faults(req);
      faultsInjected += f.length;
      return f;
    };
    if (rnd() < 0.3) {
      const at = 5 + rnd() * 100;
      setTimeout(() => void sim.server.restart(20 + rnd() * 80), at);
      faultsInjected++;
    }
    const log = () => {};
    if (scenario === "create") {
      // Some creates have a pod that never becomes Ready: they must fail at their deadline, naming it.
      if (rnd() < 0.2) {
        sim.behaviors.set("app-1", { neverReady: true });
        inputs = { ...inputs, timeoutSeconds: STUCK_TIMEOUT_S };
      }
      deploy(sim, "app", { replicas: 3 });
      await waitForRollout(inputs, log);
    } else if (scenario === "scale-up") {
      const prev = inputsFor(sim, "app", { replicas: 2 }, { timeoutSeconds: TIMEOUT_S });
      inputs = inputsFor(sim, "app", { replicas: 4 }, { timeoutSeconds: TIMEOUT_S });
      deploy(sim, "app", { replicas: 4 });
      await waitForRollout(inputs, log, prev);
    } else if (scenario === "scale-down") {
      const prev = inputsFor(sim, "app", { replicas: 4 }, { timeoutSeconds: TIMEOUT_S });
      inputs = inputsFor(sim, "app", { replicas: 2 }, { timeoutSeconds: TIMEOUT_S });
      const sick = rnd() < 0.4 ? `app-${Math.floor(rnd() * 4)}` : undefined;
      if (sick) sim.kubelet.setReady("default", sick, false);
      if (process.env.FAULT_DEBUG)
        console.log(
          `seed ${seed}: sick ${sick}`,
          sim.pods().map((p) => `${p.metadata.name}:${isReady(p)}`),
        );
      try {
        await guardUpdate(prev, inputs, log);
      } catch (err) {
        if (
          err instanceof RolloutError &&
          err.message.startsWith('refusing to scale StatefulSet "app" from 4 to 2')
        ) {
          outcome = { seed, scenario, result: "refused", message: err.message };
          if (sim.store.get("statefulsets", "default", "app")!.spec.replicas !== 4)
            violations.push("replicas changed by a refused update");
          return finish();
        }
        throw err;
      }
      // The engine applies the set only after the guard accepted.
      deploy(sim, "app", { replicas: 2 });
      await waitForRollout(inputs, log, prev);
    } else {
      await teardown(inputs, log);
      if (sim.pods().length !== 0) violations.push(`teardown finished with ${sim.pods().length} pods`);
      if (sim.claims().length !== 3) violations.push(`teardown left ${sim.claims().length} claims`);
    }
    if (scenario !== "destroy") {
      const want = inputs.replicas;
      if (sim.pods().filter(isReady).length !== want)
        violations.push(`converged with ${sim.pods().filter(isReady).length}/${want} Ready`);
    }
  } catch (err) {
    outcome = {
      seed,
      scenario,
      result: "error",
      message: err instanceof RolloutError ? err.message : `unexpected ${(err as Error)?.stack ?? err}`,
    };
  }
  return finish();

  async function finish(): Promise<Outcome> {
    const elapsedMs = Date.now() - started;
    sim.faults = undefined;
    await sim.stop();
    return { ...outcome, elapsedMs, violations, faultsInjected, timeoutS: inputs.timeoutSeconds };
  }
}

async function pool<T>(items: number[], size: number, fn: (n: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: size }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!);
      }
    }),
  );
  return out;
}

describe("seeded fault schedules", () => {
  it(
    `${ONLY !== undefined ? `seed ${ONLY}` : `${RUNS} schedules`} end converged or with a clear error, inside the deadline, with every invariant held`,
    { timeout: 480_000 },
    async () => {
      const seeds = ONLY !== undefined ? [ONLY] : Array.from({ length: RUNS }, (_, i) => i + 1);
      const outcomes = await pool(seeds, CONCURRENCY, runSchedule);
      const byResult: Record<string, number> = {};
      for (const o of outcomes)
        byResult[`${o.scenario}/${o.result}`] = (byResult[`${o.scenario}/${o.result}`] ?? 0) + 1;
      console.log(
        `fault schedules: ${JSON.stringify(byResult)}; faults injected: ${outcomes.reduce((s, o) => s + o.faultsInjected, 0)}; slowest ${Math.max(...outcomes.map((o) => o.elapsedMs))} ms; latest past a deadline ${Math.max(...outcomes.map((o) => o.elapsedMs - o.timeoutS * 1000))} ms`,
      );
      const bad = outcomes.filter(
        (o) =>
          o.violations.length > 0 ||
          o.elapsedMs > o.timeoutS * 1000 + 1000 ||
          (o.result === "error" &&
            !new RegExp(
              `^timed out after ${STUCK_TIMEOUT_S}s waiting for StatefulSet "default/app" \\(1/3 ready\\):\n {2}app-1: phase Running`,
            ).test(o.message ?? "")),
      );
      expect(
        bad.map(
          (o) => `seed ${o.seed} (${o.scenario}): ${o.result} ${o.violations.join("; ")} ${o.message ?? ""}`,
        ),
      ).toEqual([]);
      // The schedules must exercise both outcomes of a scale-down and inject faults at all.
      expect(outcomes.some((o) => o.result === "refused")).toBe(ONLY === undefined);
      expect(outcomes.some((o) => o.result === "error")).toBe(ONLY === undefined);
      expect(outcomes.filter((o) => o.result === "converged").length).toBeGreaterThan(
        ONLY === undefined ? RUNS / 2 : 0,
      );
      expect(outcomes.reduce((s, o) => s + o.faultsInjected, 0)).toBeGreaterThan(
        ONLY === undefined ? RUNS : -1,
      );
    },
  );
});
