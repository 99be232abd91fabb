/**
 * Disruption budget: the policy/v1 PodDisruptionBudget `<name>-pdb` over a set's pods, checked
 * against the replica count so that it allows a drain and keeps some pods.
 */
import { isInt } from "../checks";
import type { Problems } from "../errors";
import { dns1123SubdomainError } from "../naming";
import type { PodDisruptionBudget } from "./k8s-types";

/** A PodDisruptionBudget; set exactly one of the two fields. */
export interface DisruptionBudgetArgs {
  /** Kubernetes name. @default "<name>-pdb" */
  name?: string | undefined;
  /** Pods that must stay available during a voluntary disruption: a count or a percentage. */
  minAvailable?: number | string | undefined;
  /** Pods that may be down during a voluntary disruption: a count or a percentage. */
  maxUnavailable?: number | string | undefined;
}

export interface AppBudgetArgs {
  /** @default false - no PodDisruptionBudget */
  podDisruptionBudget?: false | DisruptionBudgetArgs | undefined;
}

export interface AppBudgetSpec {
  readonly podDisruptionBudget?: ({ name: string } & DisruptionBudgetArgs) | undefined;
}

const PERCENT = /^(100|[1-9]?[0-9])%$/;

/** Number of pods a budget value stands for, given the replica count (percentages round up, as Kubernetes does for minAvailable). */
export function budgetCount(value: number | string, replicas: number, roundUp: boolean): number {
  if (typeof value === "number") return value;
  const pct = Number(value.slice(0, -1)) / 100;
  return roundUp ? Math.ceil(pct * replicas) : Math.floor(pct * replicas);
}

function checkBudgetValue(p: Problems, field: string, v: unknown): boolean {
  if (typeof v === "number")
    return p.check(isInt(v, 0), field, v, 'must be an integer >= 0 or a percentage like "50%"');
  if (typeof v === "string")
    return p.check(PERCENT.test(v), field, v, 'must be a percentage from "0%" to "100%" or an integer');
  p.add(field, v, 'must be an integer or a percentage like "50%"');
  return false;
}

/** Checks a disruption budget against the replica count: it must allow some drain and keep some pods. */
export function checkDisruptionBudget(
  p: Problems,
  field: string,
  pdb: DisruptionBudgetArgs,
  replicas: number,
): void {
  if (pdb === null || typeof pdb !== "object") {
    p.add(field, pdb, "must be false or an object with minAvailable or maxUnavailable");
    return;
  }
  const hasMin = pdb.minAvailable !== undefined;
  const hasMax = pdb.maxUnavailable !== undefined;
  if (hasMin === hasMax) {
    p.add(
      field,
      { minAvailable: pdb.minAvailable, maxUnavailable: pdb.maxUnavailable },
      "must set exactly one of minAvailable and maxUnavailable",
    );
    return;
  }
  if (hasMin) {
    if (!checkBudgetValue(p, `${field}.minAvailable`, pdb.minAvailable)) return;
    const min = budgetCount(pdb.minAvailable!, replicas, true);
    if (replicas > 0 && min >= replicas)
      p.add(
        `${field}.minAvailable`,
        pdb.minAvailable,
        `must be below replicas (${replicas}), or no node could ever be drained`,
      );
  } else {
    if (!checkBudgetValue(p, `${field}.maxUnavailable`, pdb.maxUnavailable)) return;
    const max = budgetCount(pdb.maxUnavailable!, replicas, false);
    if (replicas > 0 && max < 1)
      p.add(
        `${field}.maxUnavailable`,
        pdb.maxUnavailable,
        "must allow at least one pod, or no node could ever be drained",
      );
    else if (replicas > 0 && max >= replicas)
      p.add(
        `${field}.maxUnavailable`,
        pdb.maxUnavailable,
        `must be below replicas (${replicas}), or every pod may be evicted at once`,
      );
  }
}

/** `replicas` is 0 when the replica count is itself invalid (already reported). */
export function resolveBudget(
  p: Problems,
  args: AppBudgetArgs,
  set: { name: string; replicas: number; derivedFromBadName(v: string): boolean },
): AppBudgetSpec["podDisruptionBudget"] {
  if (!args.podDisruptionBudget) return undefined;
  checkDisruptionBudget(p, "podDisruptionBudget", args.podDisruptionBudget, set.replicas);
  const pdbName = args.podDisruptionBudget.name ?? `${set.name}-pdb`;
  const e = set.derivedFromBadName(pdbName) ? undefined : dns1123SubdomainError(pdbName);
  if (e) p.add("podDisruptionBudget.name", pdbName, e);
  return { ...args.podDisruptionBudget, name: pdbName };
}

export function podDisruptionBudgetManifest(
  name: string,
  namespace: string,
  labels: Record<string, string>,
  selector: Record<string, string>,
  budget: { minAvailable?: number | string | undefined; maxUnavailable?: number | string | undefined },
): PodDisruptionBudget {
  return {
    apiVersion: "policy/v1",
    kind: "PodDisruptionBudget",
    metadata: { name, namespace, labels: { ...labels } },
    spec: {
      selector: { matchLabels: { ...selector } },
      ...(budget.minAvailable !== undefined ? { minAvailable: budget.minAvailable } : {}),
      ...(budget.maxUnavailable !== undefined ? { maxUnavailable: budget.maxUnavailable } : {}),
    },
  };
}
