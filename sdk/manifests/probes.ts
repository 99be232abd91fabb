/** Default probes: a TCP check of the container's first named port. */
import type { V1Probe } from "@kubernetes/client-node";

/** Ready once the port accepts connections. */
export function defaultReadinessProbe(portName: string | undefined): V1Probe | undefined {
  if (portName === undefined) return undefined;
  return { tcpSocket: { port: portName }, periodSeconds: 10, failureThreshold: 3 };
}

/** Restarted only after the port has refused connections for two minutes. */
export function defaultLivenessProbe(portName: string | undefined): V1Probe | undefined {
  if (portName === undefined) return undefined;
  return { tcpSocket: { port: portName }, initialDelaySeconds: 15, periodSeconds: 20, failureThreshold: 6 };
}

/** A probe that runs `script` with `bash -c` inside the container. */
export function execProbe(script: string, timing: Omit<V1Probe, "exec">): V1Probe {
  return { exec: { command: ["bash", "-c", script] }, ...timing };
}
