/**
 * Offline rendering: runs a Pulumi program under the runtime's mocks — the same code path as
 * `pulumi up`, minus the engine — and collects every Kubernetes object it registers.
 */
import * as pulumi from "@pulumi/pulumi";
import { stringify } from "yaml";

export interface RenderedObject {
  /** Pulumi type token, e.g. `kubernetes:apps/v1:StatefulSet`. */
  readonly type: string;
  /** Pulumi resource name. */
  readonly name: string;
  /** The Kubernetes object, as the Kubernetes provider would send it. */
  readonly object: Record<string, unknown> & {
    apiVersion: string;
    kind: string;
    metadata: { name: string; namespace?: string };
  };
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

/** Kinds in the order a cluster needs them: what others reference comes first. */
const KIND_ORDER = [
  "Namespace",
  "ServiceAccount",
  "Secret",
  "ConfigMap",
  "PersistentVolumeClaim",
  "Service",
  "StatefulSet",
  "PodDisruptionBudget",
];

function kindRank(kind: string): number {
  const i = KIND_ORDER.indexOf(kind);
  return i === -1 ? KIND_ORDER.length : i;
}

/** A headless (governing) Service comes before other Services: pods' DNS names depend on it. */
function isHeadless(o: RenderedObject): boolean {
  return (o.object.spec as { clusterIP?: string } | undefined)?.clusterIP === "None";
}

/**
 * Dependency order, independent of the order registrations happened to settle in: by kind,
 * headless Services first among Services, then by namespace and name.
 */
export function dependencyOrder(objects: readonly RenderedObject[]): RenderedObject[] {
  const key = (o: RenderedObject) => `${o.object.metadata.namespace ?? ""}/${o.object.metadata.name}`;
  return [...objects].sort(
    (a, b) =>
      kindRank(a.object.kind) - kindRank(b.object.kind) ||
      Number(isHeadless(b)) - Number(isHeadless(a)) ||
      key(a).localeCompare(key(b)),
  );
}

/** Reads the mocked program's Kubernetes inputs back as a manifest with the usual key order. */
function toObject(inputs: Record<string, unknown>): RenderedObject["object"] {
  const { apiVersion, kind, metadata, ...rest } = inputs;
  const { name, namespace, labels, annotations, ...otherMeta } = (metadata ?? {}) as Record<string, unknown>;
  const meta = Object.fromEntries(
    Object.entries({ name, namespace, labels, annotations, ...otherMeta }).filter(([, v]) => v !== undefined),
  );
  return { apiVersion, kind, metadata: meta, ...rest } as RenderedObject["object"];
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

/** Multi-document YAML, one document an object. */
export function toYaml(objects: readonly RenderedObject[]): string {
  return objects.map((o) => `---\n${stringify(o.object, { lineWidth: 0 })}`).join("");
}

/** `<kind>-<name>.yaml`, lower-case: the file `--out` writes an object to. */
export function fileNameFor(o: RenderedObject): string {
  const ns = o.object.metadata.namespace ? `${o.object.metadata.namespace}-` : "";
  return `${o.object.kind.toLowerCase()}-${ns}${o.object.metadata.name}.yaml`;
}
