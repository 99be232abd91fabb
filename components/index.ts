export { HeadlessService, type HeadlessServiceArgs } from "./headless-service";
export { StatefulApp, type StatefulAppArgs } from "./stateful-app";
export { ZooKeeperEnsemble, type ZooKeeperEnsembleArgs } from "./zookeeper-ensemble";
