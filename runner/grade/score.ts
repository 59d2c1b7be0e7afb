/**
 * The one place a grade's result is decided: the report a grade starts with, a refusal, a
 * failure of the grader or the cluster, an interruption — and, at the end, the score, whether
 * it passed, and the exit code.
 */
import { EXIT, type ExitCode } from "../errors.ts";
import { maxScore, type ExerciseDefinition } from "../exercise.ts";
import type { CheckResult, GradeReport, Refusal } from "../report/model.ts";

/** Who and what is graded, for the report. */
export interface ReportSubject {
  /** The submission directory, or what to show instead (a git URL). */
  submission: string;
  commit?: string;
}

export function emptyReport(exercise: ExerciseDefinition, subject: ReportSubject, startedAt: Date): GradeReport {
  return {
    schemaVersion: 1,
    exercise: exercise.id,
    exerciseTitle: exercise.title,
    submission: subject.submission,
    ...(subject.commit ? { commit: subject.commit } : {}),
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

/** More than this many refusals are summed up in one line: a hostile file can make thousands. */
export const MAX_REFUSALS = 50;

/** Refused (before grading, or by the API server at apply): no check runs. */
export function refuse(report: GradeReport, refusals: Refusal[]): GradeReport {
  report.refused = true;
  report.refusals = refusals.length > MAX_REFUSALS
    ? [...refusals.slice(0, MAX_REFUSALS), { file: refusals[MAX_REFUSALS].file, message: `and ${refusals.length - MAX_REFUSALS} more refusals like these` }]
    : refusals;
  report.checks = report.checks.map((c) => ({ ...c, status: "skipped", feedback: ["Not run: the submission was refused before grading."] }));
  return report;
}

/** What every check of a grade that failed says: the cause is the report's, said once (infrastructureError). */
export const NOT_GRADED = "Not graded: the grader or the cluster failed (not your submission's fault).";

/** The grader or the cluster failed: not a grade (exit 3); the report says why, once, and every check that it was not graded. */
export function infrastructureFailure(report: GradeReport, message: string): GradeReport {
  report.infrastructureError = message;
  report.checks = report.checks.map((c): CheckResult => ({ ...c, status: "error", score: 0, feedback: [NOT_GRADED] }));
  return report;
}

/**
 * The fault of the grader or the cluster that makes this report no grade, if any: a failure
 * before the checks, or any check that could not finish. One check in error is enough — the
 * cluster under it may have failed the others in ways that look like the student's fault.
 */
export function faultOf(report: GradeReport): string | undefined {
  if (report.interrupted || report.refused) return undefined;
  if (report.infrastructureError !== undefined) return report.infrastructureError;
  const errored = report.checks.find((c) => c.status === "error");
  if (!errored) return undefined;
  const said = errored.feedback.find((f) => f.includes("not your submission's fault")) ?? errored.feedback[0] ?? "";
  return `the check ${errored.id} could not finish: ${said.replace(/^The grader could not finish this check \(not your submission's fault\): /, "")}`;
}

/**
 * The score, the verdict and the duration, once the grade has ended however it ended. A
 * fault (faultOf) makes it no grade: an infrastructure error, its cause named once —
 * `diagnosis` (what the cluster itself says, cluster/health.ts) when there is one.
 */
export function conclude(report: GradeReport, exercise: ExerciseDefinition, started: number, diagnosis?: string): GradeReport {
  const fault = diagnosis && !report.interrupted && !report.refused ? diagnosis : faultOf(report);
  if (fault !== undefined) infrastructureFailure(report, fault);
  if (report.interrupted) {
    // Not a result: no score, and no check claims a verdict it did not reach.
    report.checks = report.checks.map((c) => (c.status === "passed" || c.status === "failed" ? c : { ...c, status: "skipped", score: 0, feedback: ["Not run: the grade was interrupted."] }));
  }
  // No score for what is not a grade.
  report.score = report.interrupted || report.infrastructureError !== undefined ? 0 : report.checks.reduce((sum, c) => sum + c.score, 0);
  const needed = exercise.passScore ?? report.maxScore;
  report.passed = !report.refused && !report.infrastructureError && !report.interrupted && report.score >= needed;
  report.durationMs = Math.round(performance.now() - started);
  return report;
}

/** 0 passed, 1 not passed, 2 refused before grading, 3 the grader or the cluster failed, 130/143 interrupted. */
export function exitCodeForReport(report: GradeReport): ExitCode {
  if (report.interrupted) return report.interrupted === "SIGINT" ? EXIT.interrupted : EXIT.terminated;
  if (report.refused) return EXIT.usage;
  if (report.infrastructureError) return EXIT.internal;
  return report.passed ? EXIT.passed : EXIT.notPassed;
}
