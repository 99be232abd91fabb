/**
 * One measurement of `bench -- sdk`, in a process of its own so that its peak memory is its own:
 * `<variant> <apps>` constructs `apps` ZooKeeper ensembles of one variant under Pulumi's mocks and
 * prints one JSON line: the first ensemble's time (modules loaded, nothing constructed before),
 * the time of the `apps` ensembles after a warm-up, and the process's peak RSS.
 */
import { performance } from "node:perf_hooks";
import * as pulumi from "@pulumi/pulumi";

const WARM_UP = 20;

async function main(): Promise<void> {
  const [variant, appsArg] = process.argv.slice(2);
  const apps = Number(appsArg);
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => ({ id: args.inputs?.metadata?.name ?? args.name, state: args.inputs }),
      call: (args) => args.inputs,
    },
    "bench",
    "bench",
    false,
  );
  // The package as users install it: compiled JavaScript from dist/ (through package.json's
  // `exports`; bench/sdk.ts builds first), not our TypeScript sources through tsx, whose source
  // maps would make every stack trace the runtime takes through our frames dearer than a user's.
  const packageName: string = "pulumi-stateful";
  const { ZooKeeperEnsemble }: typeof import("../components") = await import(packageName);
  const { rawZooKeeper, staticZooKeeper } = await import("./raw-zookeeper");
  const { settled } = await import("../testing/render");
  const { DYNAMIC_TYPE, providerText } = await import("../components/rollout");
  const builds: Record<string, (name: string) => unknown> = {
    raw: rawZooKeeper,
    raw_static: staticZooKeeper,
    components: (n) => new ZooKeeperEnsemble(n, { rollout: false }),
    with_rollout: (n) => new ZooKeeperEnsemble(n),
    floor: (n) => floor(n, rawZooKeeper, DYNAMIC_TYPE, providerText("guard")),
  };
  const build = builds[variant!];
  if (!build || !(apps > 0))
    throw new Error(`usage: sdk-child.ts raw|raw_static|components|with_rollout|floor <apps>`);

  let start = performance.now();
  build("first");
  await settled();
  const firstMs = performance.now() - start;
  for (let i = 0; i < WARM_UP; i++) build(`warm${i}`);
  await settled();
  start = performance.now();
  for (let i = 0; i < apps; i++) build(`zk${i}`);
  await settled();
  const ms = performance.now() - start;
  const peakMb = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(`${JSON.stringify({ first_ms: firstMs, ms, peak_mb: peakMb })}\n`);
}

class FloorResource extends pulumi.CustomResource {}

/**
 * The least any component with this design registers beyond the hand-written objects: a component
 * as their parent and three dynamic resources (guard, watcher, credentials), each with the fewest
 * top-level properties a resource can have (the provider text, its role, one small packed input).
 */
function floor(name: string, raw: (n: string) => void, type: string, text: string): void {
  raw(name);
  const parent = new pulumi.ComponentResource("bench:index:Floor", name, {}, {});
  for (const role of ["guard", "watcher", "credentials"])
    new FloorResource(
      type,
      `${name}-${role}`,
      { __provider: text, role, rollout: { namespace: "default", name, replicas: 3 } },
      { parent },
    );
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
