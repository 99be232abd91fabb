/** Every object a StatefulApp needs, built from its resolved spec. */
import type { V1ConfigMap, V1PodDisruptionBudget, V1Service, V1StatefulSet } from "@kubernetes/client-node";
import type { StatefulAppSpec } from "../stateful-app";
import { configMapManifest } from "./config-map";
import { podDisruptionBudgetManifest } from "./pod-disruption-budget";
import { clientServiceManifest, headlessServiceManifest, type ServicePortSpec } from "./services";
import { statefulSetManifest } from "./statefulset";

export interface StatefulAppManifests {
  /** Absent when the set adopts an existing governing Service. */
  headlessService?: V1Service;
  configMap?: V1ConfigMap;
  statefulSet: V1StatefulSet;
  clientService?: V1Service;
  podDisruptionBudget?: V1PodDisruptionBudget;
}

/** The Service ports of an app: each container port by name. */
export function appServicePorts(s: StatefulAppSpec): ServicePortSpec[] {
  return s.ports.map((p) => ({
    name: p.name,
    port: p.servicePort,
    targetPort: p.name,
    protocol: p.protocol,
  }));
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
