/**
 * Runs a Pulumi program under the runtime's mocks — the same code path as `pulumi up`, minus the
 * engine — and collects every Kubernetes object it registers. Everything in `testing/` runs the
 * Pulumi runtime; the pure render that needs none is `sdk/render.ts`.
 */
import * as pulumi from "@pulumi/pulumi";
import { compareDependencyOrder, type KubeObject } from "../sdk/render";
import { OFFLINE_SUPER_DIGEST } from "../sdk/zookeeper/credentials";

export interface RenderedObject {
  /** Pulumi type token, e.g. `kubernetes:apps/v1:StatefulSet`. */
  readonly type: string;
  /** Pulumi resource name. */
  readonly name: string;
  /** The Kubernetes object, as the Kubernetes provider would send it. */
  readonly object: KubeObject;
}

/**
 * Resolves once every resource registered so far has settled. Registrations are asynchronous; this
 * waits for the runtime's RPC queue to drain with `waitForRPCs`, which the SDK uses at program exit
 * but does not export publicly (docs/decisions.md). The one place the project touches it.
 */
export async function settled(): Promise<void> {
  const settings = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs(): Promise<void> };
  await settings.waitForRPCs();
}

/** Dependency order of the objects (sdk/render.ts), whatever order the registrations settled in. */
export function dependencyOrder(objects: readonly RenderedObject[]): RenderedObject[] {
  return [...objects].sort((a, b) => compareDependencyOrder(a.object, b.object));
}

/**
 * Unwraps the runtime's secret envelopes (`{ [specialSigKey]: specialSecretSig, value }`,
 * `@pulumi/pulumi/runtime/rpc`), as the engine does before it calls a provider.
 */
export function reveal<T>(v: T): T {
  if (Array.isArray(v)) return v.map(reveal) as T;
  if (v && typeof v === "object") {
    const o = v as Record<string, unknown>;
    if (o[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig) return reveal(o.value as T);
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, reveal(x)])) as T;
  }
  return v;
}

/** Reads the mocked program's Kubernetes inputs back as a manifest with the usual key order. */
function toObject(inputs: Record<string, unknown>): KubeObject {
  const { apiVersion, kind, metadata, ...rest } = reveal(inputs);
  const { name, namespace, labels, annotations, ...otherMeta } = (metadata ?? {}) as Record<string, unknown>;
  const meta = Object.fromEntries(
    Object.entries({ name, namespace, labels, annotations, ...otherMeta }).filter(([, v]) => v !== undefined),
  );
  return { apiVersion, kind, metadata: meta, ...rest } as KubeObject;
}

export interface RenderOptions {
  project?: string;
  stack?: string;
  /** Stack configuration, `key` -> value, set before the program runs (keys without a namespace get the project's). */
  config?: Record<string, string>;
}

/**
 * Installs the mocks, sets the configuration, runs `program` and waits until every resource it
 * registered is settled. Mocks are process-global: render one program per process.
 */
export async function renderProgram(
  program: () => unknown,
  options: RenderOptions = {},
): Promise<RenderedObject[]> {
  const project = options.project ?? "pulumi-stateful";
  const recorded: RenderedObject[] = [];
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        if (args.type.startsWith("kubernetes:"))
          recorded.push({ type: args.type, name: args.name, object: toObject(args.inputs) });
        // A ZooKeeper ensemble's credentials are made at deploy time: offline there is no password.
        if (args.inputs?.role === "credentials")
          return {
            id: `${args.name}-id`,
            state: { ...args.inputs, password: "", digest: OFFLINE_SUPER_DIGEST },
          };
        // Kubernetes objects are identified by their explicit metadata.name.
        return { id: args.inputs?.metadata?.name ?? `${args.name}-id`, state: args.inputs };
      },
      call(args) {
        return args.inputs;
      },
    },
    project,
    options.stack ?? "render",
    false,
  );
  for (const [key, value] of Object.entries(options.config ?? {}))
    pulumi.runtime.setConfig(key.includes(":") ? key : `${project}:${key}`, value);
  await program();
  await settled();
  return dependencyOrder(recorded);
}
