/**
 * `bench -- sdk` compares the components with a hand-written program. Its ratios mean "what the
 * component costs over writing the same objects by hand" only while the reference registers the
 * same Kubernetes objects as a `ZooKeeperEnsemble` with `rollout: false`; this checks it, so a
 * change to what the component registers shows here and not as a silently unfair benchmark.
 */
import { describe, expect, it } from "vitest";
import { installMocks, registered, reveal, settled } from "./support/mocks";

/** The Kubernetes objects registered for `name`, with the name, the config hash and the digest made comparable. */
function objectsOf(name: string) {
  return registered
    .filter((r) => r.type.startsWith("kubernetes:") && (r.name === name || r.name.startsWith(`${name}-`)))
    .map((r) => {
      const text = JSON.stringify(reveal(r.inputs))
        .replaceAll(name, "<name>")
        .replace(/("stateful\.pulumi\.com\/config-hash":)"[0-9a-f]+"/g, '$1"<hash>"')
        .replace(/("superDigest":)"super:[^"]+"/g, '$1"<digest>"');
      return { type: r.type, name: r.name.replaceAll(name, "<name>"), inputs: JSON.parse(text) };
    })
    .sort((a, b) => `${a.type} ${a.name}`.localeCompare(`${b.type} ${b.name}`));
}

describe("bench -- sdk reference", () => {
  it("the hand-written reference registers the objects a ZooKeeperEnsemble with rollout: false does", async () => {
    await installMocks();
    const { rawZooKeeper } = await import("../bench/raw-zookeeper");
    const { ZooKeeperEnsemble } = await import("../components");
    rawZooKeeper("benchref");
    new ZooKeeperEnsemble("benchcomp", { rollout: false });
    await settled();
    const reference = objectsOf("benchref");
    expect(reference.map((o) => `${o.type} ${o.name}`)).toEqual([
      "kubernetes:apps/v1:StatefulSet <name>",
      "kubernetes:core/v1:ConfigMap <name>-config",
      "kubernetes:core/v1:Secret <name>-super",
      "kubernetes:core/v1:Service <name>-client",
      "kubernetes:core/v1:Service <name>-headless",
      "kubernetes:policy/v1:PodDisruptionBudget <name>-pdb",
    ]);
    expect(reference).toEqual(objectsOf("benchcomp"));
    // The start script for dynamic membership is in both: the reference is not the seed's small set.
    const set = reference.find((o) => o.type === "kubernetes:apps/v1:StatefulSet")!;
    expect(JSON.stringify(set.inputs).length).toBeGreaterThan(6000);
  });
});
