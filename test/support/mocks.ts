/**
 * Pulumi mocks that record every registered resource. Mocks are process-global (vitest runs each
 * test file in its own process); install them before importing the code under test.
 */
import * as pulumi from "@pulumi/pulumi";
import { newSuperCredentials } from "../../sdk/zookeeper/credentials";

export interface Registered {
  type: string;
  name: string;
  inputs: Record<string, any>;
}

export const registered: Registered[] = [];

export async function installMocks(): Promise<void> {
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        registered.push({ type: args.type, name: args.name, inputs: args.inputs });
        // What the credentials resource's create returns (sdk/rollout/entry.ts).
        if (args.inputs?.role === "credentials")
          return { id: "super", state: { ...args.inputs, ...newSuperCredentials() } };
        return { id: args.inputs?.metadata?.name ?? `${args.name}-id`, state: args.inputs };
      },
      call(args) {
        return args.inputs;
      },
    },
    "test",
    "test",
    false,
  );
}

/** The value of an Output, once known. */
export function outputValue<T>(o: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => o.apply(resolve));
}

/** Waiting until every registration so far has settled, and unwrapping secret envelopes (testing/render.ts). */
export { reveal, settled } from "../../testing/render";
/** The key the runtime marks a serialized secret with (its value is `specialSecretSig`). */
export const SECRET_SIG = pulumi.runtime.specialSigKey;
