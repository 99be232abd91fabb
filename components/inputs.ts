/**
 * Arguments that may be Pulumi Inputs (docs/decisions.md, "Outputs as arguments"). A component
 * lists the places in its arguments that may hold an Output or a Promise ("slots") and where each
 * one ends up in what it builds; `buildWithInputs` then
 * 1. puts a valid placeholder in every slot that holds one, and runs the component's pure `build`
 *    (checks, defaults, builders) at construction: every plain value is checked there, all
 *    problems at once, before anything registers;
 * 2. replaces each place a pending slot feeds with an Output of the same `build` run again on the
 *    resolved values, read at that place. A resolved value that is wrong throws there, with the
 *    message the plain value would have produced, and fails the registration of the resource
 *    that receives it: never a manifest built from a placeholder.
 * Only the places an Input feeds become Outputs (the container's image, one ConfigMap key, the
 * config-hash annotation...): names, selectors and claim templates stay known, so `pulumi preview`
 * shows an unknown image as just that, never a replacement of the StatefulSet.
 */
import * as pulumi from "@pulumi/pulumi";
import { CONFIG_HASH_ANNOTATION } from "../sdk/manifests/config-map";
import type { BuiltApp, StatefulAppArgs } from "./stateful-app";

/**
 * `T` with `| undefined` on every optional property, so that users compiling with
 * `exactOptionalPropertyTypes` may pass `undefined` (e.g. `config.get(...)`) for "use the default",
 * as the resolvers treat it.
 */
export type Unsettable<T> = {
  [K in keyof T]: Partial<Pick<T, K>> extends Pick<T, K> ? T[K] | undefined : T[K];
};

/** A path of object keys and array indexes. */
export type Path = readonly (string | number)[];

/** One argument that may hold Inputs. */
export interface InputSlot<R> {
  /** Where the value sits in the arguments `build` takes. */
  readonly at: Path;
  /** A valid stand-in for the construction-time build. */
  readonly placeholder: unknown;
  /** The places in `build`'s result that the value decides, given that result. */
  feeds(built: R): Path[];
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== "object") return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** Whether `v` is, or holds in its plain objects and arrays, an Output or a Promise. */
export function holdsInput(v: unknown): boolean {
  if (pulumi.Output.isInstance(v) || v instanceof Promise) return true;
  if (Array.isArray(v)) return v.some(holdsInput);
  if (isPlainObject(v)) return Object.values(v).some(holdsInput);
  return false;
}

export function getPath(v: unknown, path: Path): unknown {
  let cur = v;
  for (const k of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string | number, unknown>)[k];
  }
  return cur;
}

/** A copy of `v` with `value` at `path`, copying only the objects and arrays along the path. */
export function withValue<T>(v: T, path: Path, value: unknown): T {
  if (path.length === 0) return value as T;
  const [k, ...rest] = path as [string | number, ...Path];
  const copy = (Array.isArray(v) ? [...v] : { ...(v as object) }) as Record<string | number, unknown>;
  copy[k] = withValue(copy[k], rest, value);
  return copy as T;
}

/** Whether the object that would hold the last key of `path` exists in `v`. */
function hasParent(v: unknown, path: Path): boolean {
  const parent = getPath(v, path.slice(0, -1));
  return parent !== null && typeof parent === "object";
}

/**
 * `build(args)`, where `args` may hold Inputs in `slots`: see the file comment. `args` is not
 * changed; with no Input in any slot this is exactly `build(args)`.
 */
export function buildWithInputs<A extends object, R extends object>(
  args: A,
  slots: readonly InputSlot<R>[],
  build: (args: A) => R,
): R {
  const pending = slots.filter((s) => holdsInput(getPath(args, s.at)));
  if (pending.length === 0) return build(args);
  const plain = pending.reduce((a, s) => withValue(a, s.at, s.placeholder), args);
  const now = build(plain);

  const dependents = new Map<string, { feed: Path; slots: InputSlot<R>[] }>();
  for (const s of pending)
    for (const feed of s.feeds(now)) {
      if (!hasParent(now, feed)) continue;
      const key = JSON.stringify(feed);
      const entry = dependents.get(key) ?? { feed, slots: [] };
      entry.slots.push(s);
      dependents.set(key, entry);
    }
  // Every place a bad value feeds fails with the same error object: Pulumi reports an unhandled
  // error once per object, so the user reads the message once, not once per place.
  const failures = new Map<string, unknown>();
  const checked = (resolved: A): R => {
    try {
      return build(resolved);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      const first = failures.get(message);
      if (first !== undefined) throw first;
      failures.set(message, e);
      throw e;
    }
  };
  let out = now;
  for (const { feed, slots: deps } of dependents.values()) {
    // One build per place, on the values it depends on only: a secret value makes secret only
    // the places it feeds (the runtime then marks the top-level property holding each).
    const late = pulumi.output(deps.map((s) => getPath(args, s.at))).apply((values) => {
      const resolved = deps.reduce((a, s, i) => withValue(a, s.at, values[i]), plain);
      return getPath(checked(resolved), feed);
    });
    out = withValue(out, feed, late);
  }
  return out;
}

// The components' Input types and slots.

/** Resource quantities, each of which may be an Output. */
export interface ResourceListInput {
  cpu?: pulumi.Input<string> | undefined;
  memory?: pulumi.Input<string> | undefined;
  "ephemeral-storage"?: pulumi.Input<string> | undefined;
}

/** Container resource requests and limits, as Kubernetes quantities; any part may be an Output. */
export interface ResourcesInput {
  requests?: pulumi.Input<ResourceListInput> | undefined;
  limits?: pulumi.Input<ResourceListInput> | undefined;
}

/** Files rendered into a ConfigMap and mounted read-only; a change rolls the pods. */
export interface ConfigFilesInput {
  /** Absolute directory where the files appear in the container. */
  mountPath: string;
  /** File name -> content; a content may be an Output. */
  files: Record<string, pulumi.Input<string>>;
}

const TEMPLATE: Path = ["manifests", "statefulSet", "spec", "template"];
const CONTAINER: Path = [...TEMPLATE, "spec", "containers", 0];
const POD_ANNOTATIONS: Path = [...TEMPLATE, "metadata", "annotations"];

/** Stand-ins that pass every check; never registered (see the top of this file). */
export const PLACEHOLDER = {
  image: "pulumi-stateful/unresolved-input",
  text: "",
  probe: { exec: { command: ["true"] } },
  resources: {},
  list: [],
} as const;

/**
 * A slot whose value feeds `places` and, since they are all in the pod template or the files it
 * mounts, the template hash the rollout waits for.
 */
export function slot(
  at: Path,
  placeholder: unknown,
  places: (built: BuiltApp) => Path[],
): InputSlot<BuiltApp> {
  return { at, placeholder, feeds: (built) => [...places(built), ["rollout", "templateHash"]] };
}

export const appSlots = {
  image: () =>
    slot(["image"], PLACEHOLDER.image, () => [
      ["spec", "image"],
      [...CONTAINER, "image"],
    ]),
  resources: () =>
    slot(["resources"], PLACEHOLDER.resources, () => [
      ["spec", "resources"],
      [...CONTAINER, "resources"],
    ]),
  /** A file's content, or anything a generated file is made of: every file's place, and the hash. */
  configFile: (at: Path, file?: string) =>
    slot(at, PLACEHOLDER.text, (built) =>
      (file !== undefined ? [file] : Object.keys(built.spec.config?.files ?? {})).flatMap((f) => [
        ["spec", "config", "files", f],
        ["manifests", "configMap", "data", f],
        [...POD_ANNOTATIONS, CONFIG_HASH_ANNOTATION],
      ]),
    ),
};

const keysOf = (v: unknown): string[] =>
  v !== null && typeof v === "object" && !Array.isArray(v) ? Object.keys(v) : [];

/** StatefulApp's slots: every argument listed in `InputArgs`. */
export function statefulAppSlots(
  args: Omit<StatefulAppArgs, "headlessService" | "rollout">,
): InputSlot<BuiltApp>[] {
  return [
    appSlots.image(),
    ...keysOf(args.env).map((k) =>
      slot(["env", k], PLACEHOLDER.text, () => [
        ["spec", "env", k],
        [...CONTAINER, "env"],
      ]),
    ),
    slot(["extraEnv"], PLACEHOLDER.list, () => [
      ["spec", "extraEnv"],
      [...CONTAINER, "env"],
    ]),
    ...keysOf(args.config?.files).map((f) => appSlots.configFile(["config", "files", f], f)),
    ...keysOf(args.podAnnotations).map((k) =>
      slot(["podAnnotations", k], PLACEHOLDER.text, () => [
        ["spec", "podAnnotations", k],
        [...POD_ANNOTATIONS, k],
      ]),
    ),
    appSlots.resources(),
    ...(["readinessProbe", "livenessProbe", "startupProbe"] as const).map((probe) =>
      slot([probe], PLACEHOLDER.probe, () => [
        ["spec", probe],
        [...CONTAINER, probe],
      ]),
    ),
  ];
}
