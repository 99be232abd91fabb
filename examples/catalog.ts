/** The example programs by name; `examples/index.ts` runs the one stack config `example` names. */
import { kubia } from "./kubia";
import { web } from "./web";
import { zookeeper } from "./zookeeper";

export const EXAMPLES: Record<string, () => Record<string, unknown>> = { web, zookeeper, kubia };

export const DEFAULT_EXAMPLE = "zookeeper";

/** Runs one example, or throws naming the known ones. */
export function runExample(name: string): Record<string, unknown> {
  const run = EXAMPLES[name];
  if (!run) throw new Error(`unknown example "${name}"; known examples: ${Object.keys(EXAMPLES).join(", ")}`);
  return run();
}
