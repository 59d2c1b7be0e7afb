/**
 * `--report classroom[=PATH]`: GitHub Classroom's autograding result, the value a grader
 * step sets as its `result` output and `classroom-resources/autograding-grading-reporter`
 * reads from `<STEP_ID>_RESULTS`: base64 of
 *
 *   { version: 1, status: "pass"|"fail"|"error", max_score,
 *     tests: [{ name, status, score, message, test_code, filename?, line_no?, duration }] }
 *
 * The reporter adds up `tests[].score` against `max_score` for the points it sends to
 * Classroom, and fails the workflow on status "fail" or "error". Its console table counts
 * passing tests rather than points, so that table can differ from our score when checks
 * carry different points; the points Classroom records are ours.
 */
import type { CheckResult, GradeReport } from "../model.ts";
import { envFile, isEnvFile, writeText } from "./files.ts";
import { feedbackLines, formatRefusal } from "./text.ts";

export type ClassroomStatus = "pass" | "fail" | "error";

export interface ClassroomTest {
  name: string;
  status: ClassroomStatus;
  score: number;
  message: string;
  test_code: string;
  filename?: string;
  line_no?: number;
  /** Milliseconds, as the classroom graders report it. */
  duration: number;
}

export interface ClassroomResult {
  version: 1;
  status: ClassroomStatus;
  max_score: number;
  tests: ClassroomTest[];
}

/** Where `classroom` without a path writes when GITHUB_OUTPUT is not set. */
export const CLASSROOM_DEFAULT_FILE = "classroom-result.txt";

export function classroomResult(report: GradeReport): ClassroomResult {
  const tests: ClassroomTest[] = [];
  if (report.refused) {
    const first = report.refusals[0];
    tests.push({
      name: "submission",
      status: "fail",
      score: 0,
      message: ["The submission was refused before grading:", ...report.refusals.map(formatRefusal)].join("\n"),
      test_code: `kubegrade grade ${report.exercise}`,
      ...(first !== undefined ? { filename: first.file } : {}),
      ...(first?.line !== undefined ? { line_no: first.line } : {}),
      duration: 0,
    });
  }
  if (report.infrastructureError !== undefined) {
    tests.push({
      name: "grader",
      status: "error",
      score: 0,
      message: `The grader failed (not a problem with your submission): ${report.infrastructureError}`,
      test_code: `kubegrade grade ${report.exercise}`,
      duration: 0,
    });
  }
  for (const check of report.checks) tests.push(checkTest(report.exercise, check));
  return { version: 1, status: overallStatus(report), max_score: report.maxScore, tests };
}

/** The value of the `result` output: base64 of the JSON, one line. */
export function classroomOutput(report: GradeReport): string {
  return Buffer.from(JSON.stringify(classroomResult(report)), "utf8").toString("base64");
}

/**
 * Writes `result=<base64>` to `path`, or (no path) to the file named by GITHUB_OUTPUT,
 * or else to classroom-result.txt. The GITHUB_OUTPUT file is appended to, as GitHub
 * documents, so other outputs of the same step survive; any other file is replaced.
 * Returns the path written.
 */
export async function writeClassroom(
  report: GradeReport,
  path: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
): Promise<string> {
  const target = path ?? envFile(env, "GITHUB_OUTPUT") ?? CLASSROOM_DEFAULT_FILE;
  const line = `result=${classroomOutput(report)}\n`;
  await writeText(target, line, isEnvFile(target, env.GITHUB_OUTPUT));
  return target;
}

function overallStatus(report: GradeReport): ClassroomStatus {
  if (report.infrastructureError !== undefined || report.checks.some((c) => c.status === "error")) return "error";
  return report.passed ? "pass" : "fail";
}

function checkTest(exercise: string, check: CheckResult): ClassroomTest {
  const status: ClassroomStatus = check.status === "passed" ? "pass" : check.status === "error" ? "error" : "fail";
  const feedback = feedbackLines(check);
  let message: string;
  switch (check.status) {
    case "passed":
      message = "";
      break;
    case "failed":
      message = feedback.join("\n");
      break;
    case "error":
      message = ["The grader could not run this check (not a problem with your submission):", ...feedback].join("\n");
      break;
    case "skipped":
      message = ["Not run:", ...feedback].join("\n");
      break;
  }
  return {
    name: check.title,
    status,
    score: check.score,
    message,
    test_code: `kubegrade grade ${exercise} (check ${check.id})`,
    duration: check.durationMs,
  };
}
