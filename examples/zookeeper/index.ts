/**
 * The `zk` ZooKeeper ensemble of the seed tutorial, on current APIs, with every seed setting.
 *
 * Fixed from the seed:
 * - ZK_SYNC_LIMIT read the ConfigMap key `tick` (2000 ticks) instead of `sync` (5): syncLimit is 5.
 * - The anti-affinity selected `app: zk-headless`, a label no pod has (the pods are `app: zk`), so it
 *   never kept two servers apart; it also lived in an alpha annotation with the nonexistent
 *   `requiredDuringSchedulingRequiredDuringExecution`. Now: required anti-affinity on the hostname
 *   in the pod spec, selecting the ensemble's own pods.
 * - apps/v1beta1 and policy/v1beta1 -> apps/v1 and policy/v1; storage-class alpha annotation dropped.
 * - gcr.io/google_samples/k8szk:v1 is gone; the Docker Official Image zookeeper:3.8.4 runs the
 *   generated zoo.cfg (server ids from pod ordinals, no zkGenConfig.sh).
 * - The seed's static server list made every scale a restart with a new list, which loses
 *   acknowledged writes. zoo.cfg now holds static settings only; the membership lives on each
 *   server's volume and changes by dynamic reconfiguration, one server at a time
 *   (docs/zookeeper-scaling.md). Pods start in parallel, and Ready means "serving".
 * - The headless Service did not publish not-ready pods: a restarted ensemble could not resolve its
 *   peers to elect a leader. It also gains the client port.
 * - `pod.alpha.kubernetes.io/initialized` and `imagePullPolicy: Always` on a pinned tag are dropped.
 */
import * as pulumi from "@pulumi/pulumi";
import { ZooKeeperEnsemble } from "../../components";

export function zookeeper() {
  const zk = new ZooKeeperEnsemble("zk", {
    // `pulumi config set replicas 5` grows the ensemble by reconfiguration, one server at a time,
    // restarting none of the running ones (the seed's 3 by default; 1, 3, 5, 7 or 9).
    replicas: new pulumi.Config().getNumber("replicas") ?? 3,
    serviceName: "zk-headless",
    selectorLabels: { app: "zk" },
    heap: "2G",
    tickTime: 2000,
    initLimit: 10,
    syncLimit: 5,
    maxClientCnxns: 60,
    snapRetainCount: 3,
    purgeInterval: 1,
    storageSize: "20Gi",
    resources: { requests: { memory: "4Gi", cpu: "1" } },
    antiAffinity: { type: "required", topology: "hostname" },
    // The seed's budget name; minAvailable is the quorum (2 of 3, 3 of 5).
    podDisruptionBudget: { name: "zk-budget" },
  });
  return { connectString: zk.connectString, podFqdns: zk.podFqdns, claimNames: zk.claimNames };
}
