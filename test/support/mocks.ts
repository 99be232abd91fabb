/**
 * Pulumi mocks that record every registered resource. Mocks are process-global (vitest runs each
 * test file in its own process); install them before importing the code under test.
 */
import * as pulumi from "@pulumi/pulumi";

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

/** Waits until every registration so far has settled. */
export { settled } from "../../testing/render";

/** The key the runtime marks secret values with when it serializes them. */
export const SECRET_SIG = "4dabf18193072939515e22adb298388d";

/** Unwraps the runtime's secret envelopes, as the engine does before calling a provider. */
export function reveal(v: any): any {
  if (Array.isArray(v)) return v.map(reveal);
  if (v && typeof v === "object") {
    if (SECRET_SIG in v) return reveal(v.value);
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, reveal(x)]));
  }
  return v;
}
