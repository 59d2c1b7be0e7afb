/**
 * The kit: kubegrade's own node image (`npm run setup` builds it), started in Docker; the
 * only provider that serves the kit-only images itself and can be kept warm between grades.
 * The container library loads only when a node is started or looked for: a grade on the
 * warm cluster reaches it through the kubeconfig `cluster start` left.
 */
import { mkdir, readFile, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { KIT_IMAGE, LABELS, cacheDir } from "../../config.ts";
import { InfrastructureError, UsageError, errorMessage } from "../../errors.ts";
import { writeWhole } from "../../util/write-whole.ts";
import type { Progress } from "../../util/progress.ts";
import { clusterHandle, type Cluster, type ClusterProvider } from "../types.ts";
import type { KitStartOptions } from "../kit.ts";

const kitNode = () => import("../kit.ts");
const dockerClient = async () => (await import("../../util/docker.ts")).dockerClient();

export const kitProvider: ClusterProvider = {
  name: "kit",
  summary: `kubegrade's own node image (${KIT_IMAGE}, built by \`npm run setup\`), started in Docker`,
  capabilities: { servesKitImages: true, loadsImages: false, keepsWarm: true, startsNodes: true },
  async appliesBecause() {
    const { imagePresent } = await import("../../util/docker.ts");
    return (await imagePresent(KIT_IMAGE)) ? `${KIT_IMAGE} is built here` : undefined;
  },
  async obtain(options, why) {
    return options.progress.step(`Starting a kit cluster (${why})`, (update) => {
      const log = nodeLogger(update);
      return startKitCluster({
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
  return clusterHandle(kitProvider, await (await kitNode()).startKitNode(options));
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

async function rememberWarm(cluster: Cluster, env?: NodeJS.ProcessEnv): Promise<void> {
  const path = warmKubeconfigPath(env);
  await mkdir(dirname(path), { recursive: true });
  await writeWhole(path, `# kubegrade warm cluster: container ${cluster.containerId}\n${cluster.kubeConfigYaml}`, { mode: 0o600 });
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
  return clusterHandle(kitProvider, {
    kubeConfig,
    kubeConfigYaml: yaml.replace(WARM_HEADER, "").trimStart(),
    kubernetesVersion: version,
    description: `warm kit node in container ${containerId.slice(0, 12)} (API ${server})`,
    containerId,
    componentLogs: async () => (await kitNode()).kitComponentLogs(containerId),
  });
}

async function findWarm(): Promise<string | undefined> {
  const { client } = await dockerClient();
  const running = await client.container.dockerode.listContainers({
    filters: { label: [`${LABELS.managed}=true`, `${LABELS.warm}=true`], status: ["running"] },
  });
  return running[0]?.Id;
}

/** The warm cluster kept between grades; a handle whose stop() leaves it running. */
export async function warmCluster(progress: Progress, options: { startIfMissing: boolean; env?: NodeJS.ProcessEnv }): Promise<Cluster> {
  const id = await findWarm();
  const { attachKitNode, startKitNode } = await kitNode();
  let cluster: Cluster;
  if (id) {
    cluster = clusterHandle(kitProvider, await progress.step(`Using the warm cluster ${id.slice(0, 12)}`, () => attachKitNode(id)));
  } else {
    if (!options.startIfMissing) {
      throw new UsageError("No warm cluster is running.", { cause: "start one with `kubegrade cluster start`" });
    }
    await (await import("../sweep.ts")).sweepLeftovers();
    cluster = clusterHandle(kitProvider, await progress.step("No warm cluster yet: starting one and keeping it for next time", (update) =>
      startKitNode({ warm: true, onLog: nodeLogger(update) }),
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
  const id = await findWarm();
  if (!id) return undefined;
  const { client } = await dockerClient();
  const container = client.container.dockerode.getContainer(id);
  await container.stop({ t: 10 }).catch(() => {});
  await container.remove({ force: true, v: true }).catch((error: unknown) => {
    throw new InfrastructureError(`Could not remove the warm cluster ${id.slice(0, 12)}: ${String(error)}`);
  });
  return id.slice(0, 12);
}
