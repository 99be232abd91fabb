/**
 * The rollout's entry point in Pulumi's dynamic-provider host (`pulumi-stateful/provider`).
 *
 * The `__provider` text a rollout resource stores in state (components/rollout.ts) is a few lines
 * that load this module by package name from the project the engine runs in and call
 * `provider(role, protocol)`. Nothing in state names a path of the machine that ran `up`; the
 * protocol number makes an installed package that cannot serve that state fail loudly instead
 * of running mismatched code.
 */
import { newSuperCredentials } from "../zookeeper/credentials";
import { canonical } from "./decide";
import { PROTOCOL, SUPPORTED_PROTOCOLS } from "./protocol";
import {
  guardCreate,
  guardDiff,
  guardUpdate,
  PartialStateError,
  type RolloutInputs,
  type RolloutOutputs,
  teardown,
  waitForRollout,
} from "./provider";

/** What Pulumi's dynamic-provider host calls (a `pulumi.dynamic.ResourceProvider`, without importing Pulumi). */
export interface HostedProvider {
  check(
    olds: Record<string, unknown>,
    news: Record<string, unknown>,
  ): Promise<{ inputs: Record<string, unknown> }>;
  diff(
    id: string,
    olds: Record<string, unknown>,
    news: Record<string, unknown>,
  ): Promise<{ changes: boolean }>;
  create(inputs: Record<string, unknown>): Promise<{ id: string; outs: Record<string, unknown> }>;
  update(
    id: string,
    olds: Record<string, unknown>,
    news: Record<string, unknown>,
  ): Promise<{ outs: Record<string, unknown> }>;
  delete(id: string, props: Record<string, unknown>): Promise<void>;
}

/** The engine's marker for a value not known yet (preview): `@pulumi/pulumi/runtime/rpc` unknownValue. */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

const hasUnknowns = (o: Record<string, unknown>) => JSON.stringify(o).includes(UNKNOWN);

/**
 * Inputs or state as the provider functions take them: without the engine's `__provider`, and
 * flat. The components register every rollout input but `replicas` packed into one `rollout`
 * property (components/rollout.ts); outputs, and state written before the pack, are flat already.
 */
export function flatten<T>(props: Record<string, unknown>): T {
  const { __provider: _, rollout, ...rest } = props;
  const packed = rollout !== null && typeof rollout === "object" && !Array.isArray(rollout) ? rollout : {};
  return { ...rest, ...packed } as T;
}

/**
 * The dynamic-provider host reports an error carrying `id` and `properties` as a partially created
 * (or updated) resource, and the engine records them. The host does not add `__provider` to those
 * properties itself (docs/engine-facts.md), so it is carried here: a later delete needs it.
 */
function partial(err: unknown, props: Record<string, unknown>): never {
  if (err instanceof PartialStateError)
    throw Object.assign(new Error(err.message), {
      id: err.id,
      properties: { ...err.properties, protocol: PROTOCOL, __provider: props.__provider },
      reasons: err.reasons,
    });
  throw err;
}

const log = (line: string) => console.log(line);

export { PROTOCOL };

/**
 * The ZooKeeper super user's credentials: made once at create, never changed by an update (a new
 * password would not match the digest the running servers hold), nothing to undo on delete.
 */
function credentialsProvider(): HostedProvider {
  return {
    check: async (_olds, news) => ({ inputs: news }),
    diff: async () => ({ changes: false }),
    async create() {
      const c = newSuperCredentials();
      return { id: "super", outs: { role: "credentials", ...c, protocol: PROTOCOL } };
    },
    update: async (_id, olds) => ({ outs: flatten(olds) }),
    async delete() {},
  };
}

export function provider(role: "guard" | "watcher" | "credentials", protocol: number): HostedProvider {
  if (!SUPPORTED_PROTOCOLS.includes(protocol)) {
    const fail = async (): Promise<never> => {
      throw new Error(
        `pulumi-stateful: this ${role}'s state was written with rollout protocol ${protocol}, which the installed pulumi-stateful (protocol ${PROTOCOL}) cannot serve. Install the pulumi-stateful version this stack was deployed with, finish the operation, then upgrade.`,
      );
    };
    return { check: fail, diff: fail, create: fail, update: fail, delete: fail };
  }
  if (role === "credentials") return credentialsProvider();
  const id = (i: RolloutInputs) => `${i.namespace}/${i.name}`;
  const check = async (_olds: Record<string, unknown>, news: Record<string, unknown>) => ({ inputs: news });
  if (role === "guard")
    return {
      check,
      async diff(_id, olds, news) {
        // Preview with inputs not known yet (e.g. a kubeconfig from a cluster being created): nothing to judge.
        if (hasUnknowns(news)) return { changes: true };
        return guardDiff(flatten<RolloutOutputs>(olds), flatten<RolloutInputs>(news), log);
      },
      async create(inputs) {
        const i = flatten<RolloutInputs>(inputs);
        return { id: id(i), outs: { ...(await guardCreate(i, log)), protocol: PROTOCOL } };
      },
      async update(_id, olds, news) {
        const outs = await guardUpdate(flatten<RolloutOutputs>(olds), flatten<RolloutInputs>(news), log);
        return { outs: { ...outs, protocol: PROTOCOL } };
      },
      async delete() {},
    };
  return {
    check,
    async diff(_id, olds, news) {
      const {
        server: _s,
        setUid: _u,
        readyPods: _r,
        keptClaims: _k,
        votingMembers: _v,
        protocol: _p,
        ...was
      } = flatten<RolloutOutputs & { protocol?: number }>(olds);
      return { changes: canonical(was) !== canonical(flatten(news)) };
    },
    async create(inputs) {
      const i = flatten<RolloutInputs>(inputs);
      const outs = await waitForRollout(i, log).catch((e) => partial(e, inputs));
      return { id: id(i), outs: { ...outs, protocol: PROTOCOL } };
    },
    async update(_id, olds, news) {
      const outs = await waitForRollout(
        flatten<RolloutInputs>(news),
        log,
        flatten<RolloutOutputs>(olds),
      ).catch((e) => partial(e, news));
      return { outs: { ...outs, protocol: PROTOCOL } };
    },
    async delete(_id, props) {
      await teardown(flatten<RolloutOutputs>(props), log);
    },
  };
}
