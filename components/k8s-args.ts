/**
 * The manifests are typed with @kubernetes/client-node's models; @pulumi/kubernetes wants its own
 * Input types of the same shape. This is the one place the two meet.
 */

import type { V1ConfigMap, V1PodDisruptionBudget, V1Service, V1StatefulSet } from "@kubernetes/client-node";
import type * as k8s from "@pulumi/kubernetes";

export const serviceArgs = (m: V1Service) =>
  ({ metadata: m.metadata, spec: m.spec }) as k8s.core.v1.ServiceArgs;
export const configMapArgs = (m: V1ConfigMap) =>
  ({ metadata: m.metadata, data: m.data }) as k8s.core.v1.ConfigMapArgs;
export const statefulSetArgs = (m: V1StatefulSet) =>
  ({ metadata: m.metadata, spec: m.spec }) as k8s.apps.v1.StatefulSetArgs;
export const podDisruptionBudgetArgs = (m: V1PodDisruptionBudget) =>
  ({ metadata: m.metadata, spec: m.spec }) as k8s.policy.v1.PodDisruptionBudgetArgs;
