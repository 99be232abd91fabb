/**
 * What the API server does to an object on its way into storage, per resource: the version's defaulter
 * (pkg/apis/<group>/<version>/defaults.go), the registry strategy (pkg/registry/<group>/<resource>/strategy.go)
 * and update validation (pkg/apis/<group>/validation/validation.go). Only the parts the simulated resources need;
 * what is left out is listed in the header of test/sim/index.ts.
 */
import { type FieldError, invalid } from "./errors";
import type { Obj, ResourceType } from "./store";

const isEmpty = (v: unknown) =>
  v === undefined ||
  v === null ||
  (Array.isArray(v) && v.length === 0) ||
  (typeof v === "object" && !Array.isArray(v) && Object.keys(v as object).length === 0);

/**
 * apiequality.Semantic.DeepEqual as it matters here: a nil and an empty slice or map are equal. JSON cannot tell
 * a nil struct pointer from an empty struct, so `{}` equals absent too (upstream would call those different).
 * Quantities are compared as written ("1Gi" and "1024Mi" differ here; upstream compares their values).
 */
export function semanticEqual(a: unknown, b: unknown): boolean {
  if (isEmpty(a) && isEmpty(b)) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => semanticEqual(x, b[i]));
  }
  if (a && b && typeof a === "object" && typeof b === "object") {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys)
      if (!semanticEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
    return true;
  }
  return a === b;
}

/**
 * Fields that Go serializes with `omitempty` are absent when empty: an object whose last owner reference or
 * finalizer was removed has no `ownerReferences` / `finalizers` at all (metav1.ObjectMeta's json tags).
 */
export function dropEmptyMetadata(o: Obj): void {
  for (const k of ["ownerReferences", "finalizers", "labels", "annotations"] as const)
    if (isEmpty(o.metadata[k])) delete o.metadata[k];
}

/** SetDefaults_PersistentVolumeClaim and SetDefaults_PersistentVolumeClaimSpec (pkg/apis/core/v1/defaults.go). */
function defaultClaim(claim: any): void {
  claim.spec ??= {};
  claim.spec.volumeMode ??= "Filesystem";
  claim.status ??= {};
  claim.status.phase ??= "Pending";
}

/**
 * SetDefaults_StatefulSet (pkg/apis/apps/v1/defaults.go), with the StatefulSetAutoDeletePVC gate on (GA) and
 * MaxUnavailableStatefulSet off, plus the claim defaults of each volumeClaimTemplate (SetObjectDefaults_StatefulSet).
 * The pod template's own defaults (restartPolicy, dnsPolicy, ...) are not applied.
 */
function defaultStatefulSet(set: Obj): void {
  set.spec ??= {};
  const spec = set.spec;
  spec.podManagementPolicy ||= "OrderedReady";
  spec.updateStrategy ??= {};
  if (!spec.updateStrategy.type) {
    spec.updateStrategy.type = "RollingUpdate";
    spec.updateStrategy.rollingUpdate ??= {};
  }
  if (spec.updateStrategy.type === "RollingUpdate" && spec.updateStrategy.rollingUpdate)
    spec.updateStrategy.rollingUpdate.partition ??= 0;
  spec.persistentVolumeClaimRetentionPolicy ??= {};
  spec.persistentVolumeClaimRetentionPolicy.whenDeleted ||= "Retain";
  spec.persistentVolumeClaimRetentionPolicy.whenScaled ||= "Retain";
  spec.replicas ??= 1;
  spec.revisionHistoryLimit ??= 10;
  for (const t of spec.volumeClaimTemplates ?? []) {
    // An embedded object is served with its type (apps/v1 StatefulSet's volumeClaimTemplates are full claims).
    t.apiVersion ??= "v1";
    t.kind ??= "PersistentVolumeClaim";
    defaultClaim(t);
  }
}

/** SetDefaults_HorizontalPodAutoscaler (pkg/apis/autoscaling/v2/defaults.go); `behavior` is left undefaulted. */
function defaultHpa(hpa: Obj): void {
  hpa.spec ??= {};
  const spec = hpa.spec;
  spec.minReplicas ??= 1;
  if (isEmpty(spec.metrics))
    spec.metrics = [
      {
        type: "Resource",
        resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 80 } },
      },
    ];
}

/**
 * Secrets: `type` defaults to Opaque (SetDefaults_Secret); `stringData` is write-only and merged into `data`,
 * base64-encoded, overriding keys of `data` (Convert_v1_Secret_To_core_Secret).
 */
function defaultSecret(secret: Obj): void {
  secret.type ||= "Opaque";
  const stringData = secret.stringData as Record<string, string> | undefined;
  if (stringData) {
    const data = ((secret.data as Record<string, string> | undefined) ?? {}) as Record<string, string>;
    for (const [k, v] of Object.entries(stringData)) data[k] = Buffer.from(v, "utf8").toString("base64");
    secret.data = data;
    delete secret.stringData;
  }
}

/** The namespace strategy's PrepareForCreate (pkg/registry/core/namespace/strategy.go): Active, with the `kubernetes` finalizer. */
function createNamespace(ns: Obj): void {
  ns.spec ??= {};
  const finalizers: string[] = ns.spec.finalizers ?? [];
  if (!finalizers.includes("kubernetes")) finalizers.push("kubernetes");
  ns.spec.finalizers = finalizers;
  ns.status = { phase: "Active" };
}

/** Defaults and create-time strategy for an object about to be stored. Mutates `o`. */
export function prepareForCreate(rt: ResourceType, o: Obj): void {
  defaults(rt, o);
  if (rt.plural === "namespaces") createNamespace(o);
}

/** Defaults and update-time strategy. Mutates `next`. */
export function prepareForUpdate(rt: ResourceType, next: Obj, old: Obj): void {
  defaults(rt, next);
  // Namespace finalizers change only through /finalize, and status only through /status (PrepareForUpdate).
  if (rt.plural === "namespaces") next.spec = { ...next.spec, finalizers: old.spec?.finalizers };
}

function defaults(rt: ResourceType, o: Obj): void {
  if (rt.plural === "statefulsets") defaultStatefulSet(o);
  else if (rt.plural === "persistentvolumeclaims") defaultClaim(o);
  else if (rt.plural === "horizontalpodautoscalers") defaultHpa(o);
  else if (rt.plural === "secrets") defaultSecret(o);
}

/** The spec fields ValidateStatefulSetUpdate lets change (pkg/apis/apps/validation/validation.go). */
const STATEFULSET_MUTABLE = [
  "replicas",
  "template",
  "updateStrategy",
  "minReadySeconds",
  "ordinals",
  "persistentVolumeClaimRetentionPolicy",
];

/** Update validation: metadata.uid is immutable (ValidateObjectMetaUpdate); a StatefulSet's spec is, but for six fields. */
export function validateUpdate(rt: ResourceType, next: Obj, old: Obj): void {
  const errs: FieldError[] = [];
  const uid = next.metadata.uid;
  if (uid && uid !== old.metadata.uid)
    errs.push({ type: "FieldValueInvalid", field: "metadata.uid", value: uid, detail: "field is immutable" });
  if (rt.plural === "statefulsets") {
    const masked = { ...(next.spec ?? {}) };
    for (const f of STATEFULSET_MUTABLE) masked[f] = old.spec?.[f];
    if (!semanticEqual(masked, old.spec))
      errs.push({
        type: "FieldValueForbidden",
        field: "spec",
        detail:
          "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
      });
  }
  if (errs.length > 0) throw invalid(rt, old.metadata.name, errs);
}

/**
 * Whether an object marked for deletion may leave storage now: no finalizer left (metav1 finalizers, and a
 * namespace's spec.finalizers), and for a pod, the kubelet done with it (deletionGracePeriodSeconds 0, which the
 * kubelet sets by deleting it again with a zero grace period once its containers are stopped).
 */
export function removable(rt: ResourceType, o: Obj): boolean {
  if (!o.metadata.deletionTimestamp) return false;
  if ((o.metadata.finalizers ?? []).length > 0) return false;
  if (rt.plural === "namespaces" && (o.spec?.finalizers ?? []).length > 0) return false;
  if (rt.plural === "pods" && o.metadata.deletionGracePeriodSeconds !== 0) return false;
  return true;
}
