import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { statefulAppManifests } from "../sdk/manifests";
import {
  resolveStatefulApp,
  type StatefulAppArgs as SdkArgs,
  type StatefulAppSpec,
} from "../sdk/stateful-app";
import type { HeadlessService } from "./headless-service";
import { configMapArgs, podDisruptionBudgetArgs, serviceArgs, statefulSetArgs } from "./k8s-args";

export interface StatefulAppArgs extends Omit<SdkArgs, "adoptService"> {
  /** Use this governing Service instead of creating one. @default - a headless Service "<name>-headless" is created */
  headlessService?: HeadlessService;
}

/**
 * What StatefulApp and the components built on it share: one resolved spec in, the Kubernetes
 * resources out, in dependency order. Not exported from the package.
 */
export abstract class StatefulAppBase extends pulumi.ComponentResource {
  /** Arguments with every default applied. */
  readonly spec: StatefulAppSpec;
  readonly statefulSet: k8s.apps.v1.StatefulSet;
  /** The governing Service, created or adopted. */
  readonly headlessService: k8s.core.v1.Service;
  readonly configMap?: k8s.core.v1.ConfigMap;
  readonly clientService?: k8s.core.v1.Service;
  readonly podDisruptionBudget?: k8s.policy.v1.PodDisruptionBudget;
  readonly statefulSetName: string;
  readonly serviceName: string;
  readonly namespace: string;
  /** `<name>-<i>` for every ordinal. */
  readonly podNames: string[];
  /** `<name>-<i>.<service>.<namespace>.svc.<clusterDomain>` for every ordinal. */
  readonly podFqdns: string[];
  /** `<template>-<name>-<i>`: the claims the set creates, which outlive it. */
  readonly claimNames: string[];

  protected constructor(
    type: string,
    name: string,
    spec: StatefulAppSpec,
    adopted: HeadlessService | undefined,
    extraOutputs: Record<string, unknown>,
    opts?: pulumi.ComponentResourceOptions,
  ) {
    super(type, name, {}, opts);
    this.spec = spec;
    this.statefulSetName = spec.name;
    this.serviceName = spec.serviceName;
    this.namespace = spec.namespace;
    this.podNames = spec.podNames;
    this.podFqdns = spec.podFqdns;
    this.claimNames = spec.claimNames;

    const m = statefulAppManifests(spec);
    const child = { parent: this };
    this.headlessService = m.headlessService
      ? new k8s.core.v1.Service(`${name}-headless`, serviceArgs(m.headlessService), child)
      : adopted!.service;
    if (m.configMap)
      this.configMap = new k8s.core.v1.ConfigMap(`${name}-config`, configMapArgs(m.configMap), child);
    this.statefulSet = new k8s.apps.v1.StatefulSet(name, statefulSetArgs(m.statefulSet), {
      parent: this,
      // The pods' DNS names and mounted configuration must exist before the first pod starts.
      dependsOn: [this.headlessService, ...(this.configMap ? [this.configMap] : [])],
    });
    if (m.clientService)
      this.clientService = new k8s.core.v1.Service(`${name}-client`, serviceArgs(m.clientService), child);
    if (m.podDisruptionBudget)
      this.podDisruptionBudget = new k8s.policy.v1.PodDisruptionBudget(
        `${name}-pdb`,
        podDisruptionBudgetArgs(m.podDisruptionBudget),
        child,
      );
    this.registerOutputs({
      statefulSetName: this.statefulSetName,
      serviceName: this.serviceName,
      namespace: this.namespace,
      podNames: this.podNames,
      podFqdns: this.podFqdns,
      claimNames: this.claimNames,
      ...extraOutputs,
    });
  }
}

/** Resolves the adopted Service reference for the sdk's checks. */
export function adoptedRef(svc: HeadlessService | undefined): SdkArgs["adoptService"] {
  return svc
    ? {
        name: svc.spec.name,
        namespace: svc.spec.namespace,
        selector: svc.spec.selector,
        publishNotReadyAddresses: svc.spec.publishNotReadyAddresses,
      }
    : undefined;
}

/**
 * A StatefulSet with its governing headless Service, per-pod volumes from claim templates, and
 * optional ConfigMap, client Service and PodDisruptionBudget. Arguments are checked before
 * anything is registered.
 */
export class StatefulApp extends StatefulAppBase {
  constructor(name: string, args: StatefulAppArgs, opts?: pulumi.ComponentResourceOptions) {
    const { headlessService, ...rest } = args ?? ({} as StatefulAppArgs);
    const spec = resolveStatefulApp(name, { ...rest, adoptService: adoptedRef(headlessService) });
    super("stateful:index:StatefulApp", name, spec, headlessService, {}, opts);
  }
}
