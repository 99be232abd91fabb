/** The rollout resources' inputs, derived from a resolved StatefulApp spec (pure). */
import { configHash } from "../manifests/config-map";
import type { StatefulAppSpec } from "../stateful-app";
import type { RolloutInputs } from "./protocol";

/** `podTemplate` is the StatefulSet's `spec.template` as built: its hash marks a rolling update to wait for. */
export function rolloutInputs(s: StatefulAppSpec, podTemplate: unknown): Omit<RolloutInputs, "kubeconfig"> {
  const r = s.rollout!;
  return {
    namespace: s.namespace,
    name: s.name,
    replicas: s.replicas,
    ordinalsStart: s.ordinalsStart,
    serviceName: s.serviceName,
    podManagementPolicy: s.podManagementPolicy,
    updateStrategy: s.updateStrategy,
    partition: s.partition,
    minReadySeconds: s.minReadySeconds,
    whenDeleted: s.retention.whenDeleted,
    whenScaled: s.retention.whenScaled,
    claimTemplates: s.volumes.map((v) => ({
      name: v.name,
      storage: v.size,
      ...(v.storageClass !== undefined ? { storageClass: v.storageClass } : {}),
      accessModes: [...v.accessModes],
    })),
    selector: { ...s.selectorLabels },
    timeoutSeconds: r.timeoutSeconds,
    templateHash: configHash({ template: JSON.stringify(podTemplate) }),
    allowReplacement: r.allowReplacement,
    allowUnhealthyRemoval: r.allowUnhealthyRemoval,
    deleteUnreachable: r.deleteUnreachable,
    owner: r.owner,
    ...(r.context !== undefined ? { context: r.context } : {}),
  };
}
