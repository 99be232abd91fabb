/** pulumi-stateful: Pulumi components for stateful workloads on Kubernetes. */
export * from "./components";
export { type Problem, StatefulArgsError } from "./sdk/errors";
export type { ConfigFilesArgs } from "./sdk/manifests/config-map";
export type { EnvVar, Probe } from "./sdk/manifests/k8s-types";
export type { RetentionArgs } from "./sdk/manifests/lifecycle";
export type { DisruptionBudgetArgs } from "./sdk/manifests/pod-disruption-budget";
export type { PortArgs } from "./sdk/manifests/ports";
export type { ResourceListArgs, ResourcesArgs } from "./sdk/manifests/resources";
export type { RolloutArgs } from "./sdk/manifests/rollout-options";
export type { AntiAffinityArgs, Topology, TopologySpreadArgs } from "./sdk/manifests/scheduling";
export type { SecurityArgs } from "./sdk/manifests/security";
export type { AccessMode, VolumeArgs } from "./sdk/manifests/volumes";
export { claimName, podFqdn, podName, serviceDomain } from "./sdk/naming";
export {
  compareDependencyOrder,
  dependencyOrder,
  fileNameFor,
  type KubeObject,
  type RenderStatefulAppArgs,
  renderHeadlessService,
  renderStatefulApp,
  renderZooKeeperEnsemble,
  toYaml,
} from "./sdk/render";
export { DEFAULT_ZOOKEEPER_IMAGE } from "./sdk/zookeeper/ensemble";
