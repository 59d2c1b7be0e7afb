/**
 * Who is graded: a roster CSV (student id, source; a header row first) or submissions
 * given as arguments, named after their directory or repository. A student's name is
 * also the name of their folder of reports, so it must be safe as one.
 */
import { existsSync } from "node:fs";
import { isAbsolute, join, resolve, sep } from "node:path";
import { UsageError } from "../errors.ts";
import { isGitUrl, splitRef } from "../submission/source.ts";
import { parseCsv } from "./csv.ts";

export interface BatchSubmission {
  student: string;
  /** A directory or a git URL[#ref], as resolveSource takes it. */
  source: string;
  /** Where it came from, for messages: "roster.csv:4". */
  origin?: string;
}

/** Names the batch writes itself into the output directory. */
const RESERVED = new Set(["gradebook.json", "gradebook.csv", "gradebook.html", "gradebook-lms.csv", "similarity.csv", "class-summary.md"]);
const MAX_ID_LENGTH = 128;

/** Why `id` cannot be a student's name (it becomes a directory), or undefined. */
export function studentIdProblem(id: string): string | undefined {
  if (id === "") return "is empty";
  if (id.length > MAX_ID_LENGTH) return `is longer than ${MAX_ID_LENGTH} characters`;
  if (/[/\\\u0000-\u001f\u007f]/.test(id)) return "contains a slash, a backslash or a control character";
  if (id.startsWith(".")) return "starts with a dot";
  if (RESERVED.has(id.toLowerCase())) return `is a name the batch uses for its own files (${[...RESERVED].join(", ")})`;
  return undefined;
}

/** True when a roster's first row looks like a submission rather than column names. */
function looksLikeSubmission(cell: string): boolean {
  return isGitUrl(cell) || cell.includes("/") || cell.includes("\\");
}

/**
 * Parses a roster: a header row (its names are free: `student,source`), then one student
 * per row. Relative directories are taken relative to `baseDir` (the roster's own
 * directory), so a roster can sit beside the submissions it lists.
 */
export function parseRoster(text: string, file: string, baseDir?: string): BatchSubmission[] {
  const records = parseCsv(text, file);
  if (records.length === 0) throw new UsageError(`${file}: the roster is empty (expected a header row "student,source" and one row per student)`);
  const [header, ...rows] = records;
  if (header.fields.length < 2) {
    throw new UsageError(`${file}:${header.line}: the header row has ${header.fields.length} column(s); expected at least 2 (student id, source)`);
  }
  if (looksLikeSubmission(header.fields[1])) {
    throw new UsageError(
      `${file}:${header.line}: the first row must be a header (for example "student,source"), but its second column looks like a submission: ${header.fields[1]}`,
    );
  }
  const seen = new Map<string, number>();
  const submissions: BatchSubmission[] = [];
  for (const row of rows) {
    const where = `${file}:${row.line}`;
    if (row.fields.length !== header.fields.length) {
      throw new UsageError(`${where}: ${row.fields.length} column(s) where the header has ${header.fields.length} (student id, source); quote a field that contains a comma`);
    }
    const [student, rawSource] = row.fields;
    const problem = studentIdProblem(student);
    if (problem) throw new UsageError(`${where}: the student id "${student}" ${problem}`);
    if (rawSource === "") throw new UsageError(`${where}: student ${student} has no source (a directory or a git URL)`);
    const earlier = seen.get(student);
    if (earlier !== undefined) throw new UsageError(`${where}: student ${student} is listed twice (also on line ${earlier})`);
    seen.set(student, row.line);
    submissions.push({ student, source: resolveRosterSource(rawSource, baseDir), origin: where });
  }
  if (submissions.length === 0) throw new UsageError(`${file}: the roster lists no student (only a header row)`);
  return submissions;
}

function resolveRosterSource(source: string, baseDir: string | undefined): string {
  if (!baseDir || isAbsolute(source)) return source;
  const local = join(baseDir, source);
  if (isGitUrl(source) && !existsSync(local)) return source;
  return local;
}

/** The path segments a submission can be named by, nearest last. */
function nameSegments(source: string): string[] {
  if (isGitUrl(source)) {
    const { url } = splitRef(source);
    const path = url.replace(/^[a-z+]+:\/\/[^/]*/i, "").replace(/^[\w.-]+@[\w.-]+:/, "");
    return path
      .split("/")
      .filter((s) => s !== "")
      .map((s, i, all) => (i === all.length - 1 ? s.replace(/\.git$/, "") : s));
  }
  return resolve(source).split(sep).filter((s) => s !== "");
}

/** A path segment made safe as a student name. */
function safeName(segment: string): string {
  const cleaned = segment.replace(/[/\\\u0000-\u001f\u007f]/g, "-").replace(/^\.+/, "");
  return cleaned === "" || RESERVED.has(cleaned.toLowerCase()) ? `_${cleaned}` : cleaned.slice(0, MAX_ID_LENGTH);
}

/**
 * Names submissions given as arguments: the directory's name, or the repository's name
 * without .git. When two share a name, parent directories (or the repository's owner)
 * are prefixed until they differ: fixtures/web/reference/submission → reference-submission.
 */
export function nameSubmissions(sources: readonly string[]): BatchSubmission[] {
  const segments = sources.map(nameSegments);
  const depth = sources.map(() => 1);
  const nameAt = (i: number) => safeName(segments[i].slice(-depth[i]).join("-") || "submission");
  for (;;) {
    const groups = new Map<string, number[]>();
    sources.forEach((_, i) => groups.set(nameAt(i), [...(groups.get(nameAt(i)) ?? []), i]));
    const clashes = [...groups.values()].filter((g) => g.length > 1);
    if (clashes.length === 0) break;
    for (const group of clashes) {
      const deepen = group.filter((i) => depth[i] < segments[i].length);
      if (deepen.length === 0) {
        const same = group.map((i) => sources[i]);
        throw new UsageError(
          new Set(same.map((s) => (isGitUrl(s) ? s : resolve(s)))).size < same.length
            ? `the submission ${same[0]} is given twice`
            : `the submissions ${same.join(" and ")} would both be named ${nameAt(group[0])}: give a roster with a student id for each (--roster)`,
        );
      }
      for (const i of deepen) depth[i]++;
    }
  }
  return sources.map((source, i) => ({ student: nameAt(i), source, origin: `argument ${i + 1}` }));
}
