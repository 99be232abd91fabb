/**
 * Rollout options: how the ordered-rollout resources (docs/rollout.md) wait and judge, and the
 * marker they leave on the StatefulSet they manage. The resources themselves live in
 * components/rollout.ts and sdk/rollout/.
 */
import { isInt } from "../checks";
import type { Problems } from "../errors";
import { ROLLOUT_ANNOTATION } from "../rollout/protocol";
import { SKIP_AWAIT } from "./services";

/** The ordered-rollout resources (see docs/rollout.md). */
export interface RolloutArgs {
  /** How long `pulumi up` waits for pods, and `pulumi destroy` for the teardown. @default 600 */
  timeoutSeconds?: number | undefined;
  /** Kubeconfig context for the rollout's own API calls. @default - the kubeconfig's current context */
  context?: string | undefined;
  /**
   * Let a change of name, namespace, serviceName, podManagementPolicy, selectorLabels or volumes
   * through: the Kubernetes provider replaces the set. The rollout first removes the old pods in
   * order (N-1..0) and keeps their claims. @default false
   */
  allowReplacement?: boolean | undefined;
  /**
   * Let a scale-down remove pods that are themselves unhealthy, as long as every pod that stays is
   * healthy (the StatefulSet controller allows the same). @default false - every pod must be healthy
   */
  allowUnhealthyRemoval?: boolean | undefined;
  /**
   * On destroy, when the API server cannot be reached at all (refused, unresolvable), remove the
   * rollout from the stack without touching the cluster instead of failing. Also settable for one
   * run with the environment variable PULUMI_STATEFUL_DELETE_UNREACHABLE=true. @default false
   */
  deleteUnreachable?: boolean | undefined;
}

export interface AppRolloutArgs {
  /**
   * Ordered rollout: `pulumi up` waits for pods 0..N-1 to be Ready in order, refuses a scale-down
   * while a pod is unhealthy, and `pulumi destroy` tears down N-1..0 keeping claims. `false` leaves
   * readiness to the Kubernetes provider's own await. @default { timeoutSeconds: 600 }
   */
  rollout?: false | RolloutArgs | undefined;
}

export interface ResolvedRollout {
  timeoutSeconds: number;
  context?: string;
  allowReplacement: boolean;
  allowUnhealthyRemoval: boolean;
  deleteUnreachable: boolean;
  /** The value of the set's `stateful.pulumi.com/rollout` annotation: `<component>-rollout`. */
  owner: string;
}

export interface AppRolloutSpec {
  readonly rollout?: ResolvedRollout | undefined;
}

export function resolveRollout(
  p: Problems,
  args: AppRolloutArgs,
  componentName: string,
): ResolvedRollout | undefined {
  if (args.rollout === false) return undefined;
  const r = args.rollout ?? {};
  const timeoutSeconds = r.timeoutSeconds ?? 600;
  if (!isInt(timeoutSeconds, 1, 86_400))
    p.add("rollout.timeoutSeconds", timeoutSeconds, "must be an integer from 1 to 86400");
  if (r.context !== undefined && (typeof r.context !== "string" || r.context === ""))
    p.add("rollout.context", r.context, "must be a non-empty kubeconfig context name");
  for (const k of ["allowReplacement", "allowUnhealthyRemoval", "deleteUnreachable"] as const)
    if (r[k] !== undefined && typeof r[k] !== "boolean") p.add(`rollout.${k}`, r[k], "must be true or false");
  return {
    timeoutSeconds,
    ...(r.context !== undefined ? { context: r.context } : {}),
    allowReplacement: r.allowReplacement ?? false,
    allowUnhealthyRemoval: r.allowUnhealthyRemoval ?? false,
    deleteUnreachable: r.deleteUnreachable ?? false,
    owner: `${componentName}-rollout`,
  };
}

/**
 * The StatefulSet's own annotations: with the rollout resources, readiness is theirs to judge, not
 * the Kubernetes provider's await, and the marker says which rollout manages the set (its teardown
 * leaves a set without it alone). Undefined without a rollout.
 */
export function rolloutSetAnnotations(r: ResolvedRollout | undefined): Record<string, string> | undefined {
  return r ? { ...SKIP_AWAIT, [ROLLOUT_ANNOTATION]: r.owner } : undefined;
}
