/** The apps/v1 StatefulSet: pod template, claim templates, update strategy and claim retention. */
import type { V1Container, V1EnvVar, V1StatefulSet, V1Volume, V1VolumeMount } from "@kubernetes/client-node";
import { ROLLOUT_ANNOTATION } from "../rollout/protocol";
import type { StatefulAppSpec } from "../stateful-app";
import { podAntiAffinity, topologySpreadConstraints } from "./affinity";
import { CONFIG_HASH_ANNOTATION, configHash } from "./config-map";
import { containerSecurityContext, podSecurityContext } from "./security";
import { SKIP_AWAIT } from "./services";

/** Name of the pod volume that mounts the config ConfigMap. */
export const CONFIG_VOLUME = "config";

function container(s: StatefulAppSpec): V1Container {
  const env: V1EnvVar[] = [...Object.entries(s.env).map(([name, value]) => ({ name, value })), ...s.extraEnv];
  const mounts: V1VolumeMount[] = s.volumes.map((v) => ({ name: v.name, mountPath: v.mountPath }));
  if (s.config) mounts.push({ name: CONFIG_VOLUME, mountPath: s.config.mountPath, readOnly: true });
  return {
    name: s.containerName,
    image: s.image,
    ...(s.imagePullPolicy ? { imagePullPolicy: s.imagePullPolicy } : {}),
    ...(s.command ? { command: [...s.command] } : {}),
    ...(s.args ? { args: [...s.args] } : {}),
    ...(env.length > 0 ? { env } : {}),
    ...(s.ports.length > 0
      ? {
          ports: s.ports.map((p) => ({ name: p.name, containerPort: p.containerPort, protocol: p.protocol })),
        }
      : {}),
    ...(s.resources ? { resources: structuredClone(s.resources) as never } : {}),
    ...(s.readinessProbe ? { readinessProbe: structuredClone(s.readinessProbe) } : {}),
    ...(s.livenessProbe ? { livenessProbe: structuredClone(s.livenessProbe) } : {}),
    ...(s.startupProbe ? { startupProbe: structuredClone(s.startupProbe) } : {}),
    ...(mounts.length > 0 ? { volumeMounts: mounts } : {}),
    securityContext: containerSecurityContext(s.security),
  };
}

export function statefulSetManifest(s: StatefulAppSpec): V1StatefulSet {
  const annotations = { ...s.podAnnotations };
  if (s.config) annotations[CONFIG_HASH_ANNOTATION] = configHash(s.config.files);
  const volumes: V1Volume[] = s.config
    ? [{ name: CONFIG_VOLUME, configMap: { name: s.config.configMapName } }]
    : [];
  const affinity = podAntiAffinity(s.antiAffinity, s.selectorLabels);
  const spread = topologySpreadConstraints(s.topologySpread, s.selectorLabels);
  return {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: {
      name: s.name,
      namespace: s.namespace,
      labels: { ...s.labels },
      // With the rollout resources, readiness is theirs to judge, not the Kubernetes provider's await.
      // The marker says which rollout manages the set: its teardown leaves a set without it alone.
      ...(s.rollout ? { annotations: { ...SKIP_AWAIT, [ROLLOUT_ANNOTATION]: s.rollout.owner } } : {}),
    },
    spec: {
      serviceName: s.serviceName,
      replicas: s.replicas,
      selector: { matchLabels: { ...s.selectorLabels } },
      podManagementPolicy: s.podManagementPolicy,
      updateStrategy:
        s.updateStrategy === "OnDelete"
          ? { type: "OnDelete" }
          : { type: "RollingUpdate", rollingUpdate: { partition: s.partition } },
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
          containers: [container(s)],
          ...(volumes.length > 0 ? { volumes } : {}),
        },
      },
      ...(s.volumes.length > 0
        ? {
            volumeClaimTemplates: s.volumes.map((v) => ({
              metadata: { name: v.name },
              spec: {
                accessModes: [...v.accessModes],
                ...(v.storageClass !== undefined ? { storageClassName: v.storageClass } : {}),
                resources: { requests: { storage: v.size } },
              },
            })),
          }
        : {}),
    },
  };
}
