/**
 * Scheduling: pod anti-affinity and topology spread constraints, both over the component's own
 * pods (they select the set's selector labels).
 */
import { isInt } from "../checks";
import type { Problems } from "../errors";
import type { Affinity, TopologySpreadConstraint } from "./k8s-types";

export type Topology = "hostname" | "zone";
export const TOPOLOGY_KEYS: Record<Topology, string> = {
  hostname: "kubernetes.io/hostname",
  zone: "topology.kubernetes.io/zone",
};

/** Pod anti-affinity against the component's own pods. */
export interface AntiAffinityArgs {
  /** `required` refuses to co-locate two pods; `preferred` only tries not to. */
  type: "preferred" | "required";
  /** Spread across nodes (`hostname`) or zones (`zone`). */
  topology: Topology;
  /** Weight of a preferred rule, 1-100. @default 100 */
  weight?: number | undefined;
}

/** A topology spread constraint over the component's own pods. */
export interface TopologySpreadArgs {
  topology: Topology;
  /** @default 1 */
  maxSkew?: number | undefined;
  /** @default "ScheduleAnyway" */
  whenUnsatisfiable?: "DoNotSchedule" | "ScheduleAnyway" | undefined;
}

export interface AppSchedulingArgs {
  /** @default { type: "preferred", topology: "hostname" } */
  antiAffinity?: false | AntiAffinityArgs | undefined;
  /** @default [] */
  topologySpread?: TopologySpreadArgs[] | undefined;
}

export interface AppSchedulingSpec {
  readonly antiAffinity?:
    | {
        type: "preferred" | "required";
        topology: Topology;
        weight: number;
      }
    | undefined;
  readonly topologySpread: {
    topology: Topology;
    maxSkew: number;
    whenUnsatisfiable: "DoNotSchedule" | "ScheduleAnyway";
  }[];
}

export function resolveScheduling(p: Problems, args: AppSchedulingArgs): AppSchedulingSpec {
  let antiAffinity: AppSchedulingSpec["antiAffinity"];
  if (args.antiAffinity !== false) {
    const a = args.antiAffinity ?? { type: "preferred", topology: "hostname" };
    if (!["preferred", "required"].includes(a.type))
      p.add("antiAffinity.type", a.type, 'must be "preferred" or "required"');
    if (!(a.topology in TOPOLOGY_KEYS))
      p.add("antiAffinity.topology", a.topology, 'must be "hostname" or "zone"');
    const weight = a.weight ?? 100;
    if (!isInt(weight, 1, 100)) p.add("antiAffinity.weight", weight, "must be an integer from 1 to 100");
    if (a.type === "required" && a.weight !== undefined)
      p.add("antiAffinity.weight", a.weight, 'only applies to type "preferred"; remove it');
    antiAffinity = { type: a.type, topology: a.topology, weight };
  }
  const topologySpread = (args.topologySpread ?? []).map((t, i) => {
    if (!(t.topology in TOPOLOGY_KEYS))
      p.add(`topologySpread[${i}].topology`, t.topology, 'must be "hostname" or "zone"');
    const maxSkew = t.maxSkew ?? 1;
    if (!isInt(maxSkew, 1)) p.add(`topologySpread[${i}].maxSkew`, maxSkew, "must be an integer >= 1");
    const whenUnsatisfiable = t.whenUnsatisfiable ?? "ScheduleAnyway";
    if (!["DoNotSchedule", "ScheduleAnyway"].includes(whenUnsatisfiable))
      p.add(
        `topologySpread[${i}].whenUnsatisfiable`,
        whenUnsatisfiable,
        'must be "DoNotSchedule" or "ScheduleAnyway"',
      );
    return { topology: t.topology, maxSkew, whenUnsatisfiable };
  });
  return { antiAffinity, topologySpread };
}

export function podAntiAffinity(
  a: AppSchedulingSpec["antiAffinity"],
  selectorLabels: Record<string, string>,
): Affinity | undefined {
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
  spread: AppSchedulingSpec["topologySpread"],
  selectorLabels: Record<string, string>,
): TopologySpreadConstraint[] | undefined {
  if (spread.length === 0) return undefined;
  return spread.map((t) => ({
    maxSkew: t.maxSkew,
    topologyKey: TOPOLOGY_KEYS[t.topology],
    whenUnsatisfiable: t.whenUnsatisfiable,
    labelSelector: { matchLabels: { ...selectorLabels } },
  }));
}
