/**
 * Pod and container security contexts. "restricted" meets every control of the Pod Security
 * Standards restricted profile; "baseline" allows root images but keeps RuntimeDefault seccomp and
 * forbids privilege escalation.
 */
import type { V1PodSecurityContext, V1SecurityContext } from "@kubernetes/client-node";
import type { StatefulAppSpec } from "../stateful-app";

export function podSecurityContext(sec: StatefulAppSpec["security"]): V1PodSecurityContext {
  return {
    ...(sec.profile === "restricted" ? { runAsNonRoot: true } : {}),
    ...(sec.runAsUser !== undefined ? { runAsUser: sec.runAsUser } : {}),
    ...(sec.runAsGroup !== undefined ? { runAsGroup: sec.runAsGroup } : {}),
    ...(sec.fsGroup !== undefined ? { fsGroup: sec.fsGroup } : {}),
    seccompProfile: { type: "RuntimeDefault" },
  };
}

export function containerSecurityContext(sec: StatefulAppSpec["security"]): V1SecurityContext {
  return {
    allowPrivilegeEscalation: false,
    ...(sec.profile === "restricted" ? { capabilities: { drop: ["ALL"] } } : {}),
    ...(sec.readOnlyRootFilesystem ? { readOnlyRootFilesystem: true } : {}),
  };
}
