import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { type StatefulAppManifests, statefulAppManifests } from "../sdk/manifests";
import type { EnvVar, Probe } from "../sdk/manifests/k8s-types";
import type { ResourcesArgs } from "../sdk/manifests/resources";
import { rolloutInputs } from "../sdk/rollout/inputs";
import type { RolloutInputs } from "../sdk/rollout/protocol";
import {
  resolveStatefulApp,
  type StatefulAppArgs as SdkArgs,
  type StatefulAppSpec,
} from "../sdk/stateful-app";
import type { HeadlessService } from "./headless-service";
import { buildWithInputs, type ConfigFilesInput, type ResourcesInput, statefulAppSlots } from "./inputs";
import { configMapArgs, podDisruptionBudgetArgs, serviceArgs, statefulSetArgs } from "./k8s-args";
import { RolloutGuard, RolloutWatcher } from "./rollout";

/** Component-level rollout options: the sdk's, plus credentials (which may be an Output). */
export interface RolloutOptions extends NonNullable<Exclude<SdkArgs["rollout"], false>> {
  /**
   * Kubeconfig YAML for the rollout's API calls; pass the one your Kubernetes provider uses. Kept
   * as a secret in state. @default - the ambient kubeconfig (KUBECONFIG, ~/.kube/config) where Pulumi runs
   */
  kubeconfig?: pulumi.Input<string> | undefined;
}

/** The arguments that may be Inputs: none of them decides a name. */
export type InputArgs =
  | "image"
  | "env"
  | "extraEnv"
  | "config"
  | "podAnnotations"
  | "resources"
  | "readinessProbe"
  | "livenessProbe"
  | "startupProbe";

/**
 * The sdk's arguments (sdk/stateful-app.ts, one concern per file under sdk/manifests/), where the
 * values that decide no name may be Inputs. An Output is checked when it resolves, with the same
 * message a plain value gets; a bad one fails the registration of the resources it feeds. Names,
 * namespace, replicas, ports, volumes and labels stay plain: pod names, FQDNs and claim names are
 * known at construction.
 */
export interface StatefulAppArgs extends Omit<SdkArgs, InputArgs | "adoptService" | "rollout"> {
  /** Container image, e.g. `zookeeper:3.8.4`. */
  image: pulumi.Input<string>;
  /** Plain environment variables; values may be Outputs. @default {} */
  env?: Record<string, pulumi.Input<string>> | undefined;
  /** Extra environment variables in Kubernetes form (valueFrom etc.), added after `env`. @default [] */
  extraEnv?: k8s.types.input.core.v1.EnvVar[] | undefined;
  /** Configuration files mounted from a ConfigMap named `<name>-config`. @default - none */
  config?: ConfigFilesInput | undefined;
  /** @default {} */
  podAnnotations?: Record<string, pulumi.Input<string>> | undefined;
  /** @default - none */
  resources?: pulumi.Input<ResourcesInput> | undefined;
  /** @default - a TCP check of the first port, if there is one */
  readinessProbe?: k8s.types.input.core.v1.Probe | false | undefined;
  /** @default - a TCP check of the first port, if there is one */
  livenessProbe?: k8s.types.input.core.v1.Probe | false | undefined;
  /** @default - none */
  startupProbe?: k8s.types.input.core.v1.Probe | undefined;
  /** Ordered rollout (see the sdk's `rollout`), plus `kubeconfig`. @default { timeoutSeconds: 600 } */
  rollout?: false | RolloutOptions | undefined;
  /** Use this governing Service instead of creating one. @default - a headless Service "<name>-headless" is created */
  headlessService?: HeadlessService | undefined;
}

/**
 * The resolved spec (every default applied). Where an argument was given as an Input, its place
 * here holds an Output of the checked value.
 */
export type AppSpec = Omit<StatefulAppSpec, InputArgs> & {
  readonly image: pulumi.Input<string>;
  readonly env: Record<string, pulumi.Input<string>>;
  readonly extraEnv: pulumi.Input<EnvVar[]>;
  readonly config?: Omit<NonNullable<StatefulAppSpec["config"]>, "files"> & {
    files: Record<string, pulumi.Input<string>>;
  };
  readonly podAnnotations: Record<string, pulumi.Input<string>>;
  readonly resources?: pulumi.Input<ResourcesArgs | undefined>;
  readonly readinessProbe?: pulumi.Input<Probe | undefined>;
  readonly livenessProbe?: pulumi.Input<Probe | undefined>;
  readonly startupProbe?: pulumi.Input<Probe | undefined>;
};

/**
 * What a component registers, from its resolved spec: the manifests and the rollout's inputs.
 * After `buildWithInputs`, the places an Input feeds hold Outputs.
 */
export interface BuiltApp {
  readonly spec: StatefulAppSpec;
  readonly manifests: StatefulAppManifests;
  readonly rollout?: Omit<RolloutInputs, "kubeconfig">;
}

export function buildApp(spec: StatefulAppSpec): BuiltApp {
  const manifests = statefulAppManifests(spec);
  return {
    spec,
    manifests,
    ...(spec.rollout ? { rollout: rolloutInputs(spec, manifests.statefulSet.spec.template) } : {}),
  };
}

/**
 * Resources a component built on StatefulAppBase adds before the set (the set depends on them),
 * made with the component as parent, and what they add to the rollout resources' inputs.
 */
export type BeforeSet = (parent: pulumi.Resource) => {
  resources: pulumi.Resource[];
  rollout?: Record<string, pulumi.Input<unknown>>;
};

/**
 * What StatefulApp and the components built on it share: what one resolved spec builds (its
 * manifests and rollout inputs, with Outputs where Input arguments feed them) in, the Kubernetes
 * resources out, in dependency order. Not exported from the package.
 */
export abstract class StatefulAppBase extends pulumi.ComponentResource {
  /** Arguments with every default applied; the values given as Inputs are Outputs. */
  readonly spec: AppSpec;
  readonly statefulSet: k8s.apps.v1.StatefulSet;
  /** The governing Service, created or adopted. */
  readonly headlessService: k8s.core.v1.Service;
  readonly configMap?: k8s.core.v1.ConfigMap;
  readonly clientService?: k8s.core.v1.Service;
  readonly podDisruptionBudget?: k8s.policy.v1.PodDisruptionBudget;
  /** Ordered before the StatefulSet: refuses unsafe scale-downs and replacements. */
  readonly rolloutGuard?: RolloutGuard;
  /** Ordered after the StatefulSet: waits for ordered readiness; tears down in order on destroy. */
  readonly rolloutWatcher?: RolloutWatcher;
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
    app: BuiltApp,
    adopted: HeadlessService | undefined,
    /** Outputs beyond the StatefulApp ones; a function gets the component once its resources exist. */
    extraOutputs: Record<string, unknown> | ((self: StatefulAppBase) => Record<string, unknown>),
    opts?: pulumi.ComponentResourceOptions,
    kubeconfig?: pulumi.Input<string>,
    beforeSet?: BeforeSet,
  ) {
    super(type, name, {}, opts);
    const spec = app.spec;
    this.spec = spec as AppSpec;
    this.statefulSetName = spec.name;
    this.serviceName = spec.serviceName;
    this.namespace = spec.namespace;
    this.podNames = spec.podNames;
    this.podFqdns = spec.podFqdns;
    this.claimNames = spec.claimNames;

    const m = app.manifests;
    const child = { parent: this };
    this.headlessService = m.headlessService
      ? new k8s.core.v1.Service(`${name}-headless`, serviceArgs(m.headlessService), child)
      : adopted!.service;
    if (m.configMap)
      this.configMap = new k8s.core.v1.ConfigMap(`${name}-config`, configMapArgs(m.configMap), child);
    const before = beforeSet?.(this);
    const rollout = app.rollout
      ? {
          ...app.rollout,
          ...before?.rollout,
          ...(kubeconfig !== undefined ? { kubeconfig: pulumi.secret(kubeconfig) } : {}),
        }
      : undefined;
    if (rollout) this.rolloutGuard = new RolloutGuard(`${name}-guard`, rollout, child);
    const setArgs = statefulSetArgs(m.statefulSet);
    // With the rollout, the set's replicas are the ones the guard approved: a run that skips the
    // guard (`--target` on the set alone) applies the last approved count, never an unchecked one.
    if (this.rolloutGuard) setArgs.spec = { ...m.statefulSet.spec, replicas: this.rolloutGuard.replicas };
    this.statefulSet = new k8s.apps.v1.StatefulSet(name, setArgs, {
      parent: this,
      // The pods' DNS names and mounted configuration must exist before the first pod starts,
      // and the guard must have accepted the change before the set is touched.
      dependsOn: [
        this.headlessService,
        ...(this.configMap ? [this.configMap] : []),
        ...(before?.resources ?? []),
        ...(this.rolloutGuard ? [this.rolloutGuard] : []),
      ],
    });
    if (rollout)
      this.rolloutWatcher = new RolloutWatcher(`${name}-rollout`, rollout, {
        parent: this,
        dependsOn: [this.statefulSet],
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
      ...(typeof extraOutputs === "function" ? extraOutputs(this) : extraOutputs),
    });
  }
}

/** Separates the credentials (an Input) from the plain rollout options the sdk checks. */
export function splitRollout(rollout: false | RolloutOptions | undefined): {
  options: SdkArgs["rollout"];
  kubeconfig?: pulumi.Input<string> | undefined;
} {
  if (rollout === false) return { options: false };
  const { kubeconfig, ...options } = rollout ?? {};
  return { options, kubeconfig };
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
    const { headlessService, rollout, ...rest } = args ?? ({} as StatefulAppArgs);
    const { options, kubeconfig } = splitRollout(rollout);
    const app = buildWithInputs(
      { ...rest, adoptService: adoptedRef(headlessService), rollout: options },
      statefulAppSlots(rest),
      // Once every Input is resolved (or stood in for), the arguments are the sdk's plain ones.
      (plain) => buildApp(resolveStatefulApp(name, plain as SdkArgs)),
    );
    super("stateful:index:StatefulApp", name, app, headlessService, {}, opts, kubeconfig);
  }
}
