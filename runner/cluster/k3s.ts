import { KubeConfig } from "@kubernetes/client-node";
import { K3sContainer } from "@testcontainers/k3s";
import { hostname } from "node:os";
import { K3S_IMAGE, LABELS, TIMEOUTS } from "../config.ts";
import { InfrastructureError, errorMessage } from "../errors.ts";
import { dockerClient } from "../util/docker.ts";
import { waitForClusterReady } from "./ready.ts";
import type { ClusterParts } from "./types.ts";

/** rancher/k3s through @testcontainers/k3s, for machines that can pull it. Same readiness; its handle is made by providers/k3s.ts. */
export async function startK3sNode(options: { image?: string; env?: NodeJS.ProcessEnv } = {}): Promise<ClusterParts> {
  const image = options.image ?? K3S_IMAGE;
  await dockerClient();
  let started;
  try {
    started = await new K3sContainer(image)
      .withLabels({ [LABELS.managed]: "true", [LABELS.ownerHost]: hostname(), [LABELS.ownerPid]: String(process.pid) })
      .withStartupTimeout(TIMEOUTS.clusterStartMs)
      .start();
  } catch (error) {
    throw new InfrastructureError(`k3s (${image}) did not start: ${errorMessage(error)}`, {
      cause: error,
      hint: "k3s needs its image from Docker Hub; on machines without a registry use --cluster kit (after `npm run setup`).",
    });
  }
  const container = started;
  const yaml = container.getKubeConfig();
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromString(yaml);
  const remove = async () => {
    await container.stop({ timeout: 5_000 });
  };
  // The images only the kit builds, loaded when a submission first needs them (not at start:
  // most exercises never do), each family once.
  const loaded = new Map<string, Promise<string[]>>();
  const loadKitImages = async (references: readonly string[]) => {
    const { kitOnlyFamily } = await import("../images/names.ts");
    const { loadKitImagesInto } = await import("../images/load.ts");
    const names: string[] = [];
    for (const reference of references) {
      const family = kitOnlyFamily(reference);
      if (!family) continue;
      let load = loaded.get(family.id);
      if (!load) {
        load = loadKitImagesInto(container, [reference], { ctr: ["k3s", "ctr"], env: options.env });
        loaded.set(family.id, load);
        load.catch(() => loaded.delete(family.id));
      }
      names.push(...(await load));
    }
    return names;
  };
  try {
    const version = await waitForClusterReady(kubeConfig, { deadlineMs: TIMEOUTS.clusterReadyMs });
    return {
      kubeConfig,
      kubeConfigYaml: yaml,
      kubernetesVersion: version,
      description: `k3s ${image} in container ${container.getId().slice(0, 12)}`,
      containerId: container.getId(),
      loadKitImages,
      remove,
      async componentLogs() {
        const logs = await container.logs({ tail: 200 });
        const chunks: string[] = [];
        for await (const chunk of logs) chunks.push(String(chunk));
        return chunks.join("");
      },
    };
  } catch (error) {
    await remove().catch(() => {});
    throw error;
  }
}
