/**
 * The grade pipeline's two phases, as its callers (the command line, `batch`, `exercise
 * verify`) see them: prepareGrade(submission) reads and validates without any cluster and
 * returns a PreparedGrade; its run(options) grades on the cluster the request gives.
 */
import type { ClusterRequest } from "../cluster/request.ts";
import type { ExerciseDefinition } from "../exercise.ts";
import type { CheckResult, GradeReport } from "../report/model.ts";
import type { Progress } from "../util/progress.ts";
import type { NamespaceLease } from "./namespace-lease.ts";

export type { NamespaceLease } from "./namespace-lease.ts";

/** What is graded: phase 1's input. */
export interface SubmissionInput {
  exercise: string;
  /** Course directories whose exercises are known besides the built-in ones (runner/exercise.ts courseDirs). */
  exercises?: readonly string[];
  /** The submission directory. */
  submission: string;
  /** Shown in the report instead of the directory (a git URL). */
  submissionLabel?: string;
  commit?: string;
  /** How the submission was read (a clone's submodules not fetched), for the report. */
  sourceNotes?: string[];
  progress: Progress;
  env?: NodeJS.ProcessEnv;
}

/** Told as checks start, wait and end. */
export interface CheckProgress {
  started(check: { id: string; title: string }): void;
  finished(result: CheckResult): void;
  /** What a running check is waiting for, when that changes. */
  waiting?(check: string, detail: string): void;
}

/** How phase 2 runs. */
export interface RunOptions {
  cluster: ClusterRequest;
  /**
   * HOST/PATH of a registry holding the kit-only images (`kubegrade images push`): the
   * submission's references to them, and the checks' own, are rewritten to it at apply.
   */
  imageRegistry?: string;
  /**
   * Grade in a pre-created namespace taken from this lease instead of creating one: checked
   * (Pod Security label, empty), furnished as a created one, emptied at the end and given back.
   */
  namespaces?: NamespaceLease;
  /**
   * Ctrl-C / SIGTERM (util/interrupt.ts): the grade stops, releases what it holds and reports
   * `interrupted`. Aborted with any other reason (`watch`, on a newer save): the grade stops,
   * releases what it holds, and run() rejects with that reason — there is no result.
   */
  signal?: AbortSignal;
  /** Leave the namespace (and the cluster) in place. */
  keep?: boolean;
  /** Budget for the whole grade; the exercise's own budget plus cluster start when absent. */
  timeoutMs?: number;
  debug?: boolean;
  checkProgress?: CheckProgress;
  /** Called once the namespace exists (with --keep: how to reach it). */
  onNamespace?: (info: { namespace: string; kubeconfigPath?: string }) => void;
}

/** A submission read and validated (phase 1): refused, or ready to run. */
export interface PreparedGrade {
  readonly exercise: ExerciseDefinition;
  /** Refused before any cluster: `report` is final (exit 2), and run() returns it. */
  readonly refused: boolean;
  /** The report so far. */
  readonly report: GradeReport;
  /** Phase 2, once: the grade on the requested cluster (not obtained when refused). */
  run(options: RunOptions): Promise<GradeReport>;
}
