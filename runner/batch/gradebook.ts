/**
 * The gradebook of a batch: one row per student, kept as gradebook.json (the record a
 * rerun and a merge read) and gradebook.csv (for spreadsheets, written from the JSON),
 * with the class's views written from them (class-views.ts: gradebook.html,
 * similarity.csv, gradebook-lms.csv). All are replaced atomically (a temporary file renamed
 * over the old one), after every finished submission, so an interrupted batch never loses
 * a finished grade.
 */
import { readFile, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { writeWhole } from "../util/write-whole.ts";
import { UsageError, errorMessage } from "../errors.ts";
import type { CheckStatus, GradeReport, Refusal } from "../report/model.ts";
import { csvField, csvLine, csvText } from "./csv.ts";
import { emptyClassData, loadClassData, writeClassViews, type ClassData } from "./class-views.ts";
import type { Gradebook, GradebookRow } from "./gradebook-model.ts";
import type { StudentFeedback } from "./causes.ts";
import type { ManifestLine } from "./similarity.ts";

export const GRADEBOOK_JSON = "gradebook.json";
export const GRADEBOOK_CSV = "gradebook.csv";

export function emptyGradebook(exercise: string, exerciseVersion: string, checkIds: string[]): Gradebook {
  return { schemaVersion: 1, exercise, exerciseVersion, checkIds: [...checkIds], rows: [] };
}

function refusalSummary(refusals: readonly Refusal[]): string {
  const first = refusals.slice(0, 3).map((r) => `${r.file}${r.line ? `:${r.line}` : ""}: ${r.object ? `${r.object}: ` : ""}${r.field ? `${r.field}: ` : ""}${r.message}`);
  return refusals.length > 3 ? `${first.join("; ")}; and ${refusals.length - 3} more` : first.join("; ");
}

export function rowFromReport(student: string, source: string, report: GradeReport, key: string | undefined, gradedAt: Date): GradebookRow {
  return {
    student,
    source,
    score: report.score,
    maxScore: report.maxScore,
    passed: report.passed,
    refused: report.refused,
    ...(report.refused ? { refusal: refusalSummary(report.refusals) } : {}),
    ...(report.infrastructureError !== undefined ? { infrastructureError: report.infrastructureError } : {}),
    checks: Object.fromEntries(report.checks.map((c) => [c.id, c.status])),
    durationMs: report.durationMs,
    ...(report.commit ? { commit: report.commit } : {}),
    ...(key ? { key } : {}),
    gradedAt: gradedAt.toISOString(),
  };
}

/** A submission that could not even be read (no such directory, a clone that failed). */
export function unreadableRow(student: string, source: string, message: string, checks: { id: string; points: number }[], gradedAt: Date): GradebookRow {
  return {
    student,
    source,
    score: 0,
    maxScore: checks.reduce((sum, c) => sum + c.points, 0),
    passed: false,
    refused: true,
    refusal: `could not be read: ${message}`,
    checks: Object.fromEntries(checks.map((c) => [c.id, "skipped" as CheckStatus])),
    durationMs: 0,
    gradedAt: gradedAt.toISOString(),
  };
}

function byStudent(a: GradebookRow, b: GradebookRow): number {
  return a.student < b.student ? -1 : a.student > b.student ? 1 : 0;
}

/** The gradebook with `row` added, or replacing the student's earlier row. */
export function withRow(book: Gradebook, row: GradebookRow): Gradebook {
  return { ...book, rows: [...book.rows.filter((r) => r.student !== row.student), row].sort(byStudent) };
}

/** The check columns: the exercise's checks, then any only older rows have. */
function checkColumns(book: Gradebook): string[] {
  const extra = new Set<string>();
  for (const row of book.rows) for (const id of Object.keys(row.checks)) if (!book.checkIds.includes(id)) extra.add(id);
  return [...book.checkIds, ...[...extra].sort()];
}

/** gradebook.csv: a header row, then one row per student; one column per check id. */
export function gradebookCsv(book: Gradebook): string {
  const checks = checkColumns(book);
  const header = ["student", "source", "score", "max", "passed", "refused", "infrastructure_error", ...checks, "duration_s", "commit"];
  const lines = [csvLine(header.map(csvField))];
  for (const row of book.rows) {
    lines.push(
      csvLine([
        csvText(row.student),
        csvText(row.source),
        String(row.score),
        String(row.maxScore),
        String(row.passed),
        String(row.refused),
        csvText(row.infrastructureError ?? ""),
        ...checks.map((id) => row.checks[id] ?? ""),
        (row.durationMs / 1000).toFixed(1),
        csvText(row.commit ?? ""),
      ]),
    );
  }
  return lines.join("");
}

function isRow(value: unknown): value is GradebookRow {
  const r = value as Partial<GradebookRow> | null;
  return (
    typeof r === "object" && r !== null &&
    typeof r.student === "string" && typeof r.source === "string" &&
    typeof r.score === "number" && typeof r.maxScore === "number" &&
    typeof r.passed === "boolean" && typeof r.refused === "boolean" &&
    typeof r.checks === "object" && r.checks !== null && typeof r.durationMs === "number"
  );
}

/** Reads gradebook.json text; a file that is not one is a UsageError (never overwritten). */
export function parseGradebook(text: string, file: string): Gradebook {
  let data: Partial<Gradebook>;
  try {
    data = JSON.parse(text) as Partial<Gradebook>;
  } catch (error) {
    throw new UsageError(`${file} is not valid JSON (${errorMessage(error)}); move it away to start a new gradebook`);
  }
  if (
    data?.schemaVersion !== 1 || typeof data.exercise !== "string" || typeof data.exerciseVersion !== "string" ||
    !Array.isArray(data.checkIds) || !Array.isArray(data.rows)
  ) {
    throw new UsageError(`${file} is not a kubegrade gradebook (schemaVersion 1 with exercise, exerciseVersion, checkIds, rows)`);
  }
  const bad = data.rows.findIndex((r) => !isRow(r));
  if (bad !== -1) throw new UsageError(`${file}: row ${bad + 1} is not a gradebook row`);
  return data as Gradebook;
}

/** The gradebook in `dir`, or undefined when there is none yet. */
export async function readGradebook(dir: string): Promise<Gradebook | undefined> {
  const file = join(dir, GRADEBOOK_JSON);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  return parseGradebook(text, file);
}

/** Writes the gradebook and the class's views; without `data`, that is read from the student folders. */
export async function writeGradebook(dir: string, book: Gradebook, data?: ClassData): Promise<void> {
  await mkdir(dir, { recursive: true });
  // JSON first: it is the record; the rest is derived from it.
  await writeWhole(join(dir, GRADEBOOK_JSON), `${JSON.stringify(book, null, 2)}\n`);
  await writeWhole(join(dir, GRADEBOOK_CSV), gradebookCsv(book));
  await writeClassViews(dir, book, data ?? (await loadClassData(dir, book.rows)));
}

/** What a finished submission adds to the class's views besides its row. */
export interface RowExtras {
  feedback?: StudentFeedback;
  /** Its own manifest lines (beyond the handout). */
  lines?: ManifestLine[];
}

/**
 * Holds a batch's gradebook and writes it after every change, one write at a time (grades
 * finish concurrently; two renames must not race).
 */
export class GradebookWriter {
  readonly dir: string;
  #book: Gradebook;
  readonly #data: ClassData;
  #queue: Promise<void> = Promise.resolve();

  constructor(dir: string, book: Gradebook, data: ClassData = emptyClassData()) {
    this.dir = dir;
    this.#book = book;
    this.#data = data;
  }

  get book(): Gradebook {
    return this.#book;
  }

  /** Records a row and resolves once the gradebook holding it is on disk. */
  record(row: GradebookRow, extras: RowExtras = {}): Promise<void> {
    this.#book = withRow(this.#book, row);
    if (extras.feedback) this.#data.feedback.set(row.student, extras.feedback);
    else this.#data.feedback.delete(row.student);
    if (extras.lines) this.#data.lines.set(row.student, extras.lines);
    else this.#data.lines.delete(row.student);
    const snapshot = this.#book;
    const write = this.#queue.then(() => writeGradebook(this.dir, snapshot, this.#data));
    this.#queue = write.catch(() => {});
    return write;
  }

  /** Writes the gradebook as it is (a run that graded nothing still leaves one). */
  flush(): Promise<void> {
    const snapshot = this.#book;
    const write = this.#queue.then(() => writeGradebook(this.dir, snapshot, this.#data));
    this.#queue = write.catch(() => {});
    return write;
  }
}

/** What makes two rows the same grade (when it was graded and how long it took do not). */
function outcome(row: GradebookRow): string {
  const { student, source, score, maxScore, passed, refused, refusal, infrastructureError, checks, commit, key } = row;
  const sortedChecks = Object.fromEntries(Object.entries(checks).sort(([a], [b]) => (a < b ? -1 : 1)));
  return JSON.stringify({ student, source, score, maxScore, passed, refused, refusal, infrastructureError, checks: sortedChecks, commit, key });
}

export interface MergeInput {
  /** Where the gradebook came from, for messages (its directory). */
  origin: string;
  book: Gradebook;
}

/**
 * Joins the gradebooks of a sharded batch. Refuses gradebooks of different exercises (or
 * of different versions of one), and a student found in two of them unless both rows are
 * the same grade.
 */
/**
 * The roster's students that no merged gradebook holds: a shard's results missing (an
 * artifact not found, expired or not uploaded) would otherwise make a class gradebook that
 * silently lacks them.
 */
export function missingFromRoster(book: Gradebook, roster: readonly { student: string }[], origin: string): void {
  const present = new Set(book.rows.map((r) => r.student));
  const missing = roster.map((r) => r.student).filter((s) => !present.has(s));
  if (!missing.length) return;
  const named = missing.length > 10 ? `${missing.slice(0, 10).join(", ")} and ${missing.length - 10} more` : missing.join(", ");
  throw new UsageError(
    `gradebook merge: ${missing.length} of the ${roster.length} student(s) of ${origin} are in none of the gradebooks given (${named}): ` +
      "is a shard's results directory missing? Nothing was written",
  );
}

export function mergeGradebooks(inputs: readonly MergeInput[]): { book: Gradebook; rowOrigin: Map<string, string> } {
  if (inputs.length === 0) throw new UsageError("gradebook merge: no gradebook given");
  const [first] = inputs;
  for (const input of inputs.slice(1)) {
    if (input.book.exercise !== first.book.exercise) {
      throw new UsageError(`gradebook merge: ${input.origin} grades exercise ${input.book.exercise} but ${first.origin} grades ${first.book.exercise}`);
    }
    if (input.book.exerciseVersion !== first.book.exerciseVersion) {
      throw new UsageError(
        `gradebook merge: ${input.origin} and ${first.origin} were graded by different versions of exercise ${first.book.exercise} ` +
          `(${input.book.exerciseVersion} and ${first.book.exerciseVersion}); grade them again with the same kubegrade`,
      );
    }
  }
  let book = emptyGradebook(first.book.exercise, first.book.exerciseVersion, first.book.checkIds);
  const rowOrigin = new Map<string, string>();
  const conflicts: string[] = [];
  for (const input of inputs) {
    for (const row of input.book.rows) {
      const earlier = book.rows.find((r) => r.student === row.student);
      if (earlier) {
        if (outcome(earlier) !== outcome(row)) conflicts.push(`${row.student} (in ${rowOrigin.get(row.student)} and ${input.origin})`);
        continue;
      }
      book = withRow(book, row);
      rowOrigin.set(row.student, input.origin);
    }
  }
  if (conflicts.length) {
    throw new UsageError(`gradebook merge: ${conflicts.length} student(s) graded differently in two gradebooks: ${conflicts.join(", ")}`);
  }
  return { book, rowOrigin };
}
