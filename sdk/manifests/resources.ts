/** Resources: the container's requests and limits, as Kubernetes quantities, a request never above its limit. */
import type { Problems } from "../errors";
import { parseQuantity } from "../quantity";
import type { ResourceRequirements } from "./k8s-types";

export interface ResourceListArgs {
  cpu?: string | undefined;
  memory?: string | undefined;
  "ephemeral-storage"?: string | undefined;
}

/** Container resource requests and limits, as Kubernetes quantities. */
export interface ResourcesArgs {
  requests?: ResourceListArgs | undefined;
  limits?: ResourceListArgs | undefined;
}

export interface AppResourcesArgs {
  /** @default - none */
  resources?: ResourcesArgs | undefined;
}

export interface AppResourcesSpec {
  readonly resources?: ResourcesArgs | undefined;
}

const RESOURCE_NAMES = ["cpu", "memory", "ephemeral-storage"] as const;

function checkResources(p: Problems, r: ResourcesArgs | undefined): void {
  if (!r) return;
  for (const kind of ["requests", "limits"] as const) {
    for (const [k, v] of Object.entries(r[kind] ?? {})) {
      const field = `resources.${kind}.${k}`;
      if (!(RESOURCE_NAMES as readonly string[]).includes(k)) {
        p.add(field, v, `is not a supported resource; use one of ${RESOURCE_NAMES.join(", ")}`);
        continue;
      }
      const q = typeof v === "string" ? parseQuantity(v) : undefined;
      if (q === undefined || q < 0)
        p.add(field, v, 'must be a Kubernetes quantity like "500m", "1" or "4Gi"');
    }
  }
  for (const k of RESOURCE_NAMES) {
    const req = r.requests?.[k];
    const lim = r.limits?.[k];
    const rq = req === undefined ? undefined : parseQuantity(req);
    const lq = lim === undefined ? undefined : parseQuantity(lim);
    if (rq !== undefined && lq !== undefined && rq > lq)
      p.add(`resources.requests.${k}`, req, `must not exceed the limit (${lim})`);
  }
}

export function resolveResources(p: Problems, args: AppResourcesArgs): AppResourcesSpec {
  checkResources(p, args.resources);
  return { resources: args.resources };
}

/** The container's resources, copied; undefined when none were given. */
export function containerResources(r: ResourcesArgs | undefined): ResourceRequirements | undefined {
  return r ? (structuredClone(r) as ResourceRequirements) : undefined;
}
