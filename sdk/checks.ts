/** Checks several argument resolvers share: integers in a range, label maps, port names, absolute paths. */
import type { Problems } from "./errors";
import { labelKeyError, labelValueError } from "./labels";

export function isInt(v: unknown, min: number, max = Number.MAX_SAFE_INTEGER): v is number {
  return typeof v === "number" && Number.isInteger(v) && v >= min && v <= max;
}

/** Reports every invalid key and value of a label map under `field`. */
export function checkLabels(p: Problems, field: string, labels: Record<string, string> | undefined): void {
  for (const [k, v] of Object.entries(labels ?? {})) {
    const keyError = labelKeyError(k);
    if (keyError) p.add(`${field} key`, k, keyError);
    const valueError = typeof v === "string" ? labelValueError(v) : "must be a string";
    if (valueError) p.add(`${field}[${JSON.stringify(k)}]`, v, valueError);
  }
}

const IANA_SVC_NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

/** Why `name` is not an IANA service name (a port name: IsValidPortName), or undefined. */
export function portNameError(name: unknown): string | undefined {
  if (
    typeof name !== "string" ||
    name.length > 15 ||
    !IANA_SVC_NAME.test(name) ||
    !/[a-z]/.test(name) ||
    name.includes("--")
  )
    return "must be an IANA service name: 1-15 lower-case letters, digits and single '-', with at least one letter";
  return undefined;
}

/** Reports `path` under `field` unless it is an absolute path without `..`. */
export function checkAbsolutePath(p: Problems, field: string, path: unknown): void {
  if (typeof path !== "string" || !path.startsWith("/"))
    p.add(field, path, "must be an absolute path, starting with '/'");
  else if (path.split("/").includes("..")) p.add(field, path, "must not contain '..'");
}
