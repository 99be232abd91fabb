/** The rollout resources' inputs, derived from a resolved StatefulApp spec (pure). */
import { configHash } from "../manifests/config-map";
import type { StatefulAppSpec } from "../stateful-app";
import type { RolloutInputs } from "./provider";

/** The fields of a StatefulSet Kubernetes forbids changing: a change makes the provider replace the set. */
export function immutableFingerprint(s: StatefulAppSpec): string {
  return [
    `serviceName=${s.serviceName}`,
    `podManagementPolicy=${s.podManagementPolicy}`,
    `selector=${JSON.stringify(s.selectorLabels)}`,
    ...s.volumes.map(
      (v) =>
        `volumeClaimTemplates[${v.name}]=${v.size} ${v.storageClass ?? "(default class)"} ${v.accessModes.join(",")}`,
    ),
  ].join("\n");
}

/** `podTemplate` is the StatefulSet's `spec.template` as built: its hash marks a rolling update to wait for. */
export function rolloutInputs(s: StatefulAppSpec, podTemplate: unknown): Omit<RolloutInputs, "kubeconfig"> {
  const r = s.rollout!;
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
    selector: { ...s.selectorLabels },
    timeoutSeconds: r.timeoutSeconds,
    templateHash: configHash({ template: JSON.stringify(podTemplate) }),
    immutable: immutableFingerprint(s),
    allowReplacement: r.allowReplacement,
    ...(r.context !== undefined ? { context: r.context } : {}),
  };
}
