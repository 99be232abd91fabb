/**
 * Bad input: each case is one mistake a user makes, with the exact message it must produce, raised
 * at construction before anything is registered with Pulumi.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { installMocks, registered } from "./support/mocks";

type Components = typeof import("../components");
let c: Components;

beforeAll(async () => {
  await installMocks();
  c = await import("../components");
});

const base = { image: "nginx:1.27", ports: [{ name: "web", containerPort: 80 }] };
const S = 'StatefulApp "web": ';
const Z = 'ZooKeeperEnsemble "zk": ';
const H = 'HeadlessService "hs": ';

type Case = [string, () => unknown, string];

const cases: Case[] = [
  // names
  [
    "upper-case name",
    () => new c.StatefulApp("Web", base),
    `StatefulApp "Web": name (from the component name) ("Web") must consist of lower-case letters, digits and '-', and start and end with a letter or digit`,
  ],
  [
    "name too long for the revision label",
    () => new c.StatefulApp("web", { ...base, name: "a".repeat(53) }),
    `${S}name ("${"a".repeat(53)}") must be at most 52 characters (has 53): pods get a label "<name>-<revision hash>" that must fit 63`,
  ],
  [
    "namespace with underscore",
    () => new c.StatefulApp("web", { ...base, namespace: "my_ns" }),
    `${S}namespace ("my_ns") must consist of lower-case letters, digits and '-', and start and end with a letter or digit`,
  ],
  [
    "service name starting with a digit",
    () => new c.StatefulApp("web", { ...base, serviceName: "1nginx" }),
    `${S}serviceName ("1nginx") must consist of lower-case letters, digits and '-', start with a letter and end with a letter or digit`,
  ],
  [
    "cluster domain with a slash",
    () => new c.StatefulApp("web", { ...base, clusterDomain: "cluster/local" }),
    `${S}clusterDomain ("cluster/local") must consist of lower-case letters, digits, '-' and '.', and start and end with a letter or digit`,
  ],
  [
    "bad container name",
    () => new c.StatefulApp("web", { ...base, containerName: "Nginx" }),
    `${S}containerName ("Nginx") must consist of lower-case letters, digits and '-', and start and end with a letter or digit`,
  ],
  // replicas and ordinals
  [
    "negative replicas",
    () => new c.StatefulApp("web", { ...base, replicas: -1 }),
    `${S}replicas (-1) must be an integer from 0 to 10000`,
  ],
  [
    "fractional replicas",
    () => new c.StatefulApp("web", { ...base, replicas: 1.5 }),
    `${S}replicas (1.5) must be an integer from 0 to 10000`,
  ],
  [
    "negative ordinals start",
    () => new c.StatefulApp("web", { ...base, ordinalsStart: -2 }),
    `${S}ordinalsStart (-2) must be an integer >= 0`,
  ],
  [
    "pod name over 63 characters",
    () =>
      new c.StatefulApp("web", { ...base, name: "a".repeat(52), ordinalsStart: 10_000_000_000, replicas: 1 }),
    `${S}replicas (1) makes pod name "${"a".repeat(52)}-10000000000" longer than 63 characters; shorten the name`,
  ],
  // image
  [
    "empty image",
    () => new c.StatefulApp("web", { ...base, image: "" }),
    `${S}image ("") must be a container image reference like "zookeeper:3.8.4"`,
  ],
  [
    "image with a space",
    () => new c.StatefulApp("web", { ...base, image: "nginx 1.27" }),
    `${S}image ("nginx 1.27") must not contain whitespace`,
  ],
  // ports
  [
    "port 0",
    () => new c.StatefulApp("web", { ...base, ports: [{ name: "web", containerPort: 0 }] }),
    `${S}ports[0].containerPort (0) must be an integer from 1 to 65535`,
  ],
  [
    "port 70000",
    () => new c.StatefulApp("web", { ...base, ports: [{ name: "web", containerPort: 70000 }] }),
    `${S}ports[0].containerPort (70000) must be an integer from 1 to 65535`,
  ],
  [
    "service port out of range",
    () =>
      new c.StatefulApp("web", { ...base, ports: [{ name: "web", containerPort: 80, servicePort: 65536 }] }),
    `${S}ports[0].servicePort (65536) must be an integer from 1 to 65535`,
  ],
  [
    "duplicate port names",
    () =>
      new c.StatefulApp("web", {
        ...base,
        ports: [
          { name: "web", containerPort: 80 },
          { name: "web", containerPort: 81 },
        ],
      }),
    `${S}ports[1].name ("web") duplicates ports[0].name; port names must be unique`,
  ],
  [
    "duplicate container ports",
    () =>
      new c.StatefulApp("web", {
        ...base,
        ports: [
          { name: "web", containerPort: 80 },
          { name: "alt", containerPort: 80 },
        ],
      }),
    `${S}ports[1].containerPort (80) duplicates ports[0].containerPort`,
  ],
  [
    "port name too long",
    () =>
      new c.StatefulApp("web", { ...base, ports: [{ name: "a-very-long-port-name", containerPort: 80 }] }),
    `${S}ports[0].name ("a-very-long-port-name") must be an IANA service name: 1-15 lower-case letters, digits and single '-', with at least one letter`,
  ],
  [
    "numeric port name",
    () => new c.StatefulApp("web", { ...base, ports: [{ name: "8080", containerPort: 8080 }] }),
    `${S}ports[0].name ("8080") must be an IANA service name: 1-15 lower-case letters, digits and single '-', with at least one letter`,
  ],
  // volumes
  [
    "volume size with a space",
    () =>
      new c.StatefulApp("web", { ...base, volumes: [{ name: "www", size: "10 GB", mountPath: "/data" }] }),
    `${S}volumes[0].size ("10 GB") must be a Kubernetes quantity like "1Gi" or "500Mi"`,
  ],
  [
    "zero volume size",
    () => new c.StatefulApp("web", { ...base, volumes: [{ name: "www", size: "0Gi", mountPath: "/data" }] }),
    `${S}volumes[0].size ("0Gi") must be greater than zero`,
  ],
  [
    "relative mount path",
    () => new c.StatefulApp("web", { ...base, volumes: [{ name: "www", size: "1Gi", mountPath: "data" }] }),
    `${S}volumes[0].mountPath ("data") must be an absolute path, starting with '/'`,
  ],
  [
    "mount path with ..",
    () =>
      new c.StatefulApp("web", {
        ...base,
        volumes: [{ name: "www", size: "1Gi", mountPath: "/data/../etc" }],
      }),
    `${S}volumes[0].mountPath ("/data/../etc") must not contain '..'`,
  ],
  [
    "two volumes on one path",
    () =>
      new c.StatefulApp("web", {
        ...base,
        volumes: [
          { name: "a", size: "1Gi", mountPath: "/data" },
          { name: "b", size: "1Gi", mountPath: "/data" },
        ],
      }),
    `${S}volumes[1].mountPath ("/data") is already used by volumes[0].mountPath`,
  ],
  [
    "duplicate volume names",
    () =>
      new c.StatefulApp("web", {
        ...base,
        volumes: [
          { name: "a", size: "1Gi", mountPath: "/a" },
          { name: "a", size: "1Gi", mountPath: "/b" },
        ],
      }),
    `${S}volumes[1].name ("a") duplicates another volume's name`,
  ],
  [
    "unknown access mode",
    () =>
      new c.StatefulApp("web", {
        ...base,
        volumes: [{ name: "a", size: "1Gi", mountPath: "/a", accessModes: ["ReadWriteAll" as never] }],
      }),
    `${S}volumes[0].accessModes ("ReadWriteAll") must be one of ReadWriteOnce, ReadOnlyMany, ReadWriteMany, ReadWriteOncePod`,
  ],
  [
    "bad storage class",
    () =>
      new c.StatefulApp("web", {
        ...base,
        volumes: [{ name: "a", size: "1Gi", mountPath: "/a", storageClass: "Fast_SSD" }],
      }),
    `${S}volumes[0].storageClass ("Fast_SSD") must consist of lower-case letters, digits, '-' and '.', and start and end with a letter or digit`,
  ],
  [
    "config on a volume's path",
    () =>
      new c.StatefulApp("web", {
        ...base,
        volumes: [{ name: "a", size: "1Gi", mountPath: "/a" }],
        config: { mountPath: "/a", files: { x: "y" } },
      }),
    `${S}config.mountPath ("/a") is already used by volumes[0].mountPath`,
  ],
  [
    "config file name with a slash",
    () => new c.StatefulApp("web", { ...base, config: { mountPath: "/conf", files: { "a/b": "y" } } }),
    `${S}config.files key ("a/b") must be a file name of letters, digits, '-', '_' or '.'`,
  ],
  // disruption budgets
  [
    "budget blocking every drain",
    () => new c.StatefulApp("web", { ...base, replicas: 3, podDisruptionBudget: { minAvailable: 3 } }),
    `${S}podDisruptionBudget.minAvailable (3) must be below replicas (3), or no node could ever be drained`,
  ],
  [
    "budget of 100%",
    () => new c.StatefulApp("web", { ...base, replicas: 3, podDisruptionBudget: { minAvailable: "100%" } }),
    `${S}podDisruptionBudget.minAvailable ("100%") must be below replicas (3), or no node could ever be drained`,
  ],
  [
    "maxUnavailable 0",
    () => new c.StatefulApp("web", { ...base, replicas: 3, podDisruptionBudget: { maxUnavailable: 0 } }),
    `${S}podDisruptionBudget.maxUnavailable (0) must allow at least one pod, or no node could ever be drained`,
  ],
  [
    "maxUnavailable of all pods",
    () => new c.StatefulApp("web", { ...base, replicas: 3, podDisruptionBudget: { maxUnavailable: 3 } }),
    `${S}podDisruptionBudget.maxUnavailable (3) must be below replicas (3), or every pod may be evicted at once`,
  ],
  [
    "both budget fields",
    () =>
      new c.StatefulApp("web", {
        ...base,
        replicas: 3,
        podDisruptionBudget: { minAvailable: 1, maxUnavailable: 1 },
      }),
    `${S}podDisruptionBudget ({"minAvailable":1,"maxUnavailable":1}) must set exactly one of minAvailable and maxUnavailable`,
  ],
  [
    "percentage over 100",
    () => new c.StatefulApp("web", { ...base, replicas: 3, podDisruptionBudget: { minAvailable: "150%" } }),
    `${S}podDisruptionBudget.minAvailable ("150%") must be a percentage from "0%" to "100%" or an integer`,
  ],
  // update strategy
  [
    "partition beyond replicas",
    () => new c.StatefulApp("web", { ...base, replicas: 3, partition: 4 }),
    `${S}partition (4) must not exceed replicas (3); a partition above the last ordinal never updates any pod`,
  ],
  [
    "partition with OnDelete",
    () => new c.StatefulApp("web", { ...base, updateStrategy: "OnDelete", partition: 0 }),
    `${S}partition (0) only applies to updateStrategy "RollingUpdate"; remove it`,
  ],
  [
    "unknown pod management policy",
    () => new c.StatefulApp("web", { ...base, podManagementPolicy: "Ordered" as never }),
    `${S}podManagementPolicy ("Ordered") must be "OrderedReady" or "Parallel"`,
  ],
  [
    "negative minReadySeconds",
    () => new c.StatefulApp("web", { ...base, minReadySeconds: -5 }),
    `${S}minReadySeconds (-5) must be an integer >= 0`,
  ],
  [
    "unknown retention",
    () => new c.StatefulApp("web", { ...base, retention: { whenDeleted: "Keep" as never } }),
    `${S}retention.whenDeleted ("Keep") must be "Retain" or "Delete"`,
  ],
  // labels and selectors
  [
    "label value with a space",
    () => new c.StatefulApp("web", { ...base, labels: { team: "data platform" } }),
    `${S}labels["team"] ("data platform") must be at most 63 characters of letters, digits, '-', '_' or '.', starting and ending with a letter or digit`,
  ],
  [
    "label key with two slashes",
    () => new c.StatefulApp("web", { ...base, labels: { "a/b/c": "x" } }),
    `${S}labels key ("a/b/c") must be a name with an optional DNS subdomain prefix, like example.com/name`,
  ],
  [
    "empty selector",
    () => new c.StatefulApp("web", { ...base, selectorLabels: {} }),
    `${S}selectorLabels ({}) must hold at least one label, or the set would select every pod`,
  ],
  [
    "label contradicting the selector",
    () => new c.StatefulApp("web", { ...base, selectorLabels: { app: "web" }, labels: { app: "nginx" } }),
    `${S}labels["app"] ("nginx") conflicts with selectorLabels["app"] ("web"); the pods would not be selected`,
  ],
  // services
  [
    "client Service named like the headless one",
    () => new c.StatefulApp("web", { ...base, serviceName: "web", clientService: true }),
    `${S}clientService.name ("web") must differ from the headless Service's name`,
  ],
  [
    "client Service without ports",
    () => new c.StatefulApp("web", { image: "nginx", clientService: true }),
    `${S}clientService (true) needs at least one port with clientService not false`,
  ],
  // resources, probes, security, scheduling
  [
    "bad cpu quantity",
    () => new c.StatefulApp("web", { ...base, resources: { requests: { cpu: "2 cores" } } }),
    `${S}resources.requests.cpu ("2 cores") must be a Kubernetes quantity like "500m", "1" or "4Gi"`,
  ],
  [
    "request above limit",
    () =>
      new c.StatefulApp("web", {
        ...base,
        resources: { requests: { memory: "2Gi" }, limits: { memory: "1Gi" } },
      }),
    `${S}resources.requests.memory ("2Gi") must not exceed the limit (1Gi)`,
  ],
  [
    "probe with two handlers",
    () =>
      new c.StatefulApp("web", {
        ...base,
        readinessProbe: { tcpSocket: { port: 80 as never }, exec: { command: ["true"] } },
      }),
    `${S}readinessProbe ({"tcpSocket":{"port":80},"exec":{"command":["true"]}}) must have exactly one of exec, httpGet, tcpSocket and grpc`,
  ],
  [
    "root under restricted",
    () => new c.StatefulApp("web", { ...base, security: { runAsUser: 0 } }),
    `${S}security.runAsUser (0) must not be 0 under the "restricted" profile; set security.profile to "baseline" to run as root`,
  ],
  [
    "anti-affinity weight 0",
    () =>
      new c.StatefulApp("web", { ...base, antiAffinity: { type: "preferred", topology: "zone", weight: 0 } }),
    `${S}antiAffinity.weight (0) must be an integer from 1 to 100`,
  ],
  [
    "unknown topology",
    () =>
      new c.StatefulApp("web", { ...base, antiAffinity: { type: "required", topology: "rack" as never } }),
    `${S}antiAffinity.topology ("rack") must be "hostname" or "zone"`,
  ],
  [
    "topology spread skew 0",
    () => new c.StatefulApp("web", { ...base, topologySpread: [{ topology: "zone", maxSkew: 0 }] }),
    `${S}topologySpread[0].maxSkew (0) must be an integer >= 1`,
  ],
  // adopted headless Service
  [
    "adopted Service in another namespace",
    () => {
      const hs = new c.HeadlessService("hs-other", {
        namespace: "other",
        selector: { "app.kubernetes.io/name": "web" },
      });
      return new c.StatefulApp("web", { ...base, headlessService: hs });
    },
    `${S}headlessService ("other/hs-other") must be in the set's namespace "default": a StatefulSet's pods only get DNS names from a Service in their own namespace`,
  ],
  [
    "adopted Service selecting other pods",
    () => {
      const hs = new c.HeadlessService("hs-db", { selector: { app: "db" } });
      return new c.StatefulApp("web", { ...base, headlessService: hs });
    },
    `${S}headlessService.selector ({"app":"db"}) must select this set's pods, whose labels are {"app.kubernetes.io/name":"web","app.kubernetes.io/managed-by":"pulumi-stateful"}`,
  ],
  // HeadlessService
  [
    "headless Service without selector",
    () => new c.HeadlessService("hs", { selector: {} }),
    `${H}selector ({}) must hold at least one label, or the Service would govern every pod in the namespace`,
  ],
  [
    "headless Service port out of range",
    () => new c.HeadlessService("hs", { selector: { app: "x" }, ports: [{ name: "web", port: 0 }] }),
    `${H}ports[0].port (0) must be an integer from 1 to 65535`,
  ],
  [
    "headless Service port named by a number",
    () => new c.HeadlessService("hs", { selector: { app: "x" }, ports: [{ name: "8080", port: 8080 }] }),
    `${H}ports[0].name ("8080") must be an IANA service name: 1-15 lower-case letters, digits and single '-', with at least one letter`,
  ],
  // ZooKeeper
  [
    "upper-case ZooKeeper name",
    () => new c.ZooKeeperEnsemble("ZK"),
    `ZooKeeperEnsemble "ZK": name (from the component name) ("ZK") must consist of lower-case letters, digits and '-', and start and end with a letter or digit`,
  ],
  [
    "rollout timeout of zero",
    () => new c.StatefulApp("web", { ...base, rollout: { timeoutSeconds: 0 } }),
    `${S}rollout.timeoutSeconds (0) must be an integer from 1 to 86400`,
  ],
  [
    "two ZooKeeper servers",
    () => new c.ZooKeeperEnsemble("zk", { replicas: 2 }),
    `${Z}replicas (2) must be 1, 3, 5, 7 or 9: an even count tolerates no more failures than the odd count below it`,
  ],
  [
    "zero tickTime",
    () => new c.ZooKeeperEnsemble("zk", { tickTime: 0 }),
    `${Z}tickTime (0) must be an integer >= 1 (milliseconds)`,
  ],
  [
    "initLimit 0",
    () => new c.ZooKeeperEnsemble("zk", { initLimit: 0 }),
    `${Z}initLimit (0) must be an integer >= 1 (ticks)`,
  ],
  [
    "syncLimit fraction",
    () => new c.ZooKeeperEnsemble("zk", { syncLimit: 2.5 }),
    `${Z}syncLimit (2.5) must be an integer >= 1 (ticks)`,
  ],
  [
    "negative maxClientCnxns",
    () => new c.ZooKeeperEnsemble("zk", { maxClientCnxns: -1 }),
    `${Z}maxClientCnxns (-1) must be an integer >= 0 (0 is unlimited)`,
  ],
  [
    "snapRetainCount below 3",
    () => new c.ZooKeeperEnsemble("zk", { snapRetainCount: 2 }),
    `${Z}snapRetainCount (2) must be an integer >= 3 (ZooKeeper silently raises smaller values to 3)`,
  ],
  [
    "negative purgeInterval",
    () => new c.ZooKeeperEnsemble("zk", { purgeInterval: -1 }),
    `${Z}purgeInterval (-1) must be an integer >= 0 (hours; 0 turns autopurge off)`,
  ],
  [
    "heap in Kubernetes syntax",
    () => new c.ZooKeeperEnsemble("zk", { heap: "2Gi" }),
    `${Z}heap ("2Gi") must be a JVM size like "512M" or "2G"`,
  ],
  [
    "heap above container memory",
    () => new c.ZooKeeperEnsemble("zk", { heap: "4G", resources: { limits: { memory: "4Gi" } } }),
    `${Z}heap ("4G") must be below the container memory (4Gi); leave room for the JVM's own memory, about 512Mi`,
  ],
  [
    "unknown four-letter word",
    () => new c.ZooKeeperEnsemble("zk", { fourLetterWords: ["ruok", "srvr", "conf", "oops"] }),
    `${Z}fourLetterWords ("oops") is not a four-letter word; use some of conf, cons, crst, dirs, dump, envi, gtmk, isro, mntr, ruok, srst, srvr, stat, stmk, wchc, wchp, wchs, hash`,
  ],
  [
    "whitelist without ruok",
    () => new c.ZooKeeperEnsemble("zk", { fourLetterWords: ["srvr", "conf"] }),
    `${Z}fourLetterWords (["srvr","conf"]) must include "ruok": the liveness probe uses it`,
  ],
  [
    "client and election port equal",
    () => new c.ZooKeeperEnsemble("zk", { electionPort: 2181 }),
    `${Z}electionPort (2181) must differ from clientPort`,
  ],
  [
    "budget losing the quorum",
    () => new c.ZooKeeperEnsemble("zk", { replicas: 5, podDisruptionBudget: { maxUnavailable: 3 } }),
    `${Z}podDisruptionBudget ({"maxUnavailable":3}) lets 3 of 5 servers go down at once, losing the quorum of 3; allow at most 2`,
  ],
  [
    "budget below the quorum",
    () => new c.ZooKeeperEnsemble("zk", { podDisruptionBudget: { minAvailable: 1 } }),
    `${Z}podDisruptionBudget ({"minAvailable":1}) lets 2 of 3 servers go down at once, losing the quorum of 2; allow at most 1`,
  ],
  [
    "budget on a single server",
    () => new c.ZooKeeperEnsemble("zk", { replicas: 1, podDisruptionBudget: { maxUnavailable: 1 } }),
    `${Z}podDisruptionBudget ({"maxUnavailable":1}) cannot keep a quorum of a single server and still allow a drain; set it to false`,
  ],
  [
    "extraConfig overriding a typed setting",
    () => new c.ZooKeeperEnsemble("zk", { extraConfig: { tickTime: "100" } }),
    `${Z}extraConfig["tickTime"] ("100") is generated from the typed settings; set the matching argument instead`,
  ],
  [
    "extraConfig with a newline",
    () => new c.ZooKeeperEnsemble("zk", { extraConfig: { "jute.maxbuffer": "1\nserver.9=evil:1:2" } }),
    `${Z}extraConfig["jute.maxbuffer"] ("1\\nserver.9=evil:1:2") must be a one-line string`,
  ],
  [
    "ZooKeeper volume size",
    () => new c.ZooKeeperEnsemble("zk", { storageSize: "lots" }),
    `${Z}volumes[0].size ("lots") must be a Kubernetes quantity like "1Gi" or "500Mi"`,
  ],
];

describe("bad input", () => {
  it("has at least 40 cases", () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
  });

  it.each(cases)("%s", (_, construct, message) => {
    const before = registered.length;
    expect(construct).toThrow(message);
    try {
      construct();
    } catch (e) {
      expect((e as Error).message).toBe(message);
      expect((e as Error).name).toBe("StatefulArgsError");
    }
    // Nothing of the failing component reached Pulumi (an adopted Service built by the case may have).
    expect(
      registered
        .slice(before)
        .filter(
          (r) => r.type !== "stateful:index:HeadlessService" && r.type !== "kubernetes:core/v1:Service",
        ),
    ).toEqual([]);
  });

  it("reports every problem of one call together", () => {
    expect(
      () =>
        new c.StatefulApp("web", {
          image: "",
          replicas: -1,
          volumes: [{ name: "Data", size: "x", mountPath: "rel" }],
        }),
    ).toThrow(
      [
        `${S}5 problems:`,
        "  - replicas (-1) must be an integer from 0 to 10000",
        '  - image ("") must be a container image reference like "zookeeper:3.8.4"',
        "  - volumes[0].name (\"Data\") must consist of lower-case letters, digits and '-', and start and end with a letter or digit",
        '  - volumes[0].size ("x") must be a Kubernetes quantity like "1Gi" or "500Mi"',
        "  - volumes[0].mountPath (\"rel\") must be an absolute path, starting with '/'",
      ].join("\n"),
    );
  });
});
