/**
 * The pure render: a component's arguments in, the Kubernetes objects it registers out, as plain
 * objects or as YAML. The same checks (`StatefulArgsError`), defaults and builders the components
 * use, without the Pulumi runtime: nothing here imports Pulumi, and nothing touches the network.
 *
 * The rollout's two dynamic resources are not Kubernetes objects and are not rendered; with the
 * rollout on (the default) the StatefulSet carries `pulumi.com/skipAwait`, as the component's does.
 */
import { type HeadlessServiceArgs, resolveHeadlessService } from "./headless-service";
import { statefulAppManifests } from "./manifests";
import { headlessServiceManifest } from "./manifests/services";
import { resolveStatefulApp, type StatefulAppArgs, type StatefulAppSpec } from "./stateful-app";
import { kubeYaml } from "./yaml";
import { OFFLINE_SUPER_DIGEST, superUserSecretManifest } from "./zookeeper/credentials";
import { resolveZooKeeper, type ZooKeeperEnsembleArgs } from "./zookeeper/ensemble";

/** A Kubernetes object as plain data: what a component registers, and one YAML document. */
export type KubeObject = Record<string, unknown> & {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
};

/**
 * `StatefulApp`'s arguments for the pure render. A governing Service of your own is named with
 * `adoptService` (its name, namespace, selector and `publishNotReadyAddresses`), which is what the
 * component reads off a `headlessService` component; credentials (`rollout.kubeconfig`) play no
 * part in the objects and are ignored.
 */
export type RenderStatefulAppArgs = StatefulAppArgs & { headlessService?: never };

/** Kinds in the order a cluster needs them: what others reference comes first. */
const KIND_ORDER = [
  "Namespace",
  "ServiceAccount",
  "Secret",
  "ConfigMap",
  "PersistentVolumeClaim",
  "Service",
  "StatefulSet",
  "PodDisruptionBudget",
];

function kindRank(kind: string): number {
  const i = KIND_ORDER.indexOf(kind);
  return i === -1 ? KIND_ORDER.length : i;
}

/** A headless (governing) Service comes before other Services: pods' DNS names depend on it. */
function isHeadless(o: KubeObject): boolean {
  return (o.spec as { clusterIP?: string } | undefined)?.clusterIP === "None";
}

const orderKey = (o: KubeObject) => `${o.metadata.namespace ?? ""}/${o.metadata.name}`;

/**
 * Compares two objects in dependency order: by kind (ConfigMaps before Services before
 * StatefulSets before PodDisruptionBudgets), headless Services first among Services, then by
 * namespace and name. Independent of the order the objects were made or registered in.
 */
export function compareDependencyOrder(a: KubeObject, b: KubeObject): number {
  return (
    kindRank(a.kind) - kindRank(b.kind) ||
    Number(isHeadless(b)) - Number(isHeadless(a)) ||
    orderKey(a).localeCompare(orderKey(b))
  );
}

/** The objects sorted by `compareDependencyOrder`, as a new array. */
export function dependencyOrder(objects: readonly KubeObject[]): KubeObject[] {
  return [...objects].sort(compareDependencyOrder);
}

/** Every object of an app, from its resolved spec, in dependency order. */
function appObjects(spec: StatefulAppSpec): KubeObject[] {
  const m = statefulAppManifests(spec);
  const objects = [m.configMap, m.headlessService, m.clientService, m.statefulSet, m.podDisruptionBudget];
  return dependencyOrder(objects.filter((o) => o !== undefined) as KubeObject[]);
}

/**
 * The Kubernetes objects `new HeadlessService(name, args)` registers: its Service.
 * @throws StatefulArgsError naming every bad argument, as the component does
 */
export function renderHeadlessService(name: string, args: HeadlessServiceArgs): KubeObject[] {
  return [headlessServiceManifest(resolveHeadlessService(name, args)) as KubeObject];
}

/**
 * The Kubernetes objects `new StatefulApp(name, args)` registers, in dependency order: its
 * ConfigMap, headless Service, client Service, StatefulSet and PodDisruptionBudget, those it has.
 * @throws StatefulArgsError naming every bad argument, as the component does
 */
export function renderStatefulApp(name: string, args: RenderStatefulAppArgs): KubeObject[] {
  return appObjects(resolveStatefulApp(name, args));
}

/**
 * The Kubernetes objects `new ZooKeeperEnsemble(name, args)` registers, in dependency order. The
 * super-user Secret holds `OFFLINE_SUPER_DIGEST`: the password is made by the credentials
 * resource at deploy time, so no render knows it.
 * @throws StatefulArgsError naming every bad argument, as the component does
 */
export function renderZooKeeperEnsemble(name: string, args: ZooKeeperEnsembleArgs = {}): KubeObject[] {
  const z = resolveZooKeeper(name, args);
  return dependencyOrder([
    ...appObjects(z.app),
    superUserSecretManifest(z, OFFLINE_SUPER_DIGEST) as KubeObject,
  ]);
}

/**
 * Multi-document YAML, each object a document starting with `---`, in the order given. Keys are
 * in canonical order (`apiVersion`, `kind`, `metadata` with `name`, `namespace`, `labels`,
 * `annotations` first, every other map sorted), as the components' objects come out of the Pulumi
 * mocks and as the golden files hold them; block style, no line folding, no anchors (an object
 * that appears twice is written twice). The bytes are those of the `yaml` package (sdk/yaml.ts).
 */
export function toYaml(objects: readonly KubeObject[]): string {
  const docs: string[] = [];
  for (const o of objects) docs.push("---\n", kubeYaml(o));
  return docs.join("");
}

/** `<kind>-<namespace>-<name>.yaml`, lower-case kind: the file `render --out` writes an object to. */
export function fileNameFor(o: KubeObject): string {
  const ns = o.metadata.namespace ? `${o.metadata.namespace}-` : "";
  return `${o.kind.toLowerCase()}-${ns}${o.metadata.name}.yaml`;
}
