/**
 * `HeadlessServiceArgs` and their checks: the governing Service that gives each pod of a
 * StatefulSet a stable DNS name `<pod>.<service>.<namespace>.svc.<clusterDomain>`.
 */

import { checkLabels, isInt, portNameError } from "./checks";
import { Problems } from "./errors";
import { MANAGED_BY } from "./labels";
import type { HeadlessServiceSpec, ServicePortSpec } from "./manifests/services";
import { dns1035LabelError, dns1123LabelError, dns1123SubdomainError, serviceDomain } from "./naming";

export interface HeadlessServicePortArgs {
  name: string;
  port: number;
  /** @default - the port */
  targetPort?: string | number | undefined;
  /** @default "TCP" */
  protocol?: "TCP" | "UDP" | "SCTP" | undefined;
}

export interface HeadlessServiceArgs {
  /** Kubernetes name. @default - the component name */
  name?: string | undefined;
  /** @default "default" */
  namespace?: string | undefined;
  /** Labels of the pods the Service governs. */
  selector: Record<string, string>;
  /** @default [] */
  ports?: HeadlessServicePortArgs[] | undefined;
  /** Publish DNS records for pods that are not Ready yet. @default false */
  publishNotReadyAddresses?: boolean | undefined;
  /** Labels on the Service. @default {} */
  labels?: Record<string, string> | undefined;
  /** @default "cluster.local" */
  clusterDomain?: string | undefined;
}

export interface ResolvedHeadlessService extends HeadlessServiceSpec {
  clusterDomain: string;
  /** `<name>.<namespace>.svc.<clusterDomain>` */
  domain: string;
}

export function resolveHeadlessService(
  componentName: string,
  args: HeadlessServiceArgs,
): ResolvedHeadlessService {
  const p = new Problems(`HeadlessService "${componentName}"`);
  const name = args.name ?? componentName;
  const e = dns1035LabelError(name);
  if (e) p.add(args.name === undefined ? "name (from the component name)" : "name", name, e);
  const namespace = args.namespace ?? "default";
  const nsError = dns1123LabelError(namespace);
  if (nsError) p.add("namespace", namespace, nsError);
  const selector = args.selector ?? {};
  if (Object.keys(selector).length === 0)
    p.add(
      "selector",
      selector,
      "must hold at least one label, or the Service would govern every pod in the namespace",
    );
  checkLabels(p, "selector", selector);
  checkLabels(p, "labels", args.labels);
  const seen = new Set<string>();
  const ports: ServicePortSpec[] = (args.ports ?? []).map((port, i) => {
    const pe = portNameError(port.name);
    if (pe) p.add(`ports[${i}].name`, port.name, pe);
    if (seen.has(port.name)) p.add(`ports[${i}].name`, port.name, "duplicates another port's name");
    seen.add(port.name);
    if (!isInt(port.port, 1, 65535))
      p.add(`ports[${i}].port`, port.port, "must be an integer from 1 to 65535");
    return {
      name: port.name,
      port: port.port,
      targetPort: port.targetPort ?? port.port,
      protocol: port.protocol ?? "TCP",
    };
  });
  const clusterDomain = args.clusterDomain ?? "cluster.local";
  const cde = dns1123SubdomainError(clusterDomain);
  if (cde) p.add("clusterDomain", clusterDomain, cde);
  p.throwIfAny();
  return {
    name,
    namespace,
    labels: { ...args.labels, ...MANAGED_BY },
    selector: { ...selector },
    ports,
    publishNotReadyAddresses: args.publishNotReadyAddresses ?? false,
    clusterDomain,
    domain: serviceDomain(name, namespace, clusterDomain),
  };
}
