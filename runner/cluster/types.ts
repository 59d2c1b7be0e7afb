/**
 * The cluster a grade runs on, and the providers that obtain one. A provider declares what
 * it can do (its capabilities); everything outside runner/cluster/ asks for a capability,
 * never for a provider's name (registry.ts lists the providers).
 */
import type { KubeConfig } from "@kubernetes/client-node";
import type { Progress } from "../util/progress.ts";

/** What a provider's clusters can do; callers ask these, never the provider's name. */
export interface ProviderCapabilities {
  /**
   * The node serves the images only the kit builds (demo's, cassandra's) itself, and any tag
   * of an image an exercise provides through its registry mirror.
   */
  readonly servesKitImages: boolean;
  /** The images only the kit builds can be loaded into its node (Cluster.loadKitImages). */
  readonly loadsImages: boolean;
  /** Can be kept warm between grades (`kubegrade cluster start`, --reuse). */
  readonly keepsWarm: boolean;
  /** Starts a node of its own and removes it; false for a cluster that already exists. */
  readonly startsNodes: boolean;
  /** Starts a cluster of several nodes (--nodes N). */
  readonly startsSeveralNodes: boolean;
}

/** How a cluster is asked for: the command line's --cluster, --kubeconfig, --context, --reuse. */
export interface ClusterOptions {
  /** A provider's name (--cluster), else KUBEGRADE_CLUSTER, else the first provider that applies. */
  provider?: string;
  kubeconfig?: string;
  context?: string;
  /** Use the warm cluster kept by `kubegrade cluster start` (starting one if there is none). */
  reuse?: boolean;
  /** Nodes of a cluster started for this run, or of the warm one when it is started (--nodes). */
  nodes?: number;
  /** Grading in these pre-created namespaces (an existing cluster's readiness is read there). */
  namespaces?: readonly string[];
  progress: Progress;
  env?: NodeJS.ProcessEnv;
  /**
   * Called (possibly more than once) when the cluster is on its way: a node started here as
   * soon as its container runs (its first log line), any other cluster once obtained. The
   * command line loads the rest of the grader only then, so that loading (mostly CPU)
   * overlaps the node's boot instead of delaying the container's start.
   */
  onStarting?: () => void;
}

/** One kind of cluster: a file in providers/ and a line in registry.ts. */
export interface ClusterProvider {
  /** What --cluster and KUBEGRADE_CLUSTER name it, and what reports show. */
  readonly name: string;
  /** For --help: what it starts or reaches. */
  readonly summary: string;
  readonly capabilities: ProviderCapabilities;
  /**
   * Why this provider is the one when none is named ("--kubeconfig", "kubegrade/node:… is
   * built here"), or undefined when it does not apply; asked in the registry's order.
   */
  appliesBecause(options: ClusterOptions): Promise<string | undefined>;
  /** A ready cluster; `why` says why this provider was chosen, for the progress line. */
  obtain(options: ClusterOptions, why: string): Promise<Cluster>;
  /** The warm cluster, where `capabilities.keepsWarm`. */
  readonly warm?: WarmClusters;
}

/** The one cluster kept running between grades (`kubegrade cluster start|stop|status`, --reuse). */
export interface WarmClusters {
  /** Reached through what was kept of it, without the container library; undefined when that does not answer at once. */
  kept(progress: Progress, env?: NodeJS.ProcessEnv): Promise<Cluster | undefined>;
  /** Found running, or started and kept when asked to; its handle's stop() leaves it running. */
  get(progress: Progress, options: { startIfMissing: boolean; env?: NodeJS.ProcessEnv; nodes?: number }): Promise<Cluster>;
  /** Removes it; its short id, or undefined when none ran. */
  stop(env?: NodeJS.ProcessEnv): Promise<string | undefined>;
  /** Where its admin kubeconfig is kept (`export KUBECONFIG=…` for kubectl). */
  kubeconfigPath(env?: NodeJS.ProcessEnv): string;
}

/** One handle for every kind of cluster the grader runs on. */
export interface Cluster extends AsyncDisposable {
  /** The provider's name, for reports and messages; decide with `capabilities`. */
  readonly provider: string;
  readonly capabilities: ProviderCapabilities;
  /** Admin access, with the server address reachable from this process. */
  readonly kubeConfig: KubeConfig;
  readonly kubeConfigYaml: string;
  readonly kubernetesVersion: string;
  /** What runs it, for humans: "kit node kubegrade/node:v1.34.4 in container 1a2b3c". */
  readonly description: string;
  /** The Docker container of the node (the control plane's), when the grader started (or reuses) one. */
  readonly containerId?: string;
  /** Every node's container, control plane first, for a kit cluster of several nodes. */
  readonly nodeContainerIds?: readonly string[];
  /**
   * Loads the images only the kit builds (their families, for these references) into the
   * node, once; returns every name now loaded (empty when the kit image is not here).
   * Only where `capabilities.loadsImages`.
   */
  loadKitImages?(references: readonly string[]): Promise<string[]>;
  /** Whether stop() removes the cluster (false for a warm or an external cluster). */
  readonly owned: boolean;
  /** Removes the cluster if it is ours; idempotent. */
  stop(): Promise<void>;
  /**
   * Leaves removing the cluster to a process of its own that outlives this one, so a
   * grade's report need not wait for it; true when handed off (stop() then does nothing),
   * false when it cannot be (not ours, or no process could be started): call stop().
   */
  handOff?(): boolean;
  /** Component logs (kit: the node's own log and every component's), for --debug. */
  componentLogs(): Promise<string>;
}

/** What a provider fills in; clusterHandle() makes the rest (idempotent stop, disposal). */
export interface ClusterParts extends Omit<Cluster, "provider" | "capabilities" | "stop" | "owned" | typeof Symbol.asyncDispose> {
  /** Removes the cluster; absent for one that is not ours (warm, existing). */
  remove?: () => Promise<void>;
}

/** A Cluster of this provider: stop() runs `remove` once, and only for a cluster it owns. */
export function clusterHandle(provider: Pick<ClusterProvider, "name" | "capabilities">, parts: ClusterParts): Cluster {
  let stopped = false;
  const { remove, handOff, ...rest } = parts;
  const stop = async () => {
    if (stopped || !remove) return;
    stopped = true;
    await remove();
  };
  return {
    ...rest,
    provider: provider.name,
    capabilities: provider.capabilities,
    owned: !!remove,
    stop,
    ...(handOff
      ? {
          handOff() {
            if (stopped) return true;
            if (!remove || !handOff()) return false;
            stopped = true;
            return true;
          },
        }
      : {}),
    [Symbol.asyncDispose]: stop,
  };
}
