import { describe, expect, it } from "vitest";
import { schemaErrors } from "./support/schema";

// The validator itself must catch what it claims to: otherwise every "valid" below means nothing.
describe("schema validator", () => {
  const good = {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: { name: "a" },
    spec: {
      serviceName: "a",
      selector: { matchLabels: { app: "a" } },
      template: { metadata: { labels: { app: "a" } }, spec: { containers: [{ name: "c", image: "i" }] } },
    },
  };

  it("accepts a valid StatefulSet", async () => {
    expect(await schemaErrors(good)).toEqual([]);
  });

  it("rejects a misspelt field", async () => {
    const bad = structuredClone(good) as Record<string, any>;
    bad.spec.template.spec.containers[0].portz = [];
    expect(await schemaErrors(bad)).toEqual([
      "StatefulSet.spec.template.spec.containers[0].portz: unknown field in V1Container",
    ]);
  });

  it("rejects a missing required field and a wrong type", async () => {
    const bad = structuredClone(good) as Record<string, any>;
    delete bad.spec.template.spec.containers[0].name;
    bad.spec.replicas = "3";
    const errors = await schemaErrors(bad);
    expect(errors.some((e) => e.includes("must have required property name"))).toBe(true);
    expect(errors.some((e) => e.includes("replicas must be integer"))).toBe(true);
  });

  it("rejects an unknown kind", async () => {
    expect(await schemaErrors({ apiVersion: "apps/v1beta1", kind: "StatefulSet" })).toEqual([
      "no schema known for apps/v1beta1/StatefulSet",
    ]);
  });
});
