/** k3s: `rancher/k3s` through @testcontainers/k3s, where it can be pulled. */
import { K3S_IMAGE } from "../../config.ts";
import { kitNodeImage } from "../../images/node-image.ts";
import { clusterHandle, type ClusterProvider } from "../types.ts";

export const k3sProvider: ClusterProvider = {
  name: "k3s",
  summary: `${K3S_IMAGE}, pulled from Docker Hub and started in Docker`,
  capabilities: { servesKitImages: false, loadsImages: true, keepsWarm: false, startsNodes: true, startsSeveralNodes: false },
  // The last resort: chosen when nothing else applies.
  async appliesBecause(options) {
    return `${kitNodeImage(options.env)} is not built here (npm run setup builds it)`;
  },
  async obtain(options, why) {
    const { startK3sNode } = await import("../k3s.ts");
    return clusterHandle(k3sProvider, await options.progress.step(`Starting a k3s cluster (${why})`, () => startK3sNode({ env: options.env })));
  },
};
