/** Label selectors and the four PATCH formats the simulated API server accepts. */

type Labels = Record<string, string>;

/** One requirement of a selector: `k in (a,b)`, `k notin (a)`, `k!=v`, `k=v`, `k==v`, `!k`, `k`. */
function requirement(raw: string): (l: Labels) => boolean {
  const set = /^([^\s!=]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(raw);
  if (set) {
    const [, key, op, vals] = set as unknown as [string, string, string, string];
    const values = new Set(vals.split(",").map((v) => v.trim()));
    return op === "in" ? (l) => key in l && values.has(l[key]!) : (l) => !(key in l) || !values.has(l[key]!);
  }
  const ne = /^([^\s!=]+)\s*!=\s*(\S*)$/.exec(raw);
  if (ne) return (l) => l[ne[1]!] !== ne[2];
  const eq = /^([^\s!=]+)\s*==?\s*(\S*)$/.exec(raw);
  if (eq) return (l) => l[eq[1]!] === eq[2];
  const notExists = /^!\s*(\S+)$/.exec(raw);
  if (notExists) return (l) => !(notExists[1]! in l);
  const exists = /^(\S+)$/.exec(raw);
  if (exists) return (l) => exists[1]! in l;
  throw new Error(`unable to parse requirement: ${raw}`);
}

/** Parses a label selector string (equality- and set-based) into a predicate. */
export function parseSelector(
  selector: string | undefined,
): (labels: Record<string, string> | undefined) => boolean {
  if (!selector) return () => true;
  const reqs: ((l: Labels) => boolean)[] = [];
  // Split on commas outside parentheses.
  const parts: string[] = [];
  let depth = 0;
  let cur = "";
  for (const ch of selector) {
    if (ch === "(") depth++;
    if (ch === ")") depth--;
    if (ch === "," && depth === 0) {
      parts.push(cur);
      cur = "";
    } else cur += ch;
  }
  parts.push(cur);
  for (const raw of parts.map((p) => p.trim()).filter(Boolean)) reqs.push(requirement(raw));
  return (labels) => reqs.every((r) => r(labels ?? {}));
}

/** A metav1.LabelSelector: `matchLabels` and `matchExpressions`. */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: {
    key: string;
    operator: "In" | "NotIn" | "Exists" | "DoesNotExist";
    values?: string[];
  }[];
}

/**
 * metav1.FormatLabelSelector: requirements sorted by key, `k=v`, `k in (a,b)`, `k notin (a,b)`, `k`, `!k`.
 * A bare `matchLabels` object (the older call shape) is accepted too.
 */
export function selectorString(selector: LabelSelector | Record<string, string>): string {
  const s: LabelSelector =
    "matchLabels" in selector || "matchExpressions" in selector
      ? (selector as LabelSelector)
      : { matchLabels: selector as Record<string, string> };
  const reqs: [string, string][] = Object.entries(s.matchLabels ?? {}).map(([k, v]) => [k, `${k}=${v}`]);
  for (const e of s.matchExpressions ?? []) {
    const values = [...(e.values ?? [])].sort().join(",");
    const text =
      e.operator === "In"
        ? `${e.key} in (${values})`
        : e.operator === "NotIn"
          ? `${e.key} notin (${values})`
          : e.operator === "Exists"
            ? e.key
            : `!${e.key}`;
    reqs.push([e.key, text]);
  }
  return reqs
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, t]) => t)
    .join(",");
}

/**
 * metav1.LabelSelectorAsSelector as a predicate: an absent selector selects nothing, an empty one everything.
 */
export function labelSelectorMatcher(
  selector: LabelSelector | undefined,
): (labels: Record<string, string> | undefined) => boolean {
  if (!selector) return () => false;
  return parseSelector(selectorString(selector));
}

/** RFC 7386 JSON merge patch. */
export function mergePatch(target: any, patch: any): any {
  if (patch === null || typeof patch !== "object" || Array.isArray(patch)) return structuredClone(patch);
  const out = target !== null && typeof target === "object" && !Array.isArray(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** Lists the strategic merge patch merges by key instead of replacing (the subset of upstream's patchMergeKey tags the simulator needs). */
const MERGE_KEYS: Record<string, string> = {
  containers: "name",
  initContainers: "name",
  volumes: "name",
  volumeMounts: "mountPath",
  env: "name",
  ports: "containerPort",
  ownerReferences: "uid",
  conditions: "type",
};

/**
 * Strategic merge patch, approximated: a merge patch in which the lists named in MERGE_KEYS merge
 * element-wise by their key (upstream reads these keys from the Go types' struct tags). Directives
 * such as `$patch: delete` and `$retainKeys` are not implemented.
 */
export function strategicMergePatch(target: any, patch: any, field?: string): any {
  if (Array.isArray(patch) && field && MERGE_KEYS[field] && Array.isArray(target)) {
    const key = MERGE_KEYS[field];
    const out = target.map((x) => structuredClone(x));
    for (const item of patch) {
      const i = out.findIndex((x) => x?.[key] === item?.[key]);
      if (i === -1) out.push(structuredClone(item));
      else out[i] = strategicMergePatch(out[i], item);
    }
    return out;
  }
  if (patch === null || typeof patch !== "object" || Array.isArray(patch)) return structuredClone(patch);
  const out = target !== null && typeof target === "object" && !Array.isArray(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = strategicMergePatch(out[k], v, k);
  }
  return out;
}

function pointer(path: string): string[] {
  if (path === "") return [];
  return path
    .slice(1)
    .split("/")
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
}

/** RFC 6902 JSON Patch: add, remove, replace, move, copy, test. Throws on a failed test or bad path. */
export function jsonPatch(
  doc: any,
  ops: { op: string; path: string; value?: unknown; from?: string }[],
): any {
  let root = structuredClone(doc);
  const getParent = (segs: string[]) => {
    let cur = root;
    for (const s of segs.slice(0, -1)) {
      if (cur === null || typeof cur !== "object" || !(s in cur))
        throw new Error(`path not found: /${segs.join("/")}`);
      cur = cur[s];
    }
    return cur;
  };
  const get = (path: string) => pointer(path).reduce((c: any, s) => (c == null ? undefined : c[s]), root);
  const remove = (path: string) => {
    const segs = pointer(path);
    const parent = getParent(segs);
    const last = segs[segs.length - 1]!;
    if (Array.isArray(parent)) parent.splice(Number(last), 1);
    else {
      if (!(last in parent)) throw new Error(`path not found: ${path}`);
      delete parent[last];
    }
  };
  const add = (path: string, value: unknown) => {
    const segs = pointer(path);
    if (segs.length === 0) {
      root = structuredClone(value);
      return;
    }
    const parent = getParent(segs);
    const last = segs[segs.length - 1]!;
    if (Array.isArray(parent))
      parent.splice(last === "-" ? parent.length : Number(last), 0, structuredClone(value));
    else parent[last] = structuredClone(value);
  };
  for (const op of ops) {
    switch (op.op) {
      case "add":
        add(op.path, op.value);
        break;
      case "remove":
        remove(op.path);
        break;
      case "replace":
        if (get(op.path) === undefined) throw new Error(`path not found: ${op.path}`);
        remove(op.path);
        add(op.path, op.value);
        break;
      case "move": {
        const v = get(op.from!);
        remove(op.from!);
        add(op.path, v);
        break;
      }
      case "copy":
        add(op.path, get(op.from!));
        break;
      case "test":
        if (JSON.stringify(get(op.path)) !== JSON.stringify(op.value))
          throw new Error(`test failed at ${op.path}`);
        break;
      default:
        throw new Error(`unknown op ${op.op}`);
    }
  }
  return root;
}
