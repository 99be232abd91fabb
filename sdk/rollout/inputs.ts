/** The rollout resources' inputs, derived from a resolved StatefulApp spec (pure). */
import { configHash } from "../manifests/config-map";
import type { StatefulAppSpec } from "../stateful-app";
import type { ZooKeeperSpec } from "../zookeeper/ensemble";
import type { RolloutInputs, ZooKeeperRollout } from "./protocol";

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

/** The rollout's `zookeeper` input for a resolved ensemble (pure); the password is the super user's. */
export function zooKeeperRollout(servers: ZooKeeperSpec["servers"], superPassword: string): ZooKeeperRollout {
  return {
    container: servers.container,
    clientPort: servers.clientPort,
    serverPort: servers.serverPort,
    electionPort: servers.electionPort,
    serviceDomain: servers.serviceDomain,
    superPassword,
  };
}
