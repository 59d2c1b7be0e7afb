/**
 * Step 1 of a grade on its own — read and validate the submission, before any cluster —
 * and the report it starts. Nothing here loads the Kubernetes client or a container
 * library, so the command line can validate first, then start the cluster, and load the
 * rest of the grader while the node boots.
 */
import { existsSync, statSync } from "node:fs";
import { resolve } from "node:path";
import type { Cluster } from "./cluster/types.ts";
import { UsageError } from "./errors.ts";
import { loadExercise, maxScore, type ExerciseDefinition } from "./exercise.ts";
import type { GradeOptions } from "./grade.ts";
import { objectLocations } from "./submission/locations.ts";
import type { GradeReport, Refusal } from "./report/model.ts";
import { loadSubmission, type LoadedSubmission } from "./submission/load.ts";
import { validateSubmission } from "./submission/validate.ts";

export function emptyReport(exercise: ExerciseDefinition, options: GradeOptions, startedAt: Date): GradeReport {
  return {
    schemaVersion: 1,
    exercise: exercise.id,
    exerciseTitle: exercise.title,
    submission: options.submissionLabel ?? options.submission,
    ...(options.commit ? { commit: options.commit } : {}),
    score: 0,
    maxScore: maxScore(exercise),
    passed: false,
    refused: false,
    refusals: [],
    startedAt: startedAt.toISOString(),
    durationMs: 0,
    cluster: null,
    checks: exercise.checks.map((c) => ({ id: c.id, title: c.definition.title, status: "skipped", score: 0, maxScore: c.points, feedback: [], durationMs: 0 })),
    timeline: [],
    steps: [],
    notes: [],
  };
}

export function finish(report: GradeReport, exercise: ExerciseDefinition, started: number): GradeReport {
  if (report.interrupted) {
    // Not a result: no score, and no check claims a verdict it did not reach.
    report.checks = report.checks.map((c) => (c.status === "passed" || c.status === "failed" ? c : { ...c, status: "skipped", score: 0, feedback: ["Not run: the grade was interrupted."] }));
  }
  report.score = report.interrupted ? 0 : report.checks.reduce((sum, c) => sum + c.score, 0);
  const needed = exercise.passScore ?? report.maxScore;
  report.passed = !report.refused && !report.infrastructureError && !report.interrupted && report.score >= needed;
  report.durationMs = Math.round(performance.now() - started);
  return report;
}

/** More than this many refusals are summed up in one line: a hostile file can make thousands. */
export const MAX_REFUSALS = 50;

export function refuse(report: GradeReport, refusals: Refusal[]): GradeReport {
  report.refused = true;
  report.refusals = refusals.length > MAX_REFUSALS
    ? [...refusals.slice(0, MAX_REFUSALS), { file: refusals[MAX_REFUSALS].file, message: `and ${refusals.length - MAX_REFUSALS} more refusals like these` }]
    : refusals;
  report.checks = report.checks.map((c) => ({ ...c, status: "skipped", feedback: ["Not run: the submission was refused before grading."] }));
  return report;
}

/** A submission read and validated (step 1), before any cluster: refused, or ready to grade. */
export interface PreparedSubmission {
  exercise: ExerciseDefinition;
  report: GradeReport;
  loaded: LoadedSubmission;
  /** performance.now() when the grade began, for its duration. */
  started: number;
  refused: boolean;
}

/**
 * Step 1 of a grade, on its own: a batch reads every submission once, records the refused
 * ones at once, and obtains a cluster only when something is left to grade.
 */
export async function prepareSubmission(options: GradeOptions): Promise<PreparedSubmission> {
  const started = performance.now();
  const exercise = await loadExercise(options.exercise, options.exercises);
  const dir = resolve(options.submission);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new UsageError(`submission ${options.submission}: not a directory`);
  }
  const report = emptyReport(exercise, options, new Date());
  const loaded = await options.progress.step("Reading the submission", async () => loadSubmission(dir, { env: options.env }));
  report.objects = objectLocations(loaded.objects);
  const validation = validateSubmission(loaded.objects, exercise);
  report.notes.push(...(options.sourceNotes ?? []), ...loaded.notes, ...validation.notes);
  const refusals = [...loaded.refusals, ...validation.refusals];
  if (refusals.length) finish(refuse(report, refusals), exercise, started);
  return { exercise, report, loaded, started, refused: refusals.length > 0 };
}


/**
 * The cluster a grade with these options runs on (obtainCluster from cluster/index.ts,
 * imported only now): started here, so the command line can begin it before it loads
 * the rest of the grader, and grade() can take it as `pendingCluster`.
 */
export async function obtainClusterFor(options: GradeOptions, onStarting?: () => void): Promise<Cluster> {
  const { obtainCluster } = await import("./cluster/index.ts");
  return obtainCluster({
    provider: options.provider,
    kubeconfig: options.kubeconfig,
    context: options.context,
    reuse: options.reuse || options.keep,
    ...(options.namespaces ? { namespaces: options.namespaces.names } : {}),
    progress: options.progress,
    env: options.env,
    ...(onStarting ? { onStarting } : {}),
  });
}
