/**
 * Labels and annotations: the user's labels on every object, the selector labels that pick the
 * set's pods (immutable once the set exists), and the pods' own annotations.
 */
import { checkLabels } from "../checks";
import type { Problems } from "../errors";
import { labelKeyError, MANAGED_BY } from "../labels";

export interface AppMetadataArgs {
  /** Labels added to every object and pod. @default {} */
  labels?: Record<string, string> | undefined;
  /**
   * Labels that select the pods; immutable once the set exists.
   * @default { "app.kubernetes.io/name": <name> }
   */
  selectorLabels?: Record<string, string> | undefined;
  /** @default {} */
  podAnnotations?: Record<string, string> | undefined;
}

export interface AppMetadataSpec {
  /** Labels on every object: the user's, the selector's and `app.kubernetes.io/managed-by`. */
  readonly labels: Record<string, string>;
  readonly selectorLabels: Record<string, string>;
  readonly podAnnotations: Record<string, string>;
}

export function resolveMetadata(p: Problems, args: AppMetadataArgs, name: string): AppMetadataSpec {
  checkLabels(p, "labels", args.labels);
  for (const k of Object.keys(args.podAnnotations ?? {})) {
    const e = labelKeyError(k);
    if (e) p.add("podAnnotations key", k, e);
  }
  const selectorLabels = args.selectorLabels ?? { "app.kubernetes.io/name": name };
  if (Object.keys(selectorLabels).length === 0)
    p.add(
      "selectorLabels",
      selectorLabels,
      "must hold at least one label, or the set would select every pod",
    );
  checkLabels(p, "selectorLabels", args.selectorLabels);
  for (const [k, v] of Object.entries(args.labels ?? {}))
    if (k in selectorLabels && selectorLabels[k] !== v)
      p.add(
        `labels[${JSON.stringify(k)}]`,
        v,
        `conflicts with selectorLabels[${JSON.stringify(k)}] (${JSON.stringify(selectorLabels[k])}); the pods would not be selected`,
      );
  return {
    labels: { ...args.labels, ...selectorLabels, ...MANAGED_BY },
    selectorLabels: { ...selectorLabels },
    podAnnotations: { ...args.podAnnotations },
  };
}
