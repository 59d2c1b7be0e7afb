/**
 * The kit: kubegrade's own node image (`npm run setup` builds it, or the course's published
 * copy is pulled: images/node-image.ts), started in Docker; the
 * only provider that serves the kit-only images itself and can be kept warm between grades.
 * The container library loads only when a node is started or looked for: a grade on the
 * warm cluster reaches it through the kubeconfig `cluster start` left.
 */
import { mkdir, readFile, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { KIT_IMAGE, LABELS, cacheDir } from "../../config.ts";
import { InfrastructureError, UsageError, errorMessage } from "../../errors.ts";
import { configuredNodeImage, readyKitNodeImage } from "../../images/node-image.ts";
import { interruption } from "../../util/interrupt.ts";
import { writeWhole } from "../../util/write-whole.ts";
import type { Progress } from "../../util/progress.ts";
import { clusterHandle, type Cluster, type ClusterParts, type ClusterProvider } from "../types.ts";
import type { KitStartOptions } from "../kit.ts";

const kitNode = () => import("../kit.ts");
const dockerClient = async () => (await import("../../util/docker.ts")).dockerClient();

export const kitProvider: ClusterProvider = {
  name: "kit",
  summary: `kubegrade's own node image (${KIT_IMAGE}, built by \`npm run setup\`, or the course's copy pulled: --node-image), started in Docker`,
  capabilities: { servesKitImages: true, loadsImages: false, keepsWarm: true, startsNodes: true, startsSeveralNodes: true },
  async appliesBecause(options) {
    const published = configuredNodeImage(options.env);
    if (published) return `the course's node image ${published}`;
    const { imagePresent } = await import("../../util/docker.ts");
    return (await imagePresent(KIT_IMAGE)) ? `${KIT_IMAGE} is built here` : undefined;
  },
  async obtain(options, why) {
    const image = await readyKitNodeImage({ env: options.env, progress: options.progress, signal: interruption });
    return options.progress.step(`Starting a kit cluster (${why})`, (update) => {
      const log = nodeLogger(update);
      return startKitCluster({
        ...(options.nodes ? { nodes: options.nodes } : {}),
        image,
        onLog: (line) => {
          options.onStarting?.();
          log(line);
        },
      });
    });
  },
  warm: {
    kept: (progress, env) => warmFromKubeconfig(progress, env),
    get: (progress, options) => warmCluster(progress, options),
    stop: (env) => stopWarmCluster(env),
    kubeconfigPath: (env) => warmKubeconfigPath(env),
  },
};

/** A kit node started here, as a handle (removed by stop() unless it is the warm one). */
export async function startKitCluster(options: KitStartOptions = {}): Promise<Cluster> {
  return clusterHandle(kitProvider, await startKitParts(options));
}

/** One node (kit.ts), or several joined into one cluster (kit-nodes.ts). */
async function startKitParts(options: KitStartOptions): Promise<ClusterParts> {
  if ((options.nodes ?? 1) > 1) {
    const { startKitNodes } = await import("../kit-nodes.ts");
    return startKitNodes({ ...options, image: options.image ?? KIT_IMAGE, nodes: options.nodes ?? 1 });
  }
  return (await kitNode()).startKitNode(options);
}

/** Logs the node's start-up steps as progress details (until the node is ready). */
function nodeLogger(update: (detail: string) => void): (line: string) => void {
  let done = false;
  return (line) => {
    if (done) return;
    if (/\] ready$/.test(line)) done = true;
    const match = /^kubegrade-node: \[[^\]]+\] (.*)$/.exec(line);
    if (match) update(match[1]);
  };
}

/** Where the warm cluster's admin kubeconfig is kept (`export KUBECONFIG=…` for kubectl). */
export function warmKubeconfigPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(cacheDir(env), "warm-kubeconfig.yaml");
}

const WARM_HEADER = /^# kubegrade warm cluster: container ([0-9a-f]{12,64})$/m;
/** Present for a warm cluster of several nodes: every node's container, control plane first. */
const WARM_NODES = /^# kubegrade warm cluster nodes: ([0-9a-f,]+)$/m;

async function rememberWarm(cluster: Cluster, env?: NodeJS.ProcessEnv): Promise<void> {
  const path = warmKubeconfigPath(env);
  await mkdir(dirname(path), { recursive: true });
  const nodes = cluster.nodeContainerIds?.length ? `# kubegrade warm cluster nodes: ${cluster.nodeContainerIds.join(",")}\n` : "";
  await writeWhole(path, `# kubegrade warm cluster: container ${cluster.containerId}\n${nodes}${cluster.kubeConfigYaml}`, { mode: 0o600 });
}

/**
 * The warm cluster through the kubeconfig kept for it, without asking Docker: a handle when
 * it answers and is ready within a few seconds, undefined otherwise (the caller then asks
 * Docker, which also finds a warm cluster restarted since). Only Docker-bound extras
 * (component logs) load the container library, when asked for.
 */
async function warmFromKubeconfig(progress: Progress, env?: NodeJS.ProcessEnv): Promise<Cluster | undefined> {
  const yaml = await readFile(warmKubeconfigPath(env), "utf8").catch(() => undefined);
  const containerId = yaml ? WARM_HEADER.exec(yaml)?.[1] : undefined;
  if (!yaml || !containerId) return undefined;
  const [{ KubeConfig }, { waitForClusterReady }] = await Promise.all([import("@kubernetes/client-node"), import("../ready.ts")]);
  const kubeConfig = new KubeConfig();
  try {
    kubeConfig.loadFromString(yaml);
  } catch {
    return undefined;
  }
  // Quiet when it fails: the caller then looks for the warm cluster through Docker, under its own step.
  const step = progress.begin(`Using the warm cluster ${containerId.slice(0, 12)}`);
  const version = await waitForClusterReady(kubeConfig, { deadlineMs: 5_000, unansweredMs: 1_500 }).catch(() => undefined);
  step.end(version ? { ok: true } : { ok: true, line: `The kept kubeconfig of warm cluster ${containerId.slice(0, 12)} does not reach it; asking Docker.` });
  if (!version) return undefined;
  const server = kubeConfig.getCurrentCluster()?.server ?? "";
  const nodeContainerIds = WARM_NODES.exec(yaml)?.[1]?.split(",");
  return clusterHandle(kitProvider, {
    kubeConfig,
    kubeConfigYaml: yaml.replace(WARM_HEADER, "").replace(WARM_NODES, "").trimStart(),
    kubernetesVersion: version,
    description: nodeContainerIds
      ? `warm kit cluster of ${nodeContainerIds.length} nodes, control plane in container ${containerId.slice(0, 12)} (API ${server})`
      : `warm kit node in container ${containerId.slice(0, 12)} (API ${server})`,
    containerId,
    ...(nodeContainerIds ? { nodeContainerIds } : {}),
    componentLogs: async () => (await kitNode()).kitComponentLogs(containerId),
  });
}

/** The warm cluster's control plane, and every node of it (control plane first). */
async function findWarm(): Promise<{ id: string; nodes: string[] } | undefined> {
  const { client } = await dockerClient();
  const running = await client.container.dockerode.listContainers({
    filters: { label: [`${LABELS.managed}=true`, `${LABELS.warm}=true`] },
  });
  const controlPlane = running.find((c) => c.State === "running" && c.Labels?.[LABELS.role] !== "worker");
  if (!controlPlane) return undefined;
  const cluster = controlPlane.Labels?.[LABELS.cluster];
  const workers = cluster ? running.filter((c) => c.Labels?.[LABELS.role] === "worker" && c.Labels?.[LABELS.cluster] === cluster) : [];
  return { id: controlPlane.Id, nodes: [controlPlane.Id, ...workers.map((w) => w.Id)] };
}

/** The warm cluster kept between grades; a handle whose stop() leaves it running. */
export async function warmCluster(
  progress: Progress,
  options: { startIfMissing: boolean; env?: NodeJS.ProcessEnv; nodes?: number },
): Promise<Cluster> {
  const warm = await findWarm();
  const { attachKitNode } = await kitNode();
  let cluster: Cluster;
  if (warm) {
    if (options.nodes !== undefined && options.nodes !== warm.nodes.length) {
      throw new UsageError(`The warm cluster ${warm.id.slice(0, 12)} has ${warm.nodes.length} node(s), not ${options.nodes}.`, {
        cause: `\`kubegrade cluster stop\`, then \`kubegrade cluster start --nodes ${options.nodes}\``,
      });
    }
    const parts = await progress.step(`Using the warm cluster ${warm.id.slice(0, 12)}`, () => attachKitNode(warm.id));
    const several = { nodeContainerIds: warm.nodes, description: `kit cluster of ${warm.nodes.length} nodes (${parts.description})` };
    cluster = clusterHandle(kitProvider, warm.nodes.length > 1 ? { ...parts, ...several } : parts);
  } else {
    if (!options.startIfMissing) {
      throw new UsageError("No warm cluster is running.", { cause: "start one with `kubegrade cluster start`" });
    }
    await (await import("../sweep.ts")).sweepLeftovers();
    const nodes = options.nodes ?? 1;
    const what = nodes > 1 ? `one of ${nodes} nodes` : "one";
    const image = await readyKitNodeImage({ env: options.env, progress, signal: interruption });
    cluster = clusterHandle(kitProvider, await progress.step(`No warm cluster yet: starting ${what} and keeping it for next time`, (update) =>
      startKitParts({ warm: true, nodes, image, onLog: nodeLogger(update) }),
    ));
  }
  await rememberWarm(cluster, options.env).catch((error: unknown) => {
    progress.info(`(could not keep the warm cluster's kubeconfig at ${warmKubeconfigPath(options.env)}: ${errorMessage(error)})`);
  });
  return cluster;
}

/** `kubegrade cluster stop`: removes the warm cluster; its short id, or undefined when none ran. */
export async function stopWarmCluster(env?: NodeJS.ProcessEnv): Promise<string | undefined> {
  await rm(warmKubeconfigPath(env), { force: true });
  const warm = await findWarm();
  if (!warm) return undefined;
  const { client } = await dockerClient();
  // Workers first, the control plane last.
  for (const id of [...warm.nodes].reverse()) {
    const container = client.container.dockerode.getContainer(id);
    await container.stop({ t: 10 }).catch(() => {});
    await container.remove({ force: true, v: true }).catch((error: unknown) => {
      throw new InfrastructureError(`Could not remove the warm cluster's node ${id.slice(0, 12)}: ${String(error)}`);
    });
  }
  return warm.id.slice(0, 12);
}
