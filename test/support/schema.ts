/**
 * Validates a Kubernetes object against the real Kubernetes OpenAPI schema, from two generated,
 * well-kept sources: kubernetes-models' ajv validators (types, formats, required fields, enums) and
 * @kubernetes/client-node's model attribute maps (the complete field set of every type), so a
 * misspelt or unknown field is an error too.
 */
import * as k8s from "@kubernetes/client-node";

type Model = { getAttributeTypeMap(): { baseName: string; type: string }[] };

const MODEL_BY_KIND: Record<string, string> = {
  "v1/Service": "V1Service",
  "v1/ConfigMap": "V1ConfigMap",
  "v1/Secret": "V1Secret",
  "v1/PersistentVolumeClaim": "V1PersistentVolumeClaim",
  "v1/Pod": "V1Pod",
  "apps/v1/StatefulSet": "V1StatefulSet",
  "policy/v1/PodDisruptionBudget": "V1PodDisruptionBudget",
};

const MODELS_MODULE: Record<string, string> = {
  "v1/Service": "kubernetes-models/v1/Service",
  "v1/ConfigMap": "kubernetes-models/v1/ConfigMap",
  "v1/Secret": "kubernetes-models/v1/Secret",
  "v1/PersistentVolumeClaim": "kubernetes-models/v1/PersistentVolumeClaim",
  "v1/Pod": "kubernetes-models/v1/Pod",
  "apps/v1/StatefulSet": "kubernetes-models/apps/v1/StatefulSet",
  "policy/v1/PodDisruptionBudget": "kubernetes-models/policy/v1/PodDisruptionBudget",
};

function model(type: string): Model | undefined {
  const m = (k8s as unknown as Record<string, unknown>)[type] as Model | undefined;
  return m && typeof m.getAttributeTypeMap === "function" ? m : undefined;
}

function walk(value: unknown, type: string, path: string, errors: string[]): void {
  if (value === undefined || value === null) return;
  if (type.startsWith("Array<")) {
    if (!Array.isArray(value)) return void errors.push(`${path}: expected an array`);
    const inner = type.slice(6, -1);
    for (const [i, v] of value.entries()) walk(v, inner, `${path}[${i}]`, errors);
    return;
  }
  const map = /^\{ \[key: string\]: (.*); \}$/.exec(type);
  if (map) {
    if (typeof value !== "object" || Array.isArray(value))
      return void errors.push(`${path}: expected an object`);
    for (const [k, v] of Object.entries(value)) walk(v, map[1]!, `${path}.${k}`, errors);
    return;
  }
  const m = model(type);
  if (!m) return; // primitives, IntOrString, any: types are ajv's job
  if (typeof value !== "object" || Array.isArray(value))
    return void errors.push(`${path}: expected an object (${type})`);
  const attrs = new Map(m.getAttributeTypeMap().map((a) => [a.baseName, a.type]));
  for (const [k, v] of Object.entries(value)) {
    const t = attrs.get(k);
    if (t === undefined) errors.push(`${path}.${k}: unknown field in ${type}`);
    else walk(v, t, `${path}.${k}`, errors);
  }
}

/** Every schema violation of `obj`, as `path: problem` lines; empty when valid. */
export async function schemaErrors(obj: { apiVersion?: unknown; kind?: unknown }): Promise<string[]> {
  const key = `${obj.apiVersion}/${obj.kind}`;
  const type = MODEL_BY_KIND[key];
  const mod = MODELS_MODULE[key];
  if (!type || !mod) return [`no schema known for ${key}`];
  const errors: string[] = [];
  walk(obj, type, obj.kind as string, errors);
  const models = (await import(mod)) as Record<string, new (o: unknown) => { validate(): void }>;
  const Cls = models[obj.kind as string]!;
  try {
    new Cls(obj).validate();
  } catch (e) {
    errors.push(...String((e as Error).message).split(", "));
  }
  return errors;
}
