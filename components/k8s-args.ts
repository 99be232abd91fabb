/**
 * The manifests are typed with the sdk's plain shapes (sdk/manifests/k8s-types.ts);
 * @pulumi/kubernetes wants its own Input types of the same shape. This is the one place the two meet.
 */

import type * as k8s from "@pulumi/kubernetes";
import type { ConfigMap, PodDisruptionBudget, Service, StatefulSet } from "../sdk/manifests/k8s-types";

export const serviceArgs = (m: Service): k8s.core.v1.ServiceArgs => ({ metadata: m.metadata, spec: m.spec });
export const configMapArgs = (m: ConfigMap): k8s.core.v1.ConfigMapArgs => ({
  metadata: m.metadata,
  data: m.data,
});
export const statefulSetArgs = (m: StatefulSet): k8s.apps.v1.StatefulSetArgs => ({
  metadata: m.metadata,
  spec: m.spec,
});
export const podDisruptionBudgetArgs = (m: PodDisruptionBudget): k8s.policy.v1.PodDisruptionBudgetArgs => ({
  metadata: m.metadata,
  spec: m.spec,
});
