/** The ConfigMap holding an app's configuration files, and the hash that rolls pods when it changes. */
import { createHash } from "node:crypto";
import type { V1ConfigMap } from "@kubernetes/client-node";

/** Pod-template annotation carrying the configuration hash: a new hash is a new revision. */
export const CONFIG_HASH_ANNOTATION = "stateful.pulumi.com/config-hash";

/** sha256 over the files in name order, as 16 hex digits. */
export function configHash(files: Record<string, string>): string {
  const h = createHash("sha256");
  for (const name of Object.keys(files).sort()) {
    h.update(name);
    h.update("\0");
    h.update(files[name]!);
    h.update("\0");
  }
  return h.digest("hex").slice(0, 16);
}

export function configMapManifest(
  name: string,
  namespace: string,
  labels: Record<string, string>,
  files: Record<string, string>,
): V1ConfigMap {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name, namespace, labels: { ...labels } },
    data: { ...files },
  };
}
