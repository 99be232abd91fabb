/**
 * `ZooKeeperEnsembleArgs`: typed ZooKeeper settings, checked, and turned into the `StatefulAppArgs`
 * of a working ensemble (configuration, ids from ordinals, quorum-keeping budget, probes).
 */
import { isInt } from "../checks";
import { Problems, StatefulArgsError } from "../errors";
import { execProbe } from "../manifests/probes";
import { serviceDomain } from "../naming";
import { parseJvmSize, parseQuantity } from "../quantity";
import {
  type AntiAffinityArgs,
  budgetCount,
  type DisruptionBudgetArgs,
  type ResourcesArgs,
  resolveStatefulApp,
  type StatefulAppArgs,
  type StatefulAppSpec,
} from "../stateful-app";
import {
  CONFIG_DIR,
  DATA_MOUNT,
  faultTolerance,
  javaEnv,
  livenessScript,
  quorum,
  REQUIRED_WORDS,
  readinessScript,
  SUPER_DIGEST_ENV,
  SUPER_DIGEST_KEY,
  startScript,
  superUserSecretName,
  zooCfg,
} from "./config";
import { MAX_SERVERS, replicasError } from "./membership";

/** The image the defaults target (Docker Official Image). */
export const DEFAULT_ZOOKEEPER_IMAGE = "zookeeper:3.8.4";

const KNOWN_WORDS = [
  "conf",
  "cons",
  "crst",
  "dirs",
  "dump",
  "envi",
  "gtmk",
  "isro",
  "mntr",
  "ruok",
  "srst",
  "srvr",
  "stat",
  "stmk",
  "wchc",
  "wchp",
  "wchs",
  "hash",
];

/** zoo.cfg keys the component writes itself; `extraConfig` may not set them. */
const GENERATED_KEYS = [
  "tickTime",
  "initLimit",
  "syncLimit",
  "maxClientCnxns",
  "autopurge.snapRetainCount",
  "autopurge.purgeInterval",
  "dataDir",
  "clientPort",
  "4lw.commands.whitelist",
  "admin.enableServer",
  "reconfigEnabled",
  "standaloneEnabled",
  "dynamicConfigFile",
  "metricsProvider.className",
  "metricsProvider.httpPort",
  // The start script, probes and membership commands use the client port on every address.
  "clientPortAddress",
];

/** JVM options the component sets itself; `jvmFlags` may not set them. */
const GENERATED_JVM_FLAGS: [RegExp, string][] = [
  [/^-Xm[sx]/, "set heap instead"],
  [
    /^-Dzookeeper\.DigestAuthenticationProvider\.superDigest=/,
    "the super-user digest comes from the generated Secret",
  ],
  [/^-Dzookeeper\.electionPortBindRetry=/, "the component sets it for Kubernetes DNS"],
];

export interface ZooKeeperEnsembleArgs {
  /** Kubernetes name of the StatefulSet. @default - the component name */
  name?: string;
  /** @default "default" */
  namespace?: string;
  /**
   * Voting servers: 1, 3, 5, 7 or 9. A change on a running ensemble is a membership change made by
   * dynamic reconfiguration, one server at a time (docs/zookeeper-scaling.md); a single server is a
   * one-member ensemble that can grow. @default 3
   */
  replicas?: number;
  /** @default "zookeeper:3.8.4" */
  image?: string;
  /** Milliseconds in a tick. @default 2000 */
  tickTime?: number;
  /** Ticks a follower may take to connect and sync to the leader. @default 10 */
  initLimit?: number;
  /** Ticks a follower may lag behind the leader. @default 5 */
  syncLimit?: number;
  /** Connections one client address may hold; 0 is unlimited. @default 60 */
  maxClientCnxns?: number;
  /** Snapshots kept by autopurge (at least 3). @default 3 */
  snapRetainCount?: number;
  /** Hours between autopurge runs; 0 turns autopurge off. @default 1 */
  purgeInterval?: number;
  /** JVM heap (-Xms and -Xmx), JVM syntax like "2G" or "512M". @default "1G" */
  heap?: string;
  /** Four-letter words the servers answer; must include "ruok", "srvr" and "conf" (the probes and the membership changes use them). @default ["ruok", "srvr", "mntr", "conf"] */
  fourLetterWords?: string[];
  /** @default 2181 */
  clientPort?: number;
  /** Quorum port. @default 2888 */
  serverPort?: number;
  /** Leader election port. @default 3888 */
  electionPort?: number;
  /** Size of each server's data volume. @default "10Gi" */
  storageSize?: string;
  /** @default - the cluster's default StorageClass */
  storageClass?: string;
  /**
   * Options for every server's JVM and for zkCli.sh run in the pods, e.g. `-Djute.maxbuffer=4194304`
   * (it must be the same on servers and clients). Not the heap (`heap`). @default []
   */
  jvmFlags?: string[];
  /**
   * Prometheus metrics (ZooKeeper's PrometheusMetricsProvider, which the image must ship) on this
   * port of every pod, published by the headless Service and not by the client Service, with
   * `prometheus.io/scrape` pod annotations. `true` is port 7000. @default false
   */
  metrics?: boolean | { port?: number };
  /** Extra zoo.cfg lines; may not set the keys the component generates. @default {} */
  extraConfig?: Record<string, string>;
  /** @default - requests { cpu: "500m", memory: heap + 512Mi } */
  resources?: ResourcesArgs;
  /** @default { type: "preferred", topology: "hostname" } */
  antiAffinity?: false | AntiAffinityArgs;
  /** @default - { minAvailable: <quorum> } for 3 and more servers, none for 1 */
  podDisruptionBudget?: false | DisruptionBudgetArgs;
  /** Name of the headless Service. @default "<name>-headless" */
  serviceName?: string;
  /** A client Service named `<name>-client` on the client port. @default true */
  clientService?: boolean;
  /** @default {} */
  labels?: Record<string, string>;
  /** @default { "app.kubernetes.io/name": <name> } */
  selectorLabels?: Record<string, string>;
  /** @default { runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000 } (the image's zookeeper user) */
  security?: StatefulAppArgs["security"];
  /** @default "cluster.local" */
  clusterDomain?: string;
  /** Ordered rollout, as for StatefulApp. @default { timeoutSeconds: 600 } */
  rollout?: StatefulAppArgs["rollout"];
}

export interface ZooKeeperSpec {
  readonly app: StatefulAppSpec;
  /** The Secret (name, key) the pods read `super:<digest>` from; the rollout provider creates it. */
  readonly superUserSecret: { readonly name: string; readonly key: string };
  /** What the membership commands (`admin.ts`) need to reach and name the servers. */
  readonly servers: {
    /** The container the membership commands run in. */
    readonly container: string;
    readonly setName: string;
    readonly serviceDomain: string;
    readonly clientPort: number;
    readonly serverPort: number;
    readonly electionPort: number;
  };
  /** Port of the Prometheus metrics, when on. */
  readonly metricsPort?: number;
  /** `<fqdn-0>:<port>,<fqdn-1>:<port>,...` */
  readonly connectString: string;
  readonly quorum: number;
  readonly heapMiB: number;
  readonly clientPort: number;
}

/** Checks the ZooKeeper settings, then the StatefulApp they make; every problem is reported at once. */
export function resolveZooKeeper(componentName: string, args: ZooKeeperEnsembleArgs = {}): ZooKeeperSpec {
  const kind = "ZooKeeperEnsemble";
  const p = new Problems(`${kind} "${componentName}"`);
  const replicas = args.replicas ?? 3;
  const replicasProblem = replicasError(replicas);
  if (replicasProblem) p.add("replicas", replicas, replicasProblem);
  const replicasOk = replicasProblem === undefined;
  const settings = {
    tickTime: args.tickTime ?? 2000,
    initLimit: args.initLimit ?? 10,
    syncLimit: args.syncLimit ?? 5,
    maxClientCnxns: args.maxClientCnxns ?? 60,
    snapRetainCount: args.snapRetainCount ?? 3,
    purgeInterval: args.purgeInterval ?? 1,
  };
  p.check(
    isInt(settings.tickTime, 1),
    "tickTime",
    settings.tickTime,
    "must be an integer >= 1 (milliseconds)",
  );
  p.check(isInt(settings.initLimit, 1), "initLimit", settings.initLimit, "must be an integer >= 1 (ticks)");
  p.check(isInt(settings.syncLimit, 1), "syncLimit", settings.syncLimit, "must be an integer >= 1 (ticks)");
  p.check(
    isInt(settings.maxClientCnxns, 0),
    "maxClientCnxns",
    settings.maxClientCnxns,
    "must be an integer >= 0 (0 is unlimited)",
  );
  p.check(
    isInt(settings.snapRetainCount, 3),
    "snapRetainCount",
    settings.snapRetainCount,
    "must be an integer >= 3 (ZooKeeper silently raises smaller values to 3)",
  );
  p.check(
    isInt(settings.purgeInterval, 0),
    "purgeInterval",
    settings.purgeInterval,
    "must be an integer >= 0 (hours; 0 turns autopurge off)",
  );

  const heap = args.heap ?? "1G";
  const heapBytes = parseJvmSize(heap);
  const heapMiB = heapBytes === undefined ? 0 : Math.ceil(heapBytes / 2 ** 20);
  if (heapBytes === undefined) p.add("heap", heap, 'must be a JVM size like "512M" or "2G"');
  else if (heapMiB < 64) p.add("heap", heap, "must be at least 64M");
  const memoryLimit = args.resources?.limits?.memory ?? args.resources?.requests?.memory;
  const memoryBytes = memoryLimit === undefined ? undefined : parseQuantity(memoryLimit);
  if (heapBytes !== undefined && memoryBytes !== undefined && heapBytes >= memoryBytes)
    p.add(
      "heap",
      heap,
      `must be below the container memory (${memoryLimit}); leave room for the JVM's own memory, about 512Mi`,
    );

  const words = args.fourLetterWords ?? ["ruok", "srvr", "mntr", "conf"];
  for (const w of words)
    if (!KNOWN_WORDS.includes(w))
      p.add("fourLetterWords", w, `is not a four-letter word; use some of ${KNOWN_WORDS.join(", ")}`);
  for (const [w, why] of Object.entries(REQUIRED_WORDS))
    if (!words.includes(w)) p.add("fourLetterWords", words, `must include "${w}": ${why}`);

  const jvmFlags = args.jvmFlags ?? [];
  if (!Array.isArray(jvmFlags))
    p.add("jvmFlags", jvmFlags, 'must be a list of JVM options like ["-Djute.maxbuffer=4194304"]');
  else
    jvmFlags.forEach((flag, i) => {
      const f = `jvmFlags[${i}]`;
      if (typeof flag !== "string" || !flag.startsWith("-") || flag.length < 2)
        p.add(f, flag, 'must be a JVM option starting with "-", like "-Djute.maxbuffer=4194304"');
      else if (/[\s"'`$\\]/.test(flag))
        p.add(
          f,
          flag,
          "must not contain whitespace, quotes, '$', '\\' or backticks: java.env is a shell file",
        );
      else
        for (const [re, fix] of GENERATED_JVM_FLAGS)
          if (re.test(flag)) p.add(f, flag, `is generated by the component; ${fix}`);
    });

  const clientPort = args.clientPort ?? 2181;
  const serverPort = args.serverPort ?? 2888;
  const electionPort = args.electionPort ?? 3888;
  const metrics = args.metrics ?? false;
  let metricsPort: number | undefined;
  if (metrics === true) metricsPort = 7000;
  else if (metrics !== false && (metrics === null || typeof metrics !== "object"))
    p.add("metrics", metrics, "must be true, false or { port: <number> }");
  else if (metrics !== false) metricsPort = metrics.port ?? 7000;
  const portFields: Record<string, number> = { clientPort, serverPort, electionPort };
  if (metricsPort !== undefined) portFields["metrics.port"] = metricsPort;
  for (const [f, v] of Object.entries(portFields))
    p.check(isInt(v, 1, 65535), f, v, "must be an integer from 1 to 65535");
  const seen = new Map<number, string>();
  for (const [f, v] of Object.entries(portFields)) {
    const other = seen.get(v);
    if (other) p.add(f, v, `must differ from ${other}`);
    else seen.set(v, f);
  }

  const extraConfig = args.extraConfig ?? {};
  for (const [k, v] of Object.entries(extraConfig)) {
    if (/^server\.\d+$/.test(k) || /^(group|weight)\./.test(k))
      p.add(
        `extraConfig[${JSON.stringify(k)}]`,
        v,
        "is membership, which lives in each server's dynamic configuration; change replicas instead",
      );
    else if (k === "jute.maxbuffer" && typeof v === "string" && !/[\r\n]/.test(v))
      p.add(
        `extraConfig[${JSON.stringify(k)}]`,
        v,
        `is a Java system property, which zoo.cfg cannot set (ZooKeeper reads it as zookeeper.jute.maxbuffer); use jvmFlags: ["-Djute.maxbuffer=${v}"], which reaches servers and clients`,
      );
    else if (GENERATED_KEYS.includes(k))
      p.add(
        `extraConfig[${JSON.stringify(k)}]`,
        v,
        "is generated from the typed settings; set the matching argument instead",
      );
    else if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(k))
      p.add("extraConfig key", k, "must be a zoo.cfg key of letters, digits, '.', '_' or '-'");
    if (typeof v !== "string" || /[\r\n]/.test(v))
      p.add(`extraConfig[${JSON.stringify(k)}]`, v, "must be a one-line string");
  }

  const q = quorum(replicas);
  let pdb: false | DisruptionBudgetArgs = replicas >= 3 ? { minAvailable: q } : false;
  if (args.podDisruptionBudget !== undefined) pdb = args.podDisruptionBudget;
  // A budget with only a name keeps the quorum.
  if (pdb && pdb.minAvailable === undefined && pdb.maxUnavailable === undefined)
    pdb = { ...pdb, minAvailable: q };
  if (pdb && replicasOk && replicas >= 3) {
    // A budget that lets more than the fault tolerance go would let a drain break the quorum.
    const down =
      pdb.minAvailable !== undefined
        ? replicas - budgetCount(pdb.minAvailable, replicas, true)
        : budgetCount(pdb.maxUnavailable ?? 0, replicas, false);
    if (down > faultTolerance(replicas))
      p.add(
        "podDisruptionBudget",
        pdb,
        `lets ${down} of ${replicas} servers go down at once, losing the quorum of ${q}; allow at most ${faultTolerance(replicas)}`,
      );
  }
  if (pdb && replicas === 1)
    p.add(
      "podDisruptionBudget",
      pdb,
      "cannot keep a quorum of a single server and still allow a drain; set it to false",
    );

  const name = args.name ?? componentName;
  const namespace = args.namespace ?? "default";
  const serviceName = args.serviceName ?? `${name}-headless`;
  const clusterDomain = args.clusterDomain ?? "cluster.local";
  const domain = serviceDomain(serviceName, namespace, clusterDomain);

  const appArgs: StatefulAppArgs = {
    name: args.name,
    namespace,
    replicas,
    image: args.image ?? DEFAULT_ZOOKEEPER_IMAGE,
    containerName: "zookeeper",
    command: [
      "bash",
      "-ec",
      startScript({ serviceDomain: domain, clientPort, serverPort, electionPort, maxServers: MAX_SERVERS }),
    ],
    env: { ZOOCFGDIR: CONFIG_DIR },
    extraEnv: [
      { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
      // Only the digest reaches the pods, from a Secret; the password stays with the provider.
      {
        name: SUPER_DIGEST_ENV,
        valueFrom: { secretKeyRef: { name: superUserSecretName(name), key: SUPER_DIGEST_KEY } },
      },
    ],
    ports: [
      { name: "client", containerPort: clientPort },
      { name: "server", containerPort: serverPort, clientService: false },
      { name: "leader-election", containerPort: electionPort, clientService: false },
      ...(metricsPort !== undefined
        ? [{ name: "metrics", containerPort: metricsPort, clientService: false }]
        : []),
    ],
    podAnnotations:
      metricsPort !== undefined
        ? { "prometheus.io/scrape": "true", "prometheus.io/port": String(metricsPort) }
        : undefined,
    volumes: [
      {
        name: "datadir",
        size: args.storageSize ?? "10Gi",
        mountPath: DATA_MOUNT,
        storageClass: args.storageClass,
      },
    ],
    config: {
      mountPath: CONFIG_DIR,
      files: {
        "zoo.cfg": zooCfg({
          componentName,
          ...settings,
          clientPort,
          fourLetterWords: words,
          metricsPort,
          extraConfig,
        }),
        "java.env": javaEnv({ heapMiB, jvmFlags: Array.isArray(jvmFlags) ? jvmFlags : [] }),
      },
    },
    labels: args.labels,
    selectorLabels: args.selectorLabels,
    serviceName,
    // Servers resolve each other before they are Ready: a restarted ensemble needs its peers' names to elect a leader.
    publishNotReadyAddresses: true,
    clientService: args.clientService === false ? false : { name: `${name}-client` },
    podDisruptionBudget: pdb,
    antiAffinity: args.antiAffinity,
    // Ready means serving; with Parallel pods a restarted ensemble finds its quorum without waiting on readiness.
    readinessProbe: execProbe(readinessScript(clientPort), {
      initialDelaySeconds: 5,
      periodSeconds: 5,
      timeoutSeconds: 5,
      failureThreshold: 3,
    }),
    livenessProbe: execProbe(livenessScript(clientPort), {
      initialDelaySeconds: 30,
      periodSeconds: 10,
      timeoutSeconds: 5,
      failureThreshold: 6,
    }),
    resources: args.resources ?? { requests: { cpu: "500m", memory: `${heapMiB + 512}Mi` } },
    security: args.security ?? { runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000 },
    // All pods start at once: readiness ("serving") needs a quorum, which OrderedReady would never let form after a full restart.
    podManagementPolicy: "Parallel",
    // With the rollout, the provider restarts the pods itself, the leader last (docs/zookeeper-scaling.md);
    // without it the controller's RollingUpdate (one pod at a time, Ready = serving) is the fallback.
    updateStrategy: args.rollout === false ? "RollingUpdate" : "OnDelete",
    clusterDomain,
    rollout: args.rollout,
  };

  // Problems in the generic arguments (names, sizes, labels...) join the ZooKeeper ones in one error.
  let app: StatefulAppSpec | undefined;
  try {
    app = resolveStatefulApp(componentName, appArgs, kind);
  } catch (e) {
    if (!(e instanceof StatefulArgsError)) throw e;
    const portsReported = Object.keys(portFields).some((f) => p.reported(f));
    for (const problem of e.problems) {
      // Skip what the ZooKeeper checks above already said in ZooKeeper's terms.
      const root = problem.field.split(/[.[]/)[0]!;
      if (p.reported(root) || (root === "ports" && portsReported)) continue;
      p.add(problem.field, problem.value, problem.fix);
    }
  }
  p.throwIfAny();
  return {
    app: app!,
    superUserSecret: { name: superUserSecretName(app!.name), key: SUPER_DIGEST_KEY },
    servers: {
      container: "zookeeper",
      setName: app!.name,
      serviceDomain: app!.serviceDomain,
      clientPort,
      serverPort,
      electionPort,
    },
    ...(metricsPort !== undefined ? { metricsPort } : {}),
    connectString: app!.podFqdns.map((f) => `${f}:${clientPort}`).join(","),
    quorum: q,
    heapMiB,
    clientPort,
  };
}
