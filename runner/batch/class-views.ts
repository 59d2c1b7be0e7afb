/**
 * What a batch writes about the whole class beside gradebook.json, rebuilt with it after
 * every finished submission (each file whole or not at all):
 *
 * - gradebook.html: the dashboard (dashboard.ts);
 * - similarity.csv: pairs of submissions that look alike (similarity.ts), for a person;
 * - gradebook-lms.csv: the scores shaped for Canvas's and Moodle's gradebook import;
 * - class-summary.md: the class in Markdown, for a CI job's summary (class-summary.ts).
 *
 * The class data — each student's feedback (from their report.json) and their own manifest
 * lines (<student>/manifest-lines.json) — is kept in memory by a running batch, small
 * (a few strings a student), and read back from the student folders by a rerun or a merge.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { GradeReport } from "../report/model.ts";
import { writeWhole } from "../util/write-whole.ts";
import type { StudentFeedback } from "./causes.ts";
import { csvField, csvLine, csvText } from "./csv.ts";
import { CLASS_SUMMARY, classSummaryMarkdown } from "./class-summary.ts";
import { GRADEBOOK_HTML, dashboardHtml, dashboardModel, studentFeedback } from "./dashboard.ts";
import type { Gradebook, GradebookRow } from "./gradebook-model.ts";
import { similarPairs, similarityCsvRows, type ManifestLine, type SimilarityOptions } from "./similarity.ts";

export const SIMILARITY_CSV = "similarity.csv";
export const GRADEBOOK_LMS = "gradebook-lms.csv";
/** A student's own manifest lines (beyond the handout), for similarity across reruns. */
export const STUDENT_LINES = "manifest-lines.json";
const STUDENT_RECORD = "report.json";

export interface ClassData {
  feedback: Map<string, StudentFeedback>;
  lines: Map<string, ManifestLine[]>;
  similarity?: SimilarityOptions;
}

export function emptyClassData(similarity?: SimilarityOptions): ClassData {
  return { feedback: new Map(), lines: new Map(), similarity };
}

/** Reads what the student folders hold for these rows (missing files are skipped). */
export async function loadClassData(dir: string, rows: readonly GradebookRow[], similarity?: SimilarityOptions): Promise<ClassData> {
  const data = emptyClassData(similarity);
  for (const row of rows) {
    const report = await readFile(join(dir, row.student, STUDENT_RECORD), "utf8").then((t) => JSON.parse(t) as GradeReport, () => undefined);
    if (report && Array.isArray(report.checks) && Array.isArray(report.refusals)) data.feedback.set(row.student, studentFeedback(report));
    const lines = await readFile(join(dir, row.student, STUDENT_LINES), "utf8").then((t) => JSON.parse(t) as { lines?: ManifestLine[] }, () => undefined);
    if (Array.isArray(lines?.lines)) data.lines.set(row.student, lines.lines);
  }
  return data;
}

/** The column an LMS import turns into (or matches with) an assignment. */
export function lmsColumn(exercise: string): string {
  return `kubegrade ${exercise}`;
}

/**
 * gradebook-lms.csv: Canvas's gradebook import wants `Student`, `ID`, `SIS User ID`,
 * `SIS Login ID`, `Section` and then one column per assignment (a new header makes a new
 * assignment); Moodle's CSV import maps any one column to a user field (ID number,
 * username or email) and any other to a grade item. The roster's student id goes in
 * Student, SIS User ID and SIS Login ID; ID (Canvas's own number) and Section stay empty.
 * The score is in points; a refused submission scores 0; a submission the grader failed
 * on has no score (an empty cell changes nothing on import).
 */
export function lmsCsv(book: Gradebook): string {
  const lines = [csvLine(["Student", "ID", "SIS User ID", "SIS Login ID", "Section", lmsColumn(book.exercise)].map(csvField))];
  for (const row of book.rows) {
    const score = row.infrastructureError !== undefined ? "" : String(row.score);
    lines.push(csvLine([csvText(row.student), "", csvText(row.student), csvText(row.student), "", score]));
  }
  return lines.join("");
}

function csvTable(rows: string[][]): string {
  return rows.map((r) => csvLine(r.map(csvText))).join("");
}

/** Writes gradebook-lms.csv, similarity.csv, gradebook.html and class-summary.md for `book`. */
export async function writeClassViews(dir: string, book: Gradebook, data: ClassData): Promise<void> {
  await writeWhole(join(dir, GRADEBOOK_LMS), lmsCsv(book));
  const students = new Set(book.rows.map((r) => r.student));
  const lines = new Map([...data.lines].filter(([s]) => students.has(s)));
  const pairs = similarPairs(lines, data.similarity);
  await writeWhole(join(dir, SIMILARITY_CSV), csvTable(similarityCsvRows(pairs)));
  const model = dashboardModel({ book, feedback: data.feedback, pairs });
  await writeWhole(join(dir, GRADEBOOK_HTML), dashboardHtml(model));
  await writeWhole(join(dir, CLASS_SUMMARY), classSummaryMarkdown(model));
}
