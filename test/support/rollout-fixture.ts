/** A StatefulSet from the real builders, applied to the simulator the way the Kubernetes provider would. */
import { statefulAppManifests } from "../../sdk/manifests";
import { configHash } from "../../sdk/manifests/config-map";
import type { RolloutInputs } from "../../sdk/rollout/provider";
import { resolveStatefulApp, type StatefulAppArgs } from "../../sdk/stateful-app";
import type { Sim } from "../sim";

export function appSpec(name: string, args: Partial<StatefulAppArgs> = {}) {
  return resolveStatefulApp(name, {
    image: "registry.example/app:1",
    ports: [{ name: "web", containerPort: 8080 }],
    volumes: [{ name: "data", size: "1Gi", mountPath: "/data" }],
    ...args,
  });
}

/** Creates or updates the set (and its Service) in the simulator. */
export function deploy(sim: Sim, name: string, args: Partial<StatefulAppArgs> = {}) {
  const m = statefulAppManifests(appSpec(name, args));
  if (m.headlessService) sim.apply("services", "default", m.headlessService);
  return sim.apply("statefulsets", "default", m.statefulSet);
}

export function inputsFor(
  sim: { kubeconfig(): string },
  name: string,
  args: Partial<StatefulAppArgs> = {},
  extra: Partial<RolloutInputs> = {},
): RolloutInputs {
  const s = appSpec(name, args);
  const m = statefulAppManifests(s);
  return {
    namespace: s.namespace,
    name: s.name,
    replicas: s.replicas,
    ordinalsStart: s.ordinalsStart,
    podManagementPolicy: s.podManagementPolicy,
    updateStrategy: s.updateStrategy,
    partition: s.partition,
    whenDeleted: s.retention.whenDeleted,
    claimTemplates: s.volumes.map((v) => v.name),
    selector: s.selectorLabels,
    timeoutSeconds: 10,
    templateHash: configHash({ t: JSON.stringify(m.statefulSet.spec!.template) }),
    immutable: `serviceName=${s.serviceName}`,
    allowReplacement: false,
    kubeconfig: sim.kubeconfig(),
    ...extra,
  };
}
