/**
 * Probes: readiness, liveness and startup probes of the container. By default readiness and
 * liveness are a TCP check of the first named port.
 */
import { isInt } from "../checks";
import type { Problems } from "../errors";
import type { Container, Probe } from "./k8s-types";

export type { Probe };

export interface AppProbesArgs {
  /** @default - a TCP check of the first port, if there is one */
  readinessProbe?: Probe | false | undefined;
  /** @default - a TCP check of the first port, if there is one */
  livenessProbe?: Probe | false | undefined;
  /** @default - none */
  startupProbe?: Probe | undefined;
}

export interface AppProbesSpec {
  readonly readinessProbe?: Probe | undefined;
  readonly livenessProbe?: Probe | undefined;
  readonly startupProbe?: Probe | undefined;
}

/** Ready once the port accepts connections. */
export function defaultReadinessProbe(portName: string | undefined): Probe | undefined {
  if (portName === undefined) return undefined;
  return { tcpSocket: { port: portName }, periodSeconds: 10, failureThreshold: 3 };
}

/** Restarted only after the port has refused connections for two minutes. */
export function defaultLivenessProbe(portName: string | undefined): Probe | undefined {
  if (portName === undefined) return undefined;
  return { tcpSocket: { port: portName }, initialDelaySeconds: 15, periodSeconds: 20, failureThreshold: 6 };
}

/** A probe that runs `script` with `bash -c` inside the container. */
export function execProbe(script: string, timing: Omit<Probe, "exec">): Probe {
  return { exec: { command: ["bash", "-c", script] }, ...timing };
}

function checkProbe(p: Problems, field: string, probe: Probe | false | undefined): void {
  if (probe === undefined || probe === false) return;
  const handlers = (["exec", "httpGet", "tcpSocket", "grpc"] as const).filter((h) => probe[h] !== undefined);
  if (handlers.length !== 1)
    p.add(field, probe, "must have exactly one of exec, httpGet, tcpSocket and grpc");
  for (const k of [
    "initialDelaySeconds",
    "periodSeconds",
    "timeoutSeconds",
    "failureThreshold",
    "successThreshold",
  ] as const) {
    const v = probe[k];
    if (v !== undefined && !isInt(v, k === "initialDelaySeconds" ? 0 : 1))
      p.add(`${field}.${k}`, v, `must be an integer >= ${k === "initialDelaySeconds" ? 0 : 1}`);
  }
}

/** `firstPort`: the name of the container's first port, which the default probes check. */
export function resolveProbes(
  p: Problems,
  args: AppProbesArgs,
  firstPort: string | undefined,
): AppProbesSpec {
  checkProbe(p, "readinessProbe", args.readinessProbe);
  checkProbe(p, "livenessProbe", args.livenessProbe);
  checkProbe(p, "startupProbe", args.startupProbe);
  return {
    readinessProbe:
      args.readinessProbe === false ? undefined : (args.readinessProbe ?? defaultReadinessProbe(firstPort)),
    livenessProbe:
      args.livenessProbe === false ? undefined : (args.livenessProbe ?? defaultLivenessProbe(firstPort)),
    startupProbe: args.startupProbe,
  };
}

/** The container's probes, copied so that no two objects share one. */
export function containerProbes(s: AppProbesSpec): Pick<Container, keyof AppProbesSpec> {
  return {
    ...(s.readinessProbe ? { readinessProbe: structuredClone(s.readinessProbe) } : {}),
    ...(s.livenessProbe ? { livenessProbe: structuredClone(s.livenessProbe) } : {}),
    ...(s.startupProbe ? { startupProbe: structuredClone(s.startupProbe) } : {}),
  };
}
