/**
 * The super user `reconfig` runs as (docs/zookeeper-scaling.md, "Credentials"): a password made once
 * by the credentials resource where `pulumi up` runs and kept secret in state, and the Secret that
 * gives the servers only its digest.
 */
import { randomBytes } from "node:crypto";
import type { Secret } from "../manifests/k8s-types";
import { superDigest } from "./config";

/** What the credentials resource keeps in state (both secret). */
export interface SuperCredentials {
  /** 32 random bytes, base64url: what `addauth digest super:<password>` sends. */
  password: string;
  /** `super:<base64(sha1("super:<password>"))>`: what the servers are given. */
  digest: string;
}

/** A new password and its digest. */
export function newSuperCredentials(): SuperCredentials {
  const password = randomBytes(32).toString("base64url");
  return { password, digest: superDigest(password) };
}

/**
 * The digest an offline render (no engine, so no password) puts in the Secret. Not a digest of any
 * password: a real one is 28 base64 characters ending in `=`, so applying a rendered manifest
 * grants no one the super user (reconfiguration then fails until the real Secret is applied).
 */
export const OFFLINE_SUPER_DIGEST = "super:rendered-offline-no-password";

/**
 * The Secret the ensemble's pods read the digest from (`ZooKeeperSpec.superUserSecret`: name and
 * key), holding only that key; `digest` is a string, or whatever stands for one (an Output).
 */
export function superUserSecretManifest<D = string>(
  z: {
    readonly app: { readonly namespace: string; readonly labels: Record<string, string> };
    readonly superUserSecret: { readonly name: string; readonly key: string };
  },
  digest: D,
): Secret<D> {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: z.superUserSecret.name, namespace: z.app.namespace, labels: { ...z.app.labels } },
    type: "Opaque",
    stringData: { [z.superUserSecret.key]: digest },
  };
}
