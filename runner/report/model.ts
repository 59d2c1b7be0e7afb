/**
 * The neutral report model: what `grade()` returns and what every reporter reads.
 * The JSON report is this object as is; report.schema.json documents it.
 */
import type { PodEventKind } from "../../checks/api.ts";

export type CheckStatus = "passed" | "failed" | "error" | "skipped";

export interface CheckResult {
  id: string;
  title: string;
  status: CheckStatus;
  /** Points earned: maxScore when passed, 0 otherwise. */
  score: number;
  maxScore: number;
  /** For the student: what was expected, what was found, the likely fix. Empty when passed. */
  feedback: string[];
  durationMs: number;
  /** Debug detail for instructors (stack traces only with --debug). */
  evidence?: string[];
}

/** The pod transitions the recorder sees: the check API's PodEventKind, one union for both. */
export type TimelineEventKind = PodEventKind;

/** A recorded pod event (the check API's TimelineEvent) with its time written out. */
export interface ReportTimelineEvent {
  pod: string;
  uid: string;
  event: TimelineEventKind;
  /** ISO 8601 time the grader received the event. */
  at: string;
}

/** A step the grader itself took (delete pods, scale, patch), for the timeline picture. */
export interface ReportStep {
  label: string;
  at: string;
}

export interface Refusal {
  file: string;
  line?: number;
  column?: number;
  /** "StatefulSet web" when the refusal is about one object. */
  object?: string;
  /** The field at fault, as a path: spec.template.spec.containers[0].securityContext.privileged */
  field?: string;
  message: string;
}

/**
 * Where a submitted object was written, so that reporters can point at the student's own
 * lines (GitHub annotations, GitLab's JUnit `file` and Code Quality report).
 */
export interface ObjectLocation {
  kind: string;
  /** metadata.name */
  name: string;
  /** Relative to the submission directory, "/"-separated. */
  file: string;
  /** Where the object starts (1-based). */
  line: number;
  column: number;
  /** The line of each field written in the object, by path ("spec.replicas": 9, "spec.template.spec.containers[0].image": 21). */
  fields: Record<string, number>;
}

export interface GradeReport {
  schemaVersion: 1;
  exercise: string;
  exerciseTitle: string;
  /** The submission as given: a directory or a git URL. */
  submission: string;
  /** The git commit graded, when the submission is a git checkout. */
  commit?: string;
  score: number;
  maxScore: number;
  passed: boolean;
  /** The submission was refused before grading (exit code 2): see refusals. */
  refused: boolean;
  refusals: Refusal[];
  /** The grader or the cluster failed (exit code 3): never scored as the student's fault. */
  infrastructureError?: string;
  /**
   * Stopped by this signal (Ctrl-C: SIGINT, exit 130; SIGTERM/SIGHUP, exit 143) before it
   * ended: not a result, no score; no report a grading system reads is written for it.
   */
  interrupted?: "SIGINT" | "SIGTERM" | "SIGHUP";
  startedAt: string;
  durationMs: number;
  cluster: { provider: string; kubernetesVersion: string } | null;
  checks: CheckResult[];
  timeline: ReportTimelineEvent[];
  steps: ReportStep[];
  /** Things the student should know that cost no points ("namespace: default was ignored"). */
  notes: string[];
  /** Where each submitted object was read from (absent in reports written before it existed). */
  objects?: ObjectLocation[];
}
