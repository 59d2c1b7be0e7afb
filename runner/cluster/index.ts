/**
 * Obtaining the cluster a grade runs on. The container library (testcontainers, for the kit
 * and k3s) and each provider's module are imported when that provider is used: a grade on
 * the warm cluster (--reuse) reaches it through the kubeconfig `cluster start` left, and
 * loads no container library unless that cluster is gone.
 */
import { mkdir, readFile, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { KIT_IMAGE, LABELS, cacheDir } from "../config.ts";
import { InfrastructureError, UsageError, errorMessage } from "../errors.ts";
import { writeWhole } from "../util/write-whole.ts";
import type { Progress } from "../util/progress.ts";
import { parseProvider, type Cluster, type ProviderName } from "./types.ts";

const dockerClient = async () => (await import("../util/docker.ts")).dockerClient();
const imagePresent = async (image: string) => (await import("../util/docker.ts")).imagePresent(image);
const sweepLeftovers = async () => (await import("./sweep.ts")).sweepLeftovers();

export { parseProvider };

export type { Cluster, ProviderName } from "./types.ts";

export interface ClusterOptions {
  /** --cluster, else KUBEGRADE_CLUSTER, else kit when its image is here, else k3s. */
  provider?: ProviderName;
  kubeconfig?: string;
  context?: string;
  /** Use the warm cluster kept by `kubegrade cluster start` (starting one if there is none). */
  reuse?: boolean;
  /** Grading in these pre-created namespaces (an existing cluster's readiness is read there). */
  namespaces?: readonly string[];
  progress: Progress;
  env?: NodeJS.ProcessEnv;
  /**
   * Called (possibly more than once) when the cluster is on its way: a kit node started
   * here as soon as its container runs (its first log line), any other cluster once
   * obtained. The command line loads the rest of the grader only then, so that loading
   * (mostly CPU) overlaps the node's boot instead of delaying the container's start.
   */
  onStarting?: () => void;
}


export async function chooseProvider(options: ClusterOptions): Promise<{ provider: ProviderName; why: string }> {
  const env = options.env ?? process.env;
  const explicit = options.provider ?? parseProvider(env.KUBEGRADE_CLUSTER, "KUBEGRADE_CLUSTER=");
  if (explicit) return { provider: explicit, why: options.provider ? "--cluster" : "KUBEGRADE_CLUSTER" };
  if (options.kubeconfig) return { provider: "kubeconfig", why: "--kubeconfig" };
  if (await imagePresent(KIT_IMAGE)) return { provider: "kit", why: `${KIT_IMAGE} is built here` };
  return { provider: "k3s", why: `${KIT_IMAGE} is not built here (npm run setup builds it)` };
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

/** Obtains the cluster a grade runs on, ready to run a StatefulSet. */
export async function obtainCluster(options: ClusterOptions): Promise<Cluster> {
  const cluster = obtain(options);
  // Only a kit node started here reports its start early; every other way, when obtained.
  void cluster.then(() => options.onStarting?.(), () => options.onStarting?.());
  return cluster;
}

async function obtain(options: ClusterOptions): Promise<Cluster> {
  if (options.reuse && !options.provider && !options.kubeconfig && !(options.env ?? process.env).KUBEGRADE_CLUSTER) {
    const warm = await warmFromKubeconfig(options.progress, options.env);
    if (warm) return warm;
  }
  const { provider, why } = await chooseProvider(options);
  if (provider === "kubeconfig") {
    const { connectKubeconfig } = await import("./kubeconfig.ts");
    return options.progress.step("Connecting to the existing cluster", () =>
      connectKubeconfig({ path: options.kubeconfig, context: options.context, namespaces: options.namespaces }),
    );
  }
  const swept = await sweepLeftovers();
  if (swept.length) options.progress.info(`Removed ${swept.length} node container(s) left by killed runs: ${swept.join(", ")}`);
  if (options.reuse) {
    if (provider !== "kit") throw new UsageError("--reuse keeps a kit cluster warm; it cannot be combined with --cluster k3s");
    return warmCluster(options.progress, { startIfMissing: true, env: options.env });
  }
  if (provider === "kit") {
    const { startKitCluster } = await import("./kit.ts");
    return options.progress.step(`Starting a kit cluster (${why})`, (update) => {
      const log = nodeLogger(update);
      return startKitCluster({
        onLog: (line) => {
          options.onStarting?.();
          log(line);
        },
      });
    });
  }
  const { startK3sCluster } = await import("./k3s.ts");
  return options.progress.step(`Starting a k3s cluster (${why})`, () => startK3sCluster());
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
  const [{ KubeConfig }, { waitForClusterReady }] = await Promise.all([import("@kubernetes/client-node"), import("./ready.ts")]);
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
  const cluster: Cluster = {
    provider: "kit",
    kubeConfig,
    kubeConfigYaml: yaml.replace(WARM_HEADER, "").trimStart(),
    kubernetesVersion: version,
    description: `warm kit node in container ${containerId.slice(0, 12)} (API ${server})`,
    containerId,
    owned: false,
    async stop() {},
    async componentLogs() {
      const { client } = await dockerClient();
      const result = await client.container.exec(client.container.getById(containerId), [
        "sh", "-c", "for f in /var/log/kubegrade/*.log; do echo \"== $f\"; tail -n 60 \"$f\"; done",
      ]);
      return result.output;
    },
    async [Symbol.asyncDispose]() {},
  };
  return cluster;
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
  const { attachKit, startKitCluster } = await import("./kit.ts");
  let cluster: Cluster;
  if (id) {
    cluster = await progress.step(`Using the warm cluster ${id.slice(0, 12)}`, () =>
      attachKit(id, { owned: false, stop: async () => {} }),
    );
  } else {
    if (!options.startIfMissing) {
      throw new UsageError("No warm cluster is running.", { cause: "start one with `kubegrade cluster start`" });
    }
    await sweepLeftovers();
    cluster = await progress.step("No warm cluster yet: starting one and keeping it for next time", (update) =>
      startKitCluster({ warm: true, onLog: nodeLogger(update) }),
    );
  }
  await rememberWarm(cluster, options.env).catch((error: unknown) => {
    progress.info(`(could not keep the warm cluster's kubeconfig at ${warmKubeconfigPath(options.env)}: ${errorMessage(error)})`);
  });
  return cluster;
}

/** `kubegrade cluster start`: the warm cluster, started if none is running. */
export function startWarmCluster(progress: Progress, env?: NodeJS.ProcessEnv): Promise<Cluster> {
  return warmCluster(progress, { startIfMissing: true, env });
}

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
