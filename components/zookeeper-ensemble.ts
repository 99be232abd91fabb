import type * as pulumi from "@pulumi/pulumi";
import { resolveZooKeeper, type ZooKeeperEnsembleArgs as SdkArgs } from "../sdk/zookeeper/ensemble";
import { type RolloutOptions, StatefulAppBase, splitRollout } from "./stateful-app";

export interface ZooKeeperEnsembleArgs extends Omit<SdkArgs, "rollout"> {
  /** Ordered rollout, as for StatefulApp. @default { timeoutSeconds: 600 } */
  rollout?: false | RolloutOptions;
}

/**
 * A ZooKeeper ensemble: zoo.cfg and java.env in a ConfigMap (a change rolls the pods), server ids
 * from pod ordinals, a PodDisruptionBudget that keeps the quorum, anti-affinity and probes. It is a
 * StatefulApp, so every StatefulApp output is here too.
 */
export class ZooKeeperEnsemble extends StatefulAppBase {
  /** `<pod-0 fqdn>:<clientPort>,<pod-1 fqdn>:<clientPort>,...` */
  readonly connectString: string;
  /** Servers that must be up for the ensemble to serve. */
  readonly quorum: number;

  constructor(name: string, args: ZooKeeperEnsembleArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    const { rollout, ...rest } = args;
    const { options, kubeconfig } = splitRollout(rollout);
    const zk = resolveZooKeeper(name, { ...rest, rollout: options });
    super(
      "stateful:index:ZooKeeperEnsemble",
      name,
      zk.app,
      undefined,
      { connectString: zk.connectString, quorum: zk.quorum },
      opts,
      kubeconfig,
    );
    this.connectString = zk.connectString;
    this.quorum = zk.quorum;
  }
}
