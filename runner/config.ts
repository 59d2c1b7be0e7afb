import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The Kubernetes release the kit node image is built from (the newest minor on cgroup v1). */
export const KUBERNETES_VERSION = "v1.34.4";
/**
 * The kit node image as setup builds it here. Which kit node image a run uses (this one, or a
 * course's published copy named by KUBEGRADE_NODE_IMAGE) is runner/images/node-image.ts's to say.
 */
export const KIT_IMAGE = `kubegrade/node:${KUBERNETES_VERSION}`;
/** The kit node image's OCI title label: what marks an image as one. */
export const KIT_IMAGE_TITLE = "kubegrade node";
/** rancher/k3s at the same minor, for machines that can pull it. */
export const K3S_IMAGE = "rancher/k3s:v1.34.4-k3s1";

/** Labels on everything kubegrade starts in Docker, so it can always be found and removed. */
/** The most nodes one kit cluster has (--nodes): each takes about 1 GB and a share of the cores. */
export const MAX_KIT_NODES = 5;

export const LABELS = {
  managed: "kubegrade.dev/managed",
  ownerPid: "kubegrade.dev/owner-pid",
  ownerHost: "kubegrade.dev/owner-host",
  warm: "kubegrade.dev/warm",
  /** "worker" on the further nodes of a kit cluster of several; absent or "control-plane" on its first. */
  role: "kubegrade.dev/node-role",
  /** The same random id on every node of one kit cluster. */
  cluster: "kubegrade.dev/cluster",
  inputs: "kubegrade.dev/inputs",
  /** On the kit node image: the hash of the sources it was built from, whoever built it (images/node-image.ts). */
  recipe: "kubegrade.dev/recipe",
} as const;

/**
 * The package's root, where package.json, exercises/ and runner/node-image/ are: the
 * nearest directory above this module with a package.json. Run from source this module
 * is runner/config.ts; installed, it is dist/runner/config.js (dist/ has no package.json).
 */
export const PROJECT_ROOT = packageRoot(fileURLToPath(new URL(".", import.meta.url)));

function packageRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, "package.json"))) return dir;
    if (dirname(dir) === dir) throw new Error(`kubegrade: no package.json above ${from}`);
  }
}

/** kubegrade's own version, from its package.json. */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(join(PROJECT_ROOT, "package.json"), "utf8")) as { version: string }).version;
}

export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.KUBEGRADE_CACHE ?? join(env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "kubegrade");
}

/**
 * The names of what the grader itself makes in a grading namespace: never the submission's to
 * define, reuse or run as (runner/submission/validate.ts refuses them).
 */
export const GRADER_NAMES = {
  /** The ServiceAccount the submission is applied as (edit, in the grading namespace only). */
  submitter: "kubegrade-submitter",
  /** The ResourceQuota and LimitRange sized by the exercise. */
  limits: "kubegrade",
  /** The pod DNS and HTTP are checked from. */
  probe: "kubegrade-probe",
} as const;

/** Default deadlines, in one place; every wait names the one it uses. */
export const TIMEOUTS = {
  clusterStartMs: 180_000,
  clusterReadyMs: 120_000,
  /** An existing cluster (--kubeconfig) whose API server has not answered once by then is not there. */
  existingClusterAnswerMs: 15_000,
  dockerEngineMs: 60_000,
  namespaceReadyMs: 30_000,
  podReadyMs: 120_000,
  execMs: 30_000,
  probePodMs: 60_000,
  /** DNS catching up with new pod IPs, and pods answering on their names. */
  dnsMs: 10_000,
  /**
   * A wrong answer given in full (checks/api.ts assertAnswer) that has not changed for this
   * long, over this many attempts at least, is the answer: ctx.eventually stops retrying.
   */
  stableAnswerMs: 2_000,
  stableAnswerTimes: 3,
  /** A StatefulSet's controller observing a change (status.observedGeneration). */
  controllerObservedMs: 30_000,
  cleanupMs: 60_000,
  /**
   * A grade's hold on a pre-created namespace (namespace-lock.ts): renewed this often, and
   * taken for an interrupted grade's once no renewal was seen for the lapse.
   */
  namespaceLockRenewMs: 10_000,
  namespaceLockLapseMs: 60_000,
  /** Waiting for another grade to let go of a pre-created namespace: longer than any one grade. */
  namespaceHeldMs: 15 * 60_000,
  /** The kit's registry served from a throwaway container (images push, loading images into k3s). */
  registryReadyMs: 30_000,
  /**
   * A grade stopped by its caller (Ctrl-C, or a newer save under `watch`): how long the step
   * under way gets to end (every wait takes the signal) before what the grade made is released;
   * whatever that step still makes later is released as soon as it is made.
   */
  gradeStopMs: 10_000,
  /** After Ctrl-C / SIGTERM: time to unwind and remove what a run started before exiting anyway. */
  interruptGraceMs: 90_000,
} as const;
