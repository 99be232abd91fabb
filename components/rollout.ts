/**
 * The two dynamic resources of an ordered rollout (docs/rollout.md):
 * - `RolloutGuard`, ordered before the StatefulSet: refuses unsafe changes against the live cluster
 *   (in `pulumi preview` too), and approves the replicas the set receives;
 * - `RolloutWatcher`, ordered after it: waits for ordered readiness, rolling updates and
 *   scale-downs; on delete tears down only a set that still carries its marker.
 *
 * Pulumi's dynamic-provider host runs a resource's `__provider` text as a module. Ours is written
 * here, not serialized from a closure: a few lines that load `pulumi-stateful/provider` by package
 * name from the project the engine runs in (DESIGN.md, dynamic provider facts 1, 13). State holds
 * no path of the machine that ran `up`, registering costs no closure serialization, and the
 * protocol number lets a later package refuse state it cannot serve.
 */
import * as pulumi from "@pulumi/pulumi";
import { PROTOCOL, type RolloutInputs } from "../sdk/rollout/protocol";

/** The resource type Pulumi's engine serves with the Node.js dynamic-provider host. */
export const DYNAMIC_TYPE = "pulumi-nodejs:dynamic:Resource";

/** The module text the dynamic-provider host loads for `role` (exported for tests). */
export function providerText(role: "guard" | "watcher" | "credentials"): string {
  return [
    '"use strict";',
    `// pulumi-stateful rollout ${role}, protocol ${PROTOCOL}: loads the implementation by package name from the`,
    "// Pulumi project the engine runs it in (its working directory), never from a path recorded here.",
    "exports.handler = function () {",
    '  var from = require("path").join(process.cwd(), "index.js");',
    "  var impl;",
    "  try {",
    '    impl = require("module").createRequire(from)("pulumi-stateful/provider");',
    "  } catch (err) {",
    '    if (err && err.code === "MODULE_NOT_FOUND")',
    '      throw new Error("pulumi-stateful: cannot load its rollout provider from " + process.cwd() + " (install pulumi-stateful in this Pulumi project: npm install pulumi-stateful): " + err.message);',
    "    throw err;",
    "  }",
    `  return impl.provider(${JSON.stringify(role)}, ${PROTOCOL});`,
    "};",
    "",
  ].join("\n");
}

const GUARD_TEXT = providerText("guard");
const WATCHER_TEXT = providerText("watcher");

export type RolloutResourceArgs = {
  [K in keyof RolloutInputs]: K extends "kubeconfig"
    ? pulumi.Input<string> | undefined
    : pulumi.Input<RolloutInputs[K]>;
};

/** Secret by nature, wherever they come from; `additionalSecretOutputs` names them too. */
const SECRETS = ["kubeconfig", "zookeeper"];

/**
 * The inputs as registered: the plain fields packed into one `rollout` property; top-level stay
 * `replicas` (the guard's output feeds the StatefulSet, and a mock that echoes inputs, or the
 * host's preview that returns inputs as outputs, must give it back) and every field that is an
 * Output or a promise (`kubeconfig`, `zookeeper`, and `templateHash` when an Input argument feeds
 * the pod template). The dynamic-provider host takes no secrets, so the engine marks its outputs
 * secret only by name: an output is secret if the input of the same name was (provider_plugin.go
 * annotateSecrets) or if `additionalSecretOutputs` names it. A secret inside the pack would come
 * back as a plain flat output; one at the top level keeps its name and its secrecy.
 *
 * Why pack: the Pulumi runtime makes four promises, each stamped with a stack trace, for every
 * top-level property of a resource; one property per field made the two resources cost more than
 * the six Kubernetes objects of an ensemble (docs/performance.md). The provider flattens the pack
 * again (sdk/rollout/entry.ts `flatten`) and its outputs stay flat; PROTOCOL 3 says so, and the
 * provider still serves state of protocol 2 (flat inputs).
 */
export function packRolloutInputs(args: RolloutResourceArgs): Record<string, unknown> {
  const top: Record<string, unknown> = { replicas: args.replicas };
  const rollout: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(args)) {
    if (k === "replicas" || v === undefined) continue;
    if (SECRETS.includes(k) || pulumi.Output.isInstance(v) || v instanceof Promise) top[k] = v;
    else rollout[k] = v;
  }
  return { ...top, rollout };
}

/** Refuses unsafe changes before the StatefulSet is updated; its `replicas` output feeds the set. */
export class RolloutGuard extends pulumi.CustomResource {
  /** The replica count the guard approved: the StatefulSet's `spec.replicas`. */
  declare readonly replicas: pulumi.Output<number>;

  constructor(name: string, args: RolloutResourceArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      DYNAMIC_TYPE,
      name,
      { __provider: GUARD_TEXT, role: "guard", ...packRolloutInputs(args) },
      { ...opts, additionalSecretOutputs: SECRETS },
    );
  }
}

/** Waits for the rollout after the StatefulSet is updated; tears down in order on delete. */
export class RolloutWatcher extends pulumi.CustomResource {
  declare readonly readyPods: pulumi.Output<string[]>;
  /** ZooKeeper: the pods of the voting members, in id order (undefined for other sets). */
  declare readonly votingMembers: pulumi.Output<string[] | undefined>;

  constructor(name: string, args: RolloutResourceArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      DYNAMIC_TYPE,
      name,
      {
        __provider: WATCHER_TEXT,
        role: "watcher",
        // The outputs the component reads; the others (server, setUid, keptClaims) are in state.
        readyPods: undefined,
        votingMembers: undefined,
        ...packRolloutInputs(args),
      },
      // The ZooKeeper super user's password is inside `zookeeper`.
      { ...opts, additionalSecretOutputs: SECRETS },
    );
  }
}
