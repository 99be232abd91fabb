export { HeadlessService, type HeadlessServiceArgs } from "./headless-service";
export type { ConfigFilesInput, ResourceListInput, ResourcesInput } from "./inputs";
export { type AppSpec, type RolloutOptions, StatefulApp, type StatefulAppArgs } from "./stateful-app";
export { ZooKeeperEnsemble, type ZooKeeperEnsembleArgs } from "./zookeeper-ensemble";
