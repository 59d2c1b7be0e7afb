/**
 * `--report gradescope=results.json`: Gradescope's autograder results file
 * (https://gradescope-autograders.readthedocs.io/en/latest/specs/, "Output format").
 *
 * Every output is declared `text`: Gradescope's default for the top-level output is
 * `simple_format`, which renders HTML, and feedback quotes the student's manifests.
 * Gradescope knows only passed/failed, so a check the grader could not run is a failed
 * test whose output says so first (never silently the student's fault), and the
 * top-level output warns that the score is not final.
 */
import type { CheckResult, GradeReport } from "../model.ts";
import { countStatuses, feedbackLines, formatRefusal, saysNotRun, scoreLine, verdict } from "./text.ts";

export type GradescopeVisibility = "hidden" | "after_due_date" | "after_published" | "visible";
export type GradescopeFormat = "text" | "simple_format" | "html" | "md" | "ansi";

export interface GradescopeTest {
  name: string;
  name_format: GradescopeFormat;
  number: string;
  score: number;
  max_score: number;
  status: "passed" | "failed";
  output: string;
  output_format: GradescopeFormat;
  tags: string[];
  visibility: GradescopeVisibility;
}

export interface GradescopeResults {
  score: number;
  execution_time: number;
  output: string;
  output_format: GradescopeFormat;
  test_output_format: GradescopeFormat;
  test_name_format: GradescopeFormat;
  visibility: GradescopeVisibility;
  stdout_visibility: GradescopeVisibility;
  extra_data: Record<string, unknown>;
  tests: GradescopeTest[];
}

export function gradescopeResults(report: GradeReport): GradescopeResults {
  const tests: GradescopeTest[] = [];
  if (report.refused) {
    // A refused grade still lists its checks (not run): this test is worth only what they do
    // not carry, so the tests' points add up to the exercise's, as in classroom50.ts.
    const checksMax = report.checks.reduce((sum, c) => sum + c.maxScore, 0);
    tests.push(
      test(tests.length, "Submission accepted", ["submission", "refused"], 0, Math.max(0, report.maxScore - checksMax), "failed", [
        "The submission was refused before grading; nothing was run on a cluster. Fix these and submit again:",
        ...report.refusals.map((r) => `- ${formatRefusal(r)}`),
      ]),
    );
  }
  if (report.infrastructureError !== undefined) {
    tests.push(
      test(tests.length, "Grader", ["grader", "error"], 0, 0, "failed", [
        "The grader failed; this is not a problem with your submission. Ask your instructor to re-run it.",
        report.infrastructureError,
      ]),
    );
  }
  for (const check of report.checks) tests.push(checkTest(tests.length, check));

  return {
    score: report.score,
    // Whole seconds, as in the specification's example.
    execution_time: Math.round(report.durationMs / 1000),
    output: summary(report),
    output_format: "text",
    test_output_format: "text",
    test_name_format: "text",
    visibility: "visible",
    // The grader's stdout is for instructors (debugging); students get output and tests.
    stdout_visibility: "hidden",
    extra_data: {
      exercise: report.exercise,
      submission: report.submission,
      ...(report.commit !== undefined ? { commit: report.commit } : {}),
      max_score: report.maxScore,
      passed: report.passed,
      refused: report.refused,
    },
    tests,
  };
}

export function toGradescope(report: GradeReport): string {
  return `${JSON.stringify(gradescopeResults(report), null, 2)}\n`;
}

function checkTest(index: number, check: CheckResult): GradescopeTest {
  const feedback = feedbackLines(check);
  let output: string[];
  switch (check.status) {
    case "passed":
      output = ["Passed."];
      break;
    case "failed":
      output = feedback;
      break;
    case "error":
      output = ["The grader could not run this check; this is not a problem with your submission.", ...feedback];
      break;
    case "skipped":
      output = saysNotRun(check) ? feedback : ["Not run:", ...feedback];
      break;
  }
  const status = check.status === "passed" ? "passed" : "failed";
  return test(index, check.title, [check.id, check.status], check.score, check.maxScore, status, output);
}

function test(
  index: number,
  name: string,
  tags: string[],
  score: number,
  maxScore: number,
  status: "passed" | "failed",
  output: string[],
): GradescopeTest {
  return {
    name,
    name_format: "text",
    number: String(index + 1),
    score,
    max_score: maxScore,
    status,
    output: output.join("\n"),
    output_format: "text",
    tags,
    visibility: "visible",
  };
}

function summary(report: GradeReport): string {
  const lines = [`${report.exerciseTitle} (${report.exercise}): ${scoreLine(report)}, ${verdict(report)}.`];
  if (report.infrastructureError !== undefined) {
    lines.push(`The grader failed: ${report.infrastructureError}`, "This score is not final; ask your instructor to re-run the grader.");
  } else if (report.refused) {
    lines.push(`The submission was refused before grading (${report.refusals.length} problem${report.refusals.length === 1 ? "" : "s"}).`);
  } else {
    const c = countStatuses(report.checks);
    lines.push(`${c.passed} passed, ${c.failed} failed, ${c.error} grader error${c.error === 1 ? "" : "s"}, ${c.skipped} not run.`);
    if (c.error > 0) lines.push("Some checks could not be run by the grader; this score is not final. Ask your instructor to re-run it.");
  }
  for (const note of report.notes) lines.push(`Note: ${note}`);
  return lines.join("\n");
}
