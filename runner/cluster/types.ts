import type { KubeConfig } from "@kubernetes/client-node";
import { UsageError } from "../errors.ts";

export type ProviderName = "kit" | "k3s" | "kubeconfig";
export const PROVIDERS: readonly ProviderName[] = ["kit", "k3s", "kubeconfig"];

export function parseProvider(value: string | undefined, source: string): ProviderName | undefined {
  if (value === undefined || value === "") return undefined;
  if ((PROVIDERS as readonly string[]).includes(value)) return value as ProviderName;
  throw new UsageError(`${source} ${value}: expected one of ${PROVIDERS.join(", ")}`);
}

/** One handle for every kind of cluster the grader runs on. */
export interface Cluster extends AsyncDisposable {
  readonly provider: ProviderName;
  /** Admin access, with the server address reachable from this process. */
  readonly kubeConfig: KubeConfig;
  readonly kubeConfigYaml: string;
  readonly kubernetesVersion: string;
  /** What runs it, for humans: "kit node kubegrade/node:v1.34.4 in container 1a2b3c". */
  readonly description: string;
  /** The Docker container of the node, when the grader started (or reuses) one. */
  readonly containerId?: string;
  /**
   * Loads the images only the kit builds (their families, for these references) into the
   * node, once; returns every name now loaded (empty when the kit image is not here).
   * Only where the grader started the node and the kit's mirror is not in it (k3s).
   */
  loadKitImages?(references: readonly string[]): Promise<string[]>;
  /** Whether stop() removes the cluster (false for a warm or an external cluster). */
  readonly owned: boolean;
  /** Removes the cluster if it is ours; idempotent. */
  stop(): Promise<void>;
  /**
   * Leaves removing the cluster to a process of its own that outlives this one, so a
   * grade's report need not wait for it; true when handed off (stop() then does nothing),
   * false when it cannot be (not ours, or no process could be started): call stop().
   */
  handOff?(): boolean;
  /** Component logs (kit: the node's own log and every component's), for --debug. */
  componentLogs(): Promise<string>;
}
