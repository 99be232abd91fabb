/**
 * The cdk8s-plus contender of the render benchmark: one Chart holding N ensembles, built from the
 * same resolved spec with cdk8s-plus's own (L2) Secret, ConfigMap, Services and StatefulSet (containers,
 * probes, env, resources, security, anti-affinity, claim templates); the PodDisruptionBudget,
 * which cdk8s-plus has no L2 construct for, as its generated L1 `KubePodDisruptionBudget`; JSON
 * patches, cdk8s's escape hatch, for what L2 does not express (named Service target ports, the
 * claim retention policy, pod-level seccomp). `normaliseCdk8s` removes what cdk8s-plus adds on its
 * own (`CDK8S_ADDITIONS`) so the objects can be compared with this library's.
 */
import { ApiObject, App, Chart, Duration, JsonPatch, Size } from "cdk8s";
import * as kplus from "cdk8s-plus-33";
import { statefulAppManifests } from "../sdk/manifests";
import type { EnvVar } from "../sdk/manifests/k8s-types";
import { OFFLINE_SUPER_DIGEST } from "../sdk/zookeeper/credentials";
import { resolveZooKeeper } from "../sdk/zookeeper/ensemble";
import { names } from "./render-contenders";

function cdk8sEnsemble(chart: Chart, name: string): void {
  const s = resolveZooKeeper(name).app;
  const m = statefulAppManifests(s); // read only for values cdk8s needs verbatim (the config hash)
  const meta = (n: string) => ({ name: n, namespace: s.namespace, labels: { ...s.labels } });
  new kplus.Secret(chart, `${name}-super`, {
    metadata: meta(`${s.name}-zookeeper-super`),
    type: "Opaque",
    stringData: { superDigest: OFFLINE_SUPER_DIGEST },
  });
  const config = new kplus.ConfigMap(chart, `${name}-config`, {
    metadata: meta(s.config!.configMapName),
    data: { ...s.config!.files },
  });
  const servicePorts = s.ports.map((p) => ({
    name: p.name,
    port: p.servicePort,
    targetPort: p.containerPort,
    protocol: p.protocol as kplus.Protocol,
  }));
  const headless = new kplus.Service(chart, `${name}-headless`, {
    metadata: { ...meta(s.serviceName), annotations: { "pulumi.com/skipAwait": "true" } },
    clusterIP: "None",
    ports: servicePorts,
    publishNotReadyAddresses: s.publishNotReadyAddresses,
  });
  const client = new kplus.Service(chart, `${name}-client`, {
    metadata: meta(s.clientService!.name),
    type: kplus.ServiceType.CLUSTER_IP,
    ports: servicePorts.filter((_, i) => s.ports[i]!.clientService),
  });
  for (const svc of [headless, client]) {
    for (const [k, v] of Object.entries(s.selectorLabels)) svc.selectLabel(k, v);
    // cdk8s-plus Services take numeric target ports; ours name the container port.
    const ports = svc === headless ? s.ports : s.ports.filter((p) => p.clientService);
    ports.forEach((p, i) => {
      ApiObject.of(svc).addJsonPatch(
        JsonPatch.add(`/spec/ports/${i}/targetPort`, kplus.k8s.IntOrString.fromString(p.name)),
      );
    });
  }
  const probe = (p: typeof s.readinessProbe) =>
    kplus.Probe.fromCommand(p!.exec!.command!, {
      initialDelaySeconds: durationOf(p!.initialDelaySeconds),
      periodSeconds: durationOf(p!.periodSeconds),
      timeoutSeconds: durationOf(p!.timeoutSeconds),
      failureThreshold: p!.failureThreshold,
    });
  const set = new kplus.StatefulSet(chart, name, {
    metadata: { ...meta(s.name), annotations: { ...m.statefulSet.metadata!.annotations } },
    service: headless,
    select: false,
    replicas: s.replicas,
    podManagementPolicy:
      s.podManagementPolicy === "Parallel"
        ? kplus.PodManagementPolicy.PARALLEL
        : kplus.PodManagementPolicy.ORDERED_READY,
    strategy:
      s.updateStrategy === "OnDelete"
        ? kplus.StatefulSetUpdateStrategy.onDelete()
        : kplus.StatefulSetUpdateStrategy.rollingUpdate({ partition: s.partition }),
    podMetadata: { labels: { ...s.labels }, annotations: m.statefulSet.spec!.template.metadata!.annotations },
    securityContext: {
      ensureNonRoot: true,
      user: s.security.runAsUser,
      group: s.security.runAsGroup,
      fsGroup: s.security.fsGroup,
    },
    volumeClaimTemplates: s.volumes.map((v) => ({
      name: v.name,
      storage: Size.gibibytes(Number.parseInt(v.size, 10)),
      accessModes: v.accessModes as kplus.PersistentVolumeAccessMode[],
    })),
    containers: [
      {
        name: s.containerName,
        image: s.image,
        command: s.command,
        ports: s.ports.map((p) => ({
          name: p.name,
          number: p.containerPort,
          protocol: p.protocol as kplus.Protocol,
        })),
        envVariables: Object.fromEntries([
          ...Object.entries(s.env).map(([k, v]) => [k, kplus.EnvValue.fromValue(v)]),
          ...s.extraEnv.map((e) => [e.name, envValue(chart, `${name}-${e.name}`, e)]),
        ]),
        readiness: probe(s.readinessProbe),
        liveness: probe(s.livenessProbe),
        resources: {
          cpu: { request: kplus.Cpu.millis(Number.parseInt(s.resources!.requests!.cpu!, 10)) },
          memory: { request: Size.mebibytes(Number.parseInt(s.resources!.requests!.memory!, 10)) },
        },
        imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
        securityContext: {
          ensureNonRoot: true,
          privileged: false,
          readOnlyRootFilesystem: false,
          allowPrivilegeEscalation: false,
          capabilities: { drop: [kplus.Capability.ALL] },
        },
      },
    ],
  });
  for (const [k, v] of Object.entries(s.selectorLabels))
    set.select(kplus.LabelSelector.of({ labels: { [k]: v } }));
  const container = set.containers[0]!;
  for (const v of s.volumes)
    container.mount(
      v.mountPath,
      kplus.Volume.fromPersistentVolumeClaim(
        chart,
        `${name}-${v.name}`,
        kplus.PersistentVolumeClaim.fromClaimName(chart, `${name}-${v.name}-claim`, v.name),
        { name: v.name },
      ),
    );
  container.mount(
    s.config!.mountPath,
    kplus.Volume.fromConfigMap(chart, `${name}-config-volume`, config, { name: "config" }),
    {
      readOnly: true,
    },
  );
  set.scheduling.spread({ weight: 100, topology: kplus.Topology.HOSTNAME });
  ApiObject.of(set).addJsonPatch(
    JsonPatch.add("/spec/persistentVolumeClaimRetentionPolicy", { ...s.retention }),
    // cdk8s-plus sets seccomp per container only.
    JsonPatch.add("/spec/template/spec/securityContext/seccompProfile", { type: "RuntimeDefault" }),
  );
  new kplus.k8s.KubePodDisruptionBudget(chart, `${name}-pdb`, {
    metadata: meta(s.podDisruptionBudget!.name),
    spec: {
      selector: { matchLabels: { ...s.selectorLabels } },
      minAvailable: kplus.k8s.IntOrString.fromNumber(Number(s.podDisruptionBudget!.minAvailable)),
    },
  });
}

/** An `extraEnv` entry (a field or Secret reference) as cdk8s-plus's EnvValue. */
function envValue(chart: Chart, id: string, e: EnvVar): kplus.EnvValue {
  const field = e.valueFrom?.fieldRef?.fieldPath;
  if (field === "metadata.name") return kplus.EnvValue.fromFieldRef(kplus.EnvFieldPaths.POD_NAME);
  const secret = e.valueFrom?.secretKeyRef;
  if (secret?.name && secret.key)
    return kplus.EnvValue.fromSecretValue({
      secret: kplus.Secret.fromSecretName(chart, id, secret.name),
      key: secret.key,
    });
  throw new Error(`bench/render-cdk8s.ts: no cdk8s-plus mapping for env ${JSON.stringify(e)}`);
}

function durationOf(seconds: number | undefined) {
  return seconds === undefined ? undefined : Duration.seconds(seconds);
}

/** N ensembles in one Chart, synthesised as one YAML stream. */
export function cdk8sYaml(n: number): string {
  const app = new App();
  const chart = new Chart(app, "bench", { disableResourceNameHashes: true });
  for (const name of names(n)) cdk8sEnsemble(chart, name);
  return app.synthYaml();
}

const CDK8S_LABEL = "cdk8s.io/metadata.addr";

/** What cdk8s-plus writes on its own, which `normaliseCdk8s` takes out before comparing. */
export const CDK8S_ADDITIONS = [
  `the ${CDK8S_LABEL} label on the pods and in the headless Service's selector`,
  "anti-affinity that selects the set's pods by that label and names the set's namespace (ours: by the selector labels, same pods)",
  "defaults written out: pod automountServiceAccountToken false (a cdk8s-plus hardening ours leaves to the cluster), dnsPolicy ClusterFirst, hostNetwork false, restartPolicy Always, setHostnameAsFQDN false, shareProcessNamespace false, terminationGracePeriodSeconds 30, fsGroupChangePolicy Always",
  "container defaults written out: imagePullPolicy IfNotPresent (Kubernetes' default for a pinned tag, set because cdk8s-plus would write Always), privileged false, readOnlyRootFilesystem false, runAsNonRoot true (the pod's value repeated)",
  "StatefulSet minReadySeconds 0, ConfigMap and Secret immutable false, Service externalIPs [] and the headless Service's type ClusterIP",
];

// biome-ignore lint/suspicious/noExplicitAny: parsed YAML objects of any shape
type Obj = Record<string, any>;

function dropLabel(map: Obj | undefined): void {
  if (map) delete map[CDK8S_LABEL];
}

/** A cdk8s-plus object without `CDK8S_ADDITIONS`, in place. */
export function normaliseCdk8s(o: Obj): Obj {
  if ((o.kind === "ConfigMap" || o.kind === "Secret") && o.immutable === false) delete o.immutable;
  if (o.kind === "Service") {
    if (o.spec.externalIPs?.length === 0) delete o.spec.externalIPs;
    if (o.spec.clusterIP === "None" && o.spec.type === "ClusterIP") delete o.spec.type;
    dropLabel(o.spec.selector);
  }
  if (o.kind === "StatefulSet") {
    if (o.spec.minReadySeconds === 0) delete o.spec.minReadySeconds;
    dropLabel(o.spec.selector.matchLabels);
    const pod = o.spec.template;
    dropLabel(pod.metadata.labels);
    const defaults: Obj = {
      automountServiceAccountToken: false,
      dnsPolicy: "ClusterFirst",
      hostNetwork: false,
      restartPolicy: "Always",
      setHostnameAsFQDN: false,
      shareProcessNamespace: false,
      terminationGracePeriodSeconds: 30,
    };
    for (const [k, v] of Object.entries(defaults)) if (pod.spec[k] === v) delete pod.spec[k];
    if (pod.spec.securityContext?.fsGroupChangePolicy === "Always")
      delete pod.spec.securityContext.fsGroupChangePolicy;
    for (const term of pod.spec.affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution ??
      []) {
      const t = term.podAffinityTerm;
      if (t.labelSelector?.matchLabels?.[CDK8S_LABEL])
        t.labelSelector.matchLabels = { ...o.spec.selector.matchLabels };
      if (t.namespaces?.length === 1 && t.namespaces[0] === o.metadata.namespace) delete t.namespaces;
    }
    for (const c of pod.spec.containers) {
      if (c.imagePullPolicy === "IfNotPresent" && !c.image.endsWith(":latest")) delete c.imagePullPolicy;
      const sc = c.securityContext ?? {};
      if (sc.privileged === false) delete sc.privileged;
      if (sc.readOnlyRootFilesystem === false) delete sc.readOnlyRootFilesystem;
      if (sc.runAsNonRoot === true && pod.spec.securityContext?.runAsNonRoot === true) delete sc.runAsNonRoot;
    }
  }
  return o;
}
