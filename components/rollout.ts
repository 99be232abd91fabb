/**
 * The two dynamic resources of an ordered rollout (docs/rollout.md):
 * - `RolloutGuard`, ordered before the StatefulSet: its update refuses a scale-down while a pod is
 *   unhealthy, and a change that would replace the set, before the set is touched;
 * - `RolloutWatcher`, ordered after it: waits for ordered readiness and rolling updates on
 *   create/update, and tears the set down N-1..0 on delete, keeping claims.
 *
 * The provider objects are serialized with their closures, so they hold only a module path and
 * `require` it when called (DESIGN.md, dynamic provider facts 1-2).
 */
import * as pulumi from "@pulumi/pulumi";
import type { RolloutInputs } from "../sdk/rollout/provider";

/** Resolved where the program runs; required where the provider runs. */
const IMPL = `${__dirname}/../sdk/rollout/provider`;

type Impl = typeof import("../sdk/rollout/provider");

/**
 * Loads the provider implementation in the process that runs the provider. Compiled JavaScript
 * loads directly; TypeScript sources (this repository) are compiled on load with ts-node, which
 * @pulumi/pulumi depends on: Pulumi's dynamic-provider host does not register a TypeScript loader.
 */
function loadImpl(): Impl {
  try {
    return require(IMPL) as Impl;
  } catch (err) {
    if ((err as { code?: string }).code !== "MODULE_NOT_FOUND") throw err;
    require("ts-node").register({ transpileOnly: true, compilerOptions: { module: "commonjs" } });
    return require(IMPL) as Impl;
  }
}

/** Inputs as the provider receives them: without the engine's `__provider`. */
function clean(inputs: Record<string, unknown>): RolloutInputs {
  const { __provider: _, ...rest } = inputs;
  return rest as unknown as RolloutInputs;
}

function changed(olds: Record<string, unknown>, news: Record<string, unknown>, keys: string[]): boolean {
  return keys.some((k) => JSON.stringify(olds[k]) !== JSON.stringify(news[k]));
}

const GUARDED = ["namespace", "name", "replicas", "immutable", "allowReplacement"];
const WATCHED = [
  "namespace",
  "name",
  "replicas",
  "ordinalsStart",
  "podManagementPolicy",
  "updateStrategy",
  "partition",
  "whenDeleted",
  "claimTemplates",
  "selector",
  "templateHash",
  "timeoutSeconds",
];

export const guardProvider: pulumi.dynamic.ResourceProvider = {
  async diff(_id, olds, news) {
    return { changes: changed(olds, news, [...GUARDED, "kubeconfig", "context"]) };
  },
  async create(inputs) {
    const i = clean(inputs);
    return { id: `${i.namespace}/${i.name}`, outs: i };
  },
  async update(_id, olds, news) {
    const impl = loadImpl();
    await impl.guardUpdate(clean(olds), clean(news));
    return { outs: clean(news) };
  },
  async delete() {},
};

export const watcherProvider: pulumi.dynamic.ResourceProvider = {
  async diff(_id, olds, news) {
    return { changes: changed(olds, news, [...WATCHED, "kubeconfig", "context"]) };
  },
  async create(inputs) {
    const impl = loadImpl();
    const i = clean(inputs);
    const r = await impl.waitForRollout(i);
    return { id: `${i.namespace}/${i.name}`, outs: { ...i, readyPods: r.readyPods } };
  },
  async update(_id, olds, news) {
    const impl = loadImpl();
    const i = clean(news);
    const r = await impl.waitForRollout(i, console.log, clean(olds));
    return { outs: { ...i, readyPods: r.readyPods, keptClaims: r.keptClaims } };
  },
  async delete(_id, props) {
    const impl = loadImpl();
    await impl.teardown(clean(props));
  },
};

export type RolloutResourceArgs = {
  [K in keyof RolloutInputs]: K extends "kubeconfig"
    ? pulumi.Input<string> | undefined
    : pulumi.Input<RolloutInputs[K]>;
};

/** Refuses unsafe changes before the StatefulSet is updated. */
export class RolloutGuard extends pulumi.dynamic.Resource {
  constructor(name: string, args: RolloutResourceArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      guardProvider,
      name,
      { role: "guard", ...args },
      { ...opts, additionalSecretOutputs: ["kubeconfig"] },
    );
  }
}

/** Waits for the rollout after the StatefulSet is updated; tears down in order on delete. */
export class RolloutWatcher extends pulumi.dynamic.Resource {
  declare readonly readyPods: pulumi.Output<string[]>;

  constructor(name: string, args: RolloutResourceArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      watcherProvider,
      name,
      { role: "watcher", readyPods: undefined, ...args },
      { ...opts, additionalSecretOutputs: ["kubeconfig"] },
    );
  }
}
