/**
 * What the batch command line needs before a batch runs (its defaults and choices), apart
 * from the batch runner so that parsing a command loads neither the grader nor a cluster library.
 */
export type Isolation = "namespace" | "cluster";
export const ISOLATIONS: readonly Isolation[] = ["namespace", "cluster"];
export const DEFAULT_OUT = "kubegrade-results";
