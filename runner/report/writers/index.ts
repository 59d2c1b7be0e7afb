/**
 * `--report FORMAT=PATH,...`: which writers run and where their output goes. Every
 * writer is a pure function of the report; this module is the only one that touches files.
 *
 *   json=PATH         the report itself (report.schema.json)
 *   junit=PATH        JUnit XML for GitLab / GitHub test reporters
 *   gradescope=PATH   Gradescope's results.json
 *   classroom[=PATH]  GitHub Classroom's `result=<base64>` line; without PATH appended
 *                     to $GITHUB_OUTPUT, or written to classroom-result.txt
 *   summary[=PATH]    Markdown; without PATH appended to $GITHUB_STEP_SUMMARY, or
 *                     written to summary.md
 *   html=PATH         a self-contained HTML page with the pod timeline
 *
 * Paths cannot contain commas (the list separator).
 */
import { resolve } from "node:path";
import { UsageError } from "../../errors.ts";
import type { GradeReport } from "../model.ts";
import { classroomOutput, writeClassroom } from "./classroom.ts";
import { envFile, isEnvFile, writeText } from "./files.ts";
import { toGradescope } from "./gradescope.ts";
import { toHtml } from "./html.ts";
import { toJson } from "./json.ts";
import { toJunitXml } from "./junit.ts";
import { toStepSummary } from "./summary.ts";

export const REPORT_FORMATS = ["json", "junit", "gradescope", "classroom", "summary", "html"] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

/** Formats that know where to go on their own (GitHub Actions' files, else a default name). */
const PATH_OPTIONAL: ReadonlySet<ReportFormat> = new Set<ReportFormat>(["classroom", "summary"]);

export const SUMMARY_DEFAULT_FILE = "summary.md";

export interface ReportSpec {
  format: ReportFormat;
  /** Absent only for classroom and summary: see the module comment. */
  path?: string;
}

/** The text each format writes, for callers that want it without a file. */
export const RENDERERS: Record<ReportFormat, (report: GradeReport) => string> = {
  json: toJson,
  junit: toJunitXml,
  gradescope: toGradescope,
  classroom: (report) => `result=${classroomOutput(report)}\n`,
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
 * paths written. Files named by GITHUB_OUTPUT and GITHUB_STEP_SUMMARY are appended to.
 */
export async function writeReports(
  report: GradeReport,
  specs: readonly ReportSpec[],
  env: Readonly<Record<string, string | undefined>>,
): Promise<string[]> {
  const written: string[] = [];
  // One at a time: two specs may append to the same GitHub file.
  for (const spec of specs) {
    if (spec.format === "classroom") {
      written.push(await writeClassroom(report, spec.path, env));
      continue;
    }
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
    await writeText(target, RENDERERS[spec.format](report), append);
    written.push(target);
  }
  return written;
}
