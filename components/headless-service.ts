import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import {
  type HeadlessServiceArgs,
  type ResolvedHeadlessService,
  resolveHeadlessService,
} from "../sdk/headless-service";
import { headlessServiceManifest } from "../sdk/manifests/services";
import { serviceArgs } from "./k8s-args";

export type { HeadlessServiceArgs };

/**
 * The governing Service of a StatefulSet: `clusterIP: None`, so each pod gets the stable DNS name
 * `<pod>.<service>.<namespace>.svc.<clusterDomain>`. Carries `pulumi.com/skipAwait` because it has
 * no endpoints until the set's pods exist.
 */
export class HeadlessService extends pulumi.ComponentResource {
  /** Arguments with every default applied. */
  readonly spec: ResolvedHeadlessService;
  readonly service: k8s.core.v1.Service;
  /** Kubernetes name of the Service. */
  readonly serviceName: string;
  readonly namespace: string;
  /** `<name>.<namespace>.svc.<clusterDomain>` */
  readonly domain: string;

  constructor(name: string, args: HeadlessServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    const spec = resolveHeadlessService(name, args);
    super("stateful:index:HeadlessService", name, {}, opts);
    this.spec = spec;
    this.serviceName = spec.name;
    this.namespace = spec.namespace;
    this.domain = spec.domain;
    this.service = new k8s.core.v1.Service(name, serviceArgs(headlessServiceManifest(spec)), {
      parent: this,
    });
    this.registerOutputs({ serviceName: this.serviceName, namespace: this.namespace, domain: this.domain });
  }
}
