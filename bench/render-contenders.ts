/**
 * The three ways the render benchmark makes N ZooKeeper ensembles' manifests as one YAML stream,
 * each from the same resolved spec (`resolveZooKeeper`: the zoo.cfg text, scripts and names are
 * computed the same way; building the objects and writing YAML is what differs):
 * - `pure`: this library, `renderZooKeeperEnsemble` + `toYaml`;
 * - `cdk8s`: cdk8s-plus constructs in one Chart, `app.synthYaml()` (bench/render-cdk8s.ts);
 * - `models`: kubernetes-models classes constructed from the same plain objects, then the `yaml`
 *   package (bench/render-models.ts).
 * Each contender's module is loaded on demand, so a child process measuring one loads only it.
 */
import { deepStrictEqual } from "node:assert";
import { parseAllDocuments } from "yaml";
import { dependencyOrder, type KubeObject, renderZooKeeperEnsemble, toYaml } from "../sdk/render";

export type Contender = "pure" | "cdk8s" | "models";
export const CONTENDERS: Contender[] = ["pure", "cdk8s", "models"];

export const names = (n: number) => Array.from({ length: n }, (_, i) => `zk${i}`);

export function pureYaml(n: number): string {
  let out = "";
  for (const name of names(n)) out += toYaml(renderZooKeeperEnsemble(name));
  return out;
}

/** The contender's `n -> YAML` function, its module loaded. */
export async function loadContender(c: Contender): Promise<(n: number) => string> {
  if (c === "pure") return pureYaml;
  if (c === "cdk8s") return (await import("./render-cdk8s")).cdk8sYaml;
  const models = await import("./render-models");
  await models.loadModels();
  return models.modelsYaml;
}

function parse(text: string): KubeObject[] {
  return dependencyOrder(parseAllDocuments(text).map((d) => d.toJS() as KubeObject));
}

/**
 * Throws unless the three contenders' YAML for `n` ensembles parses to the same objects, once
 * cdk8s-plus's own additions are taken out; returns those additions, to print.
 */
export async function checkEquivalence(n: number): Promise<string[]> {
  const { CDK8S_ADDITIONS, normaliseCdk8s } = await import("./render-cdk8s");
  const ours = parse(pureYaml(n));
  const cdk8s = parse((await loadContender("cdk8s"))(n)).map(normaliseCdk8s);
  const models = parse((await loadContender("models"))(n));
  deepStrictEqual(dependencyOrder(cdk8s as KubeObject[]), ours, "cdk8s-plus objects differ from ours");
  deepStrictEqual(models, ours, "kubernetes-models objects differ from ours");
  return CDK8S_ADDITIONS;
}
