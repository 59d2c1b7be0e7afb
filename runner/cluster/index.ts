/**
 * Obtaining the cluster a grade runs on, through the registry of providers (registry.ts).
 * Each provider's module, and the container library, are imported when that provider is
 * used: a grade on the warm cluster (--reuse) reaches it through the kubeconfig `cluster
 * start` left, and loads no container library unless that cluster is gone.
 */
import { UsageError } from "../errors.ts";
import type { Progress } from "../util/progress.ts";
import { checkNodes, chooseProvider, warmProvider } from "./registry.ts";
import type { Cluster, ClusterOptions } from "./types.ts";

export { chooseProvider, parseNodes, parseProvider, providerNames, providersHelp } from "./registry.ts";
export type { Cluster, ClusterOptions, ProviderCapabilities } from "./types.ts";

const sweepLeftovers = async () => (await import("./sweep.ts")).sweepLeftovers();

/** Obtains the cluster a grade runs on, ready to run a StatefulSet. */
export async function obtainCluster(options: ClusterOptions): Promise<Cluster> {
  const cluster = obtain(options);
  // Only a node started here reports its start early (its first log line); every other way, when obtained.
  void cluster.then(() => options.onStarting?.(), () => options.onStarting?.());
  return cluster;
}

async function obtain(options: ClusterOptions): Promise<Cluster> {
  const named = options.provider || options.kubeconfig || (options.env ?? process.env).KUBEGRADE_CLUSTER;
  // With --nodes, the warm cluster is looked for through Docker, which knows its nodes.
  if (options.reuse && !named && options.nodes === undefined) {
    const warm = await warmProvider().warm.kept(options.progress, options.env);
    if (warm) return warm;
  }
  const { provider, why } = await chooseProvider(options);
  checkNodes(provider, why, options.nodes);
  if (options.reuse && provider.capabilities.startsNodes) {
    if (!provider.capabilities.keepsWarm || !provider.warm) {
      throw new UsageError(`--reuse grades on the warm cluster; the ${provider.name} provider cannot keep one (${why})`);
    }
  }
  if (provider.capabilities.startsNodes) {
    const swept = await sweepLeftovers();
    if (swept.length) options.progress.info(`Removed ${swept.length} node container(s) left by killed runs: ${swept.join(", ")}`);
  }
  if (options.reuse && provider.warm) {
    return provider.warm.get(options.progress, { startIfMissing: true, env: options.env, ...(options.nodes ? { nodes: options.nodes } : {}) });
  }
  return provider.obtain(options, why);
}

/**
 * A cluster that failed under a batch (health.ts said why), replaced by one obtained with the
 * same options. The failed one is removed later (removeFailedCluster), once no grade is left on
 * it: each of them diagnoses its own failure from what Docker says of that node.
 */
export async function replaceCluster(options: ClusterOptions): Promise<Cluster> {
  return obtainCluster(options);
}

/**
 * Removes a cluster that failed and was replaced: a node started for the batch is stopped; a
 * dead warm node's container is removed (warm.get finds only a running one, and `cluster stop`
 * would never see it). Errors are ignored: a later run's sweep, or `docker rm`, removes the rest.
 */
export async function removeFailedCluster(dead: Cluster, options: Pick<ClusterOptions, "reuse">): Promise<void> {
  await dead.stop().catch(() => {});
  if (!dead.owned && dead.containerId && dead.capabilities.keepsWarm && options.reuse) {
    const id = dead.containerId;
    await import("../util/docker.ts")
      .then(async ({ dockerClient }) => (await dockerClient()).client.container.dockerode.getContainer(id).remove({ force: true, v: true }))
      .catch(() => {});
  }
}

/** Where the warm cluster's admin kubeconfig is kept (`export KUBECONFIG=…` for kubectl). */
export function warmKubeconfigPath(env: NodeJS.ProcessEnv = process.env): string {
  return warmProvider().warm.kubeconfigPath(env);
}

/** The warm cluster kept between grades; a handle whose stop() leaves it running. */
export function warmCluster(progress: Progress, options: { startIfMissing: boolean; env?: NodeJS.ProcessEnv; nodes?: number }): Promise<Cluster> {
  return warmProvider().warm.get(progress, options);
}

/** `kubegrade cluster start`: the warm cluster, started if none is running. */
export function startWarmCluster(progress: Progress, env?: NodeJS.ProcessEnv, nodes?: number): Promise<Cluster> {
  return warmCluster(progress, { startIfMissing: true, env, ...(nodes ? { nodes } : {}) });
}

/** `kubegrade cluster stop`: removes the warm cluster; its short id, or undefined when none ran. */
export function stopWarmCluster(env?: NodeJS.ProcessEnv): Promise<string | undefined> {
  return warmProvider().warm.stop(env);
}
