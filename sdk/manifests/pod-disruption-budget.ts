/** The policy/v1 PodDisruptionBudget over a set's pods. */
import type { V1PodDisruptionBudget } from "@kubernetes/client-node";

export function podDisruptionBudgetManifest(
  name: string,
  namespace: string,
  labels: Record<string, string>,
  selector: Record<string, string>,
  budget: { minAvailable?: number | string; maxUnavailable?: number | string },
): V1PodDisruptionBudget {
  return {
    apiVersion: "policy/v1",
    kind: "PodDisruptionBudget",
    metadata: { name, namespace, labels: { ...labels } },
    spec: {
      selector: { matchLabels: { ...selector } },
      ...(budget.minAvailable !== undefined ? { minAvailable: budget.minAvailable as never } : {}),
      ...(budget.maxUnavailable !== undefined ? { maxUnavailable: budget.maxUnavailable as never } : {}),
    },
  };
}
