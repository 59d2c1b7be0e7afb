/** An existing cluster, reached through a kubeconfig: nothing is started or stopped. */
import { clusterHandle, type ClusterProvider } from "../types.ts";

export const kubeconfigProvider: ClusterProvider = {
  name: "kubeconfig",
  summary: "an existing cluster, through --kubeconfig (or KUBECONFIG) and --context",
  capabilities: { servesKitImages: false, loadsImages: false, keepsWarm: false, startsNodes: false, startsSeveralNodes: false },
  async appliesBecause(options) {
    return options.kubeconfig ? "--kubeconfig" : undefined;
  },
  async obtain(options) {
    const { connectKubeconfig } = await import("../kubeconfig.ts");
    const parts = await options.progress.step("Connecting to the existing cluster", () =>
      connectKubeconfig({ path: options.kubeconfig, context: options.context, namespaces: options.namespaces }),
    );
    return clusterHandle(kubeconfigProvider, parts);
  },
};
