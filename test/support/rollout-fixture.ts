/** A StatefulSet from the real builders, applied to the simulator the way the Kubernetes provider would. */
import { statefulAppManifests } from "../../sdk/manifests";
import { rolloutInputs } from "../../sdk/rollout/inputs";
import type { RolloutInputs } from "../../sdk/rollout/provider";
import { resolveStatefulApp, type StatefulAppArgs } from "../../sdk/stateful-app";
import type { Sim } from "../sim";

export function appSpec(name: string, args: Partial<StatefulAppArgs> = {}) {
  return resolveStatefulApp(name, {
    image: "registry.example/app:1",
    ports: [{ name: "web", containerPort: 8080 }],
    volumes: [{ name: "data", size: "1Gi", mountPath: "/data" }],
    rollout: { timeoutSeconds: 10 },
    ...args,
  });
}

/** Creates or updates the set (and its Service) in the simulator. */
export function deploy(sim: Sim, name: string, args: Partial<StatefulAppArgs> = {}) {
  const m = statefulAppManifests(appSpec(name, args));
  if (m.headlessService) sim.apply("services", "default", m.headlessService);
  return sim.apply("statefulsets", "default", m.statefulSet);
}

/** The rollout inputs the component would register for these arguments, pointed at `sim`. */
export function inputsFor(
  sim: { kubeconfig(): string },
  name: string,
  args: Partial<StatefulAppArgs> = {},
  extra: Partial<RolloutInputs> = {},
): RolloutInputs {
  const spec = appSpec(name, args);
  const template = statefulAppManifests(spec).statefulSet.spec!.template;
  return { ...rolloutInputs(spec, template), kubeconfig: sim.kubeconfig(), ...extra };
}
