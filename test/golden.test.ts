/**
 * The render command on every example: output equal to the reviewed golden manifest, every object
 * valid against the Kubernetes schema, and selectors, ports and names consistent across objects.
 * Golden files are never rewritten by tests: a difference fails, and a person reviews the new
 * output (`npm run --silent render -- <example> > test/golden/<example>.yaml`).
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { schemaErrors } from "./support/schema";

const run = promisify(execFile);
const root = join(__dirname, "..");
const tsx = join(root, "node_modules", ".bin", "tsx");

function render(...args: string[]) {
  return run(tsx, [join(root, "cli", "render.ts"), ...args], { cwd: root });
}

type Obj = Record<string, any>;

function matches(selector: Record<string, string>, labels: Record<string, string> | undefined): boolean {
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

const EXAMPLES = ["web", "zookeeper", "kubia"];
const rendered = new Map<string, Promise<string>>(EXAMPLES.map((e) => [e, render(e).then((r) => r.stdout)]));

describe.each(EXAMPLES)("example %s", (example) => {
  it("renders exactly the reviewed golden manifest", async () => {
    const golden = readFileSync(join(root, "test", "golden", `${example}.yaml`), "utf8");
    expect(await rendered.get(example)).toBe(golden);
  });

  it("renders only objects valid against the Kubernetes schema", async () => {
    const docs = parseAllDocuments((await rendered.get(example))!).map((d) => d.toJS() as Obj);
    expect(docs.length).toBeGreaterThanOrEqual(2);
    for (const doc of docs)
      expect({ [`${doc.kind}/${doc.metadata.name}`]: await schemaErrors(doc) }).toEqual({
        [`${doc.kind}/${doc.metadata.name}`]: [],
      });
  });

  it("keeps selectors, ports and names consistent across objects", async () => {
    const docs = parseAllDocuments((await rendered.get(example))!).map((d) => d.toJS() as Obj);
    const sets = docs.filter((d) => d.kind === "StatefulSet");
    expect(sets).toHaveLength(1);
    const set = sets[0]!;
    const podLabels = set.spec.template.metadata.labels;
    const container = set.spec.template.spec.containers[0];
    const portNames = new Set((container.ports ?? []).map((p: Obj) => p.name));
    // The set selects its own pods.
    expect(matches(set.spec.selector.matchLabels, podLabels)).toBe(true);
    // The governing Service exists, is headless and selects the pods.
    const governing = docs.find((d) => d.kind === "Service" && d.metadata.name === set.spec.serviceName);
    expect(governing?.spec.clusterIP).toBe("None");
    expect(matches(governing!.spec.selector, podLabels)).toBe(true);
    for (const svc of docs.filter((d) => d.kind === "Service")) {
      expect(matches(svc.spec.selector, podLabels)).toBe(true);
      for (const port of svc.spec.ports ?? [])
        expect(portNames.has(port.targetPort) || typeof port.targetPort === "number").toBe(true);
    }
    for (const pdb of docs.filter((d) => d.kind === "PodDisruptionBudget"))
      expect(matches(pdb.spec.selector.matchLabels, podLabels)).toBe(true);
    // Anti-affinity and spread select the set's own pods.
    const anti = set.spec.template.spec.affinity?.podAntiAffinity;
    for (const term of [
      ...(anti?.requiredDuringSchedulingIgnoredDuringExecution ?? []),
      ...(anti?.preferredDuringSchedulingIgnoredDuringExecution ?? []).map((w: Obj) => w.podAffinityTerm),
    ])
      expect(matches(term.labelSelector.matchLabels, podLabels)).toBe(true);
    // Every mount names a claim template or a pod volume; every ConfigMap volume names a rendered ConfigMap.
    const volumeNames = new Set([
      ...(set.spec.volumeClaimTemplates ?? []).map((t: Obj) => t.metadata.name),
      ...(set.spec.template.spec.volumes ?? []).map((v: Obj) => v.name),
    ]);
    for (const m of container.volumeMounts ?? []) expect(volumeNames.has(m.name)).toBe(true);
    for (const v of set.spec.template.spec.volumes ?? [])
      if (v.configMap)
        expect(docs.some((d) => d.kind === "ConfigMap" && d.metadata.name === v.configMap.name)).toBe(true);
    // Probes target declared ports.
    for (const probe of [container.readinessProbe, container.livenessProbe].filter(Boolean))
      if (probe.tcpSocket) expect(portNames.has(probe.tcpSocket.port)).toBe(true);
    // Dependency order: ConfigMaps, then the governing Service, then the set.
    const index = (d: Obj) => docs.indexOf(d);
    expect(index(governing!)).toBeLessThan(index(set));
    for (const cm of docs.filter((d) => d.kind === "ConfigMap")) expect(index(cm)).toBeLessThan(index(set));
  });
});

describe("render command", () => {
  it("rejects an unknown example, listing the known ones, with a non-zero exit", async () => {
    const err = await render("cassandra").catch((e) => e);
    expect(err.code).toBe(2);
    expect(err.stderr).toBe('render: unknown example "cassandra"; known examples: web, zookeeper, kubia\n');
  });

  it("writes one file per object with --out", async () => {
    const dir = mkdtempSync(join(tmpdir(), "render-"));
    try {
      const { stderr } = await render("kubia", "--out", dir);
      expect(stderr).toBe(`render: wrote 3 files to ${dir}\n`);
      expect(readdirSync(dir).sort()).toEqual([
        "service-default-kubia-public.yaml",
        "service-default-kubia.yaml",
        "statefulset-default-kubia.yaml",
      ]);
      const joined = [
        "service-default-kubia.yaml",
        "service-default-kubia-public.yaml",
        "statefulset-default-kubia.yaml",
      ]
        .map((f) => readFileSync(join(dir, f), "utf8"))
        .join("");
      expect(joined).toBe(readFileSync(join(root, "test", "golden", "kubia.yaml"), "utf8"));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
