/**
 * The container: image, entrypoint, environment; and the container object itself, assembled from
 * its ports, mounts, resources, probes and security context.
 */
import type { Problems } from "../errors";
import { dns1123LabelError } from "../naming";
import { type AppConfigSpec, configMount } from "./config-map";
import type { Container, EnvVar, VolumeMount } from "./k8s-types";
import { type AppPortsSpec, containerPorts } from "./ports";
import { type AppProbesSpec, containerProbes } from "./probes";
import { type AppResourcesSpec, containerResources } from "./resources";
import { type AppSecuritySpec, containerSecurityContext } from "./security";
import { type AppVolumesSpec, volumeMounts } from "./volumes";

export type { EnvVar };

export interface AppContainerArgs {
  /** Container image, e.g. `zookeeper:3.8.4`. */
  image: string;
  /** @default - Kubernetes' default (Always for `:latest`, IfNotPresent otherwise) */
  imagePullPolicy?: "Always" | "IfNotPresent" | "Never" | undefined;
  /** @default - the StatefulSet name */
  containerName?: string | undefined;
  /** Entrypoint override. @default - the image's */
  command?: string[] | undefined;
  /** Arguments. @default - the image's */
  args?: string[] | undefined;
  /** Plain environment variables. @default {} */
  env?: Record<string, string> | undefined;
  /** Extra environment variables in Kubernetes form (valueFrom etc.), added after `env`. @default [] */
  extraEnv?: EnvVar[] | undefined;
}

export interface AppContainerSpec {
  readonly image: string;
  readonly imagePullPolicy?: "Always" | "IfNotPresent" | "Never" | undefined;
  readonly containerName: string;
  readonly command?: string[] | undefined;
  readonly args?: string[] | undefined;
  readonly env: Record<string, string>;
  readonly extraEnv: EnvVar[];
}

const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

/** `name`: the set's name, the container's by default. */
export function resolveContainer(p: Problems, args: AppContainerArgs, name: string): AppContainerSpec {
  if (typeof args.image !== "string" || args.image.trim() === "")
    p.add("image", args.image, 'must be a container image reference like "zookeeper:3.8.4"');
  else if (/\s/.test(args.image) || args.image !== args.image.trim())
    p.add("image", args.image, "must not contain whitespace");

  const containerName = args.containerName ?? name;
  if (args.containerName !== undefined) {
    const e = dns1123LabelError(args.containerName);
    if (e) p.add("containerName", args.containerName, e);
  }

  for (const [k, v] of Object.entries(args.env ?? {})) {
    if (!ENV_NAME.test(k))
      p.add(
        "env key",
        k,
        "must be a C identifier-like name: letters, digits, '_', '-' or '.', not starting with a digit",
      );
    if (typeof v !== "string") p.add(`env[${JSON.stringify(k)}]`, v, "must be a string (quote numbers)");
  }
  return {
    image: args.image,
    imagePullPolicy: args.imagePullPolicy,
    containerName,
    command: args.command,
    args: args.args,
    env: { ...args.env },
    extraEnv: [...(args.extraEnv ?? [])],
  };
}

/** Everything the container is built from. */
export type ContainerParts = AppContainerSpec &
  AppPortsSpec &
  AppVolumesSpec &
  AppConfigSpec &
  AppResourcesSpec &
  AppProbesSpec &
  AppSecuritySpec;

export function containerManifest(s: ContainerParts): Container {
  const env: EnvVar[] = [...Object.entries(s.env).map(([name, value]) => ({ name, value })), ...s.extraEnv];
  const mounts: VolumeMount[] = volumeMounts(s.volumes);
  if (s.config) mounts.push(configMount(s.config));
  const ports = containerPorts(s.ports);
  const resources = containerResources(s.resources);
  return {
    name: s.containerName,
    image: s.image,
    ...(s.imagePullPolicy ? { imagePullPolicy: s.imagePullPolicy } : {}),
    ...(s.command ? { command: [...s.command] } : {}),
    ...(s.args ? { args: [...s.args] } : {}),
    ...(env.length > 0 ? { env } : {}),
    ...(ports ? { ports } : {}),
    ...(resources ? { resources } : {}),
    ...containerProbes(s),
    ...(mounts.length > 0 ? { volumeMounts: mounts } : {}),
    securityContext: containerSecurityContext(s.security),
  };
}
