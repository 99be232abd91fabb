/**
 * Services: the governing headless Service that gives each pod its DNS name (created, or adopted),
 * and the optional client Service over all pods.
 */
import type { Problems } from "../errors";
import { dns1035LabelError } from "../naming";
import type { Service, ServicePort } from "./k8s-types";
import type { ResolvedPort } from "./ports";

/** The governing Service a set may adopt instead of creating its own. */
export interface AdoptedServiceRef {
  name: string;
  namespace: string;
  selector: Record<string, string>;
  publishNotReadyAddresses: boolean;
}

export interface AppServicesArgs {
  /** Name of the governing headless Service. @default "<name>-headless" */
  serviceName?: string | undefined;
  /** Publish pods in DNS before they are Ready (peers that must find each other to become Ready). @default false */
  publishNotReadyAddresses?: boolean | undefined;
  /** An existing headless Service to use instead of creating one. @default - one is created */
  adoptService?: AdoptedServiceRef | undefined;
  /** A ClusterIP/NodePort/LoadBalancer Service over all pods. @default false */
  clientService?:
    | boolean
    | { name?: string | undefined; type?: "ClusterIP" | "NodePort" | "LoadBalancer" | undefined }
    | undefined;
}

export interface AppServicesSpec {
  readonly serviceName: string;
  readonly publishNotReadyAddresses: boolean;
  /** True when the governing Service is adopted rather than created. */
  readonly serviceAdopted: boolean;
  readonly clientService?: { name: string; type: "ClusterIP" | "NodePort" | "LoadBalancer" } | undefined;
}

/**
 * `labels`: the labels the set's pods carry, which an adopted Service must select;
 * `derivedFromBadName`: whether a name is built from an invalid set name (already reported).
 */
export function resolveServices(
  p: Problems,
  args: AppServicesArgs,
  set: {
    name: string;
    namespace: string;
    labels: Record<string, string>;
    ports: readonly ResolvedPort[];
    derivedFromBadName(v: string): boolean;
  },
): AppServicesSpec {
  const { name, namespace, labels, ports, derivedFromBadName } = set;
  const serviceName = args.adoptService?.name ?? args.serviceName ?? `${name}-headless`;
  if (args.adoptService) {
    const svc = args.adoptService;
    if (args.serviceName !== undefined && args.serviceName !== svc.name)
      p.add(
        "serviceName",
        args.serviceName,
        `conflicts with the adopted Service "${svc.name}"; leave serviceName unset`,
      );
    if (svc.namespace !== namespace)
      p.add(
        "headlessService",
        `${svc.namespace}/${svc.name}`,
        `must be in the set's namespace "${namespace}": a StatefulSet's pods only get DNS names from a Service in their own namespace`,
      );
    const missing = Object.entries(svc.selector).filter(([k, v]) => labels[k] !== v);
    if (missing.length > 0 || Object.keys(svc.selector).length === 0)
      p.add(
        "headlessService.selector",
        svc.selector,
        `must select this set's pods, whose labels are ${JSON.stringify(labels)}`,
      );
  } else if (!derivedFromBadName(serviceName)) {
    const e = dns1035LabelError(serviceName);
    if (e)
      p.add(args.serviceName === undefined ? "serviceName (from the name)" : "serviceName", serviceName, e);
  }
  let clientService: AppServicesSpec["clientService"];
  if (args.clientService) {
    const cs = args.clientService === true ? {} : args.clientService;
    const csName = cs.name ?? name;
    const e = derivedFromBadName(csName) ? undefined : dns1035LabelError(csName);
    if (e) p.add("clientService.name", csName, e);
    if (csName === serviceName)
      p.add("clientService.name", csName, "must differ from the headless Service's name");
    const type = cs.type ?? "ClusterIP";
    if (!["ClusterIP", "NodePort", "LoadBalancer"].includes(type))
      p.add("clientService.type", type, "must be one of ClusterIP, NodePort, LoadBalancer");
    if (!ports.some((port) => port.clientService))
      p.add("clientService", args.clientService, "needs at least one port with clientService not false");
    clientService = { name: csName, type };
  }
  return {
    serviceName,
    publishNotReadyAddresses:
      args.adoptService?.publishNotReadyAddresses ?? args.publishNotReadyAddresses ?? false,
    serviceAdopted: args.adoptService !== undefined,
    clientService,
  };
}

export interface ServicePortSpec {
  name: string;
  port: number;
  /** Container port name or number. */
  targetPort: string | number;
  protocol: "TCP" | "UDP" | "SCTP";
}

export interface HeadlessServiceSpec {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  selector: Record<string, string>;
  ports: ServicePortSpec[];
  publishNotReadyAddresses: boolean;
}

/**
 * The annotation that stops the Pulumi Kubernetes provider from waiting for endpoints: a governing
 * Service has none until the StatefulSet's pods exist, and those need the Service first.
 */
export const SKIP_AWAIT = { "pulumi.com/skipAwait": "true" } as const;

function servicePorts(ports: ServicePortSpec[]): ServicePort[] {
  return ports.map((p) => ({
    name: p.name,
    port: p.port,
    targetPort: p.targetPort,
    protocol: p.protocol,
  }));
}

export function headlessServiceManifest(s: HeadlessServiceSpec): Service {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: {
      name: s.name,
      namespace: s.namespace,
      labels: { ...s.labels },
      annotations: { ...SKIP_AWAIT },
    },
    spec: {
      clusterIP: "None",
      selector: { ...s.selector },
      ...(s.ports.length > 0 ? { ports: servicePorts(s.ports) } : {}),
      publishNotReadyAddresses: s.publishNotReadyAddresses,
    },
  };
}

export interface ClientServiceSpec {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  selector: Record<string, string>;
  ports: ServicePortSpec[];
  type: "ClusterIP" | "NodePort" | "LoadBalancer";
}

export function clientServiceManifest(s: ClientServiceSpec): Service {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: s.name, namespace: s.namespace, labels: { ...s.labels } },
    spec: { type: s.type, selector: { ...s.selector }, ports: servicePorts(s.ports) },
  };
}
