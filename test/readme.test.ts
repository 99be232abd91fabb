/** The README's ten-line program runs as written (with the package import pointed at this repo). */
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
  const file = join(dir, "program.ts");
  writeFileSync(file, code.replace('from "pulumi-stateful"', `from ${JSON.stringify(join(root, "index"))}`));
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
