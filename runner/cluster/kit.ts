import { spawn } from "node:child_process";
import { hostname } from "node:os";
import { extname } from "node:path";
import { fileURLToPath } from "node:url";
import { GenericContainer, Wait, type StartedTestContainer } from "testcontainers";
import { KIT_IMAGE, LABELS, TIMEOUTS } from "../config.ts";
import { InfrastructureError, errorMessage } from "../errors.ts";
import { dockerClient, imagePresent } from "../util/docker.ts";
import type { ClusterParts } from "./types.ts";

const API_PORT = 6443;
const ADMIN_KUBECONFIG = "/etc/kubernetes/admin.conf";
const READY_LINE = /kubegrade-node: \[[\d.]+s\] ready$/m;
/** A worker's line once it runs containerd and waits for the credentials the control plane issues. */
const JOIN_WAIT_LINE = /kubegrade-node: \[[\d.]+s\] waiting for join credentials/m;

/**
 * The node's writable directories, in memory, each with a ceiling: tmpfs is RAM, and an
 * unbounded one (Docker's default is half the host's memory, each) would let a pod that
 * fills its filesystem or an emptyDir eat the host's memory in the seconds before the
 * kubelet evicts it for its ephemeral-storage limit. Sized from a node grading three
 * exercises at once (measured with df): containerd holds every image pulled (about 0.4 GB
 * with cassandra's) plus each container's writable layer; the kubelet's directory holds
 * emptyDirs; /tmp holds the claims' volumes (the host-path provisioner's); etcd stays under
 * its own 2 GiB backend quota. A submission that fills one gets "no space left" and is
 * evicted; the node and its memory are not at stake.
 */
export const NODE_TMPFS: Record<string, string> = {
  "/run": "rw,exec,size=256m",
  "/var/run": "rw,exec,size=256m",
  "/var/lib/containerd": "rw,exec,size=3g",
  "/var/lib/kubelet": "rw,exec,size=2g",
  "/var/lib/etcd": "rw,size=2560m",
  "/tmp": "rw,exec,size=2g",
};

/**
 * The kit node, started the way @testcontainers/k3s starts k3s: privileged, the host's
 * cgroup namespace with /sys/fs/cgroup bound, tmpfs for everything that changes
 * (containerd's snapshots need a real filesystem under them, not the container's overlay).
 */
export class KitContainer extends GenericContainer {
  constructor(image: string = KIT_IMAGE, waitFor: RegExp = READY_LINE) {
    super(image);
    // Not in dockerode's HostConfig type yet; the Docker API has it since 1.41.
    (this.hostConfig as { CgroupnsMode?: string }).CgroupnsMode = "host";
    this.withExposedPorts(API_PORT)
      .withPrivilegedMode()
      .withBindMounts([{ source: "/sys/fs/cgroup", target: "/sys/fs/cgroup", mode: "rw" }])
      .withTmpFs(NODE_TMPFS)
      .withWaitStrategy(Wait.forLogMessage(waitFor))
      .withStartupTimeout(TIMEOUTS.clusterStartMs);
  }
}

export interface KitStartOptions {
  image?: string;
  /** A warm cluster outlives this process (kubegrade cluster start); others are removed with it. */
  warm?: boolean;
  /** Each line the node logs while starting (its named start-up steps). */
  onLog?: (line: string) => void;
  /** Nodes in the cluster: one control plane, the rest workers (kit-nodes.ts); 1 when absent. */
  nodes?: number;
}

/** One node container of a kit cluster, as started by startNodeContainer. */
export interface NodeStart {
  image: string;
  labels: Record<string, string>;
  environment: Record<string, string>;
  /** The log line start() waits for. */
  waitFor?: RegExp;
  onLog?: (line: string) => void;
}

/** The labels of every node container this process starts (warm ones outlive it). */
export function nodeLabels(options: { warm?: boolean }): Record<string, string> {
  const labels: Record<string, string> = { [LABELS.managed]: "true", [LABELS.ownerHost]: hostname() };
  if (options.warm) labels[LABELS.warm] = "true";
  else labels[LABELS.ownerPid] = String(process.pid);
  return labels;
}

/** Starts one node container; a failure says why and what to do. */
export async function startNodeContainer(start: NodeStart): Promise<StartedTestContainer> {
  const last: string[] = [];
  const builder = new KitContainer(start.image, start.waitFor ?? READY_LINE)
    .withLabels(start.labels)
    .withEnvironment(start.environment)
    .withLogConsumer((stream) => {
      stream.on("data", (chunk: Buffer | string) => {
        for (const line of String(chunk).split("\n")) {
          if (!line.trim()) continue;
          last.push(line.trim());
          if (last.length > 12) last.shift();
          start.onLog?.(line.trim());
        }
      });
    });
  try {
    return await builder.start();
  } catch (error) {
    // The node says why it stopped in its last lines ("FAILED: …", a component's log tail).
    const said = last.length ? `\n  the node's last lines:\n${last.map((l) => `    ${l}`).join("\n")}` : "";
    throw new InfrastructureError(`The kit node did not start: ${errorMessage(error)}${said}`, {
      cause: error,
      hint: !(await imagePresent(start.image))
        ? `The node image ${start.image} is not built here: run \`npm run setup\` first.`
        : "Run again with --debug for the node's component logs.",
    });
  }
}

export { JOIN_WAIT_LINE, READY_LINE };

/** Starts a one-node kit cluster (kit-nodes.ts starts several); its handle is made by the kit provider (providers/kit.ts). */
export async function startKitNode(options: KitStartOptions = {}): Promise<ClusterParts> {
  const image = options.image ?? KIT_IMAGE;
  const host = (await dockerClient()).info.containerRuntime.host; // fails with a clear message when Docker is not there
  const started = await startNodeContainer({
    image,
    labels: nodeLabels(options),
    environment: { KUBEGRADE_API_SANS: [host, "localhost", "127.0.0.1"].join(",") },
    ...(options.onLog ? { onLog: options.onLog } : {}),
  });
  try {
    return await attachKitNode(started.getId(), {
      onPending: (observation) => options.onLog?.(`kubegrade-node: [cluster] waiting: ${observation}`),
      // A warm node outlives this process: its handle does not remove it.
      ...(options.warm ? {} : { remove: () => stopContainer(started), handOff: () => handOffRemoval(started.getId()) }),
    });
  } catch (error) {
    await stopContainer(started).catch(() => {});
    throw error;
  }
}

/** Starts reap.ts, detached, to remove the container after this process has exited. */
export function handOffRemoval(...ids: string[]): boolean {
  const script = fileURLToPath(new URL(`./reap${extname(fileURLToPath(import.meta.url))}`, import.meta.url));
  try {
    const child = spawn(process.execPath, [script, ...ids], { detached: true, stdio: "ignore" });
    child.on("error", () => {}); // the sweep of the next run removes what this leaves
    child.unref();
    return child.pid !== undefined;
  } catch {
    return false;
  }
}

export async function stopContainer(container: StartedTestContainer): Promise<void> {
  // SIGTERM lets the node stop its pods and remove their cgroups; then the container goes.
  await container.stop({ timeout: 10_000, remove: true, removeVolumes: true });
}

/** The node's own log and every component's (the last lines of each), for --debug. */
export async function kitComponentLogs(containerId: string): Promise<string> {
  const { client } = await dockerClient();
  const result = await client.container.exec(client.container.getById(containerId), [
    "sh", "-c", "for f in /var/log/kubegrade/*.log; do echo \"== $f\"; tail -n 60 \"$f\"; done",
  ]);
  return result.output;
}

/** What a handle needs of a running kit node container (just started, or warm). */
export async function attachKitNode(
  containerId: string,
  options: { remove?: () => Promise<void>; handOff?: () => boolean; onPending?: (observation: string) => void } = {},
): Promise<ClusterParts> {
  const { client, info } = await dockerClient();
  const container = client.container.getById(containerId);
  const inspect = await container.inspect();
  const binding = inspect.NetworkSettings.Ports?.[`${API_PORT}/tcp`]?.find((b) => b.HostIp === "0.0.0.0" || b.HostIp === "") ??
    inspect.NetworkSettings.Ports?.[`${API_PORT}/tcp`]?.[0];
  if (!binding) throw new InfrastructureError(`kit node ${containerId.slice(0, 12)} publishes no API port`);
  const exec = await client.container.exec(container, ["cat", ADMIN_KUBECONFIG]);
  if (exec.exitCode !== 0) {
    throw new InfrastructureError(`kit node ${containerId.slice(0, 12)} has no admin kubeconfig yet: ${exec.stderr || exec.output}`);
  }
  const server = `https://${info.containerRuntime.host}:${binding.HostPort}`;
  const yaml = exec.stdout.replace(/server:\s*\S+/, `server: ${server}`);
  // The Kubernetes client loads only now, once the node is up: a grade that starts a node
  // loads it (0.15 s bundled, up to 0.9 s module by module) while the node boots, not before
  // the container starts.
  const [{ KubeConfig }, { waitForClusterReady }] = await Promise.all([import("@kubernetes/client-node"), import("./ready.ts")]);
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromString(yaml);
  const version = await waitForClusterReady(kubeConfig, { deadlineMs: TIMEOUTS.clusterReadyMs, onPending: options.onPending });
  return {
    kubeConfig,
    kubeConfigYaml: yaml,
    kubernetesVersion: version,
    description: `kit node ${inspect.Config.Image} in container ${containerId.slice(0, 12)} (API ${server})`,
    containerId,
    ...(options.remove ? { remove: options.remove } : {}),
    ...(options.handOff ? { handOff: options.handOff } : {}),
    componentLogs: () => kitComponentLogs(containerId),
  };
}
