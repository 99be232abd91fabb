/**
 * ZooKeeperEnsemble on real ZooKeeper (Debian's package, installed by .ci/run): the rendered start
 * script and static configuration scaled 1 -> 3 -> 5 -> 3 -> 1 -> 3 -> 5 (zk-2 leading) by
 * dynamic reconfiguration through exec, a configuration change rolled leader last, a lost volume,
 * a restart of every pod at once and 5 -> 3 removing the leader, with writers logging every
 * acknowledged write; the same servers as the simulator's pods, scaled 1 -> 3 -> 5 -> 3 -> 1 -> 3,
 * 3 -> 5 with zk-2 leading, rolled by a configuration change and 5 -> 3 removing the leader, through
 * the real rollout provider (test/zookeeper/sim-ensemble.ts); and the old static-list procedure on
 * 3 -> 5 with zk-2 leading, which the same check must catch.
 */
import { describe, expect, it } from "vitest";
import { overlayZooCfg, podTemplate, renderEnsemble } from "./zookeeper/harness";
import { providerObjects } from "./zookeeper/sim-ensemble";
import { scaleProgram, verifyZooKeeper, zookeeperInstalled } from "./zookeeper/verify";

describe("ZooKeeper on real servers", () => {
  it("changes only the dataDir line of the rendered zoo.cfg", async () => {
    const rendered = await renderEnsemble(await scaleProgram(false));
    const before = rendered.zooCfg.split("\n");
    const after = overlayZooCfg(rendered.zooCfg, "/tmp/x/data").split("\n");
    expect(after.filter((l) => !before.includes(l))).toEqual(["dataDir=/tmp/x/data"]);
    expect(before.filter((l) => !after.includes(l))).toEqual(["dataDir=/var/lib/zookeeper/data"]);
  });

  it("applies, behind the simulator, the pods the component renders (same zoo.cfg, java.env, command, env, probes)", async () => {
    for (const changed of [false, true]) {
      const rendered = await renderEnsemble(await scaleProgram(changed));
      const { m } = providerObjects(3, changed);
      const applied = podTemplate(m.statefulSet, m.configMap!);
      for (const k of [
        "zooCfg",
        "javaEnv",
        "command",
        "env",
        "readiness",
        "liveness",
        "serviceDomain",
      ] as const)
        expect(applied[k], k).toEqual(rendered[k]);
      expect(applied.podManagementPolicy).toBe("Parallel");
      expect(m.statefulSet.spec.updateStrategy?.type).toBe("OnDelete");
    }
  });

  it("has the zookeeper package installed (.ci/run installs it)", () => {
    expect(zookeeperInstalled()).toBeUndefined();
  });

  it(
    "scales, rolls and restarts without losing an acknowledged write; the old procedure does lose",
    {
      timeout: 600_000,
    },
    async () => {
      const lines: string[] = [];
      const result = await verifyZooKeeper((l) => lines.push(l));
      console.log(`${lines.join("\n")}\n${JSON.stringify(result)}`);
      expect(result.scale_paths).toEqual([
        "1->3",
        "3->5",
        "5->3",
        "3->1",
        "1->3 (kept claims)",
        "3->5 (zk-2 leading)",
        "roll (leader last)",
        "lost volume (zk-4)",
        "restart all at once",
        "5->3 (leader removed)",
      ]);
      expect(result).toMatchObject({
        lost_writes: 0,
        diverged_paths: 0,
        two_leaders: false,
        leader_restarted_last: true,
        probes: true,
        password_in_files: 0,
        voters: [1, 2, 3],
      });
      expect(result.acked_writes).toBeGreaterThan(500);
      // Through the real provider, the simulator's controller deciding which pod exists when.
      const p = result.provider_paths;
      expect(p.scale_paths).toEqual([
        "1->3",
        "3->5",
        "5->3",
        "3->1",
        "1->3 (kept claims)",
        "3->5 (zk-2 leading)",
        "roll (leader last)",
        "5->3 (leader removed)",
      ]);
      expect(p).toMatchObject({
        lost_writes: 0,
        diverged_paths: 0,
        two_leaders: false,
        leader_restarted_last: true,
        rolled_config: true,
        voting_members: ["zk-0", "zk-1", "zk-2"],
      });
      // The provider's output after each path: the voting members follow replicas.
      expect(p.paths.map((x) => x.voting.length)).toEqual([3, 5, 3, 1, 3, 5, 5, 3]);
      expect(p.restart_order).toHaveLength(5);
      // Every server added went through the provider's exec (two per scale-up path).
      expect(p.add_lines_rewritten).toBe(8);
      expect(p.acked_writes).toBeGreaterThan(200);
      // Folded into the top-level figures.
      expect(result.acked_writes).toBeGreaterThan(p.acked_writes);
      // The same check fails the old procedure: two leaders or lost/diverged writes.
      // (replayed up to 3 times until one run shows it: its damage depends on election timing).
      expect(result.old_procedure.runs_failing_the_check).toBeGreaterThan(0);
    },
  );
});
