/**
 * How a grade gets its cluster: one type for the command line, `batch` and `exercise verify`.
 * A request either hands over a cluster that someone else owns and leaves running, or
 * obtains one on first use (started, connected to, or the warm one) that the grade removes
 * when it ends — unless it is not ours to remove (warm, existing), or the grade keeps it.
 */
import type { Cluster, ClusterOptions } from "./types.ts";

export interface ClusterRequest {
  /** Obtains the cluster, once: every call returns the same promise. */
  obtain(): Promise<Cluster>;
  /** Whether the grade that runs on it removes it when it ends (stop(): a no-op for a warm or existing one). */
  readonly removedByGrade: boolean;
  /**
   * Removed by a process of its own that outlives this one (Cluster.handOff), so the report
   * comes without waiting for the node to stop (the command line exits right after the
   * report). Not when interrupted: then the grade removes everything itself.
   */
  readonly removeInBackground: boolean;
}

/** A cluster given to the grade (a batch's, verify's, a test's): used, never removed. */
export function givenCluster(cluster: Cluster): ClusterRequest {
  const ready = Promise.resolve(cluster);
  return { obtain: () => ready, removedByGrade: false, removeInBackground: false };
}

/** A cluster obtained for the grade with these options when it is first asked for (obtain() may be called early to start it). */
export function requestCluster(options: ClusterOptions, how: { removeInBackground?: boolean } = {}): ClusterRequest {
  let obtaining: Promise<Cluster> | undefined;
  return {
    obtain() {
      obtaining ??= import("./index.ts").then(({ obtainCluster }) => obtainCluster(options));
      return obtaining;
    },
    removedByGrade: true,
    removeInBackground: how.removeInBackground ?? false,
  };
}
