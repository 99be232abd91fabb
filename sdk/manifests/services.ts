/** The governing headless Service and the optional client Service. */
import type { V1Service, V1ServicePort } from "@kubernetes/client-node";

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

function servicePorts(ports: ServicePortSpec[]): V1ServicePort[] {
  return ports.map((p) => ({
    name: p.name,
    port: p.port,
    targetPort: p.targetPort as never,
    protocol: p.protocol,
  }));
}

export function headlessServiceManifest(s: HeadlessServiceSpec): V1Service {
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

export function clientServiceManifest(s: ClientServiceSpec): V1Service {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: s.name, namespace: s.namespace, labels: { ...s.labels } },
    spec: { type: s.type, selector: { ...s.selector }, ports: servicePorts(s.ports) },
  };
}
