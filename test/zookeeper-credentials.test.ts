/** The ZooKeeper super user's credentials (sdk/zookeeper/credentials.ts) and their provider role. */
import { describe, expect, it } from "vitest";
import { provider } from "../sdk/rollout/entry";
import { PROTOCOL } from "../sdk/rollout/protocol";
import { superDigest } from "../sdk/zookeeper/config";
import {
  newSuperCredentials,
  OFFLINE_SUPER_DIGEST,
  superUserSecretManifest,
} from "../sdk/zookeeper/credentials";

describe("super-user credentials", () => {
  it("a fresh 32-byte password each time, and ZooKeeper's digest of it", () => {
    const a = newSuperCredentials();
    const b = newSuperCredentials();
    expect(a.password).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(a.password, "base64url")).toHaveLength(32);
    expect(a.password).not.toBe(b.password);
    expect(a.digest).toBe(superDigest(a.password));
  });

  it("the offline digest is not the digest of any password (a real one is 28 base64 characters)", () => {
    const real = /^super:[A-Za-z0-9+/]{27}=$/;
    expect(newSuperCredentials().digest).toMatch(real);
    expect(OFFLINE_SUPER_DIGEST).not.toMatch(real);
  });

  it("the Secret holds the digest under the key the pods read, nothing else", () => {
    const z = {
      app: { namespace: "infra", labels: { app: "zk" } },
      superUserSecret: { name: "zk-zookeeper-super", key: "superDigest" },
    };
    expect(superUserSecretManifest(z, "super:x")).toEqual({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "zk-zookeeper-super", namespace: "infra", labels: { app: "zk" } },
      type: "Opaque",
      stringData: { superDigest: "super:x" },
    });
  });

  it("the provider's credentials role: create makes them, diff never changes them, update keeps them", async () => {
    const p = provider("credentials", PROTOCOL);
    const inputs = { __provider: "text", role: "credentials" };
    const { id, outs } = await p.create(inputs);
    expect(id).toBe("super");
    expect(outs.digest).toBe(superDigest(outs.password as string));
    expect(outs.protocol).toBe(PROTOCOL);
    expect(await p.diff(id, { ...inputs, ...outs }, inputs)).toEqual({ changes: false });
    const { outs: kept } = await p.update(id, { ...inputs, ...outs }, inputs);
    expect(kept.password).toBe(outs.password);
    expect(kept.digest).toBe(outs.digest);
    await expect(p.delete(id, { ...inputs, ...outs })).resolves.toBeUndefined();
  });
});
