/**
 * The nginx `web` StatefulSet of the seed tutorial, on current APIs.
 *
 * Fixed from the seed:
 * - apps/v1beta1 -> apps/v1, with the `selector` apps/v1 requires (app: nginx, as the seed's labels).
 * - The alpha annotation `volume.alpha.kubernetes.io/storage-class: anything` is gone from
 *   Kubernetes; the claims use the cluster's default StorageClass (set `storageClass` to pick one).
 * - gcr.io/google_containers is shut down; the same image is served from registry.k8s.io.
 * - nginx-slim runs as root and binds port 80, so the pods use the Pod Security Standards
 *   "baseline" profile, stated explicitly rather than by omission.
 */
import { StatefulApp } from "../../components";

export function web() {
  const web = new StatefulApp("web", {
    replicas: 2,
    image: "registry.k8s.io/nginx-slim:0.8",
    containerName: "nginx",
    serviceName: "nginx",
    selectorLabels: { app: "nginx" },
    ports: [{ name: "web", containerPort: 80 }],
    volumes: [{ name: "www", size: "1Gi", mountPath: "/usr/share/nginx/html" }],
    security: { profile: "baseline" },
  });
  return { podFqdns: web.podFqdns, claimNames: web.claimNames };
}
