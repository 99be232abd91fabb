/**
 * Volumes: per-pod persistent volumes, each a claim template of the set and a mount in the
 * container. Claims are named `<template>-<set>-<ordinal>` and outlive the pods.
 */
import { checkAbsolutePath } from "../checks";
import type { Problems } from "../errors";
import { dns1123LabelError, dns1123SubdomainError } from "../naming";
import { parseQuantity } from "../quantity";
import type { PersistentVolumeClaimTemplate, VolumeMount } from "./k8s-types";

export type AccessMode = "ReadWriteOnce" | "ReadOnlyMany" | "ReadWriteMany" | "ReadWriteOncePod";
const ACCESS_MODES: readonly AccessMode[] = [
  "ReadWriteOnce",
  "ReadOnlyMany",
  "ReadWriteMany",
  "ReadWriteOncePod",
];

/** A per-pod persistent volume: becomes a claim template and a mount in the container. */
export interface VolumeArgs {
  /** Claim template name; claims are named `<name>-<set>-<ordinal>`. */
  name: string;
  /** Requested size, a Kubernetes quantity such as `1Gi` or `20Gi`. */
  size: string;
  /** Absolute path where the volume is mounted in the container. */
  mountPath: string;
  /** StorageClass name. @default - the cluster's default StorageClass */
  storageClass?: string | undefined;
  /** @default ["ReadWriteOnce"] */
  accessModes?: AccessMode[] | undefined;
}

export interface AppVolumesArgs {
  /** Per-pod persistent volumes. @default [] */
  volumes?: VolumeArgs[] | undefined;
}

export interface ResolvedVolume {
  name: string;
  size: string;
  mountPath: string;
  storageClass?: string | undefined;
  accessModes: AccessMode[];
}

export interface AppVolumesSpec {
  readonly volumes: ResolvedVolume[];
}

/** The checked volumes, and which field already uses each mount path (for the config mount's check). */
export function resolveVolumes(
  p: Problems,
  args: AppVolumesArgs,
): { volumes: ResolvedVolume[]; mountPaths: Map<string, string> } {
  const mountPaths = new Map<string, string>();
  const volumes = (args.volumes ?? []).map((v, i) => {
    const f = `volumes[${i}]`;
    const e = typeof v.name === "string" ? dns1123LabelError(v.name) : "must be a string";
    if (e) p.add(`${f}.name`, v.name, e);
    const size = typeof v.size === "string" ? parseQuantity(v.size) : undefined;
    if (size === undefined) p.add(`${f}.size`, v.size, 'must be a Kubernetes quantity like "1Gi" or "500Mi"');
    else if (size <= 0) p.add(`${f}.size`, v.size, "must be greater than zero");
    checkAbsolutePath(p, `${f}.mountPath`, v.mountPath);
    if (typeof v.mountPath === "string") {
      const other = mountPaths.get(v.mountPath);
      if (other) p.add(`${f}.mountPath`, v.mountPath, `is already used by ${other}`);
      else mountPaths.set(v.mountPath, `${f}.mountPath`);
    }
    if (v.storageClass !== undefined) {
      const sc = dns1123SubdomainError(v.storageClass);
      if (sc) p.add(`${f}.storageClass`, v.storageClass, sc);
    }
    const accessModes = v.accessModes ?? ["ReadWriteOnce"];
    if (accessModes.length === 0) p.add(`${f}.accessModes`, accessModes, "must not be empty");
    for (const m of accessModes)
      if (!ACCESS_MODES.includes(m))
        p.add(`${f}.accessModes`, m, `must be one of ${ACCESS_MODES.join(", ")}`);
    return { name: v.name, size: v.size, mountPath: v.mountPath, storageClass: v.storageClass, accessModes };
  });
  const volumeNames = new Set<string>();
  volumes.forEach((v, i) => {
    if (volumeNames.has(v.name)) p.add(`volumes[${i}].name`, v.name, "duplicates another volume's name");
    volumeNames.add(v.name);
  });
  return { volumes, mountPaths };
}

/** Where each volume appears in the container. */
export function volumeMounts(volumes: readonly ResolvedVolume[]): VolumeMount[] {
  return volumes.map((v) => ({ name: v.name, mountPath: v.mountPath }));
}

/** The set's claim templates, or undefined when it has no volumes. */
export function claimTemplates(
  volumes: readonly ResolvedVolume[],
): PersistentVolumeClaimTemplate[] | undefined {
  if (volumes.length === 0) return undefined;
  return volumes.map((v) => ({
    metadata: { name: v.name },
    spec: {
      accessModes: [...v.accessModes],
      ...(v.storageClass !== undefined ? { storageClassName: v.storageClass } : {}),
      resources: { requests: { storage: v.size } },
    },
  }));
}
