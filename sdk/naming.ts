/**
 * Kubernetes naming rules and the stable identities a StatefulSet gives its pods.
 * Rules follow apimachinery's validation (IsDNS1123Label, IsDNS1123Subdomain, IsDNS1035Label).
 */

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export const MAX_LABEL_LENGTH = 63;
export const MAX_SUBDOMAIN_LENGTH = 253;
/**
 * The StatefulSet controller labels each pod `controller-revision-hash: <set>-<hash>`; the hash is
 * up to 10 characters, so a set name longer than 52 makes every pod invalid (kubernetes#64023).
 */
export const MAX_STATEFULSET_NAME_LENGTH = 52;

/** Returns why `s` is not a DNS-1123 label, or undefined when it is one. */
export function dns1123LabelError(s: string): string | undefined {
  if (s.length === 0) return "must not be empty";
  if (s.length > MAX_LABEL_LENGTH) return `must be at most ${MAX_LABEL_LENGTH} characters (has ${s.length})`;
  if (!DNS1123_LABEL.test(s))
    return "must consist of lower-case letters, digits and '-', and start and end with a letter or digit";
  return undefined;
}

/** Returns why `s` is not a DNS-1035 label (a Service name), or undefined when it is one. */
export function dns1035LabelError(s: string): string | undefined {
  if (s.length === 0) return "must not be empty";
  if (s.length > MAX_LABEL_LENGTH) return `must be at most ${MAX_LABEL_LENGTH} characters (has ${s.length})`;
  if (!DNS1035_LABEL.test(s))
    return "must consist of lower-case letters, digits and '-', start with a letter and end with a letter or digit";
  return undefined;
}

/** Returns why `s` is not a DNS-1123 subdomain, or undefined when it is one. */
export function dns1123SubdomainError(s: string): string | undefined {
  if (s.length === 0) return "must not be empty";
  if (s.length > MAX_SUBDOMAIN_LENGTH)
    return `must be at most ${MAX_SUBDOMAIN_LENGTH} characters (has ${s.length})`;
  if (!DNS1123_SUBDOMAIN.test(s))
    return "must consist of lower-case letters, digits, '-' and '.', and start and end with a letter or digit";
  return undefined;
}

/** The ordinals of a set: `start .. start + replicas - 1`. */
export function ordinals(replicas: number, start = 0): number[] {
  return Array.from({ length: replicas }, (_, i) => start + i);
}

/** `<set>-<ordinal>`: the pod name and hostname the StatefulSet controller gives. */
export function podName(set: string, ordinal: number): string {
  return `${set}-${ordinal}`;
}

/** `<service>.<namespace>.svc.<clusterDomain>`: the DNS domain the governing Service creates. */
export function serviceDomain(service: string, namespace: string, clusterDomain = "cluster.local"): string {
  return `${service}.${namespace}.svc.${clusterDomain}`;
}

/** `<set>-<i>.<service>.<namespace>.svc.<clusterDomain>`: a pod's stable DNS name. */
export function podFqdn(
  set: string,
  ordinal: number,
  service: string,
  namespace: string,
  clusterDomain = "cluster.local",
): string {
  return `${podName(set, ordinal)}.${serviceDomain(service, namespace, clusterDomain)}`;
}

/** `<template>-<set>-<i>`: the claim the controller creates from a claim template for one pod. */
export function claimName(template: string, set: string, ordinal: number): string {
  return `${template}-${podName(set, ordinal)}`;
}

/** The ordinal at the end of a pod name, or undefined when the name is not `<set>-<n>`. */
export function ordinalOf(set: string, pod: string): number | undefined {
  const prefix = `${set}-`;
  if (!pod.startsWith(prefix)) return undefined;
  const rest = pod.slice(prefix.length);
  return /^(0|[1-9][0-9]*)$/.test(rest) ? Number(rest) : undefined;
}
