/**
 * The `kubia` StatefulSet of the seed tutorial, with its headless and public Services.
 *
 * Fixed from the seed:
 * - The headless Service's port 80 had no targetPort, so its endpoints pointed at port 80 where
 *   nothing listens (kubia listens on 8080). Both Services now target the container port by name.
 * - The seed pre-created GCE persistent disks with the deprecated `Recycle` reclaim policy; the
 *   claims here are provisioned by the cluster's default StorageClass instead.
 * - The pods run as a non-root user (uid 1000, volume group 1000) under the "restricted" profile.
 */
import { StatefulApp } from "../../components";

export function kubia() {
  const kubia = new StatefulApp("kubia", {
    replicas: 2,
    image: "luksa/kubia-pet",
    serviceName: "kubia",
    selectorLabels: { app: "kubia" },
    ports: [{ name: "http", containerPort: 8080, servicePort: 80 }],
    volumes: [{ name: "data", size: "1Mi", mountPath: "/var/data" }],
    clientService: { name: "kubia-public" },
    security: { runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000 },
  });
  return { podFqdns: kubia.podFqdns, claimNames: kubia.claimNames };
}
