/**
 * Lifecycle: how the set starts, updates and stops pods (pod management policy, update strategy,
 * partition, minReadySeconds, grace period) and what happens to their claims when the set is
 * deleted or scaled down.
 */
import { isInt } from "../checks";
import type { Problems } from "../errors";
import type { StatefulSetSpec } from "./k8s-types";

/** Claim retention when the set is deleted or scaled down. */
export interface RetentionArgs {
  /** @default "Retain" */
  whenDeleted?: "Retain" | "Delete" | undefined;
  /** @default "Retain" */
  whenScaled?: "Retain" | "Delete" | undefined;
}

export interface AppLifecycleArgs {
  /** @default "OrderedReady" */
  podManagementPolicy?: "OrderedReady" | "Parallel" | undefined;
  /** @default "RollingUpdate" */
  updateStrategy?: "RollingUpdate" | "OnDelete" | undefined;
  /** Ordinals below this keep the old revision during a rolling update. @default 0 */
  partition?: number | undefined;
  /** @default 0 */
  minReadySeconds?: number | undefined;
  /** @default { whenDeleted: "Retain", whenScaled: "Retain" } */
  retention?: RetentionArgs | undefined;
  /** @default - Kubernetes' default, 30 */
  terminationGracePeriodSeconds?: number | undefined;
}

export interface AppLifecycleSpec {
  readonly podManagementPolicy: "OrderedReady" | "Parallel";
  readonly updateStrategy: "RollingUpdate" | "OnDelete";
  readonly partition: number;
  readonly minReadySeconds: number;
  readonly retention: { whenDeleted: "Retain" | "Delete"; whenScaled: "Retain" | "Delete" };
  readonly terminationGracePeriodSeconds?: number | undefined;
}

/** `replicas` and `replicasOk`: the set's replica count and whether it is valid (a partition must not exceed it). */
export function resolveLifecycle(
  p: Problems,
  args: AppLifecycleArgs,
  set: { replicas: number; replicasOk: boolean },
): AppLifecycleSpec {
  const podManagementPolicy = args.podManagementPolicy ?? "OrderedReady";
  if (!["OrderedReady", "Parallel"].includes(podManagementPolicy))
    p.add("podManagementPolicy", podManagementPolicy, 'must be "OrderedReady" or "Parallel"');
  const updateStrategy = args.updateStrategy ?? "RollingUpdate";
  if (!["RollingUpdate", "OnDelete"].includes(updateStrategy))
    p.add("updateStrategy", updateStrategy, 'must be "RollingUpdate" or "OnDelete"');
  const partition = args.partition ?? 0;
  if (!isInt(partition, 0)) p.add("partition", partition, "must be an integer >= 0");
  else if (set.replicasOk && partition > set.replicas)
    p.add(
      "partition",
      partition,
      `must not exceed replicas (${set.replicas}); a partition above the last ordinal never updates any pod`,
    );
  if (args.partition !== undefined && updateStrategy === "OnDelete")
    p.add("partition", args.partition, 'only applies to updateStrategy "RollingUpdate"; remove it');
  const minReadySeconds = args.minReadySeconds ?? 0;
  if (!isInt(minReadySeconds, 0)) p.add("minReadySeconds", minReadySeconds, "must be an integer >= 0");
  const retention = {
    whenDeleted: args.retention?.whenDeleted ?? "Retain",
    whenScaled: args.retention?.whenScaled ?? "Retain",
  } as const;
  for (const k of ["whenDeleted", "whenScaled"] as const)
    if (!["Retain", "Delete"].includes(retention[k]))
      p.add(`retention.${k}`, retention[k], 'must be "Retain" or "Delete"');
  if (args.terminationGracePeriodSeconds !== undefined && !isInt(args.terminationGracePeriodSeconds, 0))
    p.add("terminationGracePeriodSeconds", args.terminationGracePeriodSeconds, "must be an integer >= 0");
  return {
    podManagementPolicy,
    updateStrategy,
    partition,
    minReadySeconds,
    retention,
    terminationGracePeriodSeconds: args.terminationGracePeriodSeconds,
  };
}

/** The set's update strategy: OnDelete, or RollingUpdate with the partition. */
export function updateStrategySpec(s: AppLifecycleSpec): NonNullable<StatefulSetSpec["updateStrategy"]> {
  return s.updateStrategy === "OnDelete"
    ? { type: "OnDelete" }
    : { type: "RollingUpdate", rollingUpdate: { partition: s.partition } };
}
