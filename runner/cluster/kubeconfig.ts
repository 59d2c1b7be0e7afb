import { KubeConfig } from "@kubernetes/client-node";
import { existsSync, readFileSync } from "node:fs";
import { TIMEOUTS } from "../config.ts";
import { InfrastructureError, UsageError, errorMessage } from "../errors.ts";
import { waitForClusterReady } from "./ready.ts";
import type { ClusterParts } from "./types.ts";

/** An existing cluster: nothing is started or stopped (its handle: providers/kubeconfig.ts). */
export async function connectKubeconfig(options: {
  path?: string;
  context?: string;
  /** Grading in these pre-created namespaces: readiness is read there, and a forbidden read is named. */
  namespaces?: readonly string[];
}): Promise<ClusterParts> {
  const kubeConfig = new KubeConfig();
  const path = options.path ?? process.env.KUBECONFIG?.split(":")[0];
  try {
    if (path) {
      if (!existsSync(path)) throw new UsageError(`--kubeconfig ${path}: no such file`);
      kubeConfig.loadFromString(readFileSync(path, "utf8"));
    } else {
      kubeConfig.loadFromDefault();
    }
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`Cannot read the kubeconfig ${path ?? "(default)"}: ${errorMessage(error)}`);
  }
  if (options.context) {
    if (!kubeConfig.getContextObject(options.context)) {
      throw new UsageError(`--context ${options.context}: not in the kubeconfig (has: ${kubeConfig.getContexts().map((c) => c.name).join(", ")})`);
    }
    kubeConfig.setCurrentContext(options.context);
  }
  const server = kubeConfig.getCurrentCluster()?.server ?? "(no server)";
  let version: string;
  try {
    version = await waitForClusterReady(kubeConfig, {
      deadlineMs: TIMEOUTS.clusterReadyMs,
      unansweredMs: TIMEOUTS.existingClusterAnswerMs,
      ...(options.namespaces?.length ? { serviceAccountNamespace: options.namespaces[0], explainForbidden: true } : {}),
    });
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new InfrastructureError(`The cluster at ${server} is not ready: ${errorMessage(error)}`, { cause: error });
  }
  return {
    kubeConfig,
    kubeConfigYaml: kubeConfig.exportConfig(),
    kubernetesVersion: version,
    description: `existing cluster ${kubeConfig.getCurrentContext()} (${server})`,
    async componentLogs() {
      return "(component logs are not collected from an existing cluster)";
    },
  };
}
