/**
 * Identity: the set's name, namespace, replica count, first ordinal and cluster domain, and the
 * stable names derived from them (pods, pod FQDNs, claims, the governing Service's domain).
 */
import { isInt } from "../checks";
import type { Problems } from "../errors";
import {
  claimName,
  dns1123LabelError,
  dns1123SubdomainError,
  MAX_STATEFULSET_NAME_LENGTH,
  ordinals,
  podFqdn,
  podName,
  serviceDomain,
} from "../naming";

/** The arguments that decide every stable name; always plain values. */
export interface AppIdentityArgs {
  /** Kubernetes name of the StatefulSet. @default - the component name */
  name?: string | undefined;
  /** @default "default" */
  namespace?: string | undefined;
  /** @default 1 */
  replicas?: number | undefined;
  /** First ordinal. @default 0 */
  ordinalsStart?: number | undefined;
  /** @default "cluster.local" */
  clusterDomain?: string | undefined;
}

export interface AppIdentitySpec {
  readonly name: string;
  readonly namespace: string;
  readonly replicas: number;
  readonly ordinalsStart: number;
  readonly clusterDomain: string;
  /** `<name>-<i>` for every ordinal. */
  readonly podNames: string[];
  /** `<name>-<i>.<service>.<namespace>.svc.<clusterDomain>` for every ordinal. */
  readonly podFqdns: string[];
  /** `<template>-<name>-<i>` for every template and ordinal. */
  readonly claimNames: string[];
  /** `<service>.<namespace>.svc.<clusterDomain>`. */
  readonly serviceDomain: string;
}

/** The checked identity, and what the other concerns' checks need to know about it. */
export interface Identity {
  readonly name: string;
  readonly namespace: string;
  readonly replicas: number;
  readonly ordinalsStart: number;
  /** The replica count is valid: checks that compare against it may run. */
  readonly replicasOk: boolean;
  /**
   * Names built from an invalid set name (`<name>-headless`, `<name>-pdb`...) would only repeat
   * the name's problem: they are checked once the name is right.
   */
  derivedFromBadName(v: string): boolean;
}

export function resolveIdentity(p: Problems, componentName: string, args: AppIdentityArgs): Identity {
  const name = args.name ?? componentName;
  const nameField = args.name === undefined ? "name (from the component name)" : "name";
  const nameError = dns1123LabelError(name);
  if (nameError) p.add(nameField, name, nameError);
  else if (name.length > MAX_STATEFULSET_NAME_LENGTH)
    p.add(
      nameField,
      name,
      `must be at most ${MAX_STATEFULSET_NAME_LENGTH} characters (has ${name.length}): pods get a label "<name>-<revision hash>" that must fit 63`,
    );

  const namespace = args.namespace ?? "default";
  const nsError = dns1123LabelError(namespace);
  if (nsError) p.add("namespace", namespace, nsError);

  const replicas = args.replicas ?? 1;
  const replicasOk = p.check(
    isInt(replicas, 0, 10_000),
    "replicas",
    replicas,
    "must be an integer from 0 to 10000",
  );
  const ordinalsStart = args.ordinalsStart ?? 0;
  const startOk = p.check(isInt(ordinalsStart, 0), "ordinalsStart", ordinalsStart, "must be an integer >= 0");
  if (!nameError && replicasOk && startOk && replicas > 0) {
    const last = podName(name, ordinalsStart + replicas - 1);
    if (last.length > 63)
      p.add("replicas", replicas, `makes pod name "${last}" longer than 63 characters; shorten the name`);
  }
  return {
    name,
    namespace,
    replicas,
    ordinalsStart,
    replicasOk,
    derivedFromBadName: (v) => nameError !== undefined && v.startsWith(`${name}-`),
  };
}

/** The cluster's DNS domain, part of every FQDN. */
export function resolveClusterDomain(p: Problems, args: AppIdentityArgs): string {
  const clusterDomain = args.clusterDomain ?? "cluster.local";
  const cdError = dns1123SubdomainError(clusterDomain);
  if (cdError) p.add("clusterDomain", clusterDomain, cdError);
  return clusterDomain;
}

/** The stable names of every ordinal: pods, their FQDNs under `serviceName`, and their claims. */
export function stableNames(
  id: Pick<Identity, "name" | "namespace" | "replicas" | "ordinalsStart">,
  clusterDomain: string,
  serviceName: string,
  claimTemplates: readonly { name: string }[],
): Pick<AppIdentitySpec, "podNames" | "podFqdns" | "claimNames" | "serviceDomain"> {
  const ords = ordinals(id.replicas, id.ordinalsStart);
  return {
    podNames: ords.map((i) => podName(id.name, i)),
    podFqdns: ords.map((i) => podFqdn(id.name, i, serviceName, id.namespace, clusterDomain)),
    claimNames: claimTemplates.flatMap((v) => ords.map((i) => claimName(v.name, id.name, i))),
    serviceDomain: serviceDomain(serviceName, id.namespace, clusterDomain),
  };
}
