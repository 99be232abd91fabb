/** The apps/v1 StatefulSet: pod template, claim templates, update strategy and claim retention. */
import type { StatefulAppSpec } from "../stateful-app";
import { CONFIG_HASH_ANNOTATION, configHash, configVolume } from "./config-map";
import { containerManifest } from "./container";
import type { StatefulSet, Volume } from "./k8s-types";
import { updateStrategySpec } from "./lifecycle";
import { rolloutSetAnnotations } from "./rollout-options";
import { podAntiAffinity, topologySpreadConstraints } from "./scheduling";
import { podSecurityContext } from "./security";
import { claimTemplates } from "./volumes";

export { CONFIG_VOLUME } from "./config-map";

export function statefulSetManifest(s: StatefulAppSpec): StatefulSet {
  const annotations = { ...s.podAnnotations };
  if (s.config) annotations[CONFIG_HASH_ANNOTATION] = configHash(s.config.files);
  const volumes: Volume[] = s.config ? [configVolume(s.config)] : [];
  const affinity = podAntiAffinity(s.antiAffinity, s.selectorLabels);
  const spread = topologySpreadConstraints(s.topologySpread, s.selectorLabels);
  const setAnnotations = rolloutSetAnnotations(s.rollout);
  const templates = claimTemplates(s.volumes);
  return {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: {
      name: s.name,
      namespace: s.namespace,
      labels: { ...s.labels },
      ...(setAnnotations ? { annotations: setAnnotations } : {}),
    },
    spec: {
      serviceName: s.serviceName,
      replicas: s.replicas,
      selector: { matchLabels: { ...s.selectorLabels } },
      podManagementPolicy: s.podManagementPolicy,
      updateStrategy: updateStrategySpec(s),
      ...(s.minReadySeconds > 0 ? { minReadySeconds: s.minReadySeconds } : {}),
      ...(s.ordinalsStart > 0 ? { ordinals: { start: s.ordinalsStart } } : {}),
      persistentVolumeClaimRetentionPolicy: { ...s.retention },
      template: {
        metadata: {
          labels: { ...s.labels },
          ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
        },
        spec: {
          ...(s.serviceAccountName ? { serviceAccountName: s.serviceAccountName } : {}),
          ...(s.terminationGracePeriodSeconds !== undefined
            ? { terminationGracePeriodSeconds: s.terminationGracePeriodSeconds }
            : {}),
          securityContext: podSecurityContext(s.security),
          ...(affinity ? { affinity } : {}),
          ...(spread ? { topologySpreadConstraints: spread } : {}),
          containers: [containerManifest(s)],
          ...(volumes.length > 0 ? { volumes } : {}),
        },
      },
      ...(templates ? { volumeClaimTemplates: templates } : {}),
    },
  };
}
