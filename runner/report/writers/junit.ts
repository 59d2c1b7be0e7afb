/**
 * `--report junit=PATH`: JUnit XML as GitLab's unit test reports, dorny/test-reporter
 * (java-junit) and mikepenz/action-junit-report read it:
 *
 *   <testsuites name tests failures errors skipped time>
 *     <testsuite name=EXERCISE tests failures errors skipped time timestamp>
 *       <properties>…</properties>
 *       <testcase classname=EXERCISE name=CHECK_ID time=SECONDS>
 *         <failure message=FIRST_LINE type="failed">all feedback</failure>      (failed)
 *         <error message=FIRST_LINE type="infrastructure">…</error>             (error)
 *         <skipped message=REASON/>                                               (skipped)
 *         <system-out>evidence</system-out>
 *
 * One <failure>/<error> per testcase: the GitHub reporters read only the first. The
 * message attribute is one line, because XML parsers fold newlines in attributes into
 * spaces; the whole text goes into the element body. A refused submission is one failing
 * testcase "submission" whose file/line attributes point at the first refusal (GitLab and
 * mikepenz annotate that place). A grader failure is one testcase "grader" with <error>.
 *
 * A failed check whose feedback names a submitted object or field (see
 * places.ts) gets `file` (the student's manifest holding it, relative to the submission)
 * and `line` on its testcase: GitLab's unit test report shows the file
 * (https://docs.gitlab.com/ci/testing/unit_test_reports/, "JUnit XML format
 * specification": testcase `file`), and mikepenz/action-junit-report annotates file:line.
 */
import { create } from "xmlbuilder2";
import type { CheckResult, GradeReport } from "../model.ts";
import { checkPlaces } from "./places.ts";
import { feedbackLines, firstLine, formatPoints, formatRefusal, secondsAttr } from "./text.ts";

type XMLBuilder = ReturnType<typeof create>;

interface Counts {
  tests: number;
  failures: number;
  errors: number;
  skipped: number;
}

export function toJunitXml(report: GradeReport): string {
  const counts: Counts = { tests: 0, failures: 0, errors: 0, skipped: 0 };
  const time = secondsAttr(report.durationMs);

  // Student strings can hold characters XML 1.0 forbids (NUL, ESC, …): replace them
  // rather than write a file no parser accepts.
  const doc = create({ version: "1.0", encoding: "UTF-8", invalidCharReplacement: "\uFFFD" });
  const suites = doc.ele("testsuites");
  const suite = suites.ele("testsuite");
  properties(suite, report);

  if (report.refused) {
    counts.tests++;
    counts.failures++;
    const first = report.refusals[0];
    const attrs: Record<string, string> = { classname: report.exercise, name: "submission", time: "0.000" };
    if (first !== undefined) {
      attrs.file = first.file;
      if (first.line !== undefined) attrs.line = String(first.line);
    }
    const lines = report.refusals.map(formatRefusal);
    const message = report.refusals.length === 1 ? `submission refused: ${lines[0]}` : `submission refused (${report.refusals.length} problems)`;
    suite
      .ele("testcase", attrs)
      .ele("failure", { message: oneLine(message), type: "refused" })
      .txt(lines.join("\n"));
  }

  if (report.infrastructureError !== undefined) {
    counts.tests++;
    counts.errors++;
    suite
      .ele("testcase", { classname: report.exercise, name: "grader", time: "0.000" })
      .ele("error", { message: oneLine(report.infrastructureError.trim().split(/\r?\n/)[0] ?? ""), type: "infrastructure" })
      .txt(report.infrastructureError);
  }

  for (const check of report.checks) testcase(suite, report, check, counts);

  const totals = {
    tests: String(counts.tests),
    failures: String(counts.failures),
    errors: String(counts.errors),
    skipped: String(counts.skipped),
    time,
  };
  suite.att({ name: report.exercise, ...totals, timestamp: report.startedAt });
  suites.att({ name: "kubegrade", ...totals });
  return doc.end({ prettyPrint: true }) + "\n";
}

function properties(suite: XMLBuilder, report: GradeReport): void {
  const props = suite.ele("properties");
  const add = (name: string, value: string) => props.ele("property", { name, value });
  add("exercise.title", report.exerciseTitle);
  add("submission", report.submission);
  if (report.commit !== undefined) add("commit", report.commit);
  add("score", formatPoints(report.score));
  add("maxScore", formatPoints(report.maxScore));
  add("passed", String(report.passed));
  if (report.cluster) {
    add("cluster.provider", report.cluster.provider);
    add("cluster.kubernetesVersion", report.cluster.kubernetesVersion);
  }
  for (const note of report.notes) add("note", note);
}

function testcase(suite: XMLBuilder, report: GradeReport, check: CheckResult, counts: Counts): void {
  counts.tests++;
  const place = checkPlaces(report, check)[0];
  const tc = suite.ele("testcase", {
    classname: report.exercise,
    name: check.id,
    ...(place !== undefined ? { file: place.file, line: String(place.line) } : {}),
    time: secondsAttr(check.durationMs),
  });
  const text = feedbackLines(check).join("\n");
  switch (check.status) {
    case "passed":
      break;
    case "failed":
      counts.failures++;
      tc.ele("failure", { message: oneLine(firstLine(check)), type: "failed" }).txt(text);
      break;
    case "error":
      counts.errors++;
      tc.ele("error", { message: oneLine(firstLine(check)), type: "infrastructure" }).txt(text);
      break;
    case "skipped":
      counts.skipped++;
      tc.ele("skipped", { message: oneLine(feedbackLines(check).join(" ").trim() || "not run") });
      break;
  }
  if (check.evidence !== undefined && check.evidence.length > 0) tc.ele("system-out").txt(check.evidence.join("\n"));
}

function oneLine(s: string): string {
  return s.replace(/\s*\r?\n\s*/g, " ").trim();
}
