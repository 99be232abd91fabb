/**
 * The shape of the inputs and state the rollout resources write; bump it on an incompatible change
 * (docs/rollout.md). 3: inputs packed into one `rollout` property (components/rollout.ts), which a
 * package serving only 2 would misread as a set named `undefined`, so it must refuse instead.
 */
export const PROTOCOL = 3;
/** Protocols this version can serve (read, update and delete state written by): 2 had flat inputs. */
export const SUPPORTED_PROTOCOLS: readonly number[] = [2, 3];
/**
 * The StatefulSet carries this annotation, valued with the rollout's owner id, only while a
 * rollout manages it: a watcher deleted after the program turned the rollout off (or renamed the
 * component) finds it gone or different and leaves the set alone.
 */
export const ROLLOUT_ANNOTATION = "stateful.pulumi.com/rollout";

// The resources' inputs: plain data, no client-node types, so that the components' public
// declarations can name them without pulling in @kubernetes/client-node's.

export interface ClaimTemplate {
  name: string;
  storage: string;
  storageClass?: string;
  accessModes: string[];
}

/**
 * What the rollout needs to manage a ZooKeeper ensemble's membership (sdk/rollout/zookeeper.ts).
 * Optional in `RolloutInputs` (added in protocol 2): state written without it is served as before,
 * and an older package that does not know it ignores it — it would not manage membership (a
 * `replicas` change would leave joiners non-voting and delete voting members' pods).
 */
export interface ZooKeeperRollout {
  /** Container the membership commands run in (`zkCli.sh`, bash). */
  container: string;
  clientPort: number;
  serverPort: number;
  electionPort: number;
  /** `<service>.<namespace>.svc.<clusterDomain>`: the servers' addresses are `<pod>.<serviceDomain>`. */
  serviceDomain: string;
  /** The ZooKeeper super user's password (`reconfig` needs it). Secret in state; never logged. */
  superPassword: string;
}

export interface RolloutInputs {
  namespace: string;
  /** StatefulSet name. */
  name: string;
  replicas: number;
  ordinalsStart: number;
  serviceName: string;
  podManagementPolicy: "OrderedReady" | "Parallel";
  updateStrategy: "RollingUpdate" | "OnDelete";
  partition: number;
  minReadySeconds: number;
  whenDeleted: "Retain" | "Delete";
  whenScaled: "Retain" | "Delete";
  /** The claim templates, in order. */
  claimTemplates: ClaimTemplate[];
  /** Labels selecting the set's pods and claims. */
  selector: Record<string, string>;
  /** Seconds to wait for a rollout or teardown before failing. */
  timeoutSeconds: number;
  /** Hash of the pod template: a change means a rolling update to wait for. */
  templateHash: string;
  /** Let a change that replaces the set through (the old pods are drained in order first). */
  allowReplacement: boolean;
  /** Let a scale-down remove pods that are themselves unhealthy (every pod that stays must be healthy). */
  allowUnhealthyRemoval: boolean;
  /** On destroy, give up on an API server that cannot be reached instead of failing. */
  deleteUnreachable: boolean;
  /** The value of the set's ROLLOUT_ANNOTATION while this rollout manages it. */
  owner: string;
  /** Kubeconfig YAML (a secret input); @default - the ambient kubeconfig */
  kubeconfig?: string;
  /** @default - the kubeconfig's current context */
  context?: string;
  /** A ZooKeeper ensemble: membership follows `replicas` by dynamic reconfiguration. @default - not managed */
  zookeeper?: ZooKeeperRollout;
}
