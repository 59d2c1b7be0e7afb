/**
 * The shape of a batch's gradebook (gradebook.json): one row per student. Its own module so
 * that the gradebook's writer (gradebook.ts) and the views written beside it (class-views.ts,
 * dashboard.ts) all import it, and the writer imports the views, never the other way round.
 */
import type { CheckStatus } from "../report/model.ts";

export interface GradebookRow {
  student: string;
  /** The submission as given: a directory or a git URL[#ref]. */
  source: string;
  score: number;
  maxScore: number;
  passed: boolean;
  /** Refused before grading, or not readable at all (a missing directory, a failed clone). */
  refused: boolean;
  /** Why, in short (the student's own report has every refusal with file and line). */
  refusal?: string;
  /** The grader or the cluster failed: not a grade; a rerun grades it again. */
  infrastructureError?: string;
  /** Each check's status, by check id. */
  checks: Record<string, CheckStatus>;
  durationMs: number;
  commit?: string;
  /** The resume key (see resume-key.ts); absent when the submission could not be read. */
  key?: string;
  gradedAt: string;
}

export interface Gradebook {
  schemaVersion: 1;
  exercise: string;
  /** exerciseVersion() of the run that last wrote it. */
  exerciseVersion: string;
  /** The exercise's checks, in its order: the CSV's check columns. */
  checkIds: string[];
  /** Sorted by student. */
  rows: GradebookRow[];
}
