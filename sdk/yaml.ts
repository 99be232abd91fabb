/**
 * YAML for Kubernetes objects: the bytes the `yaml` package writes (block style, no line folding,
 * no anchors) for the object with its keys in canonical order, written faster.
 *
 * `referenceYaml` is the definition: `yaml`'s `stringify` of the canonically ordered copy.
 * `kubeYaml` writes the same bytes directly: a profile of the render showed `yaml` spending 80-90 %
 * of the time building and walking its document tree for every number, key and one-word string.
 * `kubeYaml` writes the structure (maps, sequences, indentation) itself and writes a scalar itself
 * only when it is plainly safe (a conservative pattern below); every other scalar (multi-line
 * text, quoted strings, floats) is `yaml`'s own output for that value, memoised (bounded); anything
 * unusual (a non-plain object, a key that is not a one-line scalar) makes the whole document fall
 * back to `referenceYaml`. A property test holds the two equal on arbitrary objects.
 */
import { stringify } from "yaml";

const OPTIONS = { lineWidth: 0, aliasDuplicateObjects: false } as const;

/** Keys that lead, in this order; every other key of the same map follows in sorted order. */
const TOP_KEYS = ["apiVersion", "kind", "metadata"];
const METADATA_KEYS = ["name", "namespace", "labels", "annotations"];

type Map = Record<string, unknown>;

/** A key JavaScript objects list first, in numeric order, whatever the insertion order. */
const isIndex = (k: string) => /^(0|[1-9][0-9]*)$/.test(k) && Number(k) < 4294967295;

/**
 * The keys of `map` with a value, `first` leading and the rest sorted, in the order an object
 * built by inserting them in that order lists them (array-index keys such as "0" come first).
 */
function ordered(map: Map, first: readonly string[]): string[] {
  const keys: string[] = [];
  for (const k of first) if (map[k] !== undefined) keys.push(k);
  for (const k of Object.keys(map).sort()) if (map[k] !== undefined && !first.includes(k)) keys.push(k);
  if (!keys.some(isIndex)) return keys;
  const indices = keys.filter(isIndex).sort((a, b) => Number(a) - Number(b));
  return [...indices, ...keys.filter((k) => !isIndex(k))];
}

/** Sets an own key, `__proto__` included. */
function put(out: Map, k: string, v: unknown): void {
  if (k === "__proto__")
    Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  else out[k] = v;
}

/** A copy with every map's keys sorted (code-unit order) and undefined values dropped. */
function sorted(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sorted);
  if (value === null || typeof value !== "object") return value;
  const out: Map = {};
  for (const k of ordered(value as Map, [])) put(out, k, sorted((value as Map)[k]));
  return out;
}

/**
 * The object with its keys in the order Kubernetes tools print them: `apiVersion`, `kind`,
 * `metadata` (`name`, `namespace`, `labels`, `annotations`, then the rest sorted), then the rest
 * sorted; every other map sorted. This is also the order the Pulumi mocks hand objects over in.
 */
export function canonical(o: Map): Map {
  const out: Map = {};
  for (const k of ordered(o, TOP_KEYS)) {
    const v = o[k];
    if (k === "metadata" && v !== null && typeof v === "object" && !Array.isArray(v)) {
      const meta: Map = {};
      for (const mk of ordered(v as Map, METADATA_KEYS)) put(meta, mk, sorted((v as Map)[mk]));
      put(out, k, meta);
    } else put(out, k, sorted(v));
  }
  return out;
}

/** One document, by definition: `yaml`'s stringify of the canonical copy. */
export function referenceYaml(o: Map): string {
  return stringify(canonical(o), OPTIONS);
}

/**
 * A string `yaml` writes unquoted and unchanged, in any position: starts with a letter, `_` or
 * `/`, then only letters, digits and `_./=+@-:` (no space, so no `: ` or ` #`), not ending in `:`,
 * and not a word the YAML 1.2 core schema reads as a boolean or null.
 */
const PLAIN = /^[A-Za-z_/][A-Za-z0-9_./=+@:-]*$/;
const RESERVED = new Set(["true", "True", "TRUE", "false", "False", "FALSE", "null", "Null", "NULL"]);

const isPlain = (s: string) => PLAIN.test(s) && !s.endsWith(":") && !RESERVED.has(s);

class Fallback extends Error {}

/**
 * `yaml`'s rendering of the scalars `kubeYaml` asked it for, shared across calls and bounded:
 * scalars repeat across objects and calls (scripts, probe commands, "true"). When full, the
 * oldest entries go.
 */
const MEMO_LIMIT = 512;
/** Longer texts are not kept: a long scalar unique to one object (a config file naming its app) would only hold memory. */
const MEMO_MAX_TEXT = 1024;
const sharedMemo = new globalThis.Map<unknown, string>();

function remember(key: unknown, text: string): void {
  if (text.length > MEMO_MAX_TEXT) return;
  if (sharedMemo.size >= MEMO_LIMIT) sharedMemo.delete(sharedMemo.keys().next().value);
  sharedMemo.set(key, text);
}

function isMap(v: unknown): v is Map {
  if (v === null || typeof v !== "object" || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) throw new Fallback();
  return true;
}

/** Indentation strings by depth, made once. */
const INDENT: string[] = [""];
const indent = (depth: number) => {
  while (INDENT.length <= depth) INDENT.push(`${INDENT[INDENT.length - 1]}  `);
  return INDENT[depth]!;
};

/**
 * Writes one document as pieces joined once at the end (a flat string, not a rope). `depth` is the
 * indentation, in steps of two spaces, of the lines a map or sequence writes; its first line may
 * instead start after a sequence dash (`first`).
 */
class Writer {
  readonly out: string[] = [];

  /** A scalar as a map value or sequence item of a block at `depth`. */
  scalar(v: unknown, depth: number): string {
    if (typeof v === "string") {
      if (isPlain(v)) return v;
    } else if (typeof v === "number") {
      if (Number.isSafeInteger(v) && !Object.is(v, -0)) return String(v);
    } else if (typeof v === "boolean") return v ? "true" : "false";
    else if (v === null || v === undefined) return "null";
    let text = sharedMemo.get(v);
    if (text === undefined) {
      // As a map value at indent 0: "x: <text>\n", continuation lines indented by two.
      text = stringify({ x: v }, OPTIONS).slice(3, -1);
      remember(v, text);
    }
    return depth === 0 || !text.includes("\n") ? text : text.replace(/\n(?=.)/g, `\n${indent(depth)}`);
  }

  /** A map key; `column0` for the document's own keys (`---` or `...` there would end it). */
  key(k: string, column0: boolean): string {
    if (isPlain(k)) return k;
    const memoKey = `\0${column0 ? "top" : "key"}:${k}`;
    let text = sharedMemo.get(memoKey);
    if (text === undefined) {
      const line = column0
        ? stringify({ [k]: null }, OPTIONS)
        : stringify({ x: { [k]: null } }, OPTIONS).slice(5);
      if (!line.endsWith(": null\n") || line.indexOf("\n") !== line.length - 1) throw new Fallback();
      text = line.slice(0, -7);
      remember(memoKey, text);
    }
    return text;
  }

  /**
   * `v` after its key or dash, which the caller has written (ending in ":" or "-") on a line of
   * a block at `depth`.
   */
  value(v: unknown, isKey: boolean, depth: number): void {
    const out = this.out;
    if (Array.isArray(v)) {
      if (v.length === 0) out.push(" []\n");
      else if (isKey) {
        out.push("\n");
        this.seq(v, undefined, depth + 1);
      } else this.seq(v, " ", depth + 1);
    } else if (isMap(v)) {
      const keys = ordered(v, []);
      if (keys.length === 0) out.push(" {}\n");
      else if (isKey) {
        out.push("\n");
        this.map(v, keys, undefined, depth + 1);
      } else this.map(v, keys, " ", depth + 1);
    } else out.push(" ", this.scalar(v, depth), "\n");
  }

  /** Map entries at `depth`; the first one right after `first` when given (after a dash). */
  map(m: Map, keys: string[], first: string | undefined, depth: number, top = false): void {
    const pad = indent(depth);
    let lead = first ?? pad;
    for (const k of keys) {
      const v = m[k];
      if (top && k === "metadata" && isMap(v)) {
        const metaKeys = ordered(v, METADATA_KEYS);
        if (metaKeys.length === 0) this.out.push(lead, "metadata: {}\n");
        else {
          this.out.push(lead, "metadata:\n");
          this.map(v, metaKeys, undefined, depth + 1);
        }
      } else {
        this.out.push(lead, this.key(k, top), ":");
        this.value(v, true, depth);
      }
      lead = pad;
    }
  }

  /** Sequence items at `depth`; the first one right after `first` when given (after a dash). */
  seq(items: unknown[], first: string | undefined, depth: number): void {
    const pad = indent(depth);
    let lead = first ?? pad;
    for (const item of items) {
      this.out.push(lead, "-");
      this.value(item, false, depth);
      lead = pad;
    }
  }
}

/** One document, the same bytes as `referenceYaml(o)`. */
export function kubeYaml(o: Map): string {
  try {
    const w = new Writer();
    const keys = ordered(o, TOP_KEYS);
    if (keys.length === 0) return "{}\n";
    w.map(o, keys, undefined, 0, true);
    return w.out.join("");
  } catch (err) {
    if (err instanceof Fallback) return referenceYaml(o);
    throw err;
  }
}
