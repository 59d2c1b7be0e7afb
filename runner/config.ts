import { homedir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The Kubernetes release the kit node image is built from (the newest minor on cgroup v1). */
export const KUBERNETES_VERSION = "v1.34.4";
export const KIT_IMAGE = `kubegrade/node:${KUBERNETES_VERSION}`;
/** rancher/k3s at the same minor, for machines that can pull it. */
export const K3S_IMAGE = "rancher/k3s:v1.34.4-k3s1";

/** Labels on everything kubegrade starts in Docker, so it can always be found and removed. */
export const LABELS = {
  managed: "kubegrade.dev/managed",
  ownerPid: "kubegrade.dev/owner-pid",
  ownerHost: "kubegrade.dev/owner-host",
  warm: "kubegrade.dev/warm",
  inputs: "kubegrade.dev/inputs",
} as const;

export const PROJECT_ROOT = fileURLToPath(new URL("..", import.meta.url));

export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.KUBEGRADE_CACHE ?? join(env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "kubegrade");
}

/** Default deadlines, in one place; every wait names the one it uses. */
export const TIMEOUTS = {
  clusterStartMs: 180_000,
  clusterReadyMs: 120_000,
  dockerEngineMs: 60_000,
  namespaceReadyMs: 30_000,
  applyMs: 30_000,
  podReadyMs: 120_000,
  execMs: 30_000,
  probePodMs: 60_000,
  /** DNS catching up with new pod IPs, and pods answering on their names. */
  dnsMs: 10_000,
  /** A StatefulSet's controller observing a change (status.observedGeneration). */
  controllerObservedMs: 30_000,
  cleanupMs: 60_000,
} as const;
