/** Label keys and values as apimachinery validates them (IsQualifiedName, IsValidLabelValue). */
import { dns1123SubdomainError } from "./naming";

const NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

/** Returns why `key` is not a valid label or annotation key, or undefined. */
export function labelKeyError(key: string): string | undefined {
  const parts = key.split("/");
  if (parts.length > 2) return "must be a name with an optional DNS subdomain prefix, like example.com/name";
  const name = parts[parts.length - 1]!;
  if (parts.length === 2) {
    const prefixError = dns1123SubdomainError(parts[0]!);
    if (prefixError) return `prefix ${prefixError}`;
  }
  if (name.length === 0 || name.length > 63 || !NAME_PART.test(name))
    return "must be 1-63 characters of letters, digits, '-', '_' or '.', starting and ending with a letter or digit";
  return undefined;
}

/** Returns why `value` is not a valid label value, or undefined. */
export function labelValueError(value: string): string | undefined {
  if (value === "") return undefined;
  if (value.length > 63 || !NAME_PART.test(value))
    return "must be at most 63 characters of letters, digits, '-', '_' or '.', starting and ending with a letter or digit";
  return undefined;
}

/** The labels pulumi-stateful puts on every object it generates, besides the user's own. */
export const MANAGED_BY = { "app.kubernetes.io/managed-by": "pulumi-stateful" } as const;
