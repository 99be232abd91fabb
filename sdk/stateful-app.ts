/**
 * `StatefulAppArgs`: what a user may ask of a StatefulSet, and `resolveStatefulApp`, which checks
 * every argument, applies every default once and derives the stable identities (pod names, FQDNs,
 * claim names). Everything here is plain data: no Pulumi, no I/O.
 */
import type { V1EnvVar, V1Probe } from "@kubernetes/client-node";
import { checkLabels, isInt, portNameError } from "./checks";
import { Problems } from "./errors";
import { labelKeyError, MANAGED_BY } from "./labels";
import { defaultLivenessProbe, defaultReadinessProbe } from "./manifests/probes";
import {
  claimName,
  dns1035LabelError,
  dns1123LabelError,
  dns1123SubdomainError,
  MAX_STATEFULSET_NAME_LENGTH,
  ordinals,
  podFqdn,
  podName,
  serviceDomain,
} from "./naming";
import { parseQuantity } from "./quantity";

export type AccessMode = "ReadWriteOnce" | "ReadOnlyMany" | "ReadWriteMany" | "ReadWriteOncePod";
const ACCESS_MODES: readonly AccessMode[] = [
  "ReadWriteOnce",
  "ReadOnlyMany",
  "ReadWriteMany",
  "ReadWriteOncePod",
];

/** A per-pod persistent volume: becomes a claim template and a mount in the container. */
export interface VolumeArgs {
  /** Claim template name; claims are named `<name>-<set>-<ordinal>`. */
  name: string;
  /** Requested size, a Kubernetes quantity such as `1Gi` or `20Gi`. */
  size: string;
  /** Absolute path where the volume is mounted in the container. */
  mountPath: string;
  /** StorageClass name. @default - the cluster's default StorageClass */
  storageClass?: string;
  /** @default ["ReadWriteOnce"] */
  accessModes?: AccessMode[];
}

/** A container port, also published by the headless Service and (if any) the client Service. */
export interface PortArgs {
  /** IANA service name (at most 15 characters), used as the target of Service ports. */
  name: string;
  /** Port the container listens on. */
  containerPort: number;
  /** Port the Services expose. @default - the containerPort */
  servicePort?: number;
  /** @default "TCP" */
  protocol?: "TCP" | "UDP" | "SCTP";
  /** Whether the client Service (if any) exposes this port; peer-only ports say false. @default true */
  clientService?: boolean;
}

/** Files rendered into a ConfigMap and mounted read-only; a change rolls the pods. */
export interface ConfigFilesArgs {
  /** Absolute directory where the files appear in the container. */
  mountPath: string;
  /** File name -> content. */
  files: Record<string, string>;
}

/** A PodDisruptionBudget; set exactly one of the two fields. */
export interface DisruptionBudgetArgs {
  /** Kubernetes name. @default "<name>-pdb" */
  name?: string;
  /** Pods that must stay available during a voluntary disruption: a count or a percentage. */
  minAvailable?: number | string;
  /** Pods that may be down during a voluntary disruption: a count or a percentage. */
  maxUnavailable?: number | string;
}

export type Topology = "hostname" | "zone";
export const TOPOLOGY_KEYS: Record<Topology, string> = {
  hostname: "kubernetes.io/hostname",
  zone: "topology.kubernetes.io/zone",
};

/** Pod anti-affinity against the component's own pods. */
export interface AntiAffinityArgs {
  /** `required` refuses to co-locate two pods; `preferred` only tries not to. */
  type: "preferred" | "required";
  /** Spread across nodes (`hostname`) or zones (`zone`). */
  topology: Topology;
  /** Weight of a preferred rule, 1-100. @default 100 */
  weight?: number;
}

/** A topology spread constraint over the component's own pods. */
export interface TopologySpreadArgs {
  topology: Topology;
  /** @default 1 */
  maxSkew?: number;
  /** @default "ScheduleAnyway" */
  whenUnsatisfiable?: "DoNotSchedule" | "ScheduleAnyway";
}

export interface ResourceListArgs {
  cpu?: string;
  memory?: string;
  "ephemeral-storage"?: string;
}

/** Container resource requests and limits, as Kubernetes quantities. */
export interface ResourcesArgs {
  requests?: ResourceListArgs;
  limits?: ResourceListArgs;
}

/** Claim retention when the set is deleted or scaled down. */
export interface RetentionArgs {
  /** @default "Retain" */
  whenDeleted?: "Retain" | "Delete";
  /** @default "Retain" */
  whenScaled?: "Retain" | "Delete";
}

/** Pod and container security settings. */
export interface SecurityArgs {
  /**
   * `restricted` meets the Pod Security Standards "restricted" profile (non-root, no privilege
   * escalation, all capabilities dropped, RuntimeDefault seccomp). `baseline` allows images that
   * must run as root, keeping RuntimeDefault seccomp and no privilege escalation.
   * @default "restricted"
   */
  profile?: "restricted" | "baseline";
  /** @default - the image's user */
  runAsUser?: number;
  /** @default - the image's group */
  runAsGroup?: number;
  /** Group that owns mounted volumes. @default - none */
  fsGroup?: number;
  /** @default false */
  readOnlyRootFilesystem?: boolean;
}

/** The governing Service a set may adopt instead of creating its own. */
export interface AdoptedServiceRef {
  name: string;
  namespace: string;
  selector: Record<string, string>;
  publishNotReadyAddresses: boolean;
}

/** The ordered-rollout resources (see docs/rollout.md). */
export interface RolloutArgs {
  /** How long `pulumi up` waits for pods, and `pulumi destroy` for the teardown. @default 600 */
  timeoutSeconds?: number;
  /** Kubeconfig context for the rollout's own API calls. @default - the kubeconfig's current context */
  context?: string;
  /**
   * Let a change of name, namespace, serviceName, podManagementPolicy, selectorLabels or volumes
   * through: the Kubernetes provider replaces the set. The rollout first removes the old pods in
   * order (N-1..0) and keeps their claims. @default false
   */
  allowReplacement?: boolean;
  /**
   * Let a scale-down remove pods that are themselves unhealthy, as long as every pod that stays is
   * healthy (the StatefulSet controller allows the same). @default false - every pod must be healthy
   */
  allowUnhealthyRemoval?: boolean;
  /**
   * On destroy, when the API server cannot be reached at all (refused, unresolvable), remove the
   * rollout from the stack without touching the cluster instead of failing. Also settable for one
   * run with the environment variable PULUMI_STATEFUL_DELETE_UNREACHABLE=true. @default false
   */
  deleteUnreachable?: boolean;
}

export interface StatefulAppArgs {
  /** Kubernetes name of the StatefulSet. @default - the component name */
  name?: string;
  /** @default "default" */
  namespace?: string;
  /** @default 1 */
  replicas?: number;
  /** Container image, e.g. `zookeeper:3.8.4`. */
  image: string;
  /** @default - Kubernetes' default (Always for `:latest`, IfNotPresent otherwise) */
  imagePullPolicy?: "Always" | "IfNotPresent" | "Never";
  /** @default - the StatefulSet name */
  containerName?: string;
  /** Entrypoint override. @default - the image's */
  command?: string[];
  /** Arguments. @default - the image's */
  args?: string[];
  /** Plain environment variables. @default {} */
  env?: Record<string, string>;
  /** Extra environment variables in Kubernetes form (valueFrom etc.), added after `env`. @default [] */
  extraEnv?: V1EnvVar[];
  /** @default [] */
  ports?: PortArgs[];
  /** Per-pod persistent volumes. @default [] */
  volumes?: VolumeArgs[];
  /** Configuration files mounted from a ConfigMap named `<name>-config`. @default - none */
  config?: ConfigFilesArgs;
  /** Labels added to every object and pod. @default {} */
  labels?: Record<string, string>;
  /**
   * Labels that select the pods; immutable once the set exists.
   * @default { "app.kubernetes.io/name": <name> }
   */
  selectorLabels?: Record<string, string>;
  /** @default {} */
  podAnnotations?: Record<string, string>;
  /** Name of the governing headless Service. @default "<name>-headless" */
  serviceName?: string;
  /** Publish pods in DNS before they are Ready (peers that must find each other to become Ready). @default false */
  publishNotReadyAddresses?: boolean;
  /** An existing headless Service to use instead of creating one. @default - one is created */
  adoptService?: AdoptedServiceRef;
  /** A ClusterIP/NodePort/LoadBalancer Service over all pods. @default false */
  clientService?: boolean | { name?: string; type?: "ClusterIP" | "NodePort" | "LoadBalancer" };
  /** @default false - no PodDisruptionBudget */
  podDisruptionBudget?: false | DisruptionBudgetArgs;
  /** @default { type: "preferred", topology: "hostname" } */
  antiAffinity?: false | AntiAffinityArgs;
  /** @default [] */
  topologySpread?: TopologySpreadArgs[];
  /** @default - a TCP check of the first port, if there is one */
  readinessProbe?: V1Probe | false;
  /** @default - a TCP check of the first port, if there is one */
  livenessProbe?: V1Probe | false;
  /** @default - none */
  startupProbe?: V1Probe;
  /** @default - none */
  resources?: ResourcesArgs;
  /** @default { profile: "restricted" } */
  security?: SecurityArgs;
  /** @default "OrderedReady" */
  podManagementPolicy?: "OrderedReady" | "Parallel";
  /** @default "RollingUpdate" */
  updateStrategy?: "RollingUpdate" | "OnDelete";
  /** Ordinals below this keep the old revision during a rolling update. @default 0 */
  partition?: number;
  /** @default 0 */
  minReadySeconds?: number;
  /** First ordinal. @default 0 */
  ordinalsStart?: number;
  /** @default { whenDeleted: "Retain", whenScaled: "Retain" } */
  retention?: RetentionArgs;
  /** @default - Kubernetes' default, 30 */
  terminationGracePeriodSeconds?: number;
  /** @default - the namespace's default ServiceAccount */
  serviceAccountName?: string;
  /** @default "cluster.local" */
  clusterDomain?: string;
  /**
   * Ordered rollout: `pulumi up` waits for pods 0..N-1 to be Ready in order, refuses a scale-down
   * while a pod is unhealthy, and `pulumi destroy` tears down N-1..0 keeping claims. `false` leaves
   * readiness to the Kubernetes provider's own await. @default { timeoutSeconds: 600 }
   */
  rollout?: false | RolloutArgs;
}

export type ResolvedVolume = Required<Omit<VolumeArgs, "storageClass">> & Pick<VolumeArgs, "storageClass">;

/** Every argument checked and every default applied, plus the identities derived from them. */
export interface StatefulAppSpec {
  readonly name: string;
  readonly namespace: string;
  readonly replicas: number;
  readonly image: string;
  readonly imagePullPolicy?: "Always" | "IfNotPresent" | "Never";
  readonly containerName: string;
  readonly command?: string[];
  readonly args?: string[];
  readonly env: Record<string, string>;
  readonly extraEnv: V1EnvVar[];
  readonly ports: Required<PortArgs>[];
  readonly volumes: ResolvedVolume[];
  readonly config?: ConfigFilesArgs & { configMapName: string };
  /** Labels on every object: the user's, the selector's and `app.kubernetes.io/managed-by`. */
  readonly labels: Record<string, string>;
  readonly selectorLabels: Record<string, string>;
  readonly podAnnotations: Record<string, string>;
  readonly serviceName: string;
  readonly publishNotReadyAddresses: boolean;
  /** True when the governing Service is adopted rather than created. */
  readonly serviceAdopted: boolean;
  readonly clientService?: { name: string; type: "ClusterIP" | "NodePort" | "LoadBalancer" };
  readonly podDisruptionBudget?: { name: string } & DisruptionBudgetArgs;
  readonly antiAffinity?: Required<AntiAffinityArgs>;
  readonly topologySpread: Required<TopologySpreadArgs>[];
  readonly readinessProbe?: V1Probe;
  readonly livenessProbe?: V1Probe;
  readonly startupProbe?: V1Probe;
  readonly resources?: ResourcesArgs;
  readonly security: Required<Pick<SecurityArgs, "profile" | "readOnlyRootFilesystem">> &
    Pick<SecurityArgs, "runAsUser" | "runAsGroup" | "fsGroup">;
  readonly podManagementPolicy: "OrderedReady" | "Parallel";
  readonly updateStrategy: "RollingUpdate" | "OnDelete";
  readonly partition: number;
  readonly minReadySeconds: number;
  readonly ordinalsStart: number;
  readonly retention: Required<RetentionArgs>;
  readonly terminationGracePeriodSeconds?: number;
  readonly serviceAccountName?: string;
  readonly clusterDomain: string;
  readonly rollout?: {
    timeoutSeconds: number;
    context?: string;
    allowReplacement: boolean;
    allowUnhealthyRemoval: boolean;
    deleteUnreachable: boolean;
    /** The value of the set's `stateful.pulumi.com/rollout` annotation: `<component>-rollout`. */
    owner: string;
  };
  /** `<name>-<i>` for every ordinal. */
  readonly podNames: string[];
  /** `<name>-<i>.<service>.<namespace>.svc.<clusterDomain>` for every ordinal. */
  readonly podFqdns: string[];
  /** `<template>-<name>-<i>` for every template and ordinal. */
  readonly claimNames: string[];
  /** `<service>.<namespace>.svc.<clusterDomain>`. */
  readonly serviceDomain: string;
}

const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;
const PERCENT = /^(100|[1-9]?[0-9])%$/;

function checkAbsolutePath(p: Problems, field: string, path: unknown): void {
  if (typeof path !== "string" || !path.startsWith("/"))
    p.add(field, path, "must be an absolute path, starting with '/'");
  else if (path.split("/").includes("..")) p.add(field, path, "must not contain '..'");
}

/** Number of pods a budget value stands for, given the replica count (percentages round up, as Kubernetes does for minAvailable). */
export function budgetCount(value: number | string, replicas: number, roundUp: boolean): number {
  if (typeof value === "number") return value;
  const pct = Number(value.slice(0, -1)) / 100;
  return roundUp ? Math.ceil(pct * replicas) : Math.floor(pct * replicas);
}

function checkBudgetValue(p: Problems, field: string, v: unknown): boolean {
  if (typeof v === "number")
    return p.check(isInt(v, 0), field, v, 'must be an integer >= 0 or a percentage like "50%"');
  if (typeof v === "string")
    return p.check(PERCENT.test(v), field, v, 'must be a percentage from "0%" to "100%" or an integer');
  p.add(field, v, 'must be an integer or a percentage like "50%"');
  return false;
}

/** Checks a disruption budget against the replica count: it must allow some drain and keep some pods. */
export function checkDisruptionBudget(
  p: Problems,
  field: string,
  pdb: DisruptionBudgetArgs,
  replicas: number,
): void {
  if (pdb === null || typeof pdb !== "object") {
    p.add(field, pdb, "must be false or an object with minAvailable or maxUnavailable");
    return;
  }
  const hasMin = pdb.minAvailable !== undefined;
  const hasMax = pdb.maxUnavailable !== undefined;
  if (hasMin === hasMax) {
    p.add(
      field,
      { minAvailable: pdb.minAvailable, maxUnavailable: pdb.maxUnavailable },
      "must set exactly one of minAvailable and maxUnavailable",
    );
    return;
  }
  if (hasMin) {
    if (!checkBudgetValue(p, `${field}.minAvailable`, pdb.minAvailable)) return;
    const min = budgetCount(pdb.minAvailable!, replicas, true);
    if (replicas > 0 && min >= replicas)
      p.add(
        `${field}.minAvailable`,
        pdb.minAvailable,
        `must be below replicas (${replicas}), or no node could ever be drained`,
      );
  } else {
    if (!checkBudgetValue(p, `${field}.maxUnavailable`, pdb.maxUnavailable)) return;
    const max = budgetCount(pdb.maxUnavailable!, replicas, false);
    if (replicas > 0 && max < 1)
      p.add(
        `${field}.maxUnavailable`,
        pdb.maxUnavailable,
        "must allow at least one pod, or no node could ever be drained",
      );
    else if (replicas > 0 && max >= replicas)
      p.add(
        `${field}.maxUnavailable`,
        pdb.maxUnavailable,
        `must be below replicas (${replicas}), or every pod may be evicted at once`,
      );
  }
}

function checkProbe(p: Problems, field: string, probe: V1Probe | false | undefined): void {
  if (probe === undefined || probe === false) return;
  const handlers = (["exec", "httpGet", "tcpSocket", "grpc"] as const).filter((h) => probe[h] !== undefined);
  if (handlers.length !== 1)
    p.add(field, probe, "must have exactly one of exec, httpGet, tcpSocket and grpc");
  for (const k of [
    "initialDelaySeconds",
    "periodSeconds",
    "timeoutSeconds",
    "failureThreshold",
    "successThreshold",
  ] as const) {
    const v = probe[k];
    if (v !== undefined && !isInt(v, k === "initialDelaySeconds" ? 0 : 1))
      p.add(`${field}.${k}`, v, `must be an integer >= ${k === "initialDelaySeconds" ? 0 : 1}`);
  }
}

const RESOURCE_NAMES = ["cpu", "memory", "ephemeral-storage"] as const;

function checkResources(p: Problems, r: ResourcesArgs | undefined): void {
  if (!r) return;
  for (const kind of ["requests", "limits"] as const) {
    for (const [k, v] of Object.entries(r[kind] ?? {})) {
      const field = `resources.${kind}.${k}`;
      if (!(RESOURCE_NAMES as readonly string[]).includes(k)) {
        p.add(field, v, `is not a supported resource; use one of ${RESOURCE_NAMES.join(", ")}`);
        continue;
      }
      const q = typeof v === "string" ? parseQuantity(v) : undefined;
      if (q === undefined || q < 0)
        p.add(field, v, 'must be a Kubernetes quantity like "500m", "1" or "4Gi"');
    }
  }
  for (const k of RESOURCE_NAMES) {
    const req = r.requests?.[k];
    const lim = r.limits?.[k];
    const rq = req === undefined ? undefined : parseQuantity(req);
    const lq = lim === undefined ? undefined : parseQuantity(lim);
    if (rq !== undefined && lq !== undefined && rq > lq)
      p.add(`resources.requests.${k}`, req, `must not exceed the limit (${lim})`);
  }
}

/**
 * Checks `args` for the component `<kind> "<componentName>"`, reporting every problem at once,
 * and returns the resolved spec.
 */
export function resolveStatefulApp(
  componentName: string,
  args: StatefulAppArgs,
  kind = "StatefulApp",
): StatefulAppSpec {
  const p = new Problems(`${kind} "${componentName}"`);
  if (args === null || typeof args !== "object") {
    p.add("args", args, "must be an object with at least an image");
    p.throwIfAny();
  }
  const name = args.name ?? componentName;
  const nameField = args.name === undefined ? "name (from the component name)" : "name";
  const nameError = dns1123LabelError(name);
  if (nameError) p.add(nameField, name, nameError);
  else if (name.length > MAX_STATEFULSET_NAME_LENGTH)
    p.add(
      nameField,
      name,
      `must be at most ${MAX_STATEFULSET_NAME_LENGTH} characters (has ${name.length}): pods get a label "<name>-<revision hash>" that must fit 63`,
    );

  // Names built from an invalid set name (`<name>-headless`, `<name>-pdb`...) would only repeat
  // the name's problem: they are checked once the name is right.
  const derivedFromBadName = (v: string) => nameError !== undefined && v.startsWith(`${name}-`);

  const namespace = args.namespace ?? "default";
  const nsError = dns1123LabelError(namespace);
  if (nsError) p.add("namespace", namespace, nsError);

  const replicas = args.replicas ?? 1;
  const replicasOk = p.check(
    isInt(replicas, 0, 10_000),
    "replicas",
    replicas,
    "must be an integer from 0 to 10000",
  );
  const ordinalsStart = args.ordinalsStart ?? 0;
  const startOk = p.check(isInt(ordinalsStart, 0), "ordinalsStart", ordinalsStart, "must be an integer >= 0");
  if (!nameError && replicasOk && startOk && replicas > 0) {
    const last = podName(name, ordinalsStart + replicas - 1);
    if (last.length > 63)
      p.add("replicas", replicas, `makes pod name "${last}" longer than 63 characters; shorten the name`);
  }

  if (typeof args.image !== "string" || args.image.trim() === "")
    p.add("image", args.image, 'must be a container image reference like "zookeeper:3.8.4"');
  else if (/\s/.test(args.image) || args.image !== args.image.trim())
    p.add("image", args.image, "must not contain whitespace");

  const containerName = args.containerName ?? name;
  if (args.containerName !== undefined) {
    const e = dns1123LabelError(args.containerName);
    if (e) p.add("containerName", args.containerName, e);
  }

  for (const [k, v] of Object.entries(args.env ?? {})) {
    if (!/^[-._a-zA-Z][-._a-zA-Z0-9]*$/.test(k))
      p.add(
        "env key",
        k,
        "must be a C identifier-like name: letters, digits, '_', '-' or '.', not starting with a digit",
      );
    if (typeof v !== "string") p.add(`env[${JSON.stringify(k)}]`, v, "must be a string (quote numbers)");
  }

  // Ports
  const ports = (args.ports ?? []).map((port, i) => {
    const f = `ports[${i}]`;
    const portError = portNameError(port.name);
    if (portError) p.add(`${f}.name`, port.name, portError);
    if (!isInt(port.containerPort, 1, 65535))
      p.add(`${f}.containerPort`, port.containerPort, "must be an integer from 1 to 65535");
    if (port.servicePort !== undefined && !isInt(port.servicePort, 1, 65535))
      p.add(`${f}.servicePort`, port.servicePort, "must be an integer from 1 to 65535");
    const protocol = port.protocol ?? "TCP";
    if (!["TCP", "UDP", "SCTP"].includes(protocol))
      p.add(`${f}.protocol`, protocol, "must be one of TCP, UDP, SCTP");
    return {
      name: port.name,
      containerPort: port.containerPort,
      servicePort: port.servicePort ?? port.containerPort,
      protocol,
      clientService: port.clientService ?? true,
    };
  });
  const seenPortName = new Map<string, number>();
  const seenContainerPort = new Map<string, number>();
  const seenServicePort = new Map<string, number>();
  ports.forEach((port, i) => {
    const before = seenPortName.get(port.name);
    if (before !== undefined)
      p.add(`ports[${i}].name`, port.name, `duplicates ports[${before}].name; port names must be unique`);
    else seenPortName.set(port.name, i);
    const cp = `${port.containerPort}/${port.protocol}`;
    const cpBefore = seenContainerPort.get(cp);
    if (cpBefore !== undefined)
      p.add(`ports[${i}].containerPort`, port.containerPort, `duplicates ports[${cpBefore}].containerPort`);
    else seenContainerPort.set(cp, i);
    const sp = `${port.servicePort}/${port.protocol}`;
    const spBefore = seenServicePort.get(sp);
    if (spBefore !== undefined && cpBefore === undefined)
      p.add(`ports[${i}].servicePort`, port.servicePort, `duplicates the service port of ports[${spBefore}]`);
    else seenServicePort.set(sp, i);
  });

  // Volumes
  const mountPaths = new Map<string, string>();
  const volumes = (args.volumes ?? []).map((v, i) => {
    const f = `volumes[${i}]`;
    const e = typeof v.name === "string" ? dns1123LabelError(v.name) : "must be a string";
    if (e) p.add(`${f}.name`, v.name, e);
    const size = typeof v.size === "string" ? parseQuantity(v.size) : undefined;
    if (size === undefined) p.add(`${f}.size`, v.size, 'must be a Kubernetes quantity like "1Gi" or "500Mi"');
    else if (size <= 0) p.add(`${f}.size`, v.size, "must be greater than zero");
    checkAbsolutePath(p, `${f}.mountPath`, v.mountPath);
    if (typeof v.mountPath === "string") {
      const other = mountPaths.get(v.mountPath);
      if (other) p.add(`${f}.mountPath`, v.mountPath, `is already used by ${other}`);
      else mountPaths.set(v.mountPath, `${f}.mountPath`);
    }
    if (v.storageClass !== undefined) {
      const sc = dns1123SubdomainError(v.storageClass);
      if (sc) p.add(`${f}.storageClass`, v.storageClass, sc);
    }
    const accessModes = v.accessModes ?? ["ReadWriteOnce"];
    if (accessModes.length === 0) p.add(`${f}.accessModes`, accessModes, "must not be empty");
    for (const m of accessModes)
      if (!ACCESS_MODES.includes(m))
        p.add(`${f}.accessModes`, m, `must be one of ${ACCESS_MODES.join(", ")}`);
    return { name: v.name, size: v.size, mountPath: v.mountPath, storageClass: v.storageClass, accessModes };
  });
  const volumeNames = new Set<string>();
  volumes.forEach((v, i) => {
    if (volumeNames.has(v.name)) p.add(`volumes[${i}].name`, v.name, "duplicates another volume's name");
    volumeNames.add(v.name);
  });

  // Config files
  let config: StatefulAppSpec["config"];
  if (args.config !== undefined) {
    checkAbsolutePath(p, "config.mountPath", args.config.mountPath);
    const other = mountPaths.get(args.config.mountPath);
    if (other) p.add("config.mountPath", args.config.mountPath, `is already used by ${other}`);
    const files = args.config.files ?? {};
    if (Object.keys(files).length === 0) p.add("config.files", files, "must hold at least one file");
    for (const [k, v] of Object.entries(files)) {
      if (!CONFIG_KEY.test(k) || k === "." || k === ".." || k.length > 253)
        p.add("config.files key", k, "must be a file name of letters, digits, '-', '_' or '.'");
      if (typeof v !== "string") p.add(`config.files[${JSON.stringify(k)}]`, v, "must be a string");
    }
    config = { mountPath: args.config.mountPath, files, configMapName: `${name}-config` };
  }

  // Labels
  checkLabels(p, "labels", args.labels);
  for (const k of Object.keys(args.podAnnotations ?? {})) {
    const e = labelKeyError(k);
    if (e) p.add("podAnnotations key", k, e);
  }
  const selectorLabels = args.selectorLabels ?? { "app.kubernetes.io/name": name };
  if (Object.keys(selectorLabels).length === 0)
    p.add(
      "selectorLabels",
      selectorLabels,
      "must hold at least one label, or the set would select every pod",
    );
  checkLabels(p, "selectorLabels", args.selectorLabels);
  for (const [k, v] of Object.entries(args.labels ?? {}))
    if (k in selectorLabels && selectorLabels[k] !== v)
      p.add(
        `labels[${JSON.stringify(k)}]`,
        v,
        `conflicts with selectorLabels[${JSON.stringify(k)}] (${JSON.stringify(selectorLabels[k])}); the pods would not be selected`,
      );
  const labels: Record<string, string> = {
    ...args.labels,
    ...selectorLabels,
    ...MANAGED_BY,
  };

  // Services
  const serviceName = args.adoptService?.name ?? args.serviceName ?? `${name}-headless`;
  if (args.adoptService) {
    const svc = args.adoptService;
    if (args.serviceName !== undefined && args.serviceName !== svc.name)
      p.add(
        "serviceName",
        args.serviceName,
        `conflicts with the adopted Service "${svc.name}"; leave serviceName unset`,
      );
    if (svc.namespace !== namespace)
      p.add(
        "headlessService",
        `${svc.namespace}/${svc.name}`,
        `must be in the set's namespace "${namespace}": a StatefulSet's pods only get DNS names from a Service in their own namespace`,
      );
    const missing = Object.entries(svc.selector).filter(([k, v]) => labels[k] !== v);
    if (missing.length > 0 || Object.keys(svc.selector).length === 0)
      p.add(
        "headlessService.selector",
        svc.selector,
        `must select this set's pods, whose labels are ${JSON.stringify(labels)}`,
      );
  } else if (!derivedFromBadName(serviceName)) {
    const e = dns1035LabelError(serviceName);
    if (e)
      p.add(args.serviceName === undefined ? "serviceName (from the name)" : "serviceName", serviceName, e);
  }
  let clientService: StatefulAppSpec["clientService"];
  if (args.clientService) {
    const cs = args.clientService === true ? {} : args.clientService;
    const csName = cs.name ?? name;
    const e = derivedFromBadName(csName) ? undefined : dns1035LabelError(csName);
    if (e) p.add("clientService.name", csName, e);
    if (csName === serviceName)
      p.add("clientService.name", csName, "must differ from the headless Service's name");
    const type = cs.type ?? "ClusterIP";
    if (!["ClusterIP", "NodePort", "LoadBalancer"].includes(type))
      p.add("clientService.type", type, "must be one of ClusterIP, NodePort, LoadBalancer");
    if (!ports.some((port) => port.clientService))
      p.add("clientService", args.clientService, "needs at least one port with clientService not false");
    clientService = { name: csName, type };
  }

  let podDisruptionBudget: StatefulAppSpec["podDisruptionBudget"];
  if (args.podDisruptionBudget) {
    checkDisruptionBudget(p, "podDisruptionBudget", args.podDisruptionBudget, replicasOk ? replicas : 0);
    const pdbName = args.podDisruptionBudget.name ?? `${name}-pdb`;
    const e = derivedFromBadName(pdbName) ? undefined : dns1123SubdomainError(pdbName);
    if (e) p.add("podDisruptionBudget.name", pdbName, e);
    podDisruptionBudget = { ...args.podDisruptionBudget, name: pdbName };
  }

  // Scheduling
  let antiAffinity: StatefulAppSpec["antiAffinity"];
  if (args.antiAffinity !== false) {
    const a = args.antiAffinity ?? { type: "preferred", topology: "hostname" };
    if (!["preferred", "required"].includes(a.type))
      p.add("antiAffinity.type", a.type, 'must be "preferred" or "required"');
    if (!(a.topology in TOPOLOGY_KEYS))
      p.add("antiAffinity.topology", a.topology, 'must be "hostname" or "zone"');
    const weight = a.weight ?? 100;
    if (!isInt(weight, 1, 100)) p.add("antiAffinity.weight", weight, "must be an integer from 1 to 100");
    if (a.type === "required" && a.weight !== undefined)
      p.add("antiAffinity.weight", a.weight, 'only applies to type "preferred"; remove it');
    antiAffinity = { type: a.type, topology: a.topology, weight };
  }
  const topologySpread = (args.topologySpread ?? []).map((t, i) => {
    if (!(t.topology in TOPOLOGY_KEYS))
      p.add(`topologySpread[${i}].topology`, t.topology, 'must be "hostname" or "zone"');
    const maxSkew = t.maxSkew ?? 1;
    if (!isInt(maxSkew, 1)) p.add(`topologySpread[${i}].maxSkew`, maxSkew, "must be an integer >= 1");
    const whenUnsatisfiable = t.whenUnsatisfiable ?? "ScheduleAnyway";
    if (!["DoNotSchedule", "ScheduleAnyway"].includes(whenUnsatisfiable))
      p.add(
        `topologySpread[${i}].whenUnsatisfiable`,
        whenUnsatisfiable,
        'must be "DoNotSchedule" or "ScheduleAnyway"',
      );
    return { topology: t.topology, maxSkew, whenUnsatisfiable };
  });

  // Probes
  checkProbe(p, "readinessProbe", args.readinessProbe);
  checkProbe(p, "livenessProbe", args.livenessProbe);
  checkProbe(p, "startupProbe", args.startupProbe);
  const readinessProbe =
    args.readinessProbe === false
      ? undefined
      : (args.readinessProbe ?? defaultReadinessProbe(ports[0]?.name));
  const livenessProbe =
    args.livenessProbe === false ? undefined : (args.livenessProbe ?? defaultLivenessProbe(ports[0]?.name));

  checkResources(p, args.resources);

  // Security
  const sec = args.security ?? {};
  const profile = sec.profile ?? "restricted";
  if (!["restricted", "baseline"].includes(profile))
    p.add("security.profile", profile, 'must be "restricted" or "baseline"');
  for (const k of ["runAsUser", "runAsGroup", "fsGroup"] as const)
    if (sec[k] !== undefined && !isInt(sec[k], 0, 2 ** 31 - 1))
      p.add(`security.${k}`, sec[k], "must be an integer from 0 to 2147483647");
  if (profile === "restricted" && sec.runAsUser === 0)
    p.add(
      "security.runAsUser",
      0,
      'must not be 0 under the "restricted" profile; set security.profile to "baseline" to run as root',
    );

  // Update and lifecycle
  const podManagementPolicy = args.podManagementPolicy ?? "OrderedReady";
  if (!["OrderedReady", "Parallel"].includes(podManagementPolicy))
    p.add("podManagementPolicy", podManagementPolicy, 'must be "OrderedReady" or "Parallel"');
  const updateStrategy = args.updateStrategy ?? "RollingUpdate";
  if (!["RollingUpdate", "OnDelete"].includes(updateStrategy))
    p.add("updateStrategy", updateStrategy, 'must be "RollingUpdate" or "OnDelete"');
  const partition = args.partition ?? 0;
  if (!isInt(partition, 0)) p.add("partition", partition, "must be an integer >= 0");
  else if (replicasOk && partition > replicas)
    p.add(
      "partition",
      partition,
      `must not exceed replicas (${replicas}); a partition above the last ordinal never updates any pod`,
    );
  if (args.partition !== undefined && updateStrategy === "OnDelete")
    p.add("partition", args.partition, 'only applies to updateStrategy "RollingUpdate"; remove it');
  const minReadySeconds = args.minReadySeconds ?? 0;
  if (!isInt(minReadySeconds, 0)) p.add("minReadySeconds", minReadySeconds, "must be an integer >= 0");
  const retention = {
    whenDeleted: args.retention?.whenDeleted ?? "Retain",
    whenScaled: args.retention?.whenScaled ?? "Retain",
  } as const;
  for (const k of ["whenDeleted", "whenScaled"] as const)
    if (!["Retain", "Delete"].includes(retention[k]))
      p.add(`retention.${k}`, retention[k], 'must be "Retain" or "Delete"');
  if (args.terminationGracePeriodSeconds !== undefined && !isInt(args.terminationGracePeriodSeconds, 0))
    p.add("terminationGracePeriodSeconds", args.terminationGracePeriodSeconds, "must be an integer >= 0");
  if (args.serviceAccountName !== undefined) {
    const e = dns1123SubdomainError(args.serviceAccountName);
    if (e) p.add("serviceAccountName", args.serviceAccountName, e);
  }
  const clusterDomain = args.clusterDomain ?? "cluster.local";
  const cdError = dns1123SubdomainError(clusterDomain);
  if (cdError) p.add("clusterDomain", clusterDomain, cdError);

  let rollout: StatefulAppSpec["rollout"];
  if (args.rollout !== false) {
    const r = args.rollout ?? {};
    const timeoutSeconds = r.timeoutSeconds ?? 600;
    if (!isInt(timeoutSeconds, 1, 86_400))
      p.add("rollout.timeoutSeconds", timeoutSeconds, "must be an integer from 1 to 86400");
    if (r.context !== undefined && (typeof r.context !== "string" || r.context === ""))
      p.add("rollout.context", r.context, "must be a non-empty kubeconfig context name");
    for (const k of ["allowReplacement", "allowUnhealthyRemoval", "deleteUnreachable"] as const)
      if (r[k] !== undefined && typeof r[k] !== "boolean")
        p.add(`rollout.${k}`, r[k], "must be true or false");
    rollout = {
      timeoutSeconds,
      ...(r.context !== undefined ? { context: r.context } : {}),
      allowReplacement: r.allowReplacement ?? false,
      allowUnhealthyRemoval: r.allowUnhealthyRemoval ?? false,
      deleteUnreachable: r.deleteUnreachable ?? false,
      owner: `${componentName}-rollout`,
    };
  }

  p.throwIfAny();

  const ords = ordinals(replicas, ordinalsStart);
  return {
    name,
    namespace,
    replicas,
    image: args.image,
    imagePullPolicy: args.imagePullPolicy,
    containerName,
    command: args.command,
    args: args.args,
    env: { ...args.env },
    extraEnv: [...(args.extraEnv ?? [])],
    ports,
    volumes,
    config,
    labels,
    selectorLabels: { ...selectorLabels },
    podAnnotations: { ...args.podAnnotations },
    serviceName,
    publishNotReadyAddresses:
      args.adoptService?.publishNotReadyAddresses ?? args.publishNotReadyAddresses ?? false,
    serviceAdopted: args.adoptService !== undefined,
    clientService,
    podDisruptionBudget,
    antiAffinity,
    topologySpread,
    readinessProbe,
    livenessProbe,
    startupProbe: args.startupProbe,
    resources: args.resources,
    security: {
      profile,
      readOnlyRootFilesystem: sec.readOnlyRootFilesystem ?? false,
      runAsUser: sec.runAsUser,
      runAsGroup: sec.runAsGroup,
      fsGroup: sec.fsGroup,
    },
    podManagementPolicy,
    updateStrategy,
    partition,
    minReadySeconds,
    ordinalsStart,
    retention,
    terminationGracePeriodSeconds: args.terminationGracePeriodSeconds,
    serviceAccountName: args.serviceAccountName,
    clusterDomain,
    rollout,
    podNames: ords.map((i) => podName(name, i)),
    podFqdns: ords.map((i) => podFqdn(name, i, serviceName, namespace, clusterDomain)),
    claimNames: volumes.flatMap((v) => ords.map((i) => claimName(v.name, name, i))),
    serviceDomain: serviceDomain(serviceName, namespace, clusterDomain),
  };
}
