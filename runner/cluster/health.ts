/**
 * Why a cluster stopped serving a grade, in words with what to do: the node's container
 * exited (its exit code; killed for memory when Docker says so), was paused or removed,
 * Docker stopped answering, the API server stopped answering. Asked once per grade, at its
 * end (and at once when something failed): a fault of the cluster is never a grade.
 */
import { VersionApi } from "@kubernetes/client-node";
import { errorMessage } from "../errors.ts";
import type { Cluster } from "./types.ts";

/** How long the API server has to answer a health question. */
const ANSWER_MS = 5_000;

/**
 * The cluster's fault, or undefined when its API server answers. `checksFailed`: a check did
 * not pass, so a node whose disk filled up (which fails writes, not requests) is looked for too.
 */
export async function clusterFault(cluster: Cluster, options: { checksFailed?: boolean } = {}): Promise<string | undefined> {
  // A worker that died leaves the API answering: its pods are what the grade waited for.
  for (const id of cluster.nodeContainerIds?.filter((id) => id !== cluster.containerId) ?? []) {
    const fault = await nodeContainerFault(id);
    if (fault) return fault;
  }
  const api = await apiAnswer(cluster);
  if (api === undefined) return options.checksFailed ? diskFault(cluster).catch(() => undefined) : undefined;
  const node = cluster.containerId ? await nodeContainerFault(cluster.containerId) : undefined;
  return node ?? `the API server of ${cluster.description} stopped answering (${api}); the cluster's own components failed — grade again (with --debug for their logs)`;
}

/** undefined when the API server answers its version within ANSWER_MS; else why not. */
async function apiAnswer(cluster: Cluster): Promise<string | undefined> {
  const version = cluster.kubeConfig.makeApiClient(VersionApi);
  const timeout = new Promise<string>((resolve) => setTimeout(() => resolve(`no answer within ${ANSWER_MS / 1000} s`), ANSWER_MS).unref());
  return Promise.race([version.getCode().then(() => undefined, (error: unknown) => errorMessage(error).split("\n")[0]), timeout]);
}

/** What Docker says of the node's container, when it is not running as it should. */
async function nodeContainerFault(containerId: string): Promise<string | undefined> {
  const id = containerId.slice(0, 12);
  let state: Parameters<typeof nodeStateFault>[1] | undefined;
  try {
    const { dockerClient } = await import("../util/docker.ts");
    const { client } = await dockerClient();
    state = (await client.container.dockerode.getContainer(containerId).inspect()).State;
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) {
      return `the node's container ${id} is gone (removed while the grade ran): grade again`;
    }
    return `Docker stopped answering (${errorMessage(error).split("\n")[0]}): start Docker again (systemctl start docker, or npm run setup), then grade again`;
  }
  return state ? nodeStateFault(id, state) : undefined;
}

/** What Docker's state of the node's container says, in words with what to do; undefined when it runs. */
export function nodeStateFault(
  id: string,
  state: { Running?: boolean; Paused?: boolean; ExitCode?: number; OOMKilled?: boolean; Error?: string },
): string | undefined {
  if (state.Paused) return `the node's container ${id} was paused while the grade ran (docker unpause ${id}, or remove it and grade again)`;
  if (state.Running) return undefined;
  const why = state.OOMKilled
    ? ", killed by Docker for running out of memory"
    : state.ExitCode === 137
      ? ", killed (SIGKILL: docker kill, a Docker restart, or the kernel's out-of-memory killer)"
      : "";
  const advice = state.OOMKilled
    ? "the machine is short of memory (each node needs about 1 GB): free some, or grade fewer at once, then grade again"
    : state.ExitCode === 137
      ? "grade again; if it happens again, the machine may be short of memory (each node needs about 1 GB)"
      : "grade again (with --debug for the node's logs)";
  return `the node's container ${id} exited while the grade ran (exit code ${state.ExitCode ?? "unknown"}${why}${state.Error ? `: ${state.Error}` : ""}): ${advice}`;
}

/** The node filesystems a grade writes to, and what each holds (kit.ts NODE_TMPFS, and the container's own root). */
export const NODE_FILESYSTEMS: Record<string, string> = {
  "/": "the node container's own filesystem, on the machine's Docker disk",
  "/var/lib/containerd": "images and containers' writable layers",
  "/var/lib/kubelet": "emptyDir volumes",
  "/tmp": "the claims' volumes",
  "/var/lib/etcd": "the cluster's own store",
  "/run": "the node's runtime state",
};

/** A full filesystem of a node's container (the kit's), in words with what to do; undefined when none is. */
async function diskFault(cluster: Cluster): Promise<string | undefined> {
  const ids = cluster.nodeContainerIds ?? (cluster.containerId ? [cluster.containerId] : []);
  if (!ids.length) return undefined;
  const { dockerClient } = await import("../util/docker.ts");
  const { client } = await dockerClient();
  for (const id of ids) {
    const result = await client.container.exec(client.container.getById(id), ["df", "-P", "-k", ...Object.keys(NODE_FILESYSTEMS)]);
    const full = fullFilesystems(result.stdout);
    if (full.length) {
      const what = full.map((f) => `${f.mount} (${NODE_FILESYSTEMS[f.mount]}: ${f.usedPercent}% of ${gib(f.sizeKiB)} used)`).join(", ");
      return `the node's disk is full in container ${id.slice(0, 12)}: ${what} — writes in it failed, whoever made them; ` +
        "free space on the machine (docker system df) or grade on a fresh cluster (kubegrade cluster stop, when it is the warm one), then grade again";
    }
  }
  return undefined;
}

const gib = (kib: number) => `${(kib / 1024 / 1024).toFixed(1)} GiB`;

/**
 * The full filesystems in `df -P -k` output: less than 1% (and under 16 MiB) left, or none.
 * Only the mounts named in NODE_FILESYSTEMS count.
 */
export function fullFilesystems(df: string): { mount: string; usedPercent: number; sizeKiB: number }[] {
  const full: { mount: string; usedPercent: number; sizeKiB: number }[] = [];
  for (const line of df.split("\n").slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 6) continue;
    const [size, , available] = fields.slice(1, 4).map(Number);
    const mount = fields.slice(5).join(" ");
    if (!(mount in NODE_FILESYSTEMS) || !size || available === undefined || Number.isNaN(available)) continue;
    if (available < Math.min(size / 100, 16 * 1024) || available === 0) {
      full.push({ mount, usedPercent: Math.round(((size - available) / size) * 100), sizeKiB: size });
    }
  }
  return full;
}
