/**
 * The README's ten-line program runs as written: its `from "pulumi-stateful"` resolves through the
 * package's own `exports` (a file inside the package may import it by name), so it loads the
 * compiled build (`dist/`, which `npm test` builds first) a user installs.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { installMocks, registered, settled } from "./support/mocks";

const root = join(__dirname, "..");
const dir = mkdtempSync(join(__dirname, ".readme-"));

beforeAll(installMocks);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it("runs the README's example program", async () => {
  const readme = readFileSync(join(root, "README.md"), "utf8");
  const code = /```ts\n([\s\S]*?)```/.exec(readme)![1]!;
  expect(code).toContain('from "pulumi-stateful"');
  // The name resolves to the compiled package, not to the sources.
  expect(require.resolve("pulumi-stateful", { paths: [dir] })).toBe(join(root, "dist", "index.js"));
  const file = join(dir, "program.ts");
  writeFileSync(file, code);
  const mod = (await import(file)) as { nodes: string[] };
  await settled();
  expect(mod.nodes).toEqual([0, 1, 2].map((i) => `solr-${i}.solr-headless.default.svc.cluster.local`));
  const solr = registered.find((r) => r.type === "kubernetes:apps/v1:StatefulSet" && r.name === "solr")!;
  expect(solr.inputs.spec.template.spec.containers[0].env).toEqual([
    {
      name: "ZK_HOST",
      value: [0, 1, 2].map((i) => `zk-${i}.zk-headless.default.svc.cluster.local:2181`).join(","),
    },
  ]);
});
