/**
 * The kubernetes-models contender of the render benchmark: the same plain objects (this library's
 * builders) passed through kubernetes-models' classes, then written with the \`yaml\` package.
 */
import { stringify } from "yaml";
import { statefulAppManifests } from "../sdk/manifests";
import { OFFLINE_SUPER_DIGEST, superUserSecretManifest } from "../sdk/zookeeper/credentials";
import { resolveZooKeeper } from "../sdk/zookeeper/ensemble";
import { names } from "./render-contenders";

/** kubernetes-models is ESM-only (no `require` condition): loaded once with `import()`. */
type Model = new (data: never) => { toJSON(): unknown };
let models:
  | Record<"Secret" | "ConfigMap" | "Service" | "StatefulSet" | "PodDisruptionBudget", Model>
  | undefined;

export async function loadModels(): Promise<void> {
  const [secret, cm, svc, sts, pdb] = await Promise.all([
    import("kubernetes-models/v1/Secret"),
    import("kubernetes-models/v1/ConfigMap"),
    import("kubernetes-models/v1/Service"),
    import("kubernetes-models/apps/v1/StatefulSet"),
    import("kubernetes-models/policy/v1/PodDisruptionBudget"),
  ]);
  models = {
    Secret: secret.Secret as never,
    ConfigMap: cm.ConfigMap as never,
    Service: svc.Service as never,
    StatefulSet: sts.StatefulSet as never,
    PodDisruptionBudget: pdb.PodDisruptionBudget as never,
  };
}

/** N ensembles as one YAML stream; `loadModels()` first. */
export function modelsYaml(n: number): string {
  if (!models) throw new Error("loadModels() first");
  const { Secret, ConfigMap, Service, StatefulSet, PodDisruptionBudget } = models;
  let out = "";
  for (const name of names(n)) {
    const z = resolveZooKeeper(name);
    const m = statefulAppManifests(z.app);
    const models = [
      new Secret(superUserSecretManifest(z, OFFLINE_SUPER_DIGEST) as never),
      new ConfigMap(m.configMap as never),
      new Service(m.headlessService as never),
      new Service(m.clientService as never),
      new StatefulSet(m.statefulSet as never),
      new PodDisruptionBudget(m.podDisruptionBudget as never),
    ];
    for (const model of models) out += `---\n${stringify(model.toJSON(), { lineWidth: 0 })}`;
  }
  return out;
}
