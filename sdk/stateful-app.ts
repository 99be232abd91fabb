/**
 * `StatefulAppArgs`: what a user may ask of a StatefulSet, and `resolveStatefulApp`, which checks
 * every argument, applies every default once and derives the stable identities (pod names, FQDNs,
 * claim names). Each concern keeps its arguments, defaults, checks and builder together in its own
 * file under `manifests/`; this file only composes them. Everything here is plain data: no Pulumi,
 * no I/O.
 */
import { Problems } from "./errors";
import { type AppConfigArgs, type AppConfigSpec, resolveConfig } from "./manifests/config-map";
import { type AppContainerArgs, type AppContainerSpec, resolveContainer } from "./manifests/container";
import {
  type AppIdentityArgs,
  type AppIdentitySpec,
  resolveClusterDomain,
  resolveIdentity,
  stableNames,
} from "./manifests/identity";
import { type AppLifecycleArgs, type AppLifecycleSpec, resolveLifecycle } from "./manifests/lifecycle";
import { type AppMetadataArgs, type AppMetadataSpec, resolveMetadata } from "./manifests/metadata";
import { type AppBudgetArgs, type AppBudgetSpec, resolveBudget } from "./manifests/pod-disruption-budget";
import { type AppPortsArgs, type AppPortsSpec, resolvePorts } from "./manifests/ports";
import { type AppProbesArgs, type AppProbesSpec, resolveProbes } from "./manifests/probes";
import { type AppResourcesArgs, type AppResourcesSpec, resolveResources } from "./manifests/resources";
import { type AppRolloutArgs, type AppRolloutSpec, resolveRollout } from "./manifests/rollout-options";
import { type AppSchedulingArgs, type AppSchedulingSpec, resolveScheduling } from "./manifests/scheduling";
import {
  type AppSecurityArgs,
  type AppSecuritySpec,
  resolveSecurity,
  resolveServiceAccount,
} from "./manifests/security";
import { type AppServicesArgs, type AppServicesSpec, resolveServices } from "./manifests/services";
import { type AppVolumesArgs, type AppVolumesSpec, resolveVolumes } from "./manifests/volumes";

export type { ConfigFilesArgs } from "./manifests/config-map";
export type { EnvVar } from "./manifests/container";
export type { RetentionArgs } from "./manifests/lifecycle";
export {
  budgetCount,
  checkDisruptionBudget,
  type DisruptionBudgetArgs,
} from "./manifests/pod-disruption-budget";
export type { PortArgs } from "./manifests/ports";
export type { Probe } from "./manifests/probes";
export type { ResourceListArgs, ResourcesArgs } from "./manifests/resources";
export type { RolloutArgs } from "./manifests/rollout-options";
export {
  type AntiAffinityArgs,
  TOPOLOGY_KEYS,
  type Topology,
  type TopologySpreadArgs,
} from "./manifests/scheduling";
export type { SecurityArgs } from "./manifests/security";
export type { AdoptedServiceRef } from "./manifests/services";
export type { AccessMode, ResolvedVolume, VolumeArgs } from "./manifests/volumes";

/** Everything a StatefulApp may be asked for, one concern (and one file under `manifests/`) at a time. */
export interface StatefulAppArgs
  extends AppIdentityArgs,
    AppContainerArgs,
    AppPortsArgs,
    AppVolumesArgs,
    AppConfigArgs,
    AppMetadataArgs,
    AppServicesArgs,
    AppBudgetArgs,
    AppSchedulingArgs,
    AppProbesArgs,
    AppResourcesArgs,
    AppSecurityArgs,
    AppLifecycleArgs,
    AppRolloutArgs {}

/** Every argument checked and every default applied, plus the identities derived from them. */
export interface StatefulAppSpec
  extends AppIdentitySpec,
    AppContainerSpec,
    AppPortsSpec,
    AppVolumesSpec,
    AppConfigSpec,
    AppMetadataSpec,
    AppServicesSpec,
    AppBudgetSpec,
    AppSchedulingSpec,
    AppProbesSpec,
    AppResourcesSpec,
    AppSecuritySpec,
    AppLifecycleSpec,
    AppRolloutSpec {}

/**
 * Checks `args` for the component `<kind> "<componentName>"`, reporting every problem at once,
 * and returns the resolved spec. The concerns are checked in the order their problems are listed.
 */
export function resolveStatefulApp(
  componentName: string,
  args: StatefulAppArgs,
  kind = "StatefulApp",
): StatefulAppSpec {
  const p = new Problems(`${kind} "${componentName}"`);
  if (args === null || typeof args !== "object") {
    p.add("args", args, "must be an object with at least an image");
    p.throwIfAny();
  }
  const id = resolveIdentity(p, componentName, args);
  const { name, namespace, replicas, replicasOk, derivedFromBadName } = id;
  const container = resolveContainer(p, args, name);
  const ports = resolvePorts(p, args);
  const { volumes, mountPaths } = resolveVolumes(p, args);
  const config = resolveConfig(p, args, name, mountPaths);
  const metadata = resolveMetadata(p, args, name);
  const services = resolveServices(p, args, {
    name,
    namespace,
    labels: metadata.labels,
    ports,
    derivedFromBadName,
  });
  const podDisruptionBudget = resolveBudget(p, args, {
    name,
    replicas: replicasOk ? replicas : 0,
    derivedFromBadName,
  });
  const scheduling = resolveScheduling(p, args);
  const probes = resolveProbes(p, args, ports[0]?.name);
  const { resources } = resolveResources(p, args);
  const security = resolveSecurity(p, args);
  const lifecycle = resolveLifecycle(p, args, id);
  const serviceAccountName = resolveServiceAccount(p, args);
  const clusterDomain = resolveClusterDomain(p, args);
  const rollout = resolveRollout(p, args, componentName);
  p.throwIfAny();

  return {
    name,
    namespace,
    replicas,
    ...container,
    ports,
    volumes,
    config,
    ...metadata,
    ...services,
    podDisruptionBudget,
    ...scheduling,
    ...probes,
    resources,
    security,
    ...lifecycle,
    ordinalsStart: id.ordinalsStart,
    serviceAccountName,
    clusterDomain,
    rollout,
    ...stableNames(id, clusterDomain, services.serviceName, volumes),
  };
}
