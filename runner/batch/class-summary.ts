/**
 * class-summary.md: the class in GitHub-flavoured Markdown, for a CI job's summary page
 * ($GITHUB_STEP_SUMMARY; ci/github/kubegrade-class.yml appends it) or any Markdown viewer:
 * the class's figures, every check's pass rate, the most frequent failure causes, the
 * similar pairs and one line per student. A pure function of the dashboard's model
 * (dashboard.ts), so it says what gradebook.html says; it holds no times or durations, so a
 * class graded again to the same verdicts gets the same summary.
 *
 * Student ids, causes and check ids are escaped as the per-submission summary escapes
 * feedback (summary.ts's `inline`): no HTML, links, emphasis or table breaks from them.
 */
import { inline } from "../report/writers/summary.ts";
import type { DashboardModel, RowVerdict } from "./dashboard.ts";

export const CLASS_SUMMARY = "class-summary.md";

const MAX_CAUSES = 10;
const MAX_PAIRS = 20;

const VERDICT: Record<RowVerdict, string> = {
  passed: "✅ passed",
  "not passed": "❌ not passed",
  refused: "🚫 refused",
  error: "⚠️ grader error",
};

function row(cells: readonly string[]): string {
  return `| ${cells.join(" | ")} |`;
}

const code = (s: string) => `\`${s.replace(/`/g, "'")}\``;
const pct = (x: number) => `${Math.round(x * 100)}%`;

function figures(model: DashboardModel): string[] {
  const notPassed = model.graded - model.rows.filter((r) => r.verdict === "passed").length;
  return [
    "| students | graded | passed | not passed | refused | infrastructure errors | mean score |",
    "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    row([model.students, model.graded, model.passed, notPassed, model.refused, model.errors].map(String).concat(model.meanPercent === undefined ? "–" : `${model.meanPercent}%`)),
  ];
}

function checks(model: DashboardModel): string[] {
  return [
    "### Checks (pass rate among graded submissions)",
    "",
    "| check | pass rate | passed | failed | error | not run |",
    "| --- | ---: | ---: | ---: | ---: | ---: |",
    ...model.checks.map((c) => row([code(c.id), model.graded ? pct(c.rate) : "–", String(c.passed), String(c.failed), String(c.error), String(c.skipped)])),
  ];
}

/** A heading and a Markdown table of at most `max` of `items`, with a line saying where the rest are. */
function capped<T>(heading: string, head: string, items: readonly T[], max: number, cells: (item: T) => string[], rest: (n: number) => string): string[] {
  const shown = items.slice(0, max);
  return [heading, "", ...head.split("\n"), ...shown.map((item) => row(cells(item))), ...(items.length > shown.length ? ["", rest(items.length - shown.length)] : [])];
}

function causes(model: DashboardModel): string[] {
  if (!model.causes.length) return [];
  return capped("### Most frequent failure causes", "| students | check | cause |\n| ---: | --- | --- |", model.causes, MAX_CAUSES,
    (c) => [String(c.students.length), code(c.check), inline(c.text)], (n) => `And ${n} rarer cause(s): see gradebook.html.`);
}

function pairs(model: DashboardModel): string[] {
  if (!model.pairs.length) return ["### Similar submissions", "", "None."];
  return capped("### Similar submissions (for a person to look at; never a score)", "| student | student | similarity | shared lines |\n| --- | --- | ---: | ---: |",
    model.pairs, MAX_PAIRS, (p) => [inline(p.a), inline(p.b), pct(p.similarity), String(p.shared.length)], (n) => `And ${n} more pair(s): see similarity.csv.`);
}

function students(model: DashboardModel): string[] {
  return [
    `<details><summary>${model.students} student(s)</summary>`,
    "",
    "| student | score | verdict | failed checks |",
    "| --- | ---: | --- | --- |",
    ...model.rows.map((r) =>
      row([
        inline(r.student),
        r.verdict === "refused" || r.verdict === "error" ? "–" : `${r.score}/${r.maxScore}`,
        VERDICT[r.verdict],
        r.verdict === "passed" || r.verdict === "not passed" ? r.failedChecks.map(code).join(", ") : "",
      ])),
    "",
    "</details>",
  ];
}

export function classSummaryMarkdown(model: DashboardModel): string {
  const out = [`## kubegrade ${inline(model.exercise)}: the class`, "", ...figures(model), ""];
  if (model.errors > 0) {
    out.push(
      `⚠️ ${model.errors} submission(s) were not graded because the grader or the cluster failed, not the students: ` +
        "run the batch (or the failed shard) again to grade only those; their LMS cells stay empty until then.",
      "",
    );
  }
  out.push(...checks(model), "", ...causes(model), "", ...pairs(model), "", ...students(model));
  return `${out.join("\n").replace(/\n{3,}/g, "\n\n").trimEnd()}\n`;
}
