/**
 * `--report codequality=PATH`: GitLab's Code Quality report (artifacts:reports:codequality),
 * so that a merge request shows each failure beside the manifest line it is about.
 *
 * Format from GitLab's documentation, "Code Quality" → "Code Quality report format"
 * (https://docs.gitlab.com/ci/testing/code_quality/#code-quality-report-format): a JSON
 * array of objects with
 *   description            what is wrong (here: the check's title and its feedback);
 *   check_name             a unique name of the check ("kubegrade/<check id>");
 *   fingerprint            a unique fingerprint of this finding (GitLab matches findings
 *                          between the source and target branches by it, and shows one
 *                          finding per fingerprint): sha256 of check, file, object and field
 *                          — not the line, so a finding moved by an edit stays the same one;
 *   severity               info, minor, major, critical or blocker (a failed check: major; a
 *                          refusal, which stops grading: blocker);
 *   location.path          the file, relative to the repository (the submission directory
 *                          is the repository in ci/gitlab/);
 *   location.lines.begin   the line.
 * Only findings with a place are written (a failure that names no submitted object or
 * field is in the JUnit report); checks the grader could not run are not code findings.
 */
import { createHash } from "node:crypto";
import type { GradeReport } from "../model.ts";
import { checkPlaces } from "./places.ts";
import { feedbackLines } from "./text.ts";

export type CodeQualitySeverity = "info" | "minor" | "major" | "critical" | "blocker";

export interface CodeQualityIssue {
  description: string;
  check_name: string;
  fingerprint: string;
  severity: CodeQualitySeverity;
  location: { path: string; lines: { begin: number } };
}

function fingerprint(...parts: string[]): string {
  return createHash("sha256").update(parts.join("\0")).digest("hex");
}

function oneLine(s: string): string {
  return s.replace(/\s*\r?\n\s*/g, " ").trim();
}

export function codeQualityIssues(report: GradeReport): CodeQualityIssue[] {
  const issues: CodeQualityIssue[] = [];
  for (const [index, r] of report.refusals.entries()) {
    issues.push({
      description: oneLine(`Submission refused: ${[r.object, r.field].filter(Boolean).join(" ")}${r.object || r.field ? ": " : ""}${r.message}`),
      check_name: "kubegrade/submission-refused",
      // A file can be refused for several reasons at one place: the index keeps them apart.
      fingerprint: fingerprint("refused", r.file, r.object ?? "", r.field ?? "", r.message, String(index)),
      severity: "blocker",
      location: { path: r.file, lines: { begin: Math.max(1, r.line ?? 1) } },
    });
  }
  for (const check of report.checks) {
    if (check.status !== "failed") continue;
    const description = oneLine(`${check.title}: ${feedbackLines(check).join(" ")}`);
    for (const p of checkPlaces(report, check)) {
      issues.push({
        description,
        check_name: `kubegrade/${check.id}`,
        fingerprint: fingerprint(check.id, p.file, p.object, p.field ?? ""),
        severity: "major",
        location: { path: p.file, lines: { begin: p.line } },
      });
    }
  }
  return issues;
}

export function toCodeQuality(report: GradeReport): string {
  return `${JSON.stringify(codeQualityIssues(report), null, 2)}\n`;
}
