/**
 * ZooKeeperEnsemble on real ZooKeeper (Debian's package, installed by .ci/run): the rendered
 * configuration and commands boot 3- and 5-server ensembles that elect a leader, replicate, survive
 * the loss the PodDisruptionBudget allows, and take a restarted server back.
 */
import { describe, expect, it } from "vitest";
import { overlayZooCfg, renderEnsemble } from "./zookeeper/harness";
import { verifyZooKeeper, zookeeperInstalled } from "./zookeeper/verify";

describe("ZooKeeper on real servers", () => {
  it("changes only the listed lines of the rendered zoo.cfg", async () => {
    const { runExample } = await import("../examples/catalog");
    const rendered = await renderEnsemble(() => runExample("zookeeper"));
    const before = rendered.zooCfg.split("\n");
    const after = overlayZooCfg(rendered.zooCfg, "/tmp/x/data", "127.1.2.3").split("\n");
    expect(after.filter((l) => !before.includes(l))).toEqual([
      "dataDir=/tmp/x/data",
      "clientPortAddress=127.1.2.3",
    ]);
    expect(before.filter((l) => !after.includes(l))).toEqual(["dataDir=/var/lib/zookeeper/data"]);
  });

  it("has the zookeeper package installed (.ci/run installs it)", () => {
    expect(zookeeperInstalled()).toBeUndefined();
  });

  it("boots, replicates, survives the allowed loss and rejoins", { timeout: 300_000 }, async () => {
    const lines: string[] = [];
    const result = await verifyZooKeeper((l) => lines.push(l));
    console.log(`${lines.join("\n")}\n${JSON.stringify(result)}`);
    expect(result).toMatchObject({
      servers: 3,
      write_read: true,
      survives_one_down: true,
      rejoined: true,
      probes: true,
      five_survives_two_down: true,
    });
    expect(result.leader).toMatch(/^zk-[0-2]$/);
  });
});
