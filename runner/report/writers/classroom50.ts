/**
 * `--report classroom50=result.json`: the result an autograder hands Classroom 50's runner,
 * contract `classroom50/result/v1`.
 *
 * Sources, read 2026-12 (foundation50/classroom50):
 *  - wiki "Advanced Autograding" (wiki/Advanced-Autograding.md), sections "Contract" and
 *    "The result.json contract" — WIKI below;
 *  - schemas/result-v1.schema.json — SCHEMA;
 *  - cli/gh-teacher/skeleton/dotgithub/scripts/runner.py, validate_result and
 *    finalize_result — RUNNER.
 *
 * What each field means and where it comes from:
 *  - schema: exactly "classroom50/result/v1" (WIKI table).
 *  - classroom, assignment: the classroom short name and the assignment slug, from the
 *    runner's CLASSROOM and ASSIGNMENT; they must equal the repository's (WIKI "Contract"
 *    lists the environment; RUNNER validate_result compares them).
 *  - owner, assignment_type: stamped by the runner over whatever the autograder writes
 *    (RUNNER finalize_result; WIKI pytest template comment). Written here from OWNER (or
 *    USERNAME) and ASSIGNMENT_TYPE, which the runner passes to autograder.py, so that the
 *    file also stands alone against SCHEMA; left out when those are unset.
 *  - submission: the submit tag, SUBMISSION_TAG; must start with "submit/" (SCHEMA pattern).
 *  - commit, release, review: URLs from COMMIT_URL, RELEASE_URL, REVIEW_URL; review "equals
 *    commit when there is nothing to compare" (SCHEMA), so COMMIT_URL when REVIEW_URL is
 *    empty, as WIKI's templates do.
 *  - datetime: "the submission instant: the graded commit's committer date (UTC ISO 8601)"
 *    (WIKI table), formatted YYYY-MM-DDTHH:MM:SSZ (SCHEMA pattern). kubegrade reads
 *    KUBEGRADE_COMMITTED_AT (ci/classroom50/autograder.py sets it from `git log`); without
 *    it, the time grading started. The runner overwrites it with the committer date anyway
 *    (RUNNER finalize_result).
 *  - graded_at: optional, "when this grading run produced the result" (WIKI table): now.
 *  - score, max-score: integers, "sum of test scores / max-scores" (WIKI table), score <=
 *    max-score (RUNNER validate_result).
 *  - tests[]: test-name (non-empty, human-readable: SCHEMA), passed (boolean), score and
 *    max-score (non-negative integers, score <= max-score: RUNNER). "Extra diagnostic
 *    fields on a test are preserved verbatim" (WIKI table; SCHEMA additionalProperties):
 *    kubegrade adds `check` (its id), `status` (passed, failed, error, skipped) and
 *    `message` (the feedback).
 *
 * One test per check, named by its title. A refused submission adds a first, failed test
 * "Submission accepted" listing the refusals, worth the points no check carries (the
 * checks, not run, score 0), so that max-score is the exercise's either way.
 * Points are kubegrade's own, rounded to integers (the exercises' points are integers).
 */
import type { CheckResult, GradeReport } from "../model.ts";
import { UsageError } from "../../errors.ts";
import { feedbackLines, formatRefusal, saysNotRun } from "./text.ts";

export const CLASSROOM50_SCHEMA = "classroom50/result/v1";

export interface Classroom50Test {
  "test-name": string;
  passed: boolean;
  score: number;
  "max-score": number;
  check?: string;
  status: string;
  message: string;
}

export interface Classroom50Result {
  schema: typeof CLASSROOM50_SCHEMA;
  classroom: string;
  assignment: string;
  assignment_type?: string;
  owner?: string;
  submission: string;
  commit: string;
  release: string;
  review: string;
  datetime: string;
  graded_at: string;
  score: number;
  "max-score": number;
  tests: Classroom50Test[];
}

/** What Classroom 50's runner sets for autograder.py, and this format cannot do without. */
export const CLASSROOM50_REQUIRED_ENV = ["CLASSROOM", "ASSIGNMENT", "SUBMISSION_TAG", "COMMIT_URL", "RELEASE_URL"] as const;

type Env = Readonly<Record<string, string | undefined>>;

/** YYYY-MM-DDTHH:MM:SSZ, the only form SCHEMA accepts. */
export function utcSeconds(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

/** KUBEGRADE_COMMITTED_AT as epoch seconds or any date Date.parse reads; undefined when absent or unreadable. */
function committedAt(env: Env): Date | undefined {
  const raw = env.KUBEGRADE_COMMITTED_AT?.trim();
  if (!raw) return undefined;
  const date = /^\d+$/.test(raw) ? new Date(Number(raw) * 1000) : new Date(raw);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

export function classroom50Result(report: GradeReport, env: Env, now: Date): Classroom50Result {
  const missing = CLASSROOM50_REQUIRED_ENV.filter((name) => !env[name]);
  if (missing.length > 0) {
    throw new UsageError(
      `the classroom50 report needs ${missing.join(", ")} in the environment (Classroom 50's runner sets them for autograder.py; see ci/classroom50/)`,
    );
  }
  // Classroom 50 reads tests only: a grade that failed says why once, in its first check.
  const first = report.infrastructureError === undefined ? -1 : report.checks.findIndex((c) => c.status === "error");
  const tests: Classroom50Test[] = report.checks.map((check, i) => checkTest(check, i === first ? report.infrastructureError : undefined));
  if (report.refused) {
    // Worth what the checks do not carry, so that max-score stays the exercise's.
    const checksMax = tests.reduce((sum, t) => sum + t["max-score"], 0);
    tests.unshift({
      "test-name": "Submission accepted",
      passed: false,
      score: 0,
      "max-score": Math.max(0, Math.round(report.maxScore) - checksMax),
      status: "failed",
      message: ["The submission was refused before grading; nothing ran on a cluster. Fix these and submit again:", ...report.refusals.map(formatRefusal)].join("\n"),
    });
  }
  const owner = env.OWNER || env.USERNAME;
  return {
    schema: CLASSROOM50_SCHEMA,
    classroom: env.CLASSROOM as string,
    assignment: env.ASSIGNMENT as string,
    ...(env.ASSIGNMENT_TYPE ? { assignment_type: env.ASSIGNMENT_TYPE } : {}),
    ...(owner ? { owner } : {}),
    submission: env.SUBMISSION_TAG as string,
    commit: env.COMMIT_URL as string,
    release: env.RELEASE_URL as string,
    review: env.REVIEW_URL || (env.COMMIT_URL as string),
    datetime: utcSeconds(committedAt(env) ?? new Date(report.startedAt)),
    graded_at: utcSeconds(now),
    score: tests.reduce((sum, t) => sum + t.score, 0),
    "max-score": tests.reduce((sum, t) => sum + t["max-score"], 0),
    tests,
  };
}

export function toClassroom50(report: GradeReport, env: Env, now: Date): string {
  return `${JSON.stringify(classroom50Result(report, env, now), null, 2)}\n`;
}

function checkTest(check: CheckResult, graderFailure?: string): Classroom50Test {
  const max = Math.max(0, Math.round(check.maxScore));
  const feedback = feedbackLines(check);
  const message =
    check.status === "passed"
      ? ""
      : graderFailure !== undefined
        ? ["The grader failed; this is not a problem with your submission, and the score is not final:", graderFailure].join("\n")
        : check.status === "error"
        ? ["The grader could not run this check (not a problem with your submission):", ...feedback].join("\n")
        : check.status === "skipped"
          ? (saysNotRun(check) ? feedback : ["Not run:", ...feedback]).join("\n")
          : feedback.join("\n");
  return {
    "test-name": check.title,
    passed: check.status === "passed",
    score: Math.min(max, Math.max(0, Math.round(check.score))),
    "max-score": max,
    check: check.id,
    status: check.status,
    message,
  };
}
