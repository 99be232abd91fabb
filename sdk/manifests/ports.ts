/**
 * Ports: the container's named ports, which the headless Service and (if any) the client Service
 * publish by name.
 */
import { isInt, portNameError } from "../checks";
import type { Problems } from "../errors";
import type { ContainerPort } from "./k8s-types";
import type { ServicePortSpec } from "./services";

/** A container port, also published by the headless Service and (if any) the client Service. */
export interface PortArgs {
  /** IANA service name (at most 15 characters), used as the target of Service ports. */
  name: string;
  /** Port the container listens on. */
  containerPort: number;
  /** Port the Services expose. @default - the containerPort */
  servicePort?: number | undefined;
  /** @default "TCP" */
  protocol?: "TCP" | "UDP" | "SCTP" | undefined;
  /** Whether the client Service (if any) exposes this port; peer-only ports say false. @default true */
  clientService?: boolean | undefined;
}

export interface AppPortsArgs {
  /** @default [] */
  ports?: PortArgs[] | undefined;
}

export interface ResolvedPort {
  name: string;
  containerPort: number;
  servicePort: number;
  protocol: "TCP" | "UDP" | "SCTP";
  clientService: boolean;
}

export interface AppPortsSpec {
  readonly ports: ResolvedPort[];
}

export function resolvePorts(p: Problems, args: AppPortsArgs): ResolvedPort[] {
  const ports = (args.ports ?? []).map((port, i) => {
    const f = `ports[${i}]`;
    const portError = portNameError(port.name);
    if (portError) p.add(`${f}.name`, port.name, portError);
    if (!isInt(port.containerPort, 1, 65535))
      p.add(`${f}.containerPort`, port.containerPort, "must be an integer from 1 to 65535");
    if (port.servicePort !== undefined && !isInt(port.servicePort, 1, 65535))
      p.add(`${f}.servicePort`, port.servicePort, "must be an integer from 1 to 65535");
    const protocol = port.protocol ?? "TCP";
    if (!["TCP", "UDP", "SCTP"].includes(protocol))
      p.add(`${f}.protocol`, protocol, "must be one of TCP, UDP, SCTP");
    return {
      name: port.name,
      containerPort: port.containerPort,
      servicePort: port.servicePort ?? port.containerPort,
      protocol,
      clientService: port.clientService ?? true,
    };
  });
  const seenPortName = new Map<string, number>();
  const seenContainerPort = new Map<string, number>();
  const seenServicePort = new Map<string, number>();
  ports.forEach((port, i) => {
    const before = seenPortName.get(port.name);
    if (before !== undefined)
      p.add(`ports[${i}].name`, port.name, `duplicates ports[${before}].name; port names must be unique`);
    else seenPortName.set(port.name, i);
    const cp = `${port.containerPort}/${port.protocol}`;
    const cpBefore = seenContainerPort.get(cp);
    if (cpBefore !== undefined)
      p.add(`ports[${i}].containerPort`, port.containerPort, `duplicates ports[${cpBefore}].containerPort`);
    else seenContainerPort.set(cp, i);
    const sp = `${port.servicePort}/${port.protocol}`;
    const spBefore = seenServicePort.get(sp);
    if (spBefore !== undefined && cpBefore === undefined)
      p.add(`ports[${i}].servicePort`, port.servicePort, `duplicates the service port of ports[${spBefore}]`);
    else seenServicePort.set(sp, i);
  });
  return ports;
}

/** The container's ports, or undefined when it has none. */
export function containerPorts(ports: readonly ResolvedPort[]): ContainerPort[] | undefined {
  if (ports.length === 0) return undefined;
  return ports.map((p) => ({ name: p.name, containerPort: p.containerPort, protocol: p.protocol }));
}

/** The Service ports of an app: each container port by name. */
export function appServicePorts(s: AppPortsSpec): ServicePortSpec[] {
  return s.ports.map((p) => ({
    name: p.name,
    port: p.servicePort,
    targetPort: p.name,
    protocol: p.protocol,
  }));
}
