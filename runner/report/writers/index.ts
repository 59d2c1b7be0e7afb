/**
 * `--report FORMAT=PATH,...`: which writers run and where their output goes. Every
 * writer is a pure function of the report (classroom50: and of Classroom 50's environment
 * and the time); this module is the only one that touches files.
 *
 *   json=PATH         the report itself (report.schema.json)
 *   junit=PATH        JUnit XML for GitLab / GitHub test reporters
 *   gradescope=PATH   Gradescope's results.json
 *   classroom50=PATH  Classroom 50's result.json (classroom50/result/v1)
 *   annotations=PATH  GitHub Actions workflow commands on the student's manifest lines
 *   codequality=PATH  GitLab's Code Quality report
 *   summary[=PATH]    Markdown; without PATH appended to $GITHUB_STEP_SUMMARY, or
 *                     written to summary.md
 *   html=PATH         a self-contained HTML page with the pod timeline
 *
 * Paths cannot contain commas (the list separator). Every text is rendered before the
 * first file is written, so a format that cannot be written (classroom50 outside Classroom
 * 50) leaves no file half-done, and each file is replaced whole (temporary file, rename).
 */
import { resolve } from "node:path";
import { UsageError } from "../../errors.ts";
import type { GradeReport } from "../model.ts";
import { toAnnotations } from "./annotations.ts";
import { toClassroom50 } from "./classroom50.ts";
import { toCodeQuality } from "./codequality.ts";
import { envFile, isEnvFile, writeText } from "./files.ts";
import { toGradescope } from "./gradescope.ts";
import { toHtml } from "./html.ts";
import { toJson } from "./json.ts";
import { toJunitXml } from "./junit.ts";
import { toStepSummary } from "./summary.ts";

export const REPORT_FORMATS = ["json", "junit", "gradescope", "classroom50", "annotations", "codequality", "summary", "html"] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

/** Formats that know where to go on their own (GitHub Actions' step summary, else a default name). */
const PATH_OPTIONAL: ReadonlySet<ReportFormat> = new Set<ReportFormat>(["summary"]);

export const SUMMARY_DEFAULT_FILE = "summary.md";

export interface ReportSpec {
  format: ReportFormat;
  /** Absent only for summary: see the module comment. */
  path?: string;
}

/** What a writer may read besides the report. */
export interface RenderContext {
  env: Readonly<Record<string, string | undefined>>;
  now: Date;
}

/** The text each format writes, for callers that want it without a file. */
export const RENDERERS: Record<ReportFormat, (report: GradeReport, context: RenderContext) => string> = {
  json: toJson,
  junit: toJunitXml,
  gradescope: toGradescope,
  classroom50: (report, { env, now }) => toClassroom50(report, env, now),
  annotations: toAnnotations,
  codequality: toCodeQuality,
  summary: toStepSummary,
  html: toHtml,
};

function isFormat(s: string): s is ReportFormat {
  return (REPORT_FORMATS as readonly string[]).includes(s);
}

const KNOWN = `known formats: ${REPORT_FORMATS.map((f) => (PATH_OPTIONAL.has(f) ? `${f}[=PATH]` : `${f}=PATH`)).join(", ")}`;

/** Parses "json=out.json,junit=out.xml,summary"; throws a UsageError naming the bad part. */
export function parseReportSpecs(value: string): ReportSpec[] {
  const parts = value.split(",").map((p) => p.trim());
  if (parts.every((p) => p === "")) throw new UsageError(`no report given; ${KNOWN}`);
  const specs: ReportSpec[] = [];
  const seenPaths = new Map<string, string>();
  for (const part of parts) {
    if (part === "") throw new UsageError(`empty entry in "${value}" (two commas, or one at an end); ${KNOWN}`);
    const eq = part.indexOf("=");
    const name = (eq === -1 ? part : part.slice(0, eq)).trim();
    const path = eq === -1 ? undefined : part.slice(eq + 1).trim();
    if (!isFormat(name)) {
      throw new UsageError(`unknown report format "${name}" in "${part}"; ${KNOWN}`);
    }
    if (path === undefined || path === "") {
      if (!PATH_OPTIONAL.has(name)) throw new UsageError(`"${part}": the ${name} report needs a path (${name}=PATH); ${KNOWN}`);
      specs.push({ format: name });
      continue;
    }
    const earlier = seenPaths.get(resolve(path));
    if (earlier !== undefined) throw new UsageError(`"${part}": ${path} is already the path of "${earlier}"; give each report its own file`);
    seenPaths.set(resolve(path), part);
    specs.push({ format: name, path });
  }
  return specs;
}

/**
 * Writes every report, in the order given, creating parent directories; returns the
 * paths written. The file named by GITHUB_STEP_SUMMARY is appended to.
 */
export async function writeReports(
  report: GradeReport,
  specs: readonly ReportSpec[],
  env: Readonly<Record<string, string | undefined>>,
  now: Date = new Date(),
): Promise<string[]> {
  const outputs = specs.map((spec) => {
    let target: string;
    let append = false;
    if (spec.format === "summary") {
      target = spec.path ?? envFile(env, "GITHUB_STEP_SUMMARY") ?? SUMMARY_DEFAULT_FILE;
      append = isEnvFile(target, env.GITHUB_STEP_SUMMARY);
    } else if (spec.path !== undefined) {
      target = spec.path;
    } else {
      throw new UsageError(`the ${spec.format} report needs a path`);
    }
    return { target, append, text: RENDERERS[spec.format](report, { env, now }) };
  });
  // One at a time: two specs may append to the same GitHub file.
  for (const o of outputs) await writeText(o.target, o.text, o.append);
  return outputs.map((o) => o.target);
}
