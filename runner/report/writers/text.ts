/**
 * Small text helpers shared by the writers: points, seconds, status words, refusals.
 * Everything here is pure and deterministic, so golden files stay stable.
 */
import type { CheckResult, CheckStatus, GradeReport, Refusal } from "../model.ts";

/** 2 → "2", 2.5 → "2.5", 1/3 → "0.33": points as a person writes them. */
export function formatPoints(n: number): string {
  return String(Math.round(n * 100) / 100);
}

/** Milliseconds as seconds with one decimal ("2.5 s"), for people. */
export function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** Milliseconds as seconds with three decimals, for machine formats (JUnit `time`). */
export function secondsAttr(ms: number): string {
  return (ms / 1000).toFixed(3);
}

export const STATUS_WORD: Record<CheckStatus, string> = {
  passed: "passed",
  failed: "failed",
  error: "grader error",
  skipped: "not run",
};

/** "manifests/web.yaml:12:5 StatefulSet web spec.replicas: message" — the shape every writer uses. */
export function formatRefusal(r: Refusal): string {
  const where = formatWhere(r);
  const about = [r.object, r.field].filter((s): s is string => Boolean(s)).join(" ");
  return about ? `${where} ${about}: ${r.message}` : `${where}: ${r.message}`;
}

/** "manifests/web.yaml:12:5": file, line and column as editors and CI annotations read them. */
export function formatWhere(r: Refusal): string {
  let where = r.file;
  if (r.line !== undefined) where += `:${r.line}`;
  if (r.line !== undefined && r.column !== undefined) where += `:${r.column}`;
  return where;
}

/** Feedback entries may themselves hold newlines; this is the list of lines. */
export function feedbackLines(check: CheckResult): string[] {
  return check.feedback.flatMap((f) => f.split(/\r?\n/));
}

/**
 * A skipped check whose feedback already says "Not run: …" (as grade() writes every skip):
 * a writer's own "Not run" heading over it would say it twice.
 */
export function saysNotRun(check: CheckResult): boolean {
  return check.status === "skipped" && /^not run\b/i.test(firstLine(check));
}

/** The first non-empty feedback line, or a fallback that still says what happened. */
export function firstLine(check: CheckResult): string {
  const line = feedbackLines(check).find((l) => l.trim() !== "");
  if (line !== undefined) return line.trim();
  if (check.status === "error") return "the grader could not run this check";
  if (check.status === "skipped") return "not run";
  return "check failed";
}

export interface StatusCounts {
  passed: number;
  failed: number;
  error: number;
  skipped: number;
}

export function countStatuses(checks: readonly CheckResult[]): StatusCounts {
  const counts: StatusCounts = { passed: 0, failed: 0, error: 0, skipped: 0 };
  for (const c of checks) counts[c.status]++;
  return counts;
}

/** One word for the whole report, the same in every format. */
export type Verdict = "passed" | "not passed" | "refused" | "grader error";

/** What a verdict is read from: a report, or a gradebook row made from one. */
export type Graded = Pick<GradeReport, "score" | "maxScore" | "passed" | "refused" | "infrastructureError">;

export function verdict(report: Graded): Verdict {
  if (report.infrastructureError !== undefined) return "grader error";
  if (report.refused) return "refused";
  return report.passed ? "passed" : "not passed";
}

/** The verdict in one line: "85/100, not passed", "refused: why", "grader error (…): why". */
export function verdictLine(graded: Graded, why?: string): string {
  const word = verdict(graded);
  if (word === "grader error") return `grader error (not the student's fault): ${graded.infrastructureError}`;
  if (word === "refused") return `refused${why ? `: ${why.length > 160 ? `${why.slice(0, 157)}…` : why}` : ""}`;
  return `${formatPoints(graded.score)}/${formatPoints(graded.maxScore)}, ${word}`;
}

/** "10/12 points" */
export function scoreLine(report: GradeReport): string {
  return `${formatPoints(report.score)}/${formatPoints(report.maxScore)} points`;
}
