/**
 * `--report summary[=PATH]`: GitHub-flavoured Markdown for a job summary
 * ($GITHUB_STEP_SUMMARY): a heading with the exercise and score, a table
 * (check | status | points), then the feedback of every check that did not pass.
 *
 * Student strings never reach Markdown or HTML unescaped: table cells and prose are
 * escaped (entities for < > &, backslashes for Markdown punctuation and `|`, <br> for
 * newlines), and feedback sits in code fences longer than any backtick run inside it.
 */
import type { CheckResult, CheckStatus, GradeReport } from "../model.ts";
import { STATUS_WORD, feedbackLines, formatPoints, formatSeconds, formatWhere, saysNotRun, scoreLine, verdict, type Verdict } from "./text.ts";

const STATUS_ICON: Record<CheckStatus, string> = {
  passed: "✅",
  failed: "❌",
  error: "⚠️",
  skipped: "⏭️",
};

const VERDICT_ICON: Record<Verdict, string> = {
  passed: "✅",
  "not passed": "❌",
  refused: "🚫",
  "grader error": "⚠️",
};

export function toStepSummary(report: GradeReport): string {
  const out: string[] = [];
  const v = verdict(report);
  out.push(`## ${VERDICT_ICON[v]} ${inline(report.exercise)}: ${scoreLine(report)}, ${v}`, "");

  const meta = [`**${inline(report.exerciseTitle)}**`, `submission ${inline(report.submission)}`];
  if (report.commit !== undefined) meta.push(`commit ${inline(report.commit)}`);
  if (report.cluster) meta.push(`${inline(report.cluster.provider)} Kubernetes ${inline(report.cluster.kubernetesVersion)}`);
  meta.push(`took ${formatSeconds(report.durationMs)}`);
  out.push(meta.join(" · "), "");

  if (report.infrastructureError !== undefined) {
    out.push("The grader failed; this is not a problem with the submission, and the score is not final.", "");
    out.push(...fenced([report.infrastructureError]), "");
  }

  if (report.refused) {
    out.push("The submission was refused before grading; nothing ran on a cluster.", "");
    out.push("| Where | Object | Field | Problem |", "| --- | --- | --- | --- |");
    for (const r of report.refusals) {
      out.push(row([formatWhere(r), r.object ?? "", r.field ?? "", r.message]));
    }
    out.push("");
  }

  if (report.checks.length > 0) {
    out.push("| Check | Status | Points |", "| --- | --- | ---: |");
    for (const c of report.checks) {
      out.push(row([`${c.title} (${c.id})`, `${STATUS_ICON[c.status]} ${STATUS_WORD[c.status]}`, `${formatPoints(c.score)}/${formatPoints(c.maxScore)}`]));
    }
    out.push(`| **Total** | | **${formatPoints(report.score)}/${formatPoints(report.maxScore)}** |`, "");
  }

  if (report.notes.length > 0) {
    out.push("**Notes**", "");
    for (const note of report.notes) out.push(`- ${inline(note)}`);
    out.push("");
  }

  // A grade that failed says why once, above; its checks' statuses are in the table.
  const notPassed = report.checks.filter((c) => c.status !== "passed" && !(c.status === "error" && report.infrastructureError !== undefined));
  if (notPassed.length > 0) {
    out.push("### Feedback", "");
    for (const c of notPassed) out.push(...feedbackSection(c), "");
  }
  return `${out.join("\n").trimEnd()}\n`;
}

function feedbackSection(c: CheckResult): string[] {
  const head = `#### ${STATUS_ICON[c.status]} ${inline(c.title)} (${inline(c.id)}): ${STATUS_WORD[c.status]}`;
  const lines = feedbackLines(c);
  const intro =
    c.status === "error"
      ? ["The grader could not run this check; this is not a problem with the submission.", ""]
      : c.status === "skipped" && !saysNotRun(c)
        ? ["Not run because a prerequisite is missing:", ""]
        : [];
  return [head, "", ...intro, ...fenced(lines.length > 0 ? lines : ["(no feedback)"])];
}

/** A code fence that no backtick run inside the text can close early. */
function fenced(lines: string[]): string[] {
  const text = lines.join("\n");
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = "`".repeat(Math.max(3, longest + 1));
  return [`${fence}text`, text, fence];
}

function row(cells: string[]): string {
  return `| ${cells.map(cell).join(" | ")} |`;
}

/** A table cell: inline-escaped, newlines as <br>. */
function cell(s: string): string {
  return s
    .split(/\r?\n/)
    .map(inline)
    .join("<br>");
}

/** Text for Markdown prose: no HTML, no emphasis, links, code or table breaks. */
export function inline(s: string): string {
  return s
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/[\\`*_[\]|~#!]/g, (ch) => `\\${ch}`)
    .replace(/\r?\n/g, " ");
}
