/**
 * `kubegrade batch`: a whole class graded on one cluster, several submissions at a time,
 * each in a namespace of its own (the grade pipeline's two phases, as `kubegrade grade` runs them), or each
 * on a fresh node of its own (--isolation cluster). Every finished submission is written
 * at once — its reports under <out>/<student>/ and its row in the gradebook, with the class's
 * views rebuilt (dashboard, similar pairs, LMS import file) — so a batch interrupted and run
 * again grades only what is missing or has changed.
 *
 * One submission never changes another's result: each is graded in its own namespace with
 * its own identity, and whatever happens to one (a refusal, a failed clone, an error of the
 * grader) is recorded in its own row.
 */
import { cp, mkdir, readFile, stat } from "node:fs/promises";
import { isAbsolute, join, resolve } from "node:path";
import { providerNamed } from "../cluster/registry.ts";
import { clusterFault } from "../cluster/health.ts";
import { requestCluster, type ClusterRequest } from "../cluster/request.ts";
import type { Cluster, ClusterOptions } from "../cluster/types.ts";
import { EXIT, InfrastructureError, UsageError, errorMessage, type ExitCode } from "../errors.ts";
import { loadExercise, type ExerciseDefinition } from "../exercise.ts";
import { prepareGrade, type PreparedGrade, type RunOptions } from "../grade/index.ts";
import type { GradeReport } from "../report/model.ts";
import { SUMMARY_DEFAULT_FILE, writeReports, type ReportSpec } from "../report/writers/index.ts";
import { writeWhole } from "../util/write-whole.ts";
import { verdictLine } from "../report/writers/text.ts";
import { interruptedBy } from "../util/interrupt.ts";
import { TIMEOUTS } from "../config.ts";
import { NamespaceNotUsable, checkPreCreatedNamespace, describeObjects } from "../namespace.ts";
import { isGitUrl, resolveSource, type ResolvedSource } from "../submission/source.ts";
import { createProgress, type Progress } from "../util/progress.ts";
import { chooseJobs, readCapacity, submissionFootprint, type JobsChoice } from "./capacity.ts";
import {
  GRADEBOOK_JSON, GradebookWriter, emptyGradebook, mergeGradebooks, missingFromRoster, readGradebook, rowFromReport, unreadableRow,
  writeGradebook, type RowExtras,
} from "./gradebook.ts";
import type { Gradebook, GradebookRow } from "./gradebook-model.ts";
import { exerciseVersion, resumeKey, submissionDigest } from "./resume-key.ts";
import { studentIdProblem, type BatchSubmission } from "./roster.ts";
import { STUDENT_LINES, loadClassData } from "./class-views.ts";
import { STUDENT_PAGE, studentFeedback } from "./dashboard.ts";
import { handoutLines, submissionLines } from "./submission-lines.ts";
import type { ManifestLine, SimilarityOptions } from "./similarity.ts";
import { NamespacePool } from "./namespace-pool.ts";
import { inShard, type Shard } from "./shard.ts";
import type { Isolation } from "./options.ts";
export { DEFAULT_OUT, ISOLATIONS, type Isolation } from "./options.ts";

/** Every student's full report, whatever --report asks for: what a rerun renders missing formats from. */
export const STUDENT_RECORD = "report.json";

export interface BatchOptions {
  exercise: string;
  /** Course directories whose exercises are known besides the built-in ones. */
  exercises?: readonly string[];
  submissions: readonly BatchSubmission[];
  /** The results directory (gradebook + one folder per student). */
  out: string;
  /** Reports each student gets, paths relative to <out>/<student>/. */
  reports?: readonly ReportSpec[];
  /** Grades at once; chosen from the cluster's free capacity when absent. */
  jobs?: number;
  isolation?: Isolation;
  shard?: Shard;
  /** Grade on this cluster and leave it running (tests, a caller that owns one). */
  cluster?: Cluster;
  /** How to obtain the cluster otherwise (--cluster, --kubeconfig, --context, --reuse). */
  clusterOptions?: Pick<ClusterOptions, "provider" | "kubeconfig" | "context" | "reuse">;
  /** --image-registry: where the images only the kit builds are (grade()'s imageRegistry). */
  imageRegistry?: string;
  /**
   * Grade in these pre-created namespaces (--namespaces FILE) instead of creating one per
   * submission: at most one grade per namespace at a time, so at most this many at once.
   */
  namespaces?: readonly string[];
  /** Where the namespaces were listed, for messages (the file). */
  namespacesOrigin?: string;
  /** Budget of each grade. */
  timeoutMs?: number;
  /** When two submissions are listed as alike (similarity.ts; defaults: 0.6 and 5 lines). */
  similarity?: SimilarityOptions;
  /** Ctrl-C / SIGTERM: running grades stop and are not recorded, no new one starts. */
  signal?: AbortSignal;
  debug?: boolean;
  progress: Progress;
  env?: NodeJS.ProcessEnv;
}

export interface BatchOutcome {
  student: string;
  /** Already graded with the same submission and exercise version: not graded again. */
  skipped: boolean;
  row: GradebookRow;
}

export interface BatchResult {
  out: string;
  gradebook: Gradebook;
  /** Absent when nothing needed grading. */
  jobs?: JobsChoice;
  /** This run's submissions (after --shard), in the order given. */
  outcomes: BatchOutcome[];
  /** 0 when every submission got a result, 3 when any had an infrastructure error, 130/143 when interrupted. */
  exitCode: ExitCode;
}

/**
 * --report for a batch: every path relative to the student's folder. A summary report
 * without a path goes to its default file name there, never to GitHub's files; classroom50
 * describes one Classroom 50 submission (its runner's environment), not a batch.
 */
export function studentReportSpecs(specs: readonly ReportSpec[]): ReportSpec[] {
  return specs.map((spec) => {
    if (spec.format === "classroom50") throw new UsageError("--report classroom50: Classroom 50's result.json is written for one submission by its runner (ci/classroom50/), not in a batch");
    const path = spec.path ?? (spec.format === "summary" ? SUMMARY_DEFAULT_FILE : undefined);
    if (path === undefined) throw new UsageError(`--report: the ${spec.format} report needs a path`);
    if (isAbsolute(path) || path.split(/[/\\]/).includes("..")) {
      throw new UsageError(`--report ${spec.format}=${path}: in a batch, report paths are relative to <out>/<student>/ and stay inside it`);
    }
    return { format: spec.format, path };
  });
}

/**
 * A grade's own progress inside a batch: silent, or under --debug plain lines prefixed
 * with the student (several grades run at once; one live line cannot show them all).
 */
function studentProgress(student: string, debug: boolean | undefined, env: NodeJS.ProcessEnv | undefined): Progress {
  if (!debug) return createProgress({ quiet: true });
  const plain = createProgress({ env: { ...(env ?? process.env), CI: "true" } });
  const wrapped: Progress = {
    ...plain,
    info: (message) => plain.info(`${student}: ${message}`),
    step: (title, run) => plain.step(`${student}: ${title}`, run),
  };
  const begin = (plain as { begin?: (title: string) => unknown }).begin;
  if (begin) Object.assign(wrapped, { begin: (title: string) => begin(`${student}: ${title}`) });
  return wrapped;
}

function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 90 ? `${s} s` : `${Math.round(s / 60)} min`;
}

function verdict(row: GradebookRow): string {
  return verdictLine(row, row.refusal);
}

/** A finished grade that a rerun keeps: same key, and not an infrastructure error. */
function finished(row: GradebookRow | undefined, key: string): row is GradebookRow {
  return !!row && row.key === key && row.infrastructureError === undefined;
}

function infrastructureRow(
  student: string, source: string, message: string, exercise: ExerciseDefinition, gradedAt: Date, extra: { key?: string; commit?: string } = {},
): GradebookRow {
  return {
    student,
    source,
    score: 0,
    maxScore: exercise.checks.reduce((sum, c) => sum + c.points, 0),
    passed: false,
    refused: false,
    infrastructureError: message,
    checks: Object.fromEntries(exercise.checks.map((c) => [c.id, "error" as const])),
    durationMs: 0,
    ...(extra.commit ? { commit: extra.commit } : {}),
    ...(extra.key ? { key: extra.key } : {}),
    gradedAt: gradedAt.toISOString(),
  };
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}

/**
 * Writes the student's record, their HTML report (the dashboard links to it), their own
 * manifest lines (similarity across reruns) and every report asked for into their folder.
 */
async function writeStudentReports(report: GradeReport, dir: string, specs: readonly ReportSpec[], lines: readonly ManifestLine[] | undefined): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeReports(report, [{ format: "json", path: join(dir, STUDENT_RECORD) }, { format: "html", path: join(dir, STUDENT_PAGE) }], {});
  if (lines) await writeWhole(join(dir, STUDENT_LINES), `${JSON.stringify({ schemaVersion: 1, lines })}\n`);
  await writeReports(report, specs.map((s) => ({ format: s.format, path: join(dir, s.path as string) })), {});
}

/** For a skipped student: the formats asked for now but not written then (and their HTML report), from the record. */
async function completeStudentReports(dir: string, specs: readonly ReportSpec[]): Promise<string[]> {
  const missing: ReportSpec[] = [];
  if (!(await exists(join(dir, STUDENT_PAGE)))) missing.push({ format: "html", path: join(dir, STUDENT_PAGE) });
  for (const spec of specs) if (!(await exists(join(dir, spec.path as string)))) missing.push({ format: spec.format, path: join(dir, spec.path as string) });
  if (!missing.length) return [];
  const record = await readFile(join(dir, STUDENT_RECORD), "utf8").catch(() => undefined);
  if (record === undefined) return missing.map((s) => `${s.path} (no ${STUDENT_RECORD} to write it from)`);
  try {
    await writeReports(JSON.parse(record) as GradeReport, missing, {});
    return [];
  } catch (error) {
    return missing.map((s) => `${s.path} (${errorMessage(error)})`);
  }
}

async function keyFor(source: string, resolved: ResolvedSource, version: string): Promise<string> {
  if (isGitUrl(source) && resolved.commit) return resumeKey({ exerciseVersion: version, gitCommit: resolved.commit });
  return resumeKey({ exerciseVersion: version, contentDigest: await submissionDigest(resolved.dir) });
}

/** Usage errors in the options themselves, before anything is read or written. */
function checkOptions(options: BatchOptions, isolation: Isolation): void {
  if (options.jobs !== undefined && (!Number.isInteger(options.jobs) || options.jobs < 1)) {
    throw new UsageError(`--jobs ${options.jobs}: a whole number of at least 1 is expected`);
  }
  if (isolation === "cluster") {
    const asked = options.clusterOptions ?? {};
    const named = asked.provider ? providerNamed(asked.provider, "--cluster") : undefined;
    if (options.cluster || asked.kubeconfig || (named && !named.capabilities.startsNodes) || asked.reuse) {
      throw new UsageError("--isolation cluster starts a fresh node for each submission; it cannot be combined with --kubeconfig, --reuse or a given cluster");
    }
    if (options.namespaces) throw new UsageError("--namespaces grades in pre-created namespaces of one cluster; it cannot be combined with --isolation cluster");
  }
  if (options.namespaces && (!options.namespaces.length || new Set(options.namespaces).size !== options.namespaces.length)) {
    throw new UsageError(`${options.namespacesOrigin ?? "--namespaces"}: a list of distinct namespace names is expected`);
  }
  const seen = new Map<string, BatchSubmission>();
  for (const s of options.submissions) {
    const problem = studentIdProblem(s.student);
    if (problem) throw new UsageError(`${s.origin ? `${s.origin}: ` : ""}the student name "${s.student}" ${problem}`);
    const earlier = seen.get(s.student);
    if (earlier) throw new UsageError(`student ${s.student} is given twice (${earlier.source} and ${s.source})`);
    seen.set(s.student, s);
  }
}

/** One batch run: what its phases share. */
interface BatchRun {
  options: BatchOptions;
  exercise: ExerciseDefinition;
  version: string;
  isolation: Isolation;
  out: string;
  specs: ReportSpec[];
  /** This run's submissions (after --shard), in the order given. */
  selected: BatchSubmission[];
  /** The gradebook's rows before this run, by student. */
  previous: Map<string, GradebookRow>;
  writer: GradebookWriter;
  handout: Awaited<ReturnType<typeof handoutLines>>;
  outcomes: Map<string, BatchOutcome>;
  counts: { done: number; running: number };
  gradedDurations: number[];
  jobs?: JobsChoice;
  /** The batch's one cluster (namespace isolation), once obtained; its replacement once that is ready. */
  cluster?: Cluster;
  /** A replacement of the batch's cluster on its way (it failed under a grade): grades starting now wait for it. */
  replacing?: Promise<Cluster>;
  /** Clusters that failed and were replaced: removed once the batch ends (grades still on them diagnose them meanwhile). */
  failed: Cluster[];
  /** Pre-created namespaces, once checked on the cluster. */
  pool?: NamespacePool;
}

/** A submission waiting for a grade; `prepared` when read and validated already (a local directory). */
interface Queued {
  submission: BatchSubmission;
  prepared?: PreparedGrade;
}

export async function runBatch(options: BatchOptions): Promise<BatchResult> {
  const run = await startRun(options);
  const queue = await settleWithoutCluster(run);
  const ownsCluster = !options.cluster && run.isolation === "namespace" && queue.length > 0;
  try {
    if (queue.length > 0) await provision(run, queue);
    await gradeQueue(run, queue);
  } finally {
    await run.replacing?.catch(() => {});
    if (ownsCluster) await run.cluster?.stop().catch((error: unknown) => options.progress.info(`Could not stop the cluster: ${errorMessage(error)}`));
    if (run.failed.length) {
      const { removeFailedCluster } = await import("../cluster/index.ts");
      for (const dead of run.failed) await removeFailedCluster(dead, { reuse: options.clusterOptions?.reuse });
    }
  }
  const ordered = run.selected.map((s) => run.outcomes.get(s.student)).filter((o): o is BatchOutcome => !!o);
  const failed = ordered.filter((o) => o.row.infrastructureError !== undefined);
  return {
    out: run.out,
    gradebook: run.writer.book,
    jobs: run.jobs,
    outcomes: ordered,
    exitCode: interruptedBy(undefined, options.signal ?? new AbortController().signal)?.exitCode ?? (failed.length ? EXIT.internal : EXIT.passed),
  };
}

/** The options checked, the gradebook read (or begun) and writable, the class's data loaded. */
async function startRun(options: BatchOptions): Promise<BatchRun> {
  const exercise = await loadExercise(options.exercise, options.exercises);
  const version = exerciseVersion(exercise);
  const isolation = options.isolation ?? "namespace";
  const out = resolve(options.out);
  const specs = studentReportSpecs(options.reports ?? []);
  checkOptions(options, isolation);
  const selected = options.submissions.filter((s) => inShard(s.student, options.shard));
  const existing = await readGradebook(out);
  if (existing && existing.exercise !== exercise.id) {
    throw new UsageError(`${join(out, GRADEBOOK_JSON)} is the gradebook of exercise ${existing.exercise}, not ${exercise.id}: choose another --out`);
  }
  const checkIds = exercise.checks.map((c) => c.id);
  const classData = await loadClassData(out, existing?.rows ?? [], options.similarity);
  const writer = new GradebookWriter(out, existing ? { ...existing, exerciseVersion: version, checkIds } : emptyGradebook(exercise.id, version, checkIds), classData);
  // Similarity compares what each student wrote beyond what the exercise hands out.
  const handout = await handoutLines(exercise);
  await writer.flush(); // an --out that cannot be written fails now, not after the first grade
  const shardText = options.shard ? ` (shard ${options.shard.index}/${options.shard.count}: ${selected.length} of ${options.submissions.length})` : "";
  options.progress.info(`Batch of ${selected.length} submission(s) of exercise ${exercise.id} into ${out}${shardText}`);
  return {
    options, exercise, version, isolation, out, specs, selected, writer, handout,
    previous: new Map((existing?.rows ?? []).map((r) => [r.student, r])),
    outcomes: new Map(), counts: { done: 0, running: 0 }, gradedDurations: [], failed: [],
    ...(options.cluster ? { cluster: options.cluster } : {}),
  };
}

/** "[3/10 done, 2 running, 5 left, ~2 min to go]" */
function status(run: BatchRun): string {
  const { counts, gradedDurations, jobs } = run;
  const left = run.selected.length - counts.done - counts.running;
  let eta = "";
  if (left + counts.running > 0) {
    if (gradedDurations.length && jobs) {
      const mean = gradedDurations.reduce((a, b) => a + b, 0) / gradedDurations.length;
      eta = `, ~${duration((mean * (left + counts.running / 2)) / jobs.jobs)} to go`;
    } else {
      eta = ", estimate after the first grade";
    }
  }
  return `[${counts.done}/${run.selected.length} done, ${counts.running} running, ${left} left${eta}]`;
}

/** Records an outcome; returns a note for the progress line, if any. */
async function record(run: BatchRun, submission: BatchSubmission, row: GradebookRow, skipped: boolean, extras: RowExtras = {}): Promise<string> {
  run.outcomes.set(submission.student, { student: submission.student, skipped, row });
  run.counts.done++;
  const before = run.previous.get(submission.student);
  if (skipped) return "";
  // A failure of the grader never replaces a finished grade (of an earlier version of
  // the submission): the run's exit code says to run again, and that grades it.
  if (row.infrastructureError !== undefined && before && before.infrastructureError === undefined) {
    return `; the gradebook keeps the earlier grade (${verdict(before)}) until a run grades this version`;
  }
  await run.writer.record(row, extras);
  return "";
}

/** Phase 1 of one submission's grade (the same as `kubegrade grade`'s). */
function prepare(run: BatchRun, student: string, resolved: ResolvedSource): Promise<PreparedGrade> {
  const { options } = run;
  return prepareGrade({
    exercise: run.exercise.id,
    exercises: options.exercises,
    submission: resolved.dir,
    submissionLabel: resolved.label,
    commit: resolved.commit,
    sourceNotes: resolved.notes,
    progress: studentProgress(student, options.debug, options.env),
    env: options.env,
  });
}

/** Phase 2 of one submission's grade: on the batch's cluster (`onBatchCluster`), or on a fresh node of its own (--isolation cluster). */
function runOptions(run: BatchRun, student: string, onBatchCluster: ClusterRequest): RunOptions {
  const { options } = run;
  const cluster = run.isolation === "cluster"
    ? requestCluster({ ...(options.clusterOptions?.provider ? { provider: options.clusterOptions.provider } : {}), progress: studentProgress(student, options.debug, options.env), env: options.env })
    : onBatchCluster;
  return {
    cluster,
    ...(options.imageRegistry ? { imageRegistry: options.imageRegistry } : {}),
    ...(run.pool ? { namespaces: run.pool } : {}),
    signal: options.signal,
    timeoutMs: options.timeoutMs,
    debug: options.debug,
  };
}

/**
 * The batch's cluster for one grade, left running: the current one, or its replacement when
 * one is on its way. `used()` is the one the grade got, once it asked.
 */
function batchCluster(run: BatchRun): { request: ClusterRequest; used: () => Cluster | undefined } {
  let used: Cluster | undefined;
  let obtaining: Promise<Cluster> | undefined;
  const request: ClusterRequest = {
    obtain() {
      obtaining ??= (run.replacing ?? Promise.resolve(run.cluster as Cluster)).then((cluster) => (used = cluster));
      return obtaining;
    },
    removedByGrade: false,
    removeInBackground: false,
  };
  return { request, used: () => used };
}

/**
 * Phase 2, and once more when it ended in an infrastructure error: a fault is not a grade,
 * and a second try usually gets one. Read again (a prepared grade runs once), then graded in
 * a fresh namespace of the same cluster while it answers, on a replacement when the batch's
 * own cluster failed, or on a fresh node (--isolation cluster). A second fault is recorded.
 */
async function gradeWithRetry(run: BatchRun, student: string, resolved: ResolvedSource, prepared: PreparedGrade): Promise<GradeReport> {
  const first = batchCluster(run);
  const report = await prepared.run(runOptions(run, student, first.request));
  const cause = report.infrastructureError;
  if (report.interrupted || cause === undefined || run.options.signal?.aborted) return report;
  const where = await retryPlace(run, first.used());
  if (where === undefined) return report;
  run.options.progress.info(`${status(run)} ${student}: retrying once: ${cause} (${where})`);
  const again = await prepare(run, student, resolved);
  const second = again.refused ? again.report : await again.run(runOptions(run, student, batchCluster(run).request));
  second.notes.push(`Graded a second time, ${where}: the first attempt was not a grade (${cause}).`);
  return second;
}

/**
 * Where a grade's second try goes, in words; starts replacing the batch's cluster when it
 * failed and is the batch's to replace. Undefined: nowhere (the batch's cluster could not be
 * obtained, nor replaced: a second try would fail the same way at once).
 */
async function retryPlace(run: BatchRun, used: Cluster | undefined): Promise<string | undefined> {
  if (run.isolation === "cluster") return "on a fresh node of its own";
  if (!used) return undefined;
  if (used !== run.cluster) return "on the cluster that replaced the failed one";
  const fault = await clusterFault(used).catch(() => undefined);
  if (fault === undefined) return "in a fresh namespace of the same cluster, which still answers";
  // A cluster given to the batch, or an existing one (a kubeconfig's), is not the batch's to replace.
  if (run.options.cluster || !used.capabilities.startsNodes) return "on the same cluster, which the batch did not start and does not replace";
  startReplacement(run, used);
  return "on a new cluster replacing the failed one";
}

/** One replacement of the batch's failed cluster, whichever grade notices first; every grade after waits for it. */
function startReplacement(run: BatchRun, dead: Cluster): void {
  if (run.cluster !== dead || run.replacing) return;
  const { options } = run;
  // Why is said on each of its grades' "retrying once" line.
  options.progress.info(`The batch's cluster failed: starting another, where the grades it held are graded again`);
  run.failed.push(dead);
  const replacing = (async () => {
    const { replaceCluster } = await import("../cluster/index.ts");
    const fresh = await replaceCluster({ ...options.clusterOptions, namespaces: options.namespaces, progress: options.progress, env: options.env });
    run.cluster = fresh;
    options.progress.info(`Grading on ${fresh.description} from now on`);
    return fresh;
  })();
  run.replacing = replacing;
  replacing.then(
    () => {
      if (run.replacing === replacing) run.replacing = undefined;
    },
    // Kept rejected: every grade after fails at once, recorded as not graded (the next run grades them).
    (error: unknown) => options.progress.info(`Could not replace the failed cluster: ${errorMessage(error)}`),
  );
}

/**
 * The row of one submission; never throws (whatever happens is that student's row). An
 * interrupted grade has no row: the next run grades it.
 */
async function evaluate(run: BatchRun, queued: Queued): Promise<{ row?: GradebookRow; skipped: boolean; extras?: RowExtras }> {
  const { student, source } = queued.submission;
  const { exercise } = run;
  let resolved: ResolvedSource;
  try {
    resolved = await resolveSource(source);
  } catch (error) {
    return {
      row: error instanceof UsageError
        ? unreadableRow(student, source, errorMessage(error), exercise.checks, new Date())
        : infrastructureRow(student, source, `reading the submission failed: ${errorMessage(error)}`, exercise, new Date()),
      skipped: false,
    };
  }
  let key: string | undefined;
  try {
    key = await keyFor(source, resolved, run.version);
    const before = run.previous.get(student);
    const dir = join(run.out, student);
    if (finished(before, key)) {
      await completeStudentReports(dir, run.specs);
      return { row: before, skipped: true };
    }
    // The same two phases as `kubegrade grade`; a refused submission takes no namespace (nor a cluster).
    const prepared = queued.prepared ?? (await prepare(run, student, resolved));
    const report = prepared.refused ? prepared.report : await gradeWithRetry(run, student, resolved, prepared);
    if (report.interrupted) return { skipped: false };
    const row = rowFromReport(student, source, report, key, new Date());
    // Read before the clone (of a git URL) is removed; kept small: the lines, not the manifests.
    const lines = await submissionLines(resolved.dir, exercise, run.handout);
    try {
      await writeStudentReports(report, dir, run.specs, lines);
    } catch (error) {
      // Graded, but without its reports it is not finished: a rerun grades it again.
      return { row: { ...row, infrastructureError: `writing the reports into ${dir} failed: ${errorMessage(error)}` }, skipped: false };
    }
    return { row, skipped: false, extras: { feedback: studentFeedback(report), lines } };
  } catch (error) {
    // A pre-created namespace that cannot be used is the grader's problem, not the student's.
    const graderFault = !(error instanceof UsageError) || error instanceof NamespaceNotUsable;
    return {
      row: graderFault
        ? infrastructureRow(student, source, errorMessage(error), exercise, new Date(), { key, commit: resolved.commit })
        : unreadableRow(student, source, errorMessage(error), exercise.checks, new Date()),
      skipped: false,
    };
  } finally {
    await resolved.cleanup().catch(() => {});
  }
}

async function gradeOne(run: BatchRun, queued: Queued): Promise<void> {
  const { submission } = queued;
  const { progress } = run.options;
  const started = performance.now();
  run.counts.running++;
  progress.info(`${status(run)} ${submission.student}: grading ${submission.source}`);
  const { row, skipped, extras } = await evaluate(run, queued).finally(() => {
    run.counts.running--;
  });
  if (!row) {
    progress.info(`${status(run)} ${submission.student}: interrupted, not recorded (the next run grades it)`);
    return;
  }
  const took = performance.now() - started;
  if (!skipped && !row.refused && row.infrastructureError === undefined) run.gradedDurations.push(took);
  const note = await record(run, submission, row, skipped, extras);
  progress.info(`${status(run)} ${submission.student}: ${skipped ? `already graded (${verdict(row)}), skipped` : `${verdict(row)} (${duration(took)})`}${note}`);
}

/**
 * Step 1, without a cluster: local directories unchanged since their last grade are kept;
 * unreadable or refused ones (invalid, hostile) are recorded at once. Returns what is left to grade.
 */
async function settleWithoutCluster(run: BatchRun): Promise<Queued[]> {
  const { options } = run;
  const queue: Queued[] = [];
  for (const submission of run.selected) {
    if (options.signal?.aborted) break;
    if (isGitUrl(submission.source)) {
      queue.push({ submission });
      continue;
    }
    const dir = resolve(submission.source);
    const digest = await submissionDigest(dir).catch(() => undefined);
    const before = run.previous.get(submission.student);
    if (digest && finished(before, resumeKey({ exerciseVersion: run.version, contentDigest: digest }))) {
      const missing = await completeStudentReports(join(run.out, submission.student), run.specs);
      await record(run, submission, before, true);
      options.progress.info(`${status(run)} ${submission.student}: already graded (${verdict(before)}), skipped${missing.length ? `; could not write ${missing.join(", ")}` : ""}`);
      continue;
    }
    // Read and validated once, here: a refused one is recorded at once, without a cluster.
    const local = digest ? await resolveSource(submission.source).catch(() => undefined) : undefined;
    const prepared = local ? await prepare(run, submission.student, local).catch(() => undefined) : undefined;
    if (!prepared || prepared.refused) await gradeOne(run, { submission, ...(prepared ? { prepared } : {}) });
    else queue.push({ submission, prepared });
  }
  return queue;
}

/** Step 2: the batch's one cluster (namespace isolation), its pre-created namespaces checked, and how many grades at once. */
async function provision(run: BatchRun, queue: Queued[]): Promise<void> {
  const { options, exercise } = run;
  if (run.isolation === "namespace" && !run.cluster) {
    try {
      const { obtainCluster } = await import("../cluster/index.ts");
      run.cluster = await obtainCluster({ ...options.clusterOptions, namespaces: options.namespaces, progress: options.progress, env: options.env });
    } catch (error) {
      if (error instanceof UsageError) throw error;
      // No cluster, no grade: every submission left is recorded as not graded.
      for (const { submission } of queue.splice(0)) {
        const row = infrastructureRow(submission.student, submission.source, `no cluster to grade on: ${errorMessage(error)}`, exercise, new Date());
        const note = await record(run, submission, row, false);
        options.progress.info(`${status(run)} ${submission.student}: ${verdict(row)}${note}`);
      }
      return;
    }
  }
  if (options.namespaces) run.pool = await checkedPool(run, options.namespaces);
  run.jobs = await jobsFor(run);
  const { jobs, pool, cluster } = run;
  options.progress.info(
    `Grading ${queue.length} submission(s), ${jobs.jobs} at a time (${jobs.why}); ` +
      (run.isolation === "cluster"
        ? "each on a fresh node of its own"
        : pool
          ? `each in one of ${pool.size} pre-created namespace(s) (${options.namespaces!.join(", ")}), emptied after it, on ${cluster!.description}`
          : `each in its own namespace on ${cluster!.description}`),
  );
}

/** Every pre-created namespace checked before the first grade: a wrong one is a usage error (exit 2). */
async function checkedPool(run: BatchRun, names: readonly string[]): Promise<NamespacePool> {
  const { options } = run;
  const problems: string[] = [];
  for (const name of names) {
    try {
      const { cleaned, heldBy } = await checkPreCreatedNamespace(run.cluster!.kubeConfig, run.exercise, name, { deadlineMs: TIMEOUTS.cleanupMs });
      if (cleaned.length) options.progress.info(`Removed the remains of an interrupted grade from namespace ${name}: ${describeObjects(cleaned)}`);
      if (heldBy) options.progress.info(`Namespace ${name} is held by another grade now (${heldBy}): its contents are checked when a grade of this batch takes it over`);
    } catch (error) {
      if (!(error instanceof UsageError)) throw error;
      problems.push(error.message);
    }
  }
  const from = options.namespacesOrigin ?? "--namespaces";
  if (problems.length) throw new UsageError(`${from}: ${problems.length} of ${names.length} namespace(s) cannot be graded in:\n  ${problems.join("\n  ")}`);
  return new NamespacePool(names, {
    onRetire: (name, why) => options.progress.info(`Pre-created namespace ${name} is taken out of the pool: ${why}`),
  });
}

/** How many grades at once: --jobs, else one per fresh node, else what the cluster's free capacity fits; at most one per pre-created namespace. */
async function jobsFor(run: BatchRun): Promise<JobsChoice> {
  const { options, pool } = run;
  let jobs: JobsChoice;
  if (options.jobs !== undefined) {
    jobs = { jobs: options.jobs, why: "--jobs" };
  } else if (run.isolation === "cluster") {
    jobs = { jobs: 1, why: "--isolation cluster starts a node per submission (about 0.9 GB each); --jobs N runs more at once" };
  } else {
    const capacity = await readCapacity(run.cluster!.kubeConfig);
    jobs = "unknown" in capacity ? { jobs: 1, why: `${capacity.unknown}; --jobs N to choose` } : chooseJobs(capacity, submissionFootprint(run.exercise), run.exercise.id);
  }
  if (pool && jobs.jobs > pool.size) {
    jobs = { jobs: pool.size, why: `${jobs.why}; at most ${pool.size}, one grade per pre-created namespace in ${options.namespacesOrigin ?? "--namespaces"}` };
  }
  return jobs;
}

/** Step 3: a pool of workers over the queue; a gradebook that cannot be written stops it. */
async function gradeQueue(run: BatchRun, queue: Queued[]): Promise<void> {
  let fatal: unknown;
  const worker = async () => {
    for (let next = queue.shift(); next && fatal === undefined && !run.options.signal?.aborted; next = queue.shift()) {
      await gradeOne(run, next).catch((error: unknown) => {
        fatal ??= error;
      });
    }
  };
  await Promise.all(Array.from({ length: Math.min(run.jobs?.jobs ?? 1, queue.length) }, worker));
  if (fatal !== undefined) throw new InfrastructureError(`the batch stopped: ${errorMessage(fatal)}`, { cause: fatal });
}

export interface MergeOptions {
  /** Results directories of the shards (each with a gradebook.json). */
  outs: readonly string[];
  into: string;
  /** Every student of this roster must be in one of the gradebooks (`origin` names it in the message). */
  roster?: { students: readonly BatchSubmission[]; origin: string };
}

/**
 * `kubegrade gradebook merge`: the shards' gradebooks joined into one, and each student's
 * folder of reports copied beside it.
 */
export async function mergeResults(options: MergeOptions): Promise<{ into: string; gradebook: Gradebook; copied: number }> {
  const into = resolve(options.into);
  const inputs = [];
  for (const dir of options.outs) {
    const book = await readGradebook(resolve(dir));
    if (!book) throw new UsageError(`gradebook merge: ${dir} holds no ${GRADEBOOK_JSON}`);
    inputs.push({ origin: resolve(dir), book });
  }
  if (!inputs.some((i) => i.origin === into) && (await readGradebook(into))) {
    throw new UsageError(`gradebook merge: ${into} already holds a gradebook; name it among the inputs to merge into it`);
  }
  const { book, rowOrigin } = mergeGradebooks(inputs);
  if (options.roster) missingFromRoster(book, options.roster.students, options.roster.origin);
  let copied = 0;
  for (const row of book.rows) {
    const origin = rowOrigin.get(row.student);
    if (!origin || origin === into) continue;
    const from = join(origin, row.student);
    if (!(await exists(from))) continue;
    await cp(from, join(into, row.student), { recursive: true, force: true });
    copied++;
  }
  await writeGradebook(into, book);
  return { into, gradebook: book, copied };
}
