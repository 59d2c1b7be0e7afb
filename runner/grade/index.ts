/**
 * The grade pipeline, its one owner. Two phases, the same for every caller (the command
 * line, `batch`, `exercise verify`):
 *
 *   const prepared = await prepareGrade(submission);          // read, validate, refuse: no cluster
 *   const report = await prepared.run({ cluster: request });  // on the cluster the request gives
 *
 * prepare.ts (phase 1) → run.ts (phase 2: placement.ts, namespace-lease.ts, apply.ts,
 * session.ts, run-checks.ts with check-context.ts) → score.ts (the result and the exit code).
 */
import { givenCluster, requestCluster, type ClusterRequest } from "../cluster/request.ts";
import type { Cluster, ClusterOptions } from "../cluster/types.ts";
import type { GradeReport } from "../report/model.ts";
import { prepareGrade } from "./prepare.ts";
import type { RunOptions, SubmissionInput } from "./types.ts";

export { prepareGrade } from "./prepare.ts";
export { MAX_REFUSALS, exitCodeForReport } from "./score.ts";
export type { CheckProgress, NamespaceLease, PreparedGrade, RunOptions, SubmissionInput } from "./types.ts";

/** Both phases at once (tests, benchmarks): on the cluster given, else one obtained with these options. */
export interface GradeOptions extends SubmissionInput, Omit<RunOptions, "cluster">, Pick<ClusterOptions, "provider" | "kubeconfig" | "context" | "reuse"> {
  cluster?: Cluster | ClusterRequest;
}

export async function grade(options: GradeOptions): Promise<GradeReport> {
  const prepared = await prepareGrade(options);
  if (prepared.refused) return prepared.report;
  return prepared.run({ ...options, cluster: clusterRequestOf(options) });
}

/** The request for these options: a cluster or request given, else one obtained for the grade (--keep implies the warm one). */
export function clusterRequestOf(options: GradeOptions): ClusterRequest {
  const given = options.cluster;
  if (given && "obtain" in given) return given;
  if (given) return givenCluster(given);
  return requestCluster({
    provider: options.provider,
    kubeconfig: options.kubeconfig,
    context: options.context,
    reuse: options.reuse || options.keep,
    ...(options.namespaces ? { namespaces: options.namespaces.names } : {}),
    progress: options.progress,
    env: options.env,
  });
}
