/**
 * The Kubernetes object shapes the builders emit and the probe and environment shapes users pass:
 * the part of the API this package writes, with the upstream schema's field names and optionality.
 *
 * Our own plain types rather than @kubernetes/client-node's models: client-node's declarations only
 * compile with `esModuleInterop` (isomorphic-ws, form-data), and anything a public declaration
 * mentions is compiled in the user's project. `test/manifest-types.test.ts` checks at compile time
 * that each shape is assignable to client-node's model of the same name, and that the probe and
 * environment shapes accept what @pulumi/kubernetes' input types hold once resolved.
 */

export type IntOrString = number | string;

export interface ObjectMeta {
  name?: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
}

// Probes

export interface ExecAction {
  command?: string[] | undefined;
}

export interface HTTPHeader {
  name: string;
  value: string;
}

export interface HTTPGetAction {
  host?: string | undefined;
  httpHeaders?: HTTPHeader[] | undefined;
  path?: string | undefined;
  port: IntOrString;
  scheme?: string | undefined;
}

export interface TCPSocketAction {
  host?: string | undefined;
  port: IntOrString;
}

export interface GRPCAction {
  port: number;
  service?: string | undefined;
}

/** A container probe: exactly one handler (exec, httpGet, tcpSocket, grpc) and its timing. */
export interface Probe {
  exec?: ExecAction | undefined;
  httpGet?: HTTPGetAction | undefined;
  tcpSocket?: TCPSocketAction | undefined;
  grpc?: GRPCAction | undefined;
  initialDelaySeconds?: number | undefined;
  periodSeconds?: number | undefined;
  timeoutSeconds?: number | undefined;
  failureThreshold?: number | undefined;
  successThreshold?: number | undefined;
  terminationGracePeriodSeconds?: number | undefined;
}

// Environment

export interface KeySelector {
  key: string;
  name?: string | undefined;
  optional?: boolean | undefined;
}

export interface EnvVarSource {
  configMapKeyRef?: KeySelector | undefined;
  fieldRef?: { apiVersion?: string | undefined; fieldPath: string } | undefined;
  resourceFieldRef?:
    | { containerName?: string | undefined; divisor?: string | undefined; resource: string }
    | undefined;
  secretKeyRef?: KeySelector | undefined;
}

/** An environment variable in Kubernetes form: a value, or a reference (`valueFrom`). */
export interface EnvVar {
  name: string;
  value?: string | undefined;
  valueFrom?: EnvVarSource | undefined;
}

// Pods

export interface ContainerPort {
  name?: string;
  containerPort: number;
  protocol?: string;
}

export interface ResourceRequirements {
  requests?: Record<string, string>;
  limits?: Record<string, string>;
}

export interface VolumeMount {
  name: string;
  mountPath: string;
  readOnly?: boolean;
}

export interface SecurityContext {
  allowPrivilegeEscalation?: boolean;
  capabilities?: { add?: string[]; drop?: string[] };
  readOnlyRootFilesystem?: boolean;
}

export interface PodSecurityContext {
  runAsNonRoot?: boolean;
  runAsUser?: number;
  runAsGroup?: number;
  fsGroup?: number;
  seccompProfile?: { type: string };
}

export interface Container {
  name: string;
  image?: string;
  imagePullPolicy?: string;
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  ports?: ContainerPort[];
  resources?: ResourceRequirements;
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  startupProbe?: Probe;
  volumeMounts?: VolumeMount[];
  securityContext?: SecurityContext;
}

export interface PodAffinityTerm {
  labelSelector?: LabelSelector;
  topologyKey: string;
}

export interface Affinity {
  podAntiAffinity?: {
    requiredDuringSchedulingIgnoredDuringExecution?: PodAffinityTerm[];
    preferredDuringSchedulingIgnoredDuringExecution?: { weight: number; podAffinityTerm: PodAffinityTerm }[];
  };
}

export interface TopologySpreadConstraint {
  maxSkew: number;
  topologyKey: string;
  whenUnsatisfiable: string;
  labelSelector?: LabelSelector;
}

export interface Volume {
  name: string;
  configMap?: { name?: string };
}

export interface PodSpec {
  serviceAccountName?: string;
  terminationGracePeriodSeconds?: number;
  securityContext?: PodSecurityContext;
  affinity?: Affinity;
  topologySpreadConstraints?: TopologySpreadConstraint[];
  containers: Container[];
  volumes?: Volume[];
}

export interface PodTemplateSpec {
  metadata?: ObjectMeta;
  spec?: PodSpec;
}

// Objects: always named, and type aliases rather than interfaces so that they are assignable to
// `Record<string, unknown>` (sdk/render.ts's KubeObject).

export interface NamedObjectMeta extends ObjectMeta {
  name: string;
}

export interface PersistentVolumeClaimTemplate {
  metadata?: ObjectMeta;
  spec?: {
    accessModes?: string[];
    storageClassName?: string;
    resources?: { requests?: Record<string, string> };
  };
}

export interface StatefulSetSpec {
  serviceName?: string;
  replicas?: number;
  selector: LabelSelector;
  podManagementPolicy?: string;
  updateStrategy?: { type?: string; rollingUpdate?: { partition?: number } };
  minReadySeconds?: number;
  ordinals?: { start?: number };
  persistentVolumeClaimRetentionPolicy?: { whenDeleted?: string; whenScaled?: string };
  template: PodTemplateSpec;
  volumeClaimTemplates?: PersistentVolumeClaimTemplate[];
}

export type StatefulSet = {
  apiVersion: "apps/v1";
  kind: "StatefulSet";
  metadata: NamedObjectMeta;
  spec: StatefulSetSpec;
};

export interface ServicePort {
  name?: string;
  port: number;
  targetPort?: IntOrString;
  protocol?: string;
}

export type Service = {
  apiVersion: "v1";
  kind: "Service";
  metadata: NamedObjectMeta;
  spec: {
    type?: string;
    clusterIP?: string;
    selector?: Record<string, string>;
    ports?: ServicePort[];
    publishNotReadyAddresses?: boolean;
  };
};

export type ConfigMap = {
  apiVersion: "v1";
  kind: "ConfigMap";
  metadata: NamedObjectMeta;
  data?: Record<string, string>;
};

/** An Opaque Secret written as `stringData` (the API server moves it to `data`); `V` as for the component's Outputs. */
export type Secret<V = string> = {
  apiVersion: "v1";
  kind: "Secret";
  metadata: NamedObjectMeta;
  type: "Opaque";
  stringData: Record<string, V>;
};

export type PodDisruptionBudget = {
  apiVersion: "policy/v1";
  kind: "PodDisruptionBudget";
  metadata: NamedObjectMeta;
  spec: {
    selector?: LabelSelector;
    minAvailable?: IntOrString;
    maxUnavailable?: IntOrString;
  };
};
