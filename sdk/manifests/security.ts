/**
 * Security: pod and container security contexts, and the ServiceAccount the pods run as.
 * "restricted" meets every control of the Pod Security Standards restricted profile; "baseline"
 * allows root images but keeps RuntimeDefault seccomp and forbids privilege escalation.
 */
import { isInt } from "../checks";
import type { Problems } from "../errors";
import { dns1123SubdomainError } from "../naming";
import type { PodSecurityContext, SecurityContext } from "./k8s-types";

/** Pod and container security settings. */
export interface SecurityArgs {
  /**
   * `restricted` meets the Pod Security Standards "restricted" profile (non-root, no privilege
   * escalation, all capabilities dropped, RuntimeDefault seccomp). `baseline` allows images that
   * must run as root, keeping RuntimeDefault seccomp and no privilege escalation.
   * @default "restricted"
   */
  profile?: "restricted" | "baseline" | undefined;
  /** @default - the image's user */
  runAsUser?: number | undefined;
  /** @default - the image's group */
  runAsGroup?: number | undefined;
  /** Group that owns mounted volumes. @default - none */
  fsGroup?: number | undefined;
  /** @default false */
  readOnlyRootFilesystem?: boolean | undefined;
}

export interface AppSecurityArgs {
  /** @default { profile: "restricted" } */
  security?: SecurityArgs | undefined;
  /** @default - the namespace's default ServiceAccount */
  serviceAccountName?: string | undefined;
}

export interface ResolvedSecurity {
  profile: "restricted" | "baseline";
  readOnlyRootFilesystem: boolean;
  runAsUser?: number | undefined;
  runAsGroup?: number | undefined;
  fsGroup?: number | undefined;
}

export interface AppSecuritySpec {
  readonly security: ResolvedSecurity;
  readonly serviceAccountName?: string | undefined;
}

export function resolveSecurity(p: Problems, args: AppSecurityArgs): ResolvedSecurity {
  const sec = args.security ?? {};
  const profile = sec.profile ?? "restricted";
  if (!["restricted", "baseline"].includes(profile))
    p.add("security.profile", profile, 'must be "restricted" or "baseline"');
  for (const k of ["runAsUser", "runAsGroup", "fsGroup"] as const)
    if (sec[k] !== undefined && !isInt(sec[k], 0, 2 ** 31 - 1))
      p.add(`security.${k}`, sec[k], "must be an integer from 0 to 2147483647");
  if (profile === "restricted" && sec.runAsUser === 0)
    p.add(
      "security.runAsUser",
      0,
      'must not be 0 under the "restricted" profile; set security.profile to "baseline" to run as root',
    );
  return {
    profile,
    readOnlyRootFilesystem: sec.readOnlyRootFilesystem ?? false,
    runAsUser: sec.runAsUser,
    runAsGroup: sec.runAsGroup,
    fsGroup: sec.fsGroup,
  };
}

/** Checked after the lifecycle settings, where it has always been reported. */
export function resolveServiceAccount(p: Problems, args: AppSecurityArgs): string | undefined {
  if (args.serviceAccountName !== undefined) {
    const e = dns1123SubdomainError(args.serviceAccountName);
    if (e) p.add("serviceAccountName", args.serviceAccountName, e);
  }
  return args.serviceAccountName;
}

export function podSecurityContext(sec: ResolvedSecurity): PodSecurityContext {
  return {
    ...(sec.profile === "restricted" ? { runAsNonRoot: true } : {}),
    ...(sec.runAsUser !== undefined ? { runAsUser: sec.runAsUser } : {}),
    ...(sec.runAsGroup !== undefined ? { runAsGroup: sec.runAsGroup } : {}),
    ...(sec.fsGroup !== undefined ? { fsGroup: sec.fsGroup } : {}),
    seccompProfile: { type: "RuntimeDefault" },
  };
}

export function containerSecurityContext(sec: ResolvedSecurity): SecurityContext {
  return {
    allowPrivilegeEscalation: false,
    ...(sec.profile === "restricted" ? { capabilities: { drop: ["ALL"] } } : {}),
    ...(sec.readOnlyRootFilesystem ? { readOnlyRootFilesystem: true } : {}),
  };
}
