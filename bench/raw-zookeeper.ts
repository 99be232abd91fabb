/**
 * The references for the sdk benchmark: one ZooKeeper ensemble's Kubernetes resources written by
 * hand with @pulumi/kubernetes, as a user without this library would write them.
 * - `rawZooKeeper`: the same objects a `ZooKeeperEnsemble` with `rollout: false` registers, byte
 *   for byte (its start script for dynamic membership included), written out literally: the
 *   like-for-like reference (test/bench-sdk-reference.test.ts checks the objects are the same).
 * - `staticZooKeeper`: the seed tutorial's kind of ensemble, a static server list and a one-line
 *   start command, with smaller objects (it cannot change its membership safely).
 */
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { renderZooKeeperEnsemble } from "../sdk/render";

/** The stand-in name the literal objects are written for; no other text contains it. */
const STAND_IN = "zzbenchzz";
/** Rendered when the module loads, before any timing: the program's text, not its work. */
const LITERAL = JSON.stringify(renderZooKeeperEnsemble(STAND_IN, { rollout: false }));

/**
 * The objects of one ensemble as a hand-written program holds them: a literal (rendered once, as
 * the user would have copied it) with the ensemble's name put in. Registered in dependency order
 * with the dependsOn the component gives the set.
 */
export function rawZooKeeper(name: string): void {
  // biome-ignore lint/suspicious/noExplicitAny: literal Kubernetes objects of several kinds
  const objects: any[] = JSON.parse(LITERAL.replaceAll(STAND_IN, name));
  const before: pulumi.Resource[] = [];
  for (const o of objects) {
    const id = o.metadata.name as string;
    switch (o.kind) {
      case "Secret":
        before.push(new k8s.core.v1.Secret(`${name}-super`, o));
        break;
      case "ConfigMap":
        before.push(new k8s.core.v1.ConfigMap(id, o));
        break;
      case "Service":
        if (id === `${name}-client`) new k8s.core.v1.Service(id, o);
        else before.push(new k8s.core.v1.Service(id, o));
        break;
      case "StatefulSet":
        new k8s.apps.v1.StatefulSet(name, o, { dependsOn: [...before] });
        break;
      case "PodDisruptionBudget":
        new k8s.policy.v1.PodDisruptionBudget(id, o);
        break;
      default:
        throw new Error(`bench: no hand-written reference for ${o.kind}`);
    }
  }
}

export function staticZooKeeper(name: string): void {
  const ns = "default";
  const labels = { app: name };
  const svc = `${name}-headless`;
  const servers = [0, 1, 2]
    .map((i) => `server.${i + 1}=${name}-${i}.${svc}.${ns}.svc.cluster.local:2888:3888`)
    .join("\n");
  // The super-user digest the servers check `reconfig` against, as the component's Secret holds it.
  const secret = new k8s.core.v1.Secret(`${name}-super`, {
    metadata: { name: `${name}-zookeeper-super`, namespace: ns, labels },
    type: "Opaque",
    stringData: { superDigest: "super:719c74TPZ3BgO9riQUqfko6jLak=" },
  });
  const cm = new k8s.core.v1.ConfigMap(`${name}-config`, {
    metadata: { name: `${name}-config`, namespace: ns, labels },
    data: {
      "zoo.cfg": `tickTime=2000\ninitLimit=10\nsyncLimit=5\nmaxClientCnxns=60\nautopurge.snapRetainCount=3\nautopurge.purgeInterval=1\ndataDir=/var/lib/zookeeper/data\nclientPort=2181\n4lw.commands.whitelist=ruok,srvr,mntr,conf\nadmin.enableServer=false\nreconfigEnabled=false\nstandaloneEnabled=false\n${servers}\n`,
      "java.env": 'export SERVER_JVMFLAGS="-Xms1024m -Xmx1024m ${SERVER_JVMFLAGS:-}"\n',
    },
  });
  const ports = [
    { name: "client", port: 2181, targetPort: "client" },
    { name: "server", port: 2888, targetPort: "server" },
    { name: "leader-election", port: 3888, targetPort: "leader-election" },
  ];
  const headless = new k8s.core.v1.Service(svc, {
    metadata: { name: svc, namespace: ns, labels, annotations: { "pulumi.com/skipAwait": "true" } },
    spec: { clusterIP: "None", selector: labels, ports, publishNotReadyAddresses: true },
  });
  const probe = {
    exec: {
      command: [
        "bash",
        "-c",
        'exec 3<>"/dev/tcp/localhost/2181"; printf ruok >&3; read -r -t 5 -n 4 r <&3; [ "$r" = imok ]',
      ],
    },
    periodSeconds: 5,
    timeoutSeconds: 5,
  };
  new k8s.apps.v1.StatefulSet(
    name,
    {
      metadata: { name, namespace: ns, labels },
      spec: {
        serviceName: svc,
        replicas: 3,
        selector: { matchLabels: labels },
        podManagementPolicy: "OrderedReady",
        updateStrategy: { type: "RollingUpdate", rollingUpdate: { partition: 0 } },
        persistentVolumeClaimRetentionPolicy: { whenDeleted: "Retain", whenScaled: "Retain" },
        template: {
          metadata: { labels },
          spec: {
            securityContext: {
              runAsNonRoot: true,
              runAsUser: 1000,
              runAsGroup: 1000,
              fsGroup: 1000,
              seccompProfile: { type: "RuntimeDefault" },
            },
            affinity: {
              podAntiAffinity: {
                preferredDuringSchedulingIgnoredDuringExecution: [
                  {
                    weight: 100,
                    podAffinityTerm: {
                      labelSelector: { matchLabels: labels },
                      topologyKey: "kubernetes.io/hostname",
                    },
                  },
                ],
              },
            },
            containers: [
              {
                name: "zookeeper",
                image: "zookeeper:3.8.4",
                command: [
                  "bash",
                  "-ec",
                  "echo $((${POD_NAME##*-} + 1)) > /var/lib/zookeeper/data/myid; exec zkServer.sh start-foreground",
                ],
                env: [
                  { name: "ZOOCFGDIR", value: "/conf" },
                  { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
                ],
                ports: [
                  { name: "client", containerPort: 2181 },
                  { name: "server", containerPort: 2888 },
                  { name: "leader-election", containerPort: 3888 },
                ],
                readinessProbe: probe,
                livenessProbe: { ...probe, initialDelaySeconds: 30 },
                resources: { requests: { cpu: "500m", memory: "1536Mi" } },
                securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
                volumeMounts: [
                  { name: "datadir", mountPath: "/var/lib/zookeeper" },
                  { name: "config", mountPath: "/conf", readOnly: true },
                ],
              },
            ],
            volumes: [{ name: "config", configMap: { name: `${name}-config` } }],
          },
        },
        volumeClaimTemplates: [
          {
            metadata: { name: "datadir" },
            spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "10Gi" } } },
          },
        ],
      },
    },
    { dependsOn: [headless, cm, secret] },
  );
  new k8s.core.v1.Service(`${name}-client`, {
    metadata: { name: `${name}-client`, namespace: ns, labels },
    spec: { selector: labels, ports: [ports[0]!] },
  });
  new k8s.policy.v1.PodDisruptionBudget(`${name}-pdb`, {
    metadata: { name: `${name}-pdb`, namespace: ns, labels },
    spec: { selector: { matchLabels: labels }, minAvailable: 2 },
  });
}
