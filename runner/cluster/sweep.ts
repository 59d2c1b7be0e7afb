import { hostname } from "node:os";
import { LABELS } from "../config.ts";
import { dockerClient } from "../util/docker.ts";
import { processAlive } from "../util/process.ts";


/**
 * Removes kubegrade containers whose owning process on this host is gone (killed before
 * it could clean up). Warm clusters have no owner and are left alone. Returns what it removed.
 */
export async function sweepLeftovers(): Promise<string[]> {
  const { client } = await dockerClient();
  const docker = client.container.dockerode;
  const containers = await docker.listContainers({ all: true, filters: { label: [`${LABELS.managed}=true`] } });
  const removed: string[] = [];
  for (const info of containers) {
    const labels = info.Labels ?? {};
    if (labels[LABELS.warm] === "true") continue;
    if (labels[LABELS.ownerHost] !== hostname()) continue;
    const pid = Number(labels[LABELS.ownerPid]);
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && processAlive(pid)) continue;
    if (pid === process.pid) continue;
    await docker.getContainer(info.Id).remove({ force: true, v: true }).catch(() => {});
    removed.push(info.Id.slice(0, 12));
  }
  return removed;
}

/** Containers kubegrade manages on this engine, for `cluster status`. */
export async function listManaged(): Promise<{ id: string; image: string; state: string; warm: boolean; worker: boolean; ownerPid?: string }[]> {
  const { client } = await dockerClient();
  const containers = await client.container.dockerode.listContainers({ all: true, filters: { label: [`${LABELS.managed}=true`] } });
  return containers.map((c) => ({
    id: c.Id.slice(0, 12),
    image: c.Image,
    state: c.State,
    warm: c.Labels?.[LABELS.warm] === "true",
    worker: c.Labels?.[LABELS.role] === "worker",
    ownerPid: c.Labels?.[LABELS.ownerPid],
  }));
}
