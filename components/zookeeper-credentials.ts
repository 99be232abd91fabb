/**
 * The ZooKeeper super user's credentials as a resource (docs/zookeeper-scaling.md, "Credentials"):
 * its create makes a random password once, where `pulumi up` runs; both the password and its
 * digest are secret outputs, kept in state, never in a manifest. The ensemble's Secret carries the
 * digest only; the rollout gets the password to run `reconfig`.
 *
 * Served by the same dynamic-provider module as the rollout (components/rollout.ts): a fixed text
 * that loads `pulumi-stateful/provider` by package name, role `credentials`. It touches no cluster.
 */
import * as pulumi from "@pulumi/pulumi";
import { DYNAMIC_TYPE, providerText } from "./rollout";

const CREDENTIALS_TEXT = providerText("credentials");

export class ZooKeeperCredentials extends pulumi.CustomResource {
  /** The super user's password (secret). */
  declare readonly password: pulumi.Output<string>;
  /** `super:<base64(sha1("super:<password>"))>` (secret), what the servers are given. */
  declare readonly digest: pulumi.Output<string>;

  constructor(name: string, opts?: pulumi.CustomResourceOptions) {
    super(
      DYNAMIC_TYPE,
      name,
      { __provider: CREDENTIALS_TEXT, role: "credentials", password: undefined, digest: undefined },
      { ...opts, additionalSecretOutputs: ["password", "digest"] },
    );
  }
}
