/**
 * `--report annotations=PATH`: GitHub Actions workflow commands that put the feedback next
 * to the student's own manifest lines in a pull request and on the run's page:
 *
 *   ::error file=web.yaml,line=23,title=kubegrade%3A The StatefulSet …::StatefulSet web has spec.replicas: 2 …
 *
 * A step prints the file (`cat`) for the runner to read them (ci/github/kubegrade.yml).
 * Format from GitHub's "Workflow commands for GitHub Actions" (`error`, `warning`; the
 * properties file, line, title), escaped as @actions/core does (toolkit
 * packages/core/src/command.ts): in data % CR LF become %25 %0D %0A; in property values
 * also : and , become %3A and %2C. Every line starts with "::" and student text never
 * starts a line, so nothing in a manifest can issue a command of its own.
 *
 * - a failed check whose feedback names a submitted object or field (see places.ts): one
 *   `error` per place, on the field's line or the object's first line;
 * - a failed check that names nothing placeable: one `error` without a file;
 * - a refusal: an `error` at its file and line;
 * - a check the grader could not run, or a grader failure: a `warning` without a file,
 *   saying it is not the submission's fault.
 * GitHub shows at most 10 annotations of each type per step: located ones come first.
 */
import type { GradeReport } from "../model.ts";
import { checkPlaces } from "./places.ts";
import { feedbackLines } from "./text.ts";

export function escapeData(s: string): string {
  return s.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}

export function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, "%3A").replace(/,/g, "%2C");
}

interface Annotation {
  level: "error" | "warning";
  file?: string;
  line?: number;
  title: string;
  message: string;
}

function command(a: Annotation): string {
  const props = [
    ...(a.file !== undefined ? [`file=${escapeProperty(a.file)}`] : []),
    ...(a.line !== undefined ? [`line=${a.line}`] : []),
    `title=${escapeProperty(a.title)}`,
  ];
  return `::${a.level} ${props.join(",")}::${escapeData(a.message)}`;
}

export function annotations(report: GradeReport): string[] {
  const located: Annotation[] = [];
  const unlocated: Annotation[] = [];
  for (const r of report.refusals) {
    const message = [r.object, r.field].filter(Boolean).join(" ");
    const a: Annotation = {
      level: "error",
      file: r.file,
      ...(r.line !== undefined ? { line: r.line } : {}),
      title: "kubegrade: submission refused",
      message: message ? `${message}: ${r.message}` : r.message,
    };
    (r.line !== undefined ? located : unlocated).push(a);
  }
  for (const check of report.checks) {
    const title = `kubegrade: ${check.title} (${check.id})`;
    const message = feedbackLines(check).join("\n").trim();
    if (check.status === "failed") {
      const places = checkPlaces(report, check);
      if (places.length === 0) unlocated.push({ level: "error", title, message: message || "check failed" });
      for (const p of places) located.push({ level: "error", file: p.file, line: p.line, title, message: message || "check failed" });
    } else if (check.status === "error" && report.infrastructureError === undefined) {
      unlocated.push({ level: "warning", title, message: `The grader could not run this check (not a problem with the submission).\n${message}`.trim() });
    }
  }
  if (report.infrastructureError !== undefined) {
    unlocated.push({ level: "warning", title: "kubegrade: the grader failed", message: `Not a problem with the submission; the score is not final.\n${report.infrastructureError}` });
  }
  return [...located, ...unlocated].map(command);
}

export function toAnnotations(report: GradeReport): string {
  const lines = annotations(report);
  return lines.length > 0 ? `${lines.join("\n")}\n` : "";
}
