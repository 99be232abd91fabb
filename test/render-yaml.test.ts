/**
 * sdk/yaml.ts writes the `yaml` package's bytes itself: for arbitrary objects, `kubeYaml` equals
 * `referenceYaml` (the `yaml` package's stringify of the canonically ordered object).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonical, kubeYaml, referenceYaml } from "../sdk/yaml";

/** Strings that exercise quoting and block scalars: YAML indicators, spaces, newlines, keywords. */
const tricky = fc.oneof(
  fc.string({
    unit: fc.constantFrom(
      "a",
      "Z",
      "0",
      "9",
      " ",
      "\n",
      ":",
      "#",
      "-",
      "?",
      "'",
      '"',
      "|",
      ">",
      "&",
      "*",
      "!",
      "%",
      "@",
      ".",
      "/",
      "\t",
      "é",
      "{",
      "[",
      ",",
    ),
  }),
  fc.constantFrom(
    "",
    "true",
    "False",
    "null",
    "~",
    "1",
    "1.5",
    "0x1F",
    "1e3",
    ".inf",
    "-",
    "- a",
    "a: b",
    "a #b",
    "yes",
    "on",
    "---",
    "...",
  ),
  fc.string(),
);

const leaf = fc.oneof(tricky, fc.integer(), fc.double(), fc.boolean(), fc.constant(null));
const value = fc.letrec((tie) => ({
  node: fc.oneof({ depthSize: "small", withCrossShrink: true }, leaf, tie("list"), tie("map")),
  list: fc.array(tie("node"), { maxLength: 4 }),
  map: fc.dictionary(fc.oneof(fc.string({ maxLength: 6 }), tricky), tie("node"), { maxKeys: 4 }),
})).node;

describe("kubeYaml", () => {
  it("writes the yaml package's bytes for any object", () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.oneof(fc.string({ maxLength: 8 }), tricky), value, { maxKeys: 6 }),
        (o) => {
          expect(kubeYaml(o)).toBe(referenceYaml(o));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("writes Kubernetes-shaped objects, metadata first, the yaml package's bytes", () => {
    const obj = fc.record({
      kind: fc.constantFrom("ConfigMap", "Service"),
      apiVersion: fc.constant("v1"),
      data: fc.dictionary(tricky, tricky),
      metadata: fc.record({
        annotations: fc.dictionary(tricky, tricky),
        name: tricky,
        labels: fc.dictionary(tricky, tricky),
        uid: tricky,
      }),
      spec: value,
    });
    fc.assert(
      fc.property(obj, (o) => {
        expect(kubeYaml(o)).toBe(referenceYaml(o));
      }),
      { numRuns: 1000 },
    );
  });

  it("orders keys as Kubernetes tools print them", () => {
    const o = {
      spec: { b: 1, a: [{ z: 1, y: 2 }] },
      metadata: { labels: {}, x: 1, name: "n" },
      kind: "K",
      apiVersion: "v1",
    };
    expect(Object.keys(canonical(o))).toEqual(["apiVersion", "kind", "metadata", "spec"]);
    expect(kubeYaml(o)).toBe(
      "apiVersion: v1\nkind: K\nmetadata:\n  name: n\n  labels: {}\n  x: 1\nspec:\n  a:\n    - y: 2\n      z: 1\n  b: 1\n",
    );
  });

  it("writes a string the same whether or not it was seen before (the memo)", () => {
    const script = "#!/bin/sh\nexec server\n";
    const a = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "a" }, data: { s: script } };
    const b = { apiVersion: "v1", kind: "X", metadata: { name: "b" }, spec: { deep: [{ list: [script] }] } };
    for (const o of [a, b, a, b]) expect(kubeYaml(o)).toBe(referenceYaml(o));
  });
});
