/**
 * The rollout's safety promises (issue 7), each against the simulator through the real client:
 * what the provider does when the engine deletes it after the program turned it off, when the
 * kubeconfig points elsewhere, when state and the cluster disagree, when a change replaces the
 * set, with minReadySeconds, with an HPA. Each of these failed (or could not be expressed) with
 * the rollout as it was before.
 */
import { afterEach, describe, expect, it } from "vitest";
import { packRolloutInputs } from "../components/rollout";
import { flatten, provider } from "../sdk/rollout/entry";
import { PROTOCOL } from "../sdk/rollout/protocol";
import {
  guardDiff,
  guardUpdate,
  PartialStateError,
  RELEASED_FROM,
  ROLLOUT_ANNOTATION,
  type RolloutOutputs,
  teardown,
  waitForRollout,
} from "../sdk/rollout/provider";
import { Sim, until } from "./sim";
import { deploy, inputsFor } from "./support/rollout-fixture";

const sims: Sim[] = [];
async function start(opts: Parameters<typeof Sim.start>[0] = {}) {
  const s = await Sim.start(opts);
  sims.push(s);
  return s;
}
afterEach(async () => {
  for (const s of sims.splice(0)) await s.stop();
});

function logger() {
  const lines: string[] = [];
  return { lines, log: (l: string) => lines.push(l) };
}
const names = (objs: { metadata: { name: string } }[]) => objs.map((o) => o.metadata.name).sort();
/** Requests that change something, since request number `from`. */
const writes = (sim: Sim, from: number) =>
  sim.requests.slice(from).filter((r) => !["get", "list", "watch"].includes(r.verb));

/** Deploys `web` and waits for it: the outputs a watcher keeps in state. */
async function deployed(sim: Sim, args: Parameters<typeof inputsFor>[2] = {}): Promise<RolloutOutputs> {
  deploy(sim, "web", args);
  return waitForRollout(inputsFor(sim, "web", args), () => {});
}

describe("1. removing the rollout never touches the live set", () => {
  it("teardown leaves a set whose marker is gone (rollout: false applied) alone", async () => {
    const sim = await start();
    const state = await deployed(sim, { replicas: 3 });
    // What the Kubernetes provider applies once the program says rollout: false: no marker.
    const set = sim.store.get("statefulsets", "default", "web")!;
    delete set.metadata.annotations![ROLLOUT_ANNOTATION];
    sim.store.update(sim.rt("statefulsets"), "default", {
      ...set,
      metadata: { ...set.metadata, resourceVersion: undefined },
    });
    const from = sim.requests.length;
    const { lines, log } = logger();
    await teardown(state, log);
    expect(writes(sim, from)).toEqual([]);
    expect(sim.store.get("statefulsets", "default", "web")!.spec.replicas).toBe(3);
    expect(lines).toEqual([
      `web: StatefulSet "default/web" is no longer managed by this rollout (annotation ${ROLLOUT_ANNOTATION} is null, not "web-rollout"): leaving it and its pods alone`,
    ]);
  });

  it("teardown leaves a set another component's rollout now manages alone (a rename without alias)", async () => {
    const sim = await start();
    const state = await deployed(sim, { replicas: 2 });
    const set = sim.store.get("statefulsets", "default", "web")!;
    set.metadata.annotations![ROLLOUT_ANNOTATION] = "web2-rollout";
    sim.store.update(sim.rt("statefulsets"), "default", {
      ...set,
      metadata: { ...set.metadata, resourceVersion: undefined },
    });
    const from = sim.requests.length;
    await teardown(state, () => {});
    expect(writes(sim, from)).toEqual([]);
    expect(sim.pods()).toHaveLength(2);
  });
});

describe("2. destroy keeps claims whatever whenScaled says", () => {
  const args = { replicas: 3, retention: { whenScaled: "Delete" as const, whenDeleted: "Retain" as const } };

  it("whenScaled Delete, whenDeleted Retain: every claim survives the teardown", async () => {
    const sim = await start();
    const state = await deployed(sim, args);
    const { lines, log } = logger();
    const r = await teardown(state, log);
    expect(sim.pods()).toEqual([]);
    expect(names(sim.claims())).toEqual(["data-web-0", "data-web-1", "data-web-2"]);
    expect(r.keptClaims).toEqual(["data-web-0", "data-web-1", "data-web-2"]);
    expect(lines[0]).toBe(
      "web: claim retention set to whenDeleted Retain, whenScaled Retain for the teardown, so no claim goes with its pod",
    );
  });

  it("a scale-down with whenScaled Delete reports the claims deleted, not kept", async () => {
    const sim = await start();
    const state = await deployed(sim, args);
    const down = { ...args, replicas: 1 };
    await guardUpdate(state, inputsFor(sim, "web", down), () => {});
    deploy(sim, "web", down);
    const { lines, log } = logger();
    const r = await waitForRollout(inputsFor(sim, "web", down), log, state);
    await until("claims of removed pods gone", () => sim.claims().length === 1);
    expect(r.keptClaims).toEqual([]);
    expect(lines).toContain(
      "web: claims of removed pods deleted (whenScaled: Delete): data-web-1, data-web-2",
    );
    expect(lines.some((l) => l.includes("kept"))).toBe(false);
  });

  it("claims re-used by a re-created set lose their released mark", async () => {
    const sim = await start();
    const state = await deployed(sim, { replicas: 2 });
    await teardown(state, () => {});
    sim.store.markDeleted(sim.rt("statefulsets"), "default", "web");
    await until("set gone", () => !sim.store.get("statefulsets", "default", "web"));
    expect(sim.claims().every((c) => c.metadata.annotations?.[RELEASED_FROM] === "default/web")).toBe(true);
    const { lines, log } = logger();
    deploy(sim, "web", { replicas: 2 });
    await waitForRollout(inputsFor(sim, "web", { replicas: 2 }), log);
    expect(sim.claims().map((c) => c.metadata.annotations?.[RELEASED_FROM])).toEqual([undefined, undefined]);
    expect(lines).toContain("web: claims in use again, released mark removed: data-web-0, data-web-1");
  });
});

describe("3. teardown and the guard act only on their own set", () => {
  it("refuse when the kubeconfig now points at another cluster with a same-named set", async () => {
    const a = await start();
    const b = await start();
    const state = await deployed(a, { replicas: 2 });
    deploy(b, "web", { replicas: 2 });
    await waitForRollout(inputsFor(b, "web", { replicas: 2 }), () => {});
    const from = b.requests.length;
    const elsewhere = { ...state, kubeconfig: b.kubeconfig() };
    const err = await teardown(elsewhere, () => {}).catch((e) => e);
    expect(err.message.split("\n")).toEqual([
      `refusing to tear down StatefulSet "default/web": it was deployed to the API server ${a.url}, but the kubeconfig now points at ${b.url}.`,
      `Nothing was changed. Point rollout.kubeconfig / KUBECONFIG / rollout.context back at ${a.url}; to move the app to another cluster, deploy it there under a new name.`,
    ]);
    const refused = await guardDiff(elsewhere, inputsFor(b, "web", { replicas: 1 }), () => {}).catch(
      (e) => e,
    );
    expect(refused.message).toMatch(
      /^refusing to change StatefulSet "default\/web": it was deployed to the API server/,
    );
    expect(writes(b, from)).toEqual([]);
    expect(b.pods()).toHaveLength(2);
  });

  it("refuse a set that was deleted and re-created outside the stack", async () => {
    const sim = await start();
    const state = await deployed(sim, { replicas: 2 });
    sim.store.markDeleted(sim.rt("statefulsets"), "default", "web");
    await until("pods gone", () => sim.pods().length === 0);
    deploy(sim, "web", { replicas: 2 });
    await until("new pods", () => sim.pods().length === 2);
    const err = await teardown(state, () => {}).catch((e) => e);
    expect(err.message).toMatch(
      /^refusing to tear down StatefulSet "default\/web": the live StatefulSet is not the one this stack deployed \(uid .+, recorded .+\)/,
    );
    expect(sim.pods()).toHaveLength(2);
  });
});

describe("4. the guard checks the cluster, not state", () => {
  it("refuses a scale-down judged from the live replicas after an out-of-band scale, already in diff", async () => {
    const sim = await start();
    const state = await deployed(sim, { replicas: 3 });
    // kubectl scale --replicas=5; then web-4 turns unhealthy. State still says 3.
    sim.store.update(sim.rt("statefulsets"), "default", {
      ...sim.store.get("statefulsets", "default", "web")!,
      spec: { ...sim.store.get("statefulsets", "default", "web")!.spec, replicas: 5 },
    });
    await until(
      "5 ready",
      () =>
        sim.pods().length === 5 &&
        sim
          .pods()
          .every((p) => p.status.conditions?.some((c: any) => c.type === "Ready" && c.status === "True")),
    );
    sim.kubelet.setReady("default", "web-4", false);
    // The program still says 3: the guard sees 5 -> 3 with web-4 unhealthy (preview runs diff).
    const err = await guardDiff(state, inputsFor(sim, "web", { replicas: 3 }), () => {}).catch((e) => e);
    expect(err.message.split("\n").slice(0, 2)).toEqual([
      'refusing to scale StatefulSet "web" from 5 to 3: every pod must be Ready before a scale-down, and this one is not:',
      "  - web-4: phase Running, conditions ContainersReady=False, Ready=False, container running",
    ]);
  });

  it("reports a change when the live replicas differ from the program, so update checks again", async () => {
    const sim = await start();
    const recorded = await deployed(sim, { replicas: 2 });
    expect(await guardDiff(recorded, inputsFor(sim, "web", { replicas: 2 }), () => {})).toEqual({
      changes: false,
    });
    const set = sim.store.get("statefulsets", "default", "web")!;
    sim.store.update(sim.rt("statefulsets"), "default", { ...set, spec: { ...set.spec, replicas: 3 } });
    await waitForRollout(inputsFor(sim, "web", { replicas: 3 }), () => {});
    expect(await guardDiff(recorded, inputsFor(sim, "web", { replicas: 2 }), () => {})).toEqual({
      changes: true,
    });
  });
});

describe("5. every replacement is seen", () => {
  it("refuses removing or reordering claim templates and renaming, naming each change", async () => {
    const sim = await start();
    const two = {
      volumes: [
        { name: "data", size: "1Gi", mountPath: "/data" },
        { name: "logs", size: "1Gi", mountPath: "/logs" },
      ],
    };
    const state = await deployed(sim, two);
    const reordered = { volumes: [two.volumes[1]!, two.volumes[0]!] };
    const removed = { volumes: [two.volumes[0]!] };
    for (const args of [reordered, removed]) {
      const err = await guardDiff(state, inputsFor(sim, "web", args), () => {}).catch((e) => e);
      expect(err.message).toMatch(
        /^refusing to change StatefulSet "default\/web": these fields cannot change in place/,
      );
      expect(err.message).toContain(
        "  - spec.volumeClaimTemplates: [data 1Gi (default class) ReadWriteOnce; logs 1Gi",
      );
    }
    const renamed = await guardDiff(state, inputsFor(sim, "web", { ...two, name: "www" }), () => {}).catch(
      (e) => e,
    );
    expect(renamed.message).toContain("the new set starts with new, empty claims");
    expect(renamed.message).toContain("  - metadata.name: web -> www");
  });

  it("allowed with the same name: the old pods go N-1..0 before the set is replaced, claims kept", async () => {
    const sim = await start();
    const args = {
      replicas: 3,
      retention: { whenDeleted: "Delete" as const, whenScaled: "Delete" as const },
    };
    const state = await deployed(sim, args);
    const deleted: string[] = [];
    const unsub = sim.store.subscribe((e) => {
      if (e.resource === "pods" && e.type === "DELETED") deleted.push(e.object.metadata.name);
    });
    const next = {
      ...args,
      volumes: [{ name: "data", size: "2Gi", mountPath: "/data" }],
      rollout: { allowReplacement: true, timeoutSeconds: 10 },
    };
    const { lines, log } = logger();
    const approved = await guardUpdate(state, inputsFor(sim, "web", next), log);
    unsub();
    expect(deleted).toEqual(["web-2", "web-1", "web-0"]);
    expect(approved.setUid).toBe("");
    expect(lines[0]).toMatch(/^web: replacing StatefulSet "default\/web" \(spec.volumeClaimTemplates: /);
    // The Kubernetes provider now deletes the old set and creates the new one (delete-before-replace).
    sim.store.markDeleted(sim.rt("statefulsets"), "default", "web");
    await until("old set gone", () => !sim.store.get("statefulsets", "default", "web"));
    await new Promise((r) => setTimeout(r, 50));
    expect(names(sim.claims())).toEqual(["data-web-0", "data-web-1", "data-web-2"]);
    deploy(sim, "web", next);
    const after = await waitForRollout(inputsFor(sim, "web", next), () => {}, approved);
    expect(after.readyPods).toEqual(["web-0", "web-1", "web-2"]);
    expect(after.setUid).toBe(sim.store.get("statefulsets", "default", "web")!.metadata.uid);
  });

  it("allowed with a new name: the watcher drains the old set in order once the new one is ready", async () => {
    const sim = await start();
    const state = await deployed(sim, { replicas: 2 });
    const next = { replicas: 2, name: "www", rollout: { allowReplacement: true, timeoutSeconds: 10 } };
    await guardUpdate(state, inputsFor(sim, "web", next), () => {});
    expect(sim.pods()).toHaveLength(2);
    deploy(sim, "web", next);
    const deleted: string[] = [];
    const unsub = sim.store.subscribe((e) => {
      if (e.resource === "pods" && e.type === "DELETED") deleted.push(e.object.metadata.name);
    });
    await waitForRollout(inputsFor(sim, "web", next), () => {}, state);
    unsub();
    expect(deleted).toEqual(["web-1", "web-0"]);
    expect(names(sim.pods())).toEqual(["www-0", "www-1"]);
    expect(names(sim.claims())).toEqual(["data-web-0", "data-web-1", "data-www-0", "data-www-1"]);
  });
});

describe("7. partial failures leave correct state", () => {
  it("a create that times out is recorded: the error carries the id and what was seen", async () => {
    const sim = await start();
    sim.behaviors.set("web-1", { neverReady: true });
    deploy(sim, "web", { replicas: 2 });
    const err = await waitForRollout(
      inputsFor(sim, "web", { replicas: 2 }, { timeoutSeconds: 1 }),
      () => {},
    ).catch((e) => e);
    expect(err).toBeInstanceOf(PartialStateError);
    expect(err.id).toBe("default/web");
    expect(err.properties).toMatchObject({
      name: "web",
      readyPods: ["web-0"],
      server: sim.url,
      setUid: sim.store.get("statefulsets", "default", "web")!.metadata.uid,
    });
    // Through the host's interface: an error with id and properties is what Pulumi records.
    const hosted = await provider("watcher", 2)
      .create({ ...inputsFor(sim, "web", { replicas: 2 }, { timeoutSeconds: 1 }), __provider: "x" })
      .catch((e) => e);
    expect(hosted.id).toBe("default/web");
    expect(hosted.properties.readyPods).toEqual(["web-0"]);
  });

  it("state written with a protocol this version cannot serve fails loudly, not with mismatched code", async () => {
    const err = await provider("watcher", 1)
      .delete("default/web", {})
      .catch((e) => e);
    expect(err.message).toBe(
      "pulumi-stateful: this watcher's state was written with rollout protocol 1, which the installed pulumi-stateful (protocol 3) cannot serve. Install the pulumi-stateful version this stack was deployed with, finish the operation, then upgrade.",
    );
  });

  it("protocol 3's packed inputs are served against protocol 2's flat state, as before the pack", async () => {
    const sim = await start();
    const outs = await deployed(sim, { replicas: 2 });
    const { server: _s, setUid: _u, readyPods: _r, keptClaims: _k, votingMembers: _v, ...flat } = outs;
    // What the components register now (components/rollout.ts), beside flat state in `olds`.
    const packed: Record<string, unknown> = {
      role: "watcher",
      ...packRolloutInputs(inputsFor(sim, "web", { replicas: 2 })),
    };
    expect(Object.keys(packed).sort()).toEqual(["kubeconfig", "replicas", "role", "rollout"]);
    expect(flatten(packed)).toEqual({ role: "watcher", ...flat });
    const watcher = provider("watcher", PROTOCOL);
    expect(await watcher.diff("default/web", { ...outs, role: "watcher" }, packed)).toEqual({
      changes: false,
    });
    const longer = { ...packed, rollout: { ...(packed.rollout as object), timeoutSeconds: 61 } };
    expect(await watcher.diff("default/web", { ...outs, role: "watcher" }, longer)).toEqual({
      changes: true,
    });
    // The guard judges a scale-down from packed inputs against flat state.
    sim.kubelet.setReady("default", "web-1", false);
    const guard = provider("guard", PROTOCOL);
    const down = { role: "guard", ...packRolloutInputs(inputsFor(sim, "web", { replicas: 1 })) };
    const err = await guard.update("default/web", { ...outs, role: "guard" }, down).catch((e) => e);
    expect(String(err.message)).toMatch(/^refusing to scale StatefulSet "web" from 2 to 1/);
  });
});

describe("8. availability, not only readiness", () => {
  it("with minReadySeconds, returns only once every pod has been Ready that long", async () => {
    const sim = await start();
    deploy(sim, "web", { replicas: 2, minReadySeconds: 1 });
    await waitForRollout(inputsFor(sim, "web", { replicas: 2, minReadySeconds: 1 }), () => {});
    const now = Date.now();
    for (const p of sim.pods()) {
      const ready = p.status.conditions.find((c: any) => c.type === "Ready");
      expect(now - Date.parse(ready.lastTransitionTime)).toBeGreaterThanOrEqual(1000);
    }
  });

  it("a destroy blocked by an unhealthy lower pod names that pod", async () => {
    const sim = await start();
    const state = await deployed(sim, { replicas: 3 });
    sim.kubelet.setReady("default", "web-0", false);
    const err = await teardown({ ...state, timeoutSeconds: 1 }, () => {}).catch((e) => e);
    expect(err.message).toMatch(
      /^timed out after 1s removing the pods of StatefulSet "default\/web": web-2: phase Running.*; the StatefulSet controller removes it only once every lower pod is Ready and available, and web-0: phase Running, conditions ContainersReady=False, Ready=False, container running is still there\. Claims were not touched\.$/,
    );
    expect(names(sim.claims())).toEqual(["data-web-0", "data-web-1", "data-web-2"]);
  });
});

describe("9. a way out for a broken top pod", () => {
  it("refused by default; allowUnhealthyRemoval lets the unhealthy pods being removed go", async () => {
    const sim = await start();
    const state = await deployed(sim, { replicas: 3 });
    sim.kubelet.setReady("default", "web-2", false);
    const refused = await guardUpdate(state, inputsFor(sim, "web", { replicas: 2 }), () => {}).catch(
      (e) => e,
    );
    expect(refused.message).toContain("rollout.allowUnhealthyRemoval lets them go");
    const allowed = { replicas: 2, rollout: { allowUnhealthyRemoval: true, timeoutSeconds: 10 } };
    await guardUpdate(state, inputsFor(sim, "web", allowed), () => {});
    deploy(sim, "web", allowed);
    await waitForRollout(inputsFor(sim, "web", allowed), () => {}, state);
    expect(names(sim.pods())).toEqual(["web-0", "web-1"]);
    // Still refused when a pod that stays is unhealthy.
    sim.kubelet.setReady("default", "web-0", false);
    const stays = await guardUpdate(
      { ...state, replicas: 2 },
      inputsFor(sim, "web", { replicas: 1, rollout: { allowUnhealthyRemoval: true } }),
      () => {},
    ).catch((e) => e);
    expect(stays.message).toMatch(
      /^refusing to scale StatefulSet "web" from 2 to 1: every pod that stays must be Ready/,
    );
  });
});

describe("11. another owner of spec.replicas", () => {
  it("follows the live replica count instead of waiting out the deadline, and says so", async () => {
    const sim = await start();
    deploy(sim, "web", { replicas: 2 });
    // An autoscaler scales the set to 3 right after the program applied 2.
    const set = sim.store.get("statefulsets", "default", "web")!;
    sim.store.update(sim.rt("statefulsets"), "default", { ...set, spec: { ...set.spec, replicas: 3 } });
    const { lines, log } = logger();
    const r = await waitForRollout(inputsFor(sim, "web", { replicas: 2 }, { timeoutSeconds: 20 }), log);
    expect(r.readyPods).toEqual(["web-0", "web-1", "web-2"]);
    expect(lines).toContain(
      "web: spec.replicas is 3, not the program's 2: it was changed outside this program; waiting for 3 pods",
    );
  });
});
