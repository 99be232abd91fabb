/**
 * Server-side apply field ownership (`metadata.managedFields`), as pure functions over plain objects.
 *
 * Upstream: kubernetes `staging/src/k8s.io/apimachinery/pkg/util/managedfields/` (internal/fieldmanager.go,
 * internal/structuredmerge.go, internal/managedfieldsupdater.go, internal/stripmeta.go,
 * internal/skipnonapplied.go, internal/conflict.go, internal/manager.go BuildManagerIdentifier, scalehandler.go)
 * and `sigs.k8s.io/structured-merge-diff` `merge/update.go` (Updater.Apply, Updater.Update, update, prune).
 * Each rule below names the function it follows. Read upstream, not copied.
 *
 * Simplifications (each a departure a test could notice; none matters to the rollout's tests):
 * - Field sets hold leaves only: scalars, lists and empty maps. Upstream sets also hold map/struct nodes
 *   ("." in fieldsV1) and list items (`k:{...}`, `v:...`, `i:...`).
 * - Every list is atomic: it is owned, merged and compared as one value. Upstream, lists with
 *   `x-kubernetes-list-type: map` or `set` (containers, ports, env...) merge item by item.
 * - A prune removes a field and then any map it leaves empty; upstream removes exactly the items the
 *   applier owned (its map nodes included), which comes to the same for the maps a manifest writes.
 * - No schema: defaulted fields, field validation and version conversion are not modelled; there is one
 *   version per resource.
 * - Not modelled: the cap of 10 Update entries (capmanagers.go), `kubectl.kubernetes.io/last-applied-configuration`
 *   (lastappliedmanager.go), and entries of the status subresource (the server keeps managedFields as they
 *   were on a status write).
 * - Only HTTP writes are recorded (test/sim/server.ts). In-process writers — the simulated controllers, garbage
 *   collector and kubelet, and `Sim.apply()` — keep managedFields as they were, where a real cluster records
 *   `kube-controller-manager`, `kubelet` or `kubectl-client-side-apply` entries.
 */

export type Operation = "Apply" | "Update";

/** metav1.ManagedFieldsEntry as it is serialized. */
export interface ManagedFieldsEntry {
  manager: string;
  operation: Operation;
  apiVersion: string;
  time?: string;
  fieldsType: "FieldsV1";
  fieldsV1: FieldsV1;
  subresource?: string;
}

/** The fieldsV1 trie: `f:<field>` keys, `{}` for a leaf. */
export type FieldsV1 = { [key: string]: FieldsV1 };

type Json = any;
const isMap = (v: unknown): v is Record<string, Json> =>
  typeof v === "object" && v !== null && !Array.isArray(v);
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** A field path (the keys from the root); a set holds them JSON-encoded. */
export type Path = string[];
export type FieldSet = Set<string>;
const key = (p: Path) => JSON.stringify(p);
const unkey = (k: string) => JSON.parse(k) as Path;

/** fieldpath.Path.String(): `.spec.replicas`, `.metadata.annotations.a/b`. */
export const pathString = (p: Path): string => p.map((k) => `.${k}`).join("");

/**
 * Fields that never appear in a field set (internal/stripmeta.go, NewStripMetaManager): apiVersion, kind and
 * metadata's name, namespace, creationTimestamp, selfLink, uid, generation, managedFields, resourceVersion.
 * deletionTimestamp and deletionGracePeriodSeconds are set only by the server's delete, never by a write a
 * manager makes, so they are left out as well.
 */
const STRIPPED = new Set([
  key(["apiVersion"]),
  key(["kind"]),
  ...[
    "name",
    "namespace",
    "creationTimestamp",
    "selfLink",
    "uid",
    "generation",
    "managedFields",
    "resourceVersion",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
  ].map((f) => key(["metadata", f])),
]);

/**
 * Where a write may own fields. A write to the main resource never owns `status` and a status write only
 * `status` (the strategy's reset fields, GetResetFields, passed to the field manager as ignored fields); a write
 * through the scale subresource owns only `spec.replicas` (scalehandler.go maps the Scale's `spec.replicas` to the
 * parent's `spec.replicas` for StatefulSets).
 */
export type Scope = "main" | "status" | "scale";

function inScope(p: Path, scope: Scope): boolean {
  if (STRIPPED.has(key(p))) return false;
  if (scope === "status") return p[0] === "status";
  if (scope === "scale") return p[0] === "spec" && p[1] === "replicas" && p.length === 2;
  return p[0] !== "status";
}

/** Every leaf path of `obj` with its value (typed.TypedValue.ToFieldSet, leaves only, lists atomic). */
export function leaves(obj: Json, scope: Scope = "main"): Map<string, Json> {
  const out = new Map<string, Json>();
  const walk = (v: Json, p: Path) => {
    if (isMap(v) && Object.keys(v).length > 0) {
      for (const [k, child] of Object.entries(v)) if (child !== undefined) walk(child, [...p, k]);
      return;
    }
    if (p.length > 0 && inScope(p, scope)) out.set(key(p), v);
  };
  walk(obj ?? {}, []);
  return out;
}

export const fieldSet = (obj: Json, scope: Scope = "main"): FieldSet => new Set(leaves(obj, scope).keys());

export interface Comparison {
  added: FieldSet;
  modified: FieldSet;
  removed: FieldSet;
}

/** typed.TypedValue.Compare: leaves added, modified (same path, other value) and removed from `a` to `b`. */
export function compare(a: Json, b: Json, scope: Scope = "main"): Comparison {
  const la = leaves(a, scope);
  const lb = leaves(b, scope);
  const c: Comparison = { added: new Set(), modified: new Set(), removed: new Set() };
  for (const [k, v] of lb) {
    if (!la.has(k)) c.added.add(k);
    else if (!same(la.get(k), v)) c.modified.add(k);
  }
  for (const k of la.keys()) if (!lb.has(k)) c.removed.add(k);
  return c;
}

/** internal/fields.go SetToFields: the fieldsV1 trie of a set. */
export function toFieldsV1(set: FieldSet): FieldsV1 {
  const root: FieldsV1 = {};
  for (const p of [...set].sort().map(unkey)) {
    let node = root;
    for (const k of p) node = node[`f:${k}`] ??= {};
  }
  return root;
}

/** internal/fields.go FieldsToSet: the leaves of a fieldsV1 trie (`.` members and item keys are not modelled). */
export function fromFieldsV1(f: FieldsV1 | undefined): FieldSet {
  const out: FieldSet = new Set();
  const walk = (node: FieldsV1, p: Path) => {
    const children = Object.keys(node).filter((k) => k.startsWith("f:"));
    if (children.length === 0 && p.length > 0) out.add(key(p));
    for (const k of children) walk(node[k]!, [...p, k.slice(2)]);
  };
  walk(f ?? {}, []);
  return out;
}

/**
 * internal/manager.go BuildManagerIdentifier: what tells two entries apart — manager, operation, subresource,
 * and, for Update only, apiVersion (an applier keeps one identity across versions). The same name with another
 * operation is another manager (kubernetes/kubernetes#99003).
 */
export function managerId(
  e: Pick<ManagedFieldsEntry, "manager" | "operation" | "apiVersion" | "subresource">,
) {
  return JSON.stringify({
    manager: e.manager,
    operation: e.operation,
    ...(e.operation === "Update" ? { apiVersion: e.apiVersion } : {}),
    ...(e.subresource ? { subresource: e.subresource } : {}),
  });
}

interface Managed {
  id: string;
  entry: Omit<ManagedFieldsEntry, "fieldsV1">;
  set: FieldSet;
}

const decode = (entries: ManagedFieldsEntry[] | undefined): Managed[] =>
  (entries ?? []).map(({ fieldsV1, ...entry }) => ({
    id: managerId(entry),
    entry,
    set: fromFieldsV1(fieldsV1),
  }));

const encode = (managed: Managed[]): ManagedFieldsEntry[] =>
  managed.filter((m) => m.set.size > 0).map((m) => ({ ...m.entry, fieldsV1: toFieldsV1(m.set) }));

/** A request's view of managedFields (internal/fieldmanager.go, decodeLiveOrNew and isResetManagedFields). */
export function requestManagedFields(
  live: Json | undefined,
  requested: Json,
  subresource?: string,
): ManagedFieldsEntry[] {
  const liveEntries = (live?.metadata?.managedFields ?? []) as ManagedFieldsEntry[];
  // A subresource write cannot set managedFields: the live ones count.
  if (subresource) return liveEntries;
  const given = requested?.metadata?.managedFields as ManagedFieldsEntry[] | undefined;
  // One empty entry resets them (fieldmanager.go, isResetManagedFields).
  if (Array.isArray(given) && given.length === 1 && same(given[0], {})) return [];
  // Missing or empty: the live ones, as Kubernetes documents ("clearing managedFields": an empty
  // list does not reset, so that a client that does not know managedFields cannot drop them).
  if (!Array.isArray(given) || given.length === 0) return liveEntries;
  return given;
}

/** One conflict: a field the request changes that another manager owns (merge.Conflict). */
export interface Conflict {
  manager: string;
  path: Path;
}

/** internal/conflict.go printManager: `"name"`, `with subresource "x"`, `using <apiVersion>` for Update managers. */
function printManager(id: string): string {
  const e = JSON.parse(id) as ManagedFieldsEntry;
  let s = JSON.stringify(e.manager);
  if (e.subresource) s += ` with subresource ${JSON.stringify(e.subresource)}`;
  if (e.operation === "Update") s += ` using ${e.apiVersion}`;
  return s;
}

/**
 * internal/conflict.go getConflictMessage: one conflict on one line; several grouped by manager (managers in
 * sorted order), one `- <path>` line each. printManager would add an Update manager's time, but the identifier
 * it prints from carries none (BuildManagerIdentifier clears it), so no time appears.
 */
export function conflictMessage(conflicts: Conflict[]): string {
  if (conflicts.length === 1)
    return `Apply failed with 1 conflict: conflict with ${printManager(conflicts[0]!.manager)}: ${pathString(conflicts[0]!.path)}`;
  const by = new Map<string, Path[]>();
  for (const c of conflicts) by.set(c.manager, [...(by.get(c.manager) ?? []), c.path]);
  const lines: string[] = [];
  for (const m of [...by.keys()].sort()) {
    lines.push(`conflicts with ${printManager(m)}:`);
    for (const p of by.get(m)!) lines.push(`- ${pathString(p)}`);
  }
  return `Apply failed with ${conflicts.length} conflicts: ${lines.join("\n")}`;
}

/** An apply that changes fields other managers own, without force (a 409 Conflict, reason Conflict). */
export class ApplyConflict extends Error {
  constructor(readonly conflicts: Conflict[]) {
    super(conflictMessage(conflicts));
  }
  /** The Status causes (internal/conflict.go NewConflictError: type FieldManagerConflict, one per path). */
  get causes() {
    return this.conflicts.map((c) => ({
      reason: "FieldManagerConflict",
      message: `conflict with ${printManager(c.manager)}`,
      field: pathString(c.path),
    }));
  }
}

/**
 * merge/update.go `update`: compares the old and new object; fields another manager owns that are added or
 * modified are conflicts — an error unless `force`, else taken from that manager; removed fields leave every
 * manager; managers left with nothing are dropped.
 */
function settle(managed: Managed[], self: string, c: Comparison, force: boolean): Managed[] {
  const changed = new Set([...c.added, ...c.modified]);
  const conflicts: Conflict[] = [];
  for (const m of managed)
    if (m.id !== self)
      for (const k of m.set) if (changed.has(k)) conflicts.push({ manager: m.id, path: unkey(k) });
  if (!force && conflicts.length > 0) throw new ApplyConflict(conflicts);
  return managed
    .map((m) =>
      m.id === self
        ? m
        : { ...m, set: new Set([...m.set].filter((k) => !c.removed.has(k) && !changed.has(k))) },
    )
    .filter((m) => m.set.size > 0);
}

/** RFC 3339 to the second, as metav1.Time serializes. */
const stamp = (now: Date) => `${now.toISOString().slice(0, 19)}Z`;

export interface UpdateArgs {
  /** The object before the write (undefined for a create). */
  live: Json | undefined;
  /** The object the write stores. */
  next: Json;
  /** The entries to start from (`requestManagedFields`). */
  entries: ManagedFieldsEntry[];
  manager: string;
  apiVersion: string;
  subresource?: "status" | "scale";
  now?: Date;
}

/**
 * An Update operation (POST, PUT, merge / strategic / JSON patch, a scale write): merge/update.go Updater.Update
 * (force: an update always wins), then internal/managedfieldsupdater.go: the manager's entry gains what it added
 * or modified, loses what it removed, and gets a new time when it changed something; no entry when it owns
 * nothing.
 */
export function recordUpdate(a: UpdateArgs): ManagedFieldsEntry[] {
  const scope: Scope = a.subresource ?? "main";
  const self = managerId({
    manager: a.manager,
    operation: "Update",
    apiVersion: a.apiVersion,
    subresource: a.subresource,
  });
  const c = compare(a.live ?? {}, a.next, scope);
  let managed = settle(decode(a.entries), self, c, true);
  const mine = managed.find((m) => m.id === self);
  const gained = [...c.added, ...c.modified];
  const set = new Set([...(mine?.set ?? [])].filter((k) => !c.removed.has(k)));
  for (const k of gained) set.add(k);
  const entry = {
    manager: a.manager,
    operation: "Update" as const,
    apiVersion: a.apiVersion,
    time: gained.length > 0 || !mine ? stamp(a.now ?? new Date()) : mine.entry.time,
    fieldsType: "FieldsV1" as const,
    ...(a.subresource ? { subresource: a.subresource } : {}),
  };
  managed = mine
    ? managed.map((m) => (m === mine ? { ...m, entry, set } : m))
    : [...managed, { id: self, entry, set }];
  return encode(managed);
}

export interface ApplyArgs {
  live: Json | undefined;
  /** The applied configuration. */
  config: Json;
  entries: ManagedFieldsEntry[];
  manager: string;
  apiVersion: string;
  force: boolean;
  now?: Date;
}

/**
 * Merges an applied configuration into the live object: maps field by field, everything else (lists included)
 * replaced (typed.TypedValue.Merge with atomic lists).
 */
export function mergeApplied(live: Json, config: Json): Json {
  if (!isMap(live) || !isMap(config)) return structuredClone(config);
  const out: Record<string, Json> = structuredClone(live);
  for (const [k, v] of Object.entries(config))
    out[k] = k in out ? mergeApplied(out[k], v) : structuredClone(v);
  return out;
}

/** Removes a leaf, then each map the removal left empty. */
function removePath(obj: Json, p: Path): void {
  const chain: Record<string, Json>[] = [obj];
  for (const k of p.slice(0, -1)) {
    const next = chain.at(-1)![k];
    if (!isMap(next)) return;
    chain.push(next);
  }
  delete chain.at(-1)![p.at(-1)!];
  for (let i = chain.length - 1; i > 0; i--) {
    if (Object.keys(chain[i]!).length > 0) break;
    delete chain[i - 1]![p[i - 1]!];
  }
}

/**
 * An Apply operation:
 * - internal/skipnonapplied.go: a live object with no managed fields at all is first recorded as an Update by
 *   `before-first-apply` owning every field it has;
 * - merge/update.go Updater.Apply: merge the configuration into the live object; the applier's set becomes
 *   exactly the configuration's fields; `prune` removes what the applier owned last time, no longer applies and
 *   no other manager owns; then `update` (conflicts unless `force`, which takes the fields).
 * Returns the object to store and its managedFields; throws ApplyConflict.
 */
export function recordApply(a: ApplyArgs): { object: Json; entries: ManagedFieldsEntry[] } {
  let entries = a.entries;
  if (a.live && entries.length === 0)
    entries = recordUpdate({
      live: undefined,
      next: a.live,
      entries: [],
      manager: "before-first-apply",
      apiVersion: a.apiVersion,
      now: a.now,
    });
  const self = managerId({ manager: a.manager, operation: "Apply", apiVersion: a.apiVersion });
  const managed = decode(entries);
  const last = managed.find((m) => m.id === self);
  const applied = fieldSet(a.config);
  const object = mergeApplied(a.live ?? {}, a.config);
  const others = new Set(managed.filter((m) => m.id !== self).flatMap((m) => [...m.set]));
  for (const k of last?.set ?? []) if (!applied.has(k) && !others.has(k)) removePath(object, unkey(k));
  const entry = {
    manager: a.manager,
    operation: "Apply" as const,
    apiVersion: a.apiVersion,
    time: stamp(a.now ?? new Date()),
    fieldsType: "FieldsV1" as const,
  };
  const withSelf = last
    ? managed.map((m) => (m === last ? { ...m, entry, set: applied } : m))
    : [...managed, { id: self, entry, set: applied }];
  const settled = settle(withSelf, self, compare(a.live ?? {}, object), a.force);
  // The applier keeps its whole configuration's set even where nothing changed (co-ownership).
  const out = settled.some((m) => m.id === self) ? settled : [...settled, { id: self, entry, set: applied }];
  return { object, entries: encode(out) };
}
