/** Every object a StatefulApp needs, built from its resolved spec. */
import type { StatefulAppSpec } from "../stateful-app";
import { configMapManifest } from "./config-map";
import type { ConfigMap, PodDisruptionBudget, Service, StatefulSet } from "./k8s-types";
import { podDisruptionBudgetManifest } from "./pod-disruption-budget";
import { appServicePorts } from "./ports";
import { clientServiceManifest, headlessServiceManifest } from "./services";
import { statefulSetManifest } from "./statefulset";

export { appServicePorts };

export interface StatefulAppManifests {
  /** Absent when the set adopts an existing governing Service. */
  headlessService?: Service;
  configMap?: ConfigMap;
  statefulSet: StatefulSet;
  clientService?: Service;
  podDisruptionBudget?: PodDisruptionBudget;
}

export function statefulAppManifests(s: StatefulAppSpec): StatefulAppManifests {
  const ports = appServicePorts(s);
  return {
    ...(s.serviceAdopted
      ? {}
      : {
          headlessService: headlessServiceManifest({
            name: s.serviceName,
            namespace: s.namespace,
            labels: s.labels,
            selector: s.selectorLabels,
            ports,
            publishNotReadyAddresses: s.publishNotReadyAddresses,
          }),
        }),
    ...(s.config
      ? { configMap: configMapManifest(s.config.configMapName, s.namespace, s.labels, s.config.files) }
      : {}),
    statefulSet: statefulSetManifest(s),
    ...(s.clientService
      ? {
          clientService: clientServiceManifest({
            name: s.clientService.name,
            namespace: s.namespace,
            labels: s.labels,
            selector: s.selectorLabels,
            ports: ports.filter((_, i) => s.ports[i]!.clientService),
            type: s.clientService.type,
          }),
        }
      : {}),
    ...(s.podDisruptionBudget
      ? {
          podDisruptionBudget: podDisruptionBudgetManifest(
            s.podDisruptionBudget.name,
            s.namespace,
            s.labels,
            s.selectorLabels,
            s.podDisruptionBudget,
          ),
        }
      : {}),
  };
}
