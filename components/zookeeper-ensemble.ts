import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { zooKeeperRollout } from "../sdk/rollout/inputs";
import { superUserSecretManifest } from "../sdk/zookeeper/credentials";
import {
  resolveZooKeeper,
  type ZooKeeperEnsembleArgs as SdkArgs,
  type ZooKeeperSpec,
} from "../sdk/zookeeper/ensemble";
import {
  appSlots,
  buildWithInputs,
  type InputSlot,
  PLACEHOLDER,
  type ResourcesInput,
  type Unsettable,
} from "./inputs";
import { type BuiltApp, buildApp, type RolloutOptions, StatefulAppBase, splitRollout } from "./stateful-app";
import { ZooKeeperCredentials } from "./zookeeper-credentials";

/** The arguments that may be Inputs: none of them decides a name or the connect string. */
type InputArgs = "image" | "resources" | "extraConfig" | "jvmFlags";

/**
 * The sdk's arguments (sdk/zookeeper/ensemble.ts), where the values that decide no name may be
 * Inputs: checked when they resolve, with the message a plain value gets.
 */
export interface ZooKeeperEnsembleArgs extends Unsettable<Omit<SdkArgs, InputArgs | "rollout">> {
  /** @default "zookeeper:3.8.4" */
  image?: pulumi.Input<string> | undefined;
  /** @default - requests { cpu: "500m", memory: heap + 512Mi } */
  resources?: pulumi.Input<ResourcesInput> | undefined;
  /** Extra zoo.cfg lines (values may be Outputs); may not set the keys the component generates. @default {} */
  extraConfig?: Record<string, pulumi.Input<string>> | undefined;
  /** JVM options for the servers and zkCli.sh (java.env), e.g. `-Djute.maxbuffer=4194304`; may be an Output. @default [] */
  jvmFlags?: pulumi.Input<string[]> | undefined;
  /** Ordered rollout, as for StatefulApp. @default { timeoutSeconds: 600 } */
  rollout?: false | RolloutOptions | undefined;
}

/** The ensemble's slots: `InputArgs`. extraConfig and jvmFlags go into generated files, so they feed every file. */
function zooKeeperSlots(args: ZooKeeperEnsembleArgs): InputSlot<BuiltZooKeeper>[] {
  const extraConfig = args.extraConfig;
  const keys = extraConfig !== null && typeof extraConfig === "object" ? Object.keys(extraConfig) : [];
  return [
    appSlots.image(),
    appSlots.resources(),
    ...keys.map((k) => appSlots.configFile(["extraConfig", k])),
    { ...appSlots.configFile(["jvmFlags"]), placeholder: PLACEHOLDER.list },
  ];
}

interface BuiltZooKeeper extends BuiltApp {
  readonly connectString: string;
  readonly quorum: number;
  readonly servers: ZooKeeperSpec["servers"];
  readonly superUserSecret: ZooKeeperSpec["superUserSecret"];
}

/** What `rollout: false` costs, said once per ensemble. */
export const UNMANAGED_MEMBERSHIP_WARNING =
  "rollout is false: ZooKeeper membership is not managed. Do not change replicas of this ensemble once it runs (new servers would stay non-voting, and a scale-down would stop voting members); pod template changes roll with the controller's RollingUpdate, not leader last.";

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
  /**
   * The pods of the voting members (e.g. `["zk-0", "zk-1", "zk-2"]`) as the rollout last confirmed
   * them; undefined with `rollout: false` (membership not managed).
   */
  readonly votingMembers: pulumi.Output<string[] | undefined>;
  /** The super user `reconfig` runs as: its password and digest are secret outputs. */
  readonly credentials: ZooKeeperCredentials;
  /** `<name>-zookeeper-super`: the digest the servers check the super user against (never the password). */
  readonly superUserSecret: k8s.core.v1.Secret;

  constructor(name: string, args: ZooKeeperEnsembleArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    const { rollout, ...rest } = args;
    const { options, kubeconfig } = splitRollout(rollout);
    const zk = buildWithInputs(
      { ...rest, rollout: options },
      zooKeeperSlots(rest),
      (plain): BuiltZooKeeper => {
        // Once every Input is resolved (or stood in for), the arguments are the sdk's plain ones.
        const resolved = resolveZooKeeper(name, plain as SdkArgs);
        return {
          ...buildApp(resolved.app),
          connectString: resolved.connectString,
          quorum: resolved.quorum,
          servers: resolved.servers,
          superUserSecret: resolved.superUserSecret,
        };
      },
    );
    let credentials: ZooKeeperCredentials | undefined;
    let secret: k8s.core.v1.Secret | undefined;
    super(
      "stateful:index:ZooKeeperEnsemble",
      name,
      zk,
      undefined,
      (self) => ({
        connectString: zk.connectString,
        quorum: zk.quorum,
        votingMembers: self.rolloutWatcher?.votingMembers,
      }),
      opts,
      kubeconfig,
      (parent) => {
        // The pods read the digest from this Secret (the key is not optional): it exists before the set.
        credentials = new ZooKeeperCredentials(`${name}-super`, { parent });
        secret = new k8s.core.v1.Secret(
          `${name}-super`,
          superUserSecretManifest({ app: zk.spec, superUserSecret: zk.superUserSecret }, credentials.digest),
          { parent },
        );
        // The rollout runs `reconfig` as the super user: the password goes to it, secret.
        return {
          resources: [secret],
          rollout: {
            zookeeper: pulumi.secret(credentials.password.apply((pw) => zooKeeperRollout(zk.servers, pw))),
          },
        };
      },
    );
    this.connectString = zk.connectString;
    this.quorum = zk.quorum;
    this.votingMembers = this.rolloutWatcher ? this.rolloutWatcher.votingMembers : pulumi.output(undefined);
    this.credentials = credentials!;
    this.superUserSecret = secret!;
    if (rollout === false) pulumi.log.warn(UNMANAGED_MEMBERSHIP_WARNING, this);
  }
}
