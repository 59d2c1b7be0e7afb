/**
 * The cluster options of `grade`, `batch` and `exercise verify`, declared and read in one
 * place: --cluster (its choices from the provider registry), --kubeconfig, --context,
 * --reuse (and, where the warm cluster is the default, --no-reuse), --image-registry,
 * --node-image (also on setup and cluster start).
 */
import { Option, type Command } from "commander";
import { MAX_KIT_NODES } from "./config.ts";
import { parseNodes, parseProvider, providerNames, providersHelp } from "./cluster/registry.ts";
import type { ClusterOptions } from "./cluster/types.ts";
import { parseImageRegistry } from "./images/names.ts";
import { NODE_IMAGE_ENV, configuredNodeImage, parseNodeImage } from "./images/node-image.ts";
import type { Progress } from "./util/progress.ts";

export interface ClusterCliOptions {
  cluster?: string;
  kubeconfig?: string;
  context?: string;
  reuse?: boolean;
  nodes?: string;
  imageRegistry?: string;
  nodeImage?: string;
}

/** --nodes N: a kit cluster of N nodes (grade, batch, exercise verify, cluster start). */
export const NODES_OPTION = [
  "--nodes <n>",
  `a kit cluster of n nodes (1 to ${MAX_KIT_NODES}): one control plane and workers, pods spread over them; with --reuse, the warm cluster must have n nodes`,
] as const;

/** --image-registry HOST/PATH: where the images only the kit builds are (`kubegrade images push`). */
export const IMAGE_REGISTRY_OPTION = [
  "--image-registry <host/path>",
  "on a cluster that is not the kit: run the images only the kit builds (demo's, cassandra's) from this registry, where `kubegrade images push` copied them (also KUBEGRADE_IMAGE_REGISTRY)",
] as const;

/** --node-image REF: the kit node image pulled from a registry instead of built (`kubegrade images push-node`). */
export const NODE_IMAGE_OPTION = [
  "--node-image <reference>",
  "the kit node image to pull from a registry instead of building it, as `kubegrade images push-node` printed (also KUBEGRADE_NODE_IMAGE): " +
    "pulled when absent, checked to be this kubegrade's, preferred to k3s when no --cluster is named",
] as const;

/** The environment a command runs with: --node-image, when given, as KUBEGRADE_NODE_IMAGE (checked: exit 2 when malformed). */
export function withNodeImage(opts: { nodeImage?: string }, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  if (opts.nodeImage === undefined) return env;
  return { ...env, [NODE_IMAGE_ENV]: parseNodeImage(opts.nodeImage, "--node-image ") };
}

/**
 * Adds the cluster options to a command. `reuseByDefault`: the warm cluster unless --no-reuse
 * (exercise verify); otherwise a fresh cluster unless --reuse.
 */
export function addClusterOptions(command: Command, options: { what: string; reuseByDefault?: boolean }): Command {
  command
    .addOption(new Option("--cluster <provider>", providersHelp()).choices(providerNames()))
    .option("--kubeconfig <path>", `${options.what} on an existing cluster`)
    .option("--context <name>", "kubeconfig context")
    .option("--reuse", `${options.what} on the warm cluster (\`kubegrade cluster start\`; started and kept if there is none)${options.reuseByDefault ? " — the default" : ""}`)
    .option(...NODES_OPTION);
  if (options.reuseByDefault) command.option("--no-reuse", "start a cluster for this run and remove it after");
  return command.option(...IMAGE_REGISTRY_OPTION).option(...NODE_IMAGE_OPTION);
}

/** --image-registry, else KUBEGRADE_IMAGE_REGISTRY; checked (exit 2 when malformed). */
export function imageRegistryOf(opts: { imageRegistry?: string }, env: NodeJS.ProcessEnv): string | undefined {
  if (opts.imageRegistry !== undefined) return parseImageRegistry(opts.imageRegistry, "--image-registry");
  if (env.KUBEGRADE_IMAGE_REGISTRY) return parseImageRegistry(env.KUBEGRADE_IMAGE_REGISTRY, "KUBEGRADE_IMAGE_REGISTRY=");
  return undefined;
}

/**
 * How to obtain the cluster, from a command's options. `reuseByDefault`: the warm cluster
 * unless --no-reuse, a provider or a kubeconfig is named.
 */
export function clusterOptionsOf(
  opts: ClusterCliOptions,
  context: { env: NodeJS.ProcessEnv; progress: Progress; reuseByDefault?: boolean },
): ClusterOptions {
  const provider = parseProvider(opts.cluster, "--cluster");
  const env = withNodeImage(opts, context.env);
  configuredNodeImage(env); // a malformed KUBEGRADE_NODE_IMAGE is bad usage before anything starts
  const reuse = opts.reuse ?? (!!context.reuseByDefault && !provider && !opts.kubeconfig && !context.env.KUBEGRADE_CLUSTER);
  const nodes = parseNodes(opts.nodes, "--nodes");
  return {
    ...(nodes !== undefined ? { nodes } : {}),
    ...(provider ? { provider } : {}),
    ...(opts.kubeconfig ? { kubeconfig: opts.kubeconfig } : {}),
    ...(opts.context ? { context: opts.context } : {}),
    reuse,
    progress: context.progress,
    env,
  };
}
