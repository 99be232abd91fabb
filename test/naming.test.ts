import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  claimName,
  dns1035LabelError,
  dns1123LabelError,
  dns1123SubdomainError,
  ordinalOf,
  ordinals,
  podFqdn,
  podName,
  serviceDomain,
} from "../sdk/naming";

const label = fc.stringMatching(/^[a-z]([-a-z0-9]{0,20}[a-z0-9])?$/);

describe("names", () => {
  it("derives pod names, FQDNs and claim names", () => {
    expect(podName("web", 0)).toBe("web-0");
    expect(podFqdn("web", 1, "nginx", "default")).toBe("web-1.nginx.default.svc.cluster.local");
    expect(podFqdn("zk", 2, "zk-headless", "data", "corp.example")).toBe(
      "zk-2.zk-headless.data.svc.corp.example",
    );
    expect(serviceDomain("zk-headless", "default")).toBe("zk-headless.default.svc.cluster.local");
    expect(claimName("www", "web", 1)).toBe("www-web-1");
    expect(ordinals(3)).toEqual([0, 1, 2]);
    expect(ordinals(2, 5)).toEqual([5, 6]);
  });

  it("checks DNS labels and subdomains", () => {
    expect(dns1123LabelError("web-0")).toBeUndefined();
    expect(dns1123LabelError("Web")).toMatch(/lower-case/);
    expect(dns1123LabelError("-web")).toMatch(/start and end/);
    expect(dns1123LabelError("a".repeat(64))).toBe("must be at most 63 characters (has 64)");
    expect(dns1123LabelError("")).toBe("must not be empty");
    expect(dns1035LabelError("1zk")).toMatch(/start with a letter/);
    expect(dns1123SubdomainError("fast.ssd")).toBeUndefined();
    expect(dns1123SubdomainError("fast..ssd")).toMatch(/lower-case/);
  });

  it("property: every pod name of a valid set is a valid DNS label and maps back to its ordinal", () => {
    fc.assert(
      fc.property(label, fc.integer({ min: 0, max: 100_000 }), (set, ordinal) => {
        const pod = podName(set, ordinal);
        expect(dns1123LabelError(pod)).toBeUndefined();
        expect(ordinalOf(set, pod)).toBe(ordinal);
      }),
    );
  });

  it("property: ordinalOf rejects names of other sets and non-numeric suffixes", () => {
    fc.assert(
      fc.property(label, fc.stringMatching(/^[a-z][-a-z]{0,5}$/), (set, suffix) => {
        expect(ordinalOf(set, `${set}-${suffix}`)).toBeUndefined();
        expect(ordinalOf(set, `x${set}-0`)).toBeUndefined();
        expect(ordinalOf(set, `${set}-01`)).toBeUndefined();
      }),
    );
  });

  it("property: FQDNs are distinct per ordinal and end in the service domain", () => {
    fc.assert(
      fc.property(label, label, fc.integer({ min: 1, max: 50 }), (set, svc, n) => {
        const fqdns = ordinals(n).map((i) => podFqdn(set, i, svc, "ns"));
        expect(new Set(fqdns).size).toBe(n);
        for (const f of fqdns) {
          expect(f.endsWith(`.${serviceDomain(svc, "ns")}`)).toBe(true);
          expect(dns1123SubdomainError(f)).toBeUndefined();
        }
      }),
    );
  });
});
