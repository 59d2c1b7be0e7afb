/**
 * `node reap.js <container id>…`: removes kit node containers (a cluster's, workers first), started detached by the
 * grade that owned it (Cluster.handOff), so that the grade's table, report and exit code
 * do not wait the seconds a node takes to stop. The node gets SIGTERM (it kills its pods
 * and removes their cgroups), then the container and its volumes go. Output goes nowhere:
 * a container this cannot remove is left to the sweep of the next kubegrade run, which
 * removes containers whose owning process is gone (sweep.ts).
 */
import { dockerClient } from "../util/docker.ts";

const STOP_TIMEOUT_S = 10;

export async function reap(id: string): Promise<void> {
  const { client } = await dockerClient();
  const container = client.container.dockerode.getContainer(id);
  await container.stop({ t: STOP_TIMEOUT_S }).catch(() => {}); // already stopped is fine
  await container.remove({ force: true, v: true });
}

if (import.meta.main) {
  const ids = process.argv.slice(2);
  if (ids.length === 0 || !ids.every((id) => /^[0-9a-f]{12,64}$/.test(id))) process.exit(2);
  let failed = false;
  for (const id of ids) await reap(id).catch(() => (failed = true));
  process.exit(failed ? 1 : 0);
}
