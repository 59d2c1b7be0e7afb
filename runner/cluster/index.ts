import { KIT_IMAGE, LABELS } from "../config.ts";
import { InfrastructureError, UsageError } from "../errors.ts";
import type { Progress } from "../util/progress.ts";
import { dockerClient } from "./docker.ts";
import { startK3sCluster } from "./k3s.ts";
import { attachKit, startKitCluster } from "./kit.ts";
import { connectKubeconfig } from "./kubeconfig.ts";
import { sweepLeftovers } from "./sweep.ts";
import { parseProvider, type Cluster, type ProviderName } from "./types.ts";

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
}


async function kitImagePresent(): Promise<boolean> {
  const { client } = await dockerClient();
  try {
    await client.container.dockerode.getImage(KIT_IMAGE).inspect();
    return true;
  } catch {
    return false;
  }
}

export async function chooseProvider(options: ClusterOptions): Promise<{ provider: ProviderName; why: string }> {
  const env = options.env ?? process.env;
  const explicit = options.provider ?? parseProvider(env.KUBEGRADE_CLUSTER, "KUBEGRADE_CLUSTER=");
  if (explicit) return { provider: explicit, why: options.provider ? "--cluster" : "KUBEGRADE_CLUSTER" };
  if (options.kubeconfig) return { provider: "kubeconfig", why: "--kubeconfig" };
  if (await kitImagePresent()) return { provider: "kit", why: `${KIT_IMAGE} is built here` };
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
  const { provider, why } = await chooseProvider(options);
  if (provider === "kubeconfig") {
    return options.progress.step("Connecting to the existing cluster", () =>
      connectKubeconfig({ path: options.kubeconfig, context: options.context, namespaces: options.namespaces }),
    );
  }
  const swept = await sweepLeftovers();
  if (swept.length) options.progress.info(`Removed ${swept.length} node container(s) left by killed runs: ${swept.join(", ")}`);
  if (options.reuse) {
    if (provider !== "kit") throw new UsageError("--reuse keeps a kit cluster warm; it cannot be combined with --cluster k3s");
    return warmCluster(options.progress, { startIfMissing: true });
  }
  if (provider === "kit") {
    return options.progress.step(`Starting a kit cluster (${why})`, (update) =>
      startKitCluster({ onLog: nodeLogger(update) }),
    );
  }
  return options.progress.step(`Starting a k3s cluster (${why})`, () => startK3sCluster());
}

async function findWarm(): Promise<string | undefined> {
  const { client } = await dockerClient();
  const running = await client.container.dockerode.listContainers({
    filters: { label: [`${LABELS.managed}=true`, `${LABELS.warm}=true`], status: ["running"] },
  });
  return running[0]?.Id;
}

/** The warm cluster kept between grades; a handle whose stop() leaves it running. */
export async function warmCluster(progress: Progress, options: { startIfMissing: boolean }): Promise<Cluster> {
  const id = await findWarm();
  if (id) {
    return progress.step(`Using the warm cluster ${id.slice(0, 12)}`, () =>
      attachKit(id, { owned: false, stop: async () => {} }),
    );
  }
  if (!options.startIfMissing) {
    throw new UsageError("No warm cluster is running.", { cause: "start one with `kubegrade cluster start`" });
  }
  await sweepLeftovers();
  return progress.step("No warm cluster yet: starting one and keeping it for next time", (update) =>
    startKitCluster({ warm: true, onLog: nodeLogger(update) }),
  );
}

/** `kubegrade cluster start`: the warm cluster, started if none is running. */
export function startWarmCluster(progress: Progress): Promise<Cluster> {
  return warmCluster(progress, { startIfMissing: true });
}

export async function stopWarmCluster(): Promise<string | undefined> {
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
