/** Anti-affinity and topology spread presets; both always select the component's own pods. */
import type { V1Affinity, V1TopologySpreadConstraint } from "@kubernetes/client-node";
import { type StatefulAppSpec, TOPOLOGY_KEYS } from "../stateful-app";

export function podAntiAffinity(
  a: StatefulAppSpec["antiAffinity"],
  selectorLabels: Record<string, string>,
): V1Affinity | undefined {
  if (!a) return undefined;
  const term = {
    labelSelector: { matchLabels: { ...selectorLabels } },
    topologyKey: TOPOLOGY_KEYS[a.topology],
  };
  return {
    podAntiAffinity:
      a.type === "required"
        ? { requiredDuringSchedulingIgnoredDuringExecution: [term] }
        : { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: a.weight, podAffinityTerm: term }] },
  };
}

export function topologySpreadConstraints(
  spread: StatefulAppSpec["topologySpread"],
  selectorLabels: Record<string, string>,
): V1TopologySpreadConstraint[] | undefined {
  if (spread.length === 0) return undefined;
  return spread.map((t) => ({
    maxSkew: t.maxSkew,
    topologyKey: TOPOLOGY_KEYS[t.topology],
    whenUnsatisfiable: t.whenUnsatisfiable,
    labelSelector: { matchLabels: { ...selectorLabels } },
  }));
}
