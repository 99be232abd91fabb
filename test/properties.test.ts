/** Rules that hold for every valid StatefulApp: names, selectors and ordinals agree across objects. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { statefulAppManifests } from "../sdk/manifests";
import { dns1123LabelError } from "../sdk/naming";
import { resolveStatefulApp } from "../sdk/stateful-app";

const name = fc.stringMatching(/^[a-z]([-a-z0-9]{0,20}[a-z0-9])?$/);
const labelValue = fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,10}[a-z0-9])?$/);
const labels = fc.dictionary(fc.stringMatching(/^[a-z]{1,8}$/), labelValue, { maxKeys: 3 });

const selects = (selector: Record<string, string> | undefined, podLabels: Record<string, string>) =>
  Object.keys(selector ?? {}).length > 0 && Object.entries(selector!).every(([k, v]) => podLabels[k] === v);

describe("for every valid StatefulApp", () => {
  it("every selector selects exactly the set's pods, and identities match the replica count", () => {
    fc.assert(
      fc.property(
        name,
        fc.integer({ min: 0, max: 12 }),
        fc.integer({ min: 0, max: 5 }),
        fc.option(labels, { nil: undefined }),
        labels,
        fc.array(name, { maxLength: 3 }),
        fc.boolean(),
        (setName, replicas, start, selectorLabels, extra, volumeNames, antiRequired) => {
          const sel = selectorLabels && Object.keys(selectorLabels).length > 0 ? selectorLabels : undefined;
          // Extra labels must not contradict the selector (that is a reported mistake).
          const extraLabels = Object.fromEntries(Object.entries(extra).filter(([k]) => !(sel && k in sel)));
          const volumes = [...new Set(volumeNames)].map((v, i) => ({
            name: v,
            size: "1Gi",
            mountPath: `/v${i}`,
          }));
          const spec = resolveStatefulApp(setName, {
            image: "x:1",
            replicas,
            ordinalsStart: start,
            selectorLabels: sel,
            labels: extraLabels,
            ports: [{ name: "p", containerPort: 8080 }],
            volumes,
            clientService: { name: `${setName}-c` },
            podDisruptionBudget: replicas >= 2 ? { maxUnavailable: 1 } : false,
            antiAffinity: { type: antiRequired ? "required" : "preferred", topology: "zone" },
          });
          const m = statefulAppManifests(spec);
          const podLabels = m.statefulSet.spec!.template.metadata!.labels!;
          expect(selects(m.statefulSet.spec!.selector.matchLabels, podLabels)).toBe(true);
          expect(selects(m.headlessService!.spec!.selector, podLabels)).toBe(true);
          expect(selects(m.clientService!.spec!.selector, podLabels)).toBe(true);
          if (m.podDisruptionBudget)
            expect(selects(m.podDisruptionBudget.spec!.selector!.matchLabels, podLabels)).toBe(true);
          const anti = m.statefulSet.spec!.template.spec!.affinity!.podAntiAffinity!;
          const term =
            anti.requiredDuringSchedulingIgnoredDuringExecution?.[0] ??
            anti.preferredDuringSchedulingIgnoredDuringExecution![0]!.podAffinityTerm;
          expect(selects(term.labelSelector!.matchLabels, podLabels)).toBe(true);
          expect(m.statefulSet.spec!.serviceName).toBe(m.headlessService!.metadata!.name);
          expect(spec.podNames).toEqual(
            Array.from({ length: replicas }, (_, i) => `${setName}-${start + i}`),
          );
          expect(spec.claimNames).toHaveLength(replicas * volumes.length);
          for (const n of [...spec.podNames, ...spec.claimNames])
            expect(dns1123LabelError(n)).toBeUndefined();
        },
      ),
      { numRuns: 300 },
    );
  });
});
