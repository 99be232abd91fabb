/** pulumi-stateful: Pulumi components for stateful workloads on Kubernetes. */
export * from "./components";
export { type Problem, StatefulArgsError } from "./sdk/errors";
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
export type {
  AccessMode,
  AntiAffinityArgs,
  ConfigFilesArgs,
  DisruptionBudgetArgs,
  PortArgs,
  ResourcesArgs,
  RetentionArgs,
  SecurityArgs,
  TopologySpreadArgs,
  VolumeArgs,
} from "./sdk/stateful-app";
export { DEFAULT_ZOOKEEPER_IMAGE } from "./sdk/zookeeper/ensemble";
