/**
 * The sdk's own Kubernetes shapes (sdk/manifests/k8s-types.ts) against the generated models they
 * stand in for. These are compile-time checks: `tsc -p .` (the first step of `npm test`) fails
 * when a shape drifts from the upstream schema.
 */
import type * as K from "@kubernetes/client-node";
import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { expectTypeOf, it } from "vitest";
import type * as S from "../sdk/manifests/k8s-types";

it("every object the builders emit is a valid client-node model of its kind", () => {
  expectTypeOf<S.StatefulSet>().toExtend<K.V1StatefulSet>();
  expectTypeOf<S.Service>().toExtend<K.V1Service>();
  expectTypeOf<S.ConfigMap>().toExtend<K.V1ConfigMap>();
  expectTypeOf<S.Secret>().toExtend<K.V1Secret>();
  expectTypeOf<S.PodDisruptionBudget>().toExtend<K.V1PodDisruptionBudget>();
  expectTypeOf<S.Container>().toExtend<K.V1Container>();
  expectTypeOf<S.Probe>().toExtend<K.V1Probe>();
  expectTypeOf<S.EnvVar>().toExtend<K.V1EnvVar>();
});

it("probes and environment variables accept every field of the upstream models", () => {
  expectTypeOf<K.V1Probe>().toExtend<S.Probe>();
  expectTypeOf<Omit<K.V1EnvVarSource, "fileKeyRef">>().toExtend<S.EnvVarSource>();
});

it("@pulumi/kubernetes' input probe and environment variable, resolved, are the sdk's", () => {
  expectTypeOf<pulumi.Unwrap<k8s.types.input.core.v1.Probe>>().toExtend<S.Probe>();
  expectTypeOf<pulumi.Unwrap<k8s.types.input.core.v1.EnvVar>>().toExtend<S.EnvVar>();
});

it("every object the builders emit is a valid @pulumi/kubernetes input of its kind", () => {
  expectTypeOf<S.StatefulSet["spec"]>().toExtend<k8s.types.input.apps.v1.StatefulSetSpec>();
  expectTypeOf<S.Service["spec"]>().toExtend<k8s.types.input.core.v1.ServiceSpec>();
  expectTypeOf<S.PodDisruptionBudget["spec"]>().toExtend<k8s.types.input.policy.v1.PodDisruptionBudgetSpec>();
});
