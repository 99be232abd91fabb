/**
 * A model of pulumi-kubernetes (the `kubernetes` resource provider, Server-Side Apply mode, the
 * default) speaking HTTP to a Kubernetes API server such as the simulator in test/sim. It follows
 * pulumi/pulumi-kubernetes `provider/pkg/provider/provider.go` (Check, Diff, Create, Read, Update,
 * Delete), `diff.go` (the force-new fields), and `provider/pkg/await/*` (what a create or update
 * waits for, what a delete waits for); each rule names its upstream function. Checked against
 * pulumi-kubernetes at commit 94977969 (2026-07-01, after v4.32.0; `diff.go` has not changed in
 * substance since 2024). See docs/engine-facts.md for what it leaves out.
 *
 * Outputs are the provider's "checkpoint object": the live object plus `__inputs` (the inputs it
 * was applied from), `__initialApiVersion` and `__fieldManager` (provider.go, checkpointObject).
 */
import { randomBytes } from "node:crypto";
import { RESOURCES } from "../sim";
import {
  annotateSecrets,
  type DiffResult,
  type PropertyDiffKind,
  type PropertyMap,
  ProviderError,
  type ProviderPlugin,
  type ResourceRef,
  reveal,
} from "./host";

type Obj = { [key: string]: any };
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const clone = <T>(v: T): T => structuredClone(v);

export const ANNOTATIONS = {
  skipAwait: "pulumi.com/skipAwait",
  timeoutSeconds: "pulumi.com/timeoutSeconds",
  deletionPropagation: "pulumi.com/deletionPropagationPolicy",
  autonamed: "pulumi.com/autonamed",
  patchFieldManager: "pulumi.com/patchFieldManager",
  patchForce: "pulumi.com/patchForce",
} as const;

// ---------------------------------------------------------------------------------------------
// Field managers: provider/pkg/await/await.go (fixCSAFieldManagers, patchForce)
// ---------------------------------------------------------------------------------------------

type ManagedFieldsEntry = { manager: string; operation: string; subresource?: string; fieldsV1?: Obj } & Obj;

/**
 * The entries fixCSAFieldManagers hands to the provider's SSA field manager: kubectl's Apply and Update,
 * `before-first-apply`, and the client-side names of pulumi-kubernetes itself (`pulumi-kubernetes`, which a
 * Create in SSA mode uses, `pulumi-kubernetes.exe`, `pulumi-resource-kubernetes`) with operation Update. Matched
 * by name prefix, operation, and no subresource (fluxcd/pkg/ssa, PatchReplaceFieldsManagers / matchFieldManager,
 * the version pulumi-kubernetes' go.mod pins).
 */
export const CSA_MANAGERS: ReadonlyArray<{ name: string; operation: "Apply" | "Update" }> = [
  { name: "kubectl", operation: "Apply" },
  { name: "kubectl", operation: "Update" },
  { name: "before-first-apply", operation: "Update" },
  { name: "pulumi-kubernetes", operation: "Update" },
  { name: "pulumi-kubernetes.exe", operation: "Update" },
  { name: "pulumi-resource-kubernetes", operation: "Update" },
];

/** The union of two fieldsV1 tries. */
function unionFields(a: Obj | undefined, b: Obj | undefined): Obj | undefined {
  if (!a) return b;
  if (!b) return a;
  const out: Obj = clone(a);
  for (const [k, v] of Object.entries(b)) out[k] = unionFields(out[k], v as Obj);
  return out;
}

/**
 * fluxcd/pkg/ssa PatchReplaceFieldsManagers: every matching entry becomes (or is merged into) the Apply entry of
 * `name`, which goes last; undefined when nothing matched (no patch to send).
 */
export function replaceFieldManagers(
  entries: readonly ManagedFieldsEntry[],
  name: string,
): ManagedFieldsEntry[] | undefined {
  let prev = entries.find((e) => e.manager === name && e.operation === "Apply");
  const out: ManagedFieldsEntry[] = [];
  let edited = false;
  for (const e of entries) {
    if (e === prev) continue;
    const matched = CSA_MANAGERS.some(
      (m) => e.manager.startsWith(m.name) && e.operation === m.operation && !e.subresource,
    );
    if (!matched) {
      out.push(e);
      continue;
    }
    edited = true;
    prev = prev
      ? { ...prev, fieldsV1: unionFields(prev.fieldsV1, e.fieldsV1) }
      : { ...e, manager: name, operation: "Apply" };
  }
  return edited && prev ? [...out, prev] : undefined;
}

// ---------------------------------------------------------------------------------------------
// Force-new fields: pulumi-kubernetes provider/pkg/provider/diff.go (forceNew, forceNewProperties)
// ---------------------------------------------------------------------------------------------

const labelSelector = (p: string) => [
  `${p}.matchExpressions`,
  `${p}.matchExpressions.key`,
  `${p}.matchExpressions.operator`,
  `${p}.matchExpressions.values`,
  `${p}.matchLabels`,
];
const containerFields = (...prefixes: string[]) =>
  prefixes.flatMap((p) =>
    [
      "args",
      "command",
      "env",
      "env.value",
      "image",
      "imagePullPolicy",
      "lifecycle",
      "livenessProbe",
      "ports",
      "readinessProbe",
      "resources",
      "securityContext",
      "stdin",
      "stdinOnce",
      "terminationMessagePath",
      "terminationMessagePolicy",
      "tty",
      "volumeDevices",
      "volumeMounts",
      "workingDir",
    ].map((f) => `${p}.${f}`),
  );
const STATEFUL_SET = [
  ".spec.podManagementPolicy",
  ".spec.revisionHistoryLimit",
  ".spec.selector",
  ".spec.serviceName",
  ".spec.volumeClaimTemplates",
  ...labelSelector(".spec.selector"),
];
const SELECTOR_ONLY = [".spec.selector", ...labelSelector(".spec.selector")];
const JOB = [
  ".spec.completions",
  ".spec.parallelism",
  ".spec.selector",
  ".spec.template",
  ...labelSelector(".spec.selector"),
];
const CORE_V1: Record<string, string[]> = {
  PersistentVolumeClaim: [
    ".spec.accessModes",
    ".spec.selector",
    ".spec.storageClassName",
    ".spec.volumeName",
    ...labelSelector(".spec.selector"),
  ],
  Pod: [
    ".spec.affinity",
    ".spec.automountServiceAccountToken",
    ".spec.dnsConfig",
    ".spec.dnsPolicy",
    ".spec.enableServiceLinks",
    ".spec.hostAliases",
    ".spec.hostIPC",
    ".spec.hostNetwork",
    ".spec.hostPID",
    ".spec.hostname",
    ".spec.imagePullSecrets",
    ".spec.nodeName",
    ".spec.nodeSelector",
    ".spec.overhead",
    ".spec.preemptionPolicy",
    ".spec.priority",
    ".spec.priorityClassName",
    ".spec.readinessGates",
    ".spec.restartPolicy",
    ".spec.runtimeClassName",
    ".spec.schedulerName",
    ".spec.securityContext",
    ".spec.serviceAccount",
    ".spec.serviceAccountName",
    ".spec.shareProcessNamespace",
    ".spec.subdomain",
    ".spec.terminationGracePeriodSeconds",
    ".spec.volumes",
    ...containerFields(".spec.containers[*]", ".spec.initContainers[*]"),
  ],
  ResourceQuota: [".spec.scopes"],
  Secret: [".type"],
  Service: [".spec.clusterIP"],
};
/** group -> version -> kind -> fields, as diff.go's `forceNew` table. */
const FORCE_NEW: Record<string, Record<string, Record<string, string[]>>> = {
  apps: {
    v1beta1: { StatefulSet: STATEFUL_SET },
    v1beta2: { DaemonSet: SELECTOR_ONLY, Deployment: SELECTOR_ONLY, StatefulSet: STATEFUL_SET },
    v1: { DaemonSet: SELECTOR_ONLY, Deployment: SELECTOR_ONLY, StatefulSet: STATEFUL_SET },
  },
  core: { v1: CORE_V1 },
  "": { v1: CORE_V1 },
  policy: { v1beta1: { PodDisruptionBudget: [".spec"] } },
  "rbac.authorization.k8s.io": {
    v1alpha1: { ClusterRoleBinding: [".roleRef"], RoleBinding: [".roleRef"] },
    v1beta1: { ClusterRoleBinding: [".roleRef"], RoleBinding: [".roleRef"] },
    v1: { ClusterRoleBinding: [".roleRef"], RoleBinding: [".roleRef"] },
  },
  "storage.k8s.io": { v1: { StorageClass: [".parameters", ".provisioner"] } },
  batch: { v1beta1: { Job: JOB }, v1: { Job: JOB }, v2alpha1: { Job: JOB } },
};

function groupVersion(apiVersion: string): { group: string; version: string } {
  const i = apiVersion.indexOf("/");
  return i < 0
    ? { group: "", version: apiVersion }
    : { group: apiVersion.slice(0, i), version: apiVersion.slice(i + 1) };
}

// ---------------------------------------------------------------------------------------------
// Pure helpers (exported for tests)
// ---------------------------------------------------------------------------------------------

/** Removes read-only metadata (provider.go, normalizeInputs). */
export function normalizeInputs(obj: Obj): Obj {
  const o = clone(obj);
  if (isObj(o.metadata))
    for (const f of [
      "creationTimestamp",
      "deletionGracePeriodSeconds",
      "deletionTimestamp",
      "generation",
      "managedFields",
      "resourceVersion",
      "uid",
    ])
      delete o.metadata[f];
  return o;
}

/** The live object cut to the shape of the inputs it was applied from (util.go, pruneMap / pruneSlice). */
export function prune(source: unknown, target: unknown): any {
  if (isObj(source) && isObj(target)) {
    const out: Obj = {};
    for (const [k, v] of Object.entries(source)) {
      if (!(k in target)) continue;
      const t = target[k];
      out[k] = kindOf(v) !== kindOf(t) || v === null || t === null ? v : prune(v, t);
    }
    return out;
  }
  if (Array.isArray(source) && Array.isArray(target)) {
    if (source.length === 0 || target.length === 0) return [];
    if (kindOf(source[0]) !== kindOf(target[0])) return clone(source);
    const out: unknown[] = [];
    for (let i = 0; i < target.length && i < source.length; i++)
      out.push(source[i] === null || target[i] === null ? source[i] : prune(source[i], target[i]));
    return out;
  }
  return source;
}
const kindOf = (v: unknown) => (Array.isArray(v) ? "array" : v === null ? "null" : typeof v);

const deepEqual = (a: unknown, b: unknown) => JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));
function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (isObj(v))
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, sortKeys(v[k])]),
    );
  return v;
}

/** RFC 7386 merge patch from `a` to `b` (evanphx/json-patch CreateMergePatch, as provider.go inputPatch uses). */
export function createMergePatch(a: Obj, b: Obj): Obj {
  const patch: Obj = {};
  for (const [k, v] of Object.entries(b)) {
    if (!(k in a)) patch[k] = v;
    else if (isObj(a[k]) && isObj(v)) {
      const sub = createMergePatch(a[k], v);
      if (Object.keys(sub).length > 0) patch[k] = sub;
    } else if (!deepEqual(a[k], v)) patch[k] = v;
  }
  for (const k of Object.keys(a)) if (!(k in b)) patch[k] = null;
  return patch;
}

/** Does a jsonpath field expression (`.spec.containers[*].image`) find anything in `obj`? (openapi/match.go) */
function jsonPathFound(obj: unknown, expr: string): boolean {
  const segs = expr
    .replace(/^\./, "")
    .split(".")
    .flatMap((s) => (s.endsWith("[*]") ? [s.slice(0, -3), "*"] : [s]));
  const walk = (v: unknown, i: number): boolean => {
    if (i === segs.length) return true;
    const s = segs[i]!;
    if (s === "*") return Array.isArray(v) && v.some((x) => walk(x, i + 1));
    return isObj(v) && s in v && walk(v[s], i + 1);
  };
  return walk(obj, 0);
}

const MISSING = Symbol("missing");
type Maybe = unknown | typeof MISSING;

/**
 * The detailed diff of a merge patch, with force-new fields turned into replacements
 * (provider.go, convertPatchToDiff and patchConverter.addPatchValueToDiff / Map / Array).
 */
export function convertPatchToDiff(
  patch: Obj,
  oldLive: Obj,
  newInputs: Obj,
  oldInputs: Obj,
  forceNew: string[],
): Record<string, PropertyDiffKind> {
  const diff: Record<string, PropertyDiffKind> = {};
  const get = (m: unknown, k: string | number): Maybe =>
    isObj(m) && typeof k === "string" && k in m ? m[k] : MISSING;
  const at = (a: unknown, i: number): unknown => (Array.isArray(a) && i < a.length ? a[i] : null);
  const slice = (path: (string | number)[], v: unknown): unknown =>
    path.length === 0
      ? v
      : typeof path[0] === "string"
        ? { [path[0]]: slice(path.slice(1), v) }
        : [slice(path.slice(1), v)];
  const pathString = (path: (string | number)[]) =>
    path.reduce<string>((s, p) => {
      if (typeof p === "number") return `${s}[${p}]`;
      if (/[."[\]]/.test(p)) return `${s}["${p.replace(/"/g, '\\"')}"]`;
      return s === "" ? p : `${s}.${p}`;
    }, "");

  const value = (
    path: (string | number)[],
    v: unknown,
    old: Maybe,
    newInput: Maybe,
    oldInput: Maybe,
    inArray: boolean,
  ): void => {
    if (newInput === MISSING && (v !== null || oldInput === MISSING)) return;
    let kind: "add" | "delete" | "update";
    if (v === null) kind = "delete";
    else if (old === MISSING) kind = "add";
    else if (isObj(v)) {
      if (isObj(old)) {
        map(path, v, old, isObj(newInput) ? newInput : {}, isObj(oldInput) ? oldInput : {}, inArray);
        return;
      }
      kind = "update";
    } else if (Array.isArray(v)) {
      if (Array.isArray(old)) {
        array(path, v, old, Array.isArray(newInput) ? newInput : [], Array.isArray(oldInput) ? oldInput : []);
        return;
      }
      kind = "update";
    } else {
      if (deepEqual(v, old)) return;
      kind = "update";
    }
    const replace = forceNew.some((f) => jsonPathFound(slice(path, v), f));
    diff[pathString(path)] = replace ? (`${kind}-replace` as PropertyDiffKind) : kind;
  };
  const map = (
    path: (string | number)[],
    m: Obj,
    old: Obj,
    newInput: Obj,
    oldInput: Obj,
    inArray: boolean,
  ) => {
    for (const [k, v] of Object.entries(m))
      value([...path, k], v, get(old, k), get(newInput, k), get(oldInput, k), inArray);
    if (inArray)
      for (const k of Object.keys(old))
        if (!(k in m)) value([...path, k], null, old[k], get(newInput, k), get(oldInput, k), inArray);
  };
  const array = (
    path: (string | number)[],
    a: unknown[],
    old: unknown[],
    newInput: unknown[],
    oldInput: unknown[],
  ) => {
    let i = 0;
    for (; i < a.length && i < old.length; i++)
      value([...path, i], a[i], old[i], at(newInput, i), at(oldInput, i), true);
    for (; i < a.length; i++) value([...path, i], a[i], MISSING, at(newInput, i), at(oldInput, i), true);
    for (; i < old.length; i++) value([...path, i], null, old[i], at(newInput, i), at(oldInput, i), true);
  };
  map([], patch, oldLive, newInputs, oldInputs, false);
  return diff;
}

/** Splits a checkpoint object into the inputs it records and the live object (provider.go, parseCheckpointObject). */
export function parseCheckpoint(state: PropertyMap): { inputs: Obj; live: Obj } {
  const { __inputs, __initialApiVersion: _v, __fieldManager: _f, ...live } = reveal(state) as Obj;
  return { inputs: isObj(__inputs) ? __inputs : {}, live };
}

function checkpoint(inputs: Obj, live: Obj, initialApiVersion: string, fieldManager: string): Obj {
  return { ...live, __inputs: inputs, __initialApiVersion: initialApiVersion, __fieldManager: fieldManager };
}

const annotation = (o: Obj | undefined, key: string): string | undefined => o?.metadata?.annotations?.[key];
const isTrue = (o: Obj | undefined, key: string) => annotation(o, key) === "true";
const fqName = (o: Obj) =>
  o.metadata?.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : o.metadata?.name;

// ---------------------------------------------------------------------------------------------
// The provider
// ---------------------------------------------------------------------------------------------

export interface KubernetesModelOptions {
  /** The API server, e.g. `sim.url`. */
  server: string;
  /** Provider config `enableConfigMapMutable` (PULUMI_K8S_ENABLE_CONFIGMAP_MUTABLE). @default false */
  enableConfigMapMutable?: boolean;
  /** Provider config `enableSecretMutable`. @default false */
  enableSecretMutable?: boolean;
  /** How often awaits poll the API server. @default 20 */
  pollMs?: number;
}

interface ApiStatus {
  code: number;
  reason?: string;
  message?: string;
}

class ApiError extends Error {
  constructor(readonly status: ApiStatus) {
    super(status.message ?? `HTTP ${status.code}`);
  }
}

/** The Kubernetes provider as the engine sees it, on an API server reached over HTTP. */
export class KubernetesProvider implements ProviderPlugin {
  readonly label = "kubernetes (pulumi-kubernetes model, server-side apply)";
  private readonly pollMs: number;

  constructor(private readonly options: KubernetesModelOptions) {
    this.pollMs = options.pollMs ?? 20;
  }

  // ---- HTTP ----

  private path(apiVersion: string, kind: string, ns: string, name?: string): string {
    const { group, version } = groupVersion(apiVersion);
    const rt = RESOURCES.find((r) => r.kind === kind && r.group === group && r.version === version);
    if (!rt) throw new Error(`no matches for kind "${kind}" in version "${apiVersion}"`);
    const base = group === "" ? `/api/${version}` : `/apis/${group}/${version}`;
    // Cluster-scoped kinds (a Namespace) have no namespace segment.
    const scope = rt.namespaced ? `/namespaces/${ns}` : "";
    return `${base}${scope}/${rt.plural}${name ? `/${name}` : ""}`;
  }

  private async request(
    method: string,
    path: string,
    body?: unknown,
    contentType = "application/json",
  ): Promise<Obj> {
    const res = await fetch(`${this.options.server}${path}`, {
      method,
      headers: body === undefined ? {} : { "Content-Type": contentType },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    const parsed = text ? (JSON.parse(text) as Obj) : {};
    if (res.status >= 400)
      throw new ApiError({ code: res.status, reason: parsed.reason, message: parsed.message });
    return parsed;
  }

  private async get(obj: Obj): Promise<Obj | undefined> {
    try {
      return await this.request(
        "GET",
        this.path(obj.apiVersion, obj.kind, obj.metadata.namespace, obj.metadata.name),
      );
    } catch (e) {
      if (e instanceof ApiError && e.status.code === 404) return undefined;
      throw e;
    }
  }

  private sleep(): Promise<void> {
    return new Promise((r) => setTimeout(r, this.pollMs));
  }

  // ---- Check / Diff ----

  /**
   * Check (provider.go, Check): read-only metadata removed; in SSA mode no managed-by label; an
   * object without a name gets `<resource name>-<random>` and the autonamed annotation, and keeps
   * that name afterwards (metadata/naming.go, AssignNameIfAutonamable, AdoptOldAutonameIfUnnamed).
   * Not modelled: validation against the cluster's OpenAPI schema.
   */
  async check(r: ResourceRef & { olds?: PropertyMap; news: PropertyMap; allowUnknowns: boolean }) {
    const news = normalizeInputs(r.news as Obj);
    news.metadata ??= {};
    const olds = reveal(r.olds ?? {}) as Obj;
    if (Object.keys(olds).length > 0) {
      if (!news.metadata.name && isTrue(olds, ANNOTATIONS.autonamed)) {
        news.metadata.name = olds.metadata.name;
        news.metadata.annotations = { ...news.metadata.annotations, [ANNOTATIONS.autonamed]: "true" };
      }
    } else if (!news.metadata.name && !news.metadata.generateName) {
      news.metadata.name = `${r.name}-${randomBytes(4).toString("hex")}`;
      news.metadata.annotations = { ...news.metadata.annotations, [ANNOTATIONS.autonamed]: "true" };
    }
    if (news.metadata.generateName && !news.metadata.name)
      throw new Error("the `.metadata.generateName` field is not supported in Server-Side Apply mode");
    return { inputs: news as PropertyMap, failures: [] };
  }

  private forceNewFields(obj: Obj): string[] {
    const props = [".metadata.name", ".metadata.namespace"];
    const { group, version } = groupVersion(obj.apiVersion ?? "");
    const kinds = FORCE_NEW[group]?.[version];
    if (!kinds) return props;
    if (obj.kind === "Secret" && (!this.options.enableSecretMutable || obj.immutable === true))
      return [...props, ".type", ".stringData", ".data"];
    if (kinds[obj.kind]) return [...props, ...kinds[obj.kind]!];
    if (obj.kind === "ConfigMap" && (!this.options.enableConfigMapMutable || obj.immutable === true))
      return [...props, ".binaryData", ".data"];
    return props;
  }

  /**
   * Diff (provider.go, Diff): the new inputs against the *checkpoint* — the live object recorded
   * by the last create/update/read, pruned to the shape of the inputs recorded with it — never the
   * cluster. Replacement on force-new fields; delete-before-replace when the object is named, not
   * autonamed, and keeps its name and namespace.
   */
  async diff(
    r: ResourceRef & {
      id: string;
      oldInputs: PropertyMap;
      oldOutputs: PropertyMap;
      newInputs: PropertyMap;
      ignoreChanges: string[];
      allowUnknowns: boolean;
    },
  ): Promise<DiffResult> {
    const { inputs, live } = parseCheckpoint(r.oldOutputs);
    const oldInputs = normalizeInputs(inputs);
    const newInputs = normalizeInputs(reveal(r.newInputs) as Obj);
    const pruned = prune(live, oldInputs) as Obj;
    // Every kind the simulator serves is namespaced: "" is "default" on both sides.
    pruned.metadata = { ...(pruned.metadata ?? {}), namespace: pruned.metadata?.namespace || "default" };
    newInputs.metadata = {
      ...(newInputs.metadata ?? {}),
      namespace: newInputs.metadata?.namespace || "default",
    };
    delete pruned.metadata.resourceVersion;
    if (newInputs.metadata.name) pruned.metadata.name = live.metadata?.name;
    const patch = createMergePatch(pruned, newInputs);
    let detailed: Record<string, PropertyDiffKind> = {};
    if (Object.keys(patch).length > 0)
      detailed = convertPatchToDiff(patch, pruned, newInputs, pruned, this.forceNewFields(newInputs));
    for (const ignore of r.ignoreChanges) {
      const prefix = ignore.replace(/^\./, "");
      for (const p of Object.keys(detailed))
        if (p === prefix || p.startsWith(`${prefix}.`) || p.startsWith(`${prefix}[`)) delete detailed[p];
    }
    const replaces = Object.entries(detailed)
      .filter(([k, kind]) => kind.endsWith("-replace") || (kind === "delete" && k === "metadata"))
      .map(([k]) => k);
    const named = Boolean(newInputs.metadata.name) && !isTrue(newInputs, ANNOTATIONS.autonamed);
    return {
      changes: Object.keys(detailed).length > 0 ? "some" : "none",
      replaces,
      stables: [],
      diffs: Object.keys(detailed),
      deleteBeforeReplace:
        replaces.length > 0 &&
        named &&
        newInputs.metadata.name === live.metadata?.name &&
        newInputs.metadata.namespace === live.metadata?.namespace,
      detailedDiff: detailed,
    };
  }

  // ---- Create / Update: apply, then await ----

  private fieldManager(inputs: Obj, state?: Obj): string {
    return (
      annotation(inputs, ANNOTATIONS.patchFieldManager) ??
      (typeof state?.__fieldManager === "string" ? state.__fieldManager : undefined) ??
      `pulumi-kubernetes-${randomBytes(4).toString("hex")}`
    );
  }

  /**
   * Create (provider.go, Create; await/await.go, Creation): a POST (not an apply: SSA upserts only
   * with `upsertExistingObjects`), so an existing object is an AlreadyExists error; then the
   * kind's readiness await. A preview would be a server-side dry run; the model returns the inputs.
   */
  async create(r: ResourceRef & { properties: PropertyMap; timeout?: number; preview: boolean }) {
    if (r.preview) return { id: "", properties: r.properties };
    const inputs = normalizeInputs(reveal(r.properties) as Obj);
    const ns = inputs.metadata?.namespace || "default";
    const fieldManager = this.fieldManager(inputs);
    let created: Obj;
    try {
      created = await this.request(
        "POST",
        `${this.path(inputs.apiVersion, inputs.kind, ns)}?fieldManager=pulumi-kubernetes`,
        inputs,
      );
    } catch (e) {
      const detail =
        e instanceof ApiError && e.status.code === 409
          ? `${e.message}\n\nThe resource already exists in the cluster.`
          : (e as Error).message;
      const msg = `resource "${r.urn}" was not successfully created by the Kubernetes API server: ${detail}`;
      throw new ProviderError(msg, "create", msg);
    }
    const { live, error } = await this.awaitReady(r.urn, inputs, created, r.timeout, false);
    const properties = annotateSecrets(
      checkpoint(inputs, live, inputs.apiVersion, fieldManager) as PropertyMap,
      r.properties,
    );
    if (error) {
      const msg = `resource "${r.urn}" was successfully created, but the Kubernetes API server reported that it failed to fully initialize or become live: ${error}`;
      throw new ProviderError(msg, "create", msg, { id: fqName(live), properties }, [msg]);
    }
    return { id: fqName(live), properties };
  }

  /**
   * Update (provider.go, Update; await.go, Update / ssaUpdate): read the live object;
   * fixCSAFieldManagers moves the entries of client-side managers — the Create's
   * `pulumi-kubernetes` Update entry among them — to this resource's SSA manager by a JSON patch of
   * `metadata.managedFields` (nothing to move: no patch); then a server-side apply of the new inputs
   * with that manager, forced only with the `pulumi.com/patchForce` annotation or when the live
   * object records no managed fields (patchForce; the provider's `enablePatchForce` setting is not
   * modelled). A conflict with another manager is the API server's
   * 409. Then the readiness await. A failure after the object was read back is a partial failure
   * carrying the live object.
   */
  async update(
    r: ResourceRef & {
      id: string;
      oldInputs: PropertyMap;
      oldOutputs: PropertyMap;
      newInputs: PropertyMap;
      timeout?: number;
      ignoreChanges: string[];
      preview: boolean;
    },
  ) {
    if (r.preview) return { properties: r.newInputs };
    const state = reveal(r.oldOutputs) as Obj;
    const { live: oldLive } = parseCheckpoint(r.oldOutputs);
    const newInputs = normalizeInputs(reveal(r.newInputs) as Obj);
    const fieldManager = this.fieldManager(newInputs, state);
    const initialApiVersion =
      typeof state.__initialApiVersion === "string" ? state.__initialApiVersion : newInputs.apiVersion;
    const target = {
      ...newInputs,
      metadata: {
        ...newInputs.metadata,
        namespace: oldLive.metadata?.namespace,
        name: oldLive.metadata?.name,
      },
    };
    let applied: Obj | undefined;
    let failure: string | undefined;
    try {
      let current = await this.get(target);
      if (!current) throw new ApiError({ code: 404, message: `"${fqName(target)}" not found` });
      const path = this.path(
        newInputs.apiVersion,
        newInputs.kind,
        target.metadata.namespace,
        target.metadata.name,
      );
      const managed = (current.metadata?.managedFields ?? []) as ManagedFieldsEntry[];
      const fixed = managed.length > 0 ? replaceFieldManagers(managed, fieldManager) : undefined;
      if (fixed)
        current = await this.request(
          "PATCH",
          path,
          [{ op: "replace", path: "/metadata/managedFields", value: fixed }],
          "application/json-patch+json",
        );
      const force =
        isTrue(newInputs, ANNOTATIONS.patchForce) || !(current.metadata?.managedFields?.length > 0);
      applied = await this.request(
        "PATCH",
        `${path}?fieldManager=${encodeURIComponent(fieldManager)}&force=${force}`,
        newInputs,
        "application/apply-patch+yaml",
      );
    } catch (e) {
      failure = (e as Error).message;
    }
    let live = applied;
    if (applied && !failure) {
      const awaited = await this.awaitReady(r.urn, newInputs, applied, r.timeout, true);
      live = awaited.live;
      failure = awaited.error;
    }
    if (failure) {
      const current = live ?? (await this.get(target).catch(() => undefined));
      if (!current) {
        const msg = `update of resource "${r.urn}" failed: ${failure}`;
        throw new ProviderError(msg, "update", msg);
      }
      const msg = `the Kubernetes API server reported that "${fqName(current)}" failed to fully initialize or become live: ${failure}`;
      const properties = annotateSecrets(
        checkpoint(newInputs, current, initialApiVersion, fieldManager) as PropertyMap,
        r.newInputs,
      );
      throw new ProviderError(msg, "update", msg, { id: fqName(current), properties }, [msg]);
    }
    return {
      properties: annotateSecrets(
        checkpoint(newInputs, live!, initialApiVersion, fieldManager) as PropertyMap,
        r.newInputs,
      ),
    };
  }

  /**
   * What a create or update waits for (metadata/overrides.go, ReadyCondition; await/awaiters.go):
   * nothing with `pulumi.com/skipAwait: "true"` in the inputs; a StatefulSet until the controller
   * observed its generation and every replica is ready on the current revision
   * (await/statefulset.go, processStatefulSetEvent); a Service with a selector that is neither
   * headless nor ExternalName until a ready pod backs it (await/service.go; the model counts
   * ready pods matching the selector, the simulator has no Endpoints); other kinds not at all.
   * The limit is the request's timeout, else `pulumi.com/timeoutSeconds`, else 10 minutes.
   */
  private async awaitReady(
    urn: string,
    inputs: Obj,
    obj: Obj,
    timeoutSec: number | undefined,
    updating: boolean,
  ): Promise<{ live: Obj; error?: string }> {
    if (isTrue(inputs, ANNOTATIONS.skipAwait)) return { live: obj };
    const seconds = timeoutSec || Number(annotation(inputs, ANNOTATIONS.timeoutSeconds)) || 600;
    const deadline = Date.now() + seconds * 1000;
    const ready = this.readiness(obj);
    if (!ready) return { live: obj };
    let live = obj;
    for (;;) {
      const current = await this.get(obj);
      if (!current)
        return { live, error: `${obj.kind} "${fqName(obj)}" was deleted while awaiting readiness` };
      live = current;
      const verdict = await ready(current, updating);
      if (verdict === true) return { live };
      if (Date.now() > deadline)
        return {
          live,
          error: `timed out after ${seconds}s waiting for ${obj.kind} "${fqName(obj)}" (${urn}): ${verdict}`,
        };
      await this.sleep();
    }
  }

  private readiness(obj: Obj): ((live: Obj, updating: boolean) => Promise<true | string>) | undefined {
    if (obj.kind === "StatefulSet" && groupVersion(obj.apiVersion).group === "apps")
      return async (set) => {
        const generation = set.metadata?.generation ?? 0;
        const st = set.status ?? {};
        if (generation === 0 || (st.observedGeneration ?? 0) < generation)
          return "the controller has not observed the latest generation";
        const replicas = set.spec?.replicas ?? 1;
        if (generation > 1 && set.spec?.updateStrategy?.type === "OnDelete")
          return replicas === (st.replicas ?? 0) && replicas === (st.readyReplicas ?? 0)
            ? true
            : `${st.readyReplicas ?? 0}/${replicas} pods ready`;
        const revisionReady = Boolean(st.currentRevision) && st.currentRevision === st.updateRevision;
        const replicasReady =
          replicas === (st.replicas ?? 0) &&
          replicas === (st.readyReplicas ?? 0) &&
          replicas === (st.currentReplicas ?? 0);
        if (replicasReady && revisionReady) return true;
        return replicasReady
          ? "waiting for .status.currentRevision to reach .status.updateRevision"
          : `${st.readyReplicas ?? 0}/${replicas} pods ready`;
      };
    if (obj.kind === "Service" && obj.apiVersion === "v1") {
      const selector = obj.spec?.selector as Record<string, string> | undefined;
      if (
        obj.spec?.clusterIP === "None" ||
        obj.spec?.type === "ExternalName" ||
        !selector ||
        Object.keys(selector).length === 0
      )
        return undefined;
      const query = Object.entries(selector)
        .map(([k, v]) => `${k}=${v}`)
        .join(",");
      return async (svc) => {
        const pods = await this.request(
          "GET",
          `/api/v1/namespaces/${svc.metadata.namespace}/pods?labelSelector=${encodeURIComponent(query)}`,
        );
        const ready = (pods.items as Obj[]).some((p) =>
          (p.status?.conditions ?? []).some((c: Obj) => c.type === "Ready" && c.status === "True"),
        );
        return ready ? true : "no ready pod backs the Service yet";
      };
    }
    return undefined;
  }

  // ---- Read / Delete ----

  /**
   * Read (provider.go, Read): the live object; gone (empty id) on 404. Outputs are a new
   * checkpoint whose inputs are the live object pruned to the old inputs' shape, and those pruned
   * values are returned as the new inputs: after a refresh, drift in an input field is what the
   * next diff sees.
   */
  async read(r: ResourceRef & { id: string; inputs: PropertyMap; properties: PropertyMap }) {
    const state = reveal(r.properties) as Obj;
    const { live: oldLive } = parseCheckpoint(r.properties);
    const oldInputs = normalizeInputs(reveal(r.inputs) as Obj);
    const [ns, name] = r.id.includes("/") ? r.id.split("/") : ["", r.id];
    const probe = {
      apiVersion: oldLive.apiVersion ?? oldInputs.apiVersion,
      kind: oldLive.kind ?? oldInputs.kind,
      metadata: { namespace: ns || oldLive.metadata?.namespace || "default", name },
    };
    const live = await this.get(probe);
    if (!live) return { id: "", properties: {} };
    const liveInputs = prune(live, oldInputs) as Obj;
    const initialApiVersion =
      typeof state.__initialApiVersion === "string" ? state.__initialApiVersion : live.apiVersion;
    const fieldManager = this.fieldManager(oldInputs, state);
    return {
      id: r.id || fqName(live),
      properties: annotateSecrets(
        checkpoint(liveInputs, live, initialApiVersion, fieldManager) as PropertyMap,
        r.inputs,
      ),
      inputs: annotateSecrets(liveInputs as PropertyMap, r.inputs),
    };
  }

  /**
   * Delete (provider.go, Delete; await.go, Deletion): DELETE with the propagation policy of the
   * `pulumi.com/deletionPropagationPolicy` annotation, Foreground by default
   * (metadata/overrides.go, DeletionPropagation), then wait until the object is gone (a 404 at
   * any point counts as deleted).
   */
  async delete(r: ResourceRef & { id: string; inputs: PropertyMap; outputs: PropertyMap; timeout?: number }) {
    const { inputs, live } = parseCheckpoint(r.outputs);
    const name = r.id.includes("/") ? r.id.split("/")[1]! : r.id;
    const obj = {
      apiVersion: live.apiVersion,
      kind: live.kind,
      metadata: { namespace: live.metadata?.namespace ?? "default", name },
    };
    const policy = (annotation(inputs, ANNOTATIONS.deletionPropagation) ?? "").toLowerCase();
    const propagationPolicy =
      policy === "orphan" ? "Orphan" : policy === "background" ? "Background" : "Foreground";
    try {
      await this.request("DELETE", this.path(obj.apiVersion, obj.kind, obj.metadata.namespace, name), {
        kind: "DeleteOptions",
        apiVersion: "v1",
        propagationPolicy,
      });
    } catch (e) {
      if (e instanceof ApiError && e.status.code === 404) return;
      throw new ProviderError((e as Error).message, "delete", (e as Error).message);
    }
    const seconds = r.timeout || Number(annotation(inputs, ANNOTATIONS.timeoutSeconds)) || 600;
    const deadline = Date.now() + seconds * 1000;
    while (await this.get(obj)) {
      if (Date.now() > deadline) {
        const msg = `timed out after ${seconds}s waiting for ${obj.kind} "${fqName(obj)}" to be deleted`;
        throw new ProviderError(msg, "delete", msg);
      }
      await this.sleep();
    }
  }
}

/** A value is a Kubernetes provider's concern when its type token's package is `kubernetes`. */
export const isKubernetesType = (type: string): boolean => type.startsWith("kubernetes:");
