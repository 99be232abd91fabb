/**
 * Configuration files: a ConfigMap `<name>-config` mounted read-only into the container, and the
 * hash in a pod-template annotation that rolls the pods when the files change.
 */
import { createHash } from "node:crypto";
import { checkAbsolutePath } from "../checks";
import type { Problems } from "../errors";
import type { ConfigMap, Volume, VolumeMount } from "./k8s-types";

/** Files rendered into a ConfigMap and mounted read-only; a change rolls the pods. */
export interface ConfigFilesArgs {
  /** Absolute directory where the files appear in the container. */
  mountPath: string;
  /** File name -> content. */
  files: Record<string, string>;
}

export interface AppConfigArgs {
  /** Configuration files mounted from a ConfigMap named `<name>-config`. @default - none */
  config?: ConfigFilesArgs | undefined;
}

export interface ResolvedConfig extends ConfigFilesArgs {
  configMapName: string;
}

export interface AppConfigSpec {
  readonly config?: ResolvedConfig | undefined;
}

const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;

/** `mountPaths`: the field that already uses each mount path (the volumes'). */
export function resolveConfig(
  p: Problems,
  args: AppConfigArgs,
  name: string,
  mountPaths: ReadonlyMap<string, string>,
): ResolvedConfig | undefined {
  if (args.config === undefined) return undefined;
  checkAbsolutePath(p, "config.mountPath", args.config.mountPath);
  const other = mountPaths.get(args.config.mountPath);
  if (other) p.add("config.mountPath", args.config.mountPath, `is already used by ${other}`);
  const files = args.config.files ?? {};
  if (Object.keys(files).length === 0) p.add("config.files", files, "must hold at least one file");
  for (const [k, v] of Object.entries(files)) {
    if (!CONFIG_KEY.test(k) || k === "." || k === ".." || k.length > 253)
      p.add("config.files key", k, "must be a file name of letters, digits, '-', '_' or '.'");
    if (typeof v !== "string") p.add(`config.files[${JSON.stringify(k)}]`, v, "must be a string");
  }
  return { mountPath: args.config.mountPath, files, configMapName: `${name}-config` };
}

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
): ConfigMap {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name, namespace, labels: { ...labels } },
    data: { ...files },
  };
}

/** Name of the pod volume that mounts the config ConfigMap. */
export const CONFIG_VOLUME = "config";

/** The pod volume holding the ConfigMap. */
export function configVolume(config: ResolvedConfig): Volume {
  return { name: CONFIG_VOLUME, configMap: { name: config.configMapName } };
}

/** Where the files appear in the container: read-only. */
export function configMount(config: ResolvedConfig): VolumeMount {
  return { name: CONFIG_VOLUME, mountPath: config.mountPath, readOnly: true };
}
