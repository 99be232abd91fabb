/**
 * The render benchmark compares like with like only while its three contenders make the same
 * objects: a change to what the components render must reach bench/render-cdk8s.ts and
 * bench/render-models.ts too, or `bench -- render` stops at its own equivalence check. This runs
 * that check, so the drift shows in `npm test` and not first in a benchmark run.
 */
import { describe, expect, it } from "vitest";
import { checkEquivalence } from "../bench/render-contenders";

describe("bench -- render contenders", () => {
  it(
    "cdk8s-plus and kubernetes-models make our objects for 3 ensembles, cdk8s-plus's listed additions aside",
    { timeout: 120_000 },
    async () => {
      const additions = await checkEquivalence(3);
      expect(additions.length).toBeGreaterThan(0);
    },
  );
});
