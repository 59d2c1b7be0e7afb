/**
 * batch and gradebook merge: grading a whole class. Plain async functions over options
 * (runner/batch/), registered on the CLI here; the exit code goes back through the context.
 */
import { Option, type Command } from "commander";
import { readFile } from "node:fs/promises";
import { dirname, join, relative, resolve } from "node:path";
import { addClusterOptions, clusterOptionsOf, imageRegistryOf, type ClusterCliOptions } from "./cluster-cli.ts";
import { EXERCISES_OPTION, collect, coursesOf, type CommandContext } from "./commands.ts";
import { EXIT, UsageError, errorMessage, type ExitCode } from "./errors.ts";
import { createProgress } from "./util/progress.ts";
import { interruption } from "./util/interrupt.ts";
import { verdict } from "./report/writers/text.ts";
// The batch runner (and through it the grader, the Kubernetes client and the container library) is
// imported when a batch command runs, not when the command line starts.
import { DEFAULT_OUT, ISOLATIONS, type Isolation } from "./batch/options.ts";
import type { BatchResult } from "./batch/batch.ts";
import { GRADEBOOK_CSV, GRADEBOOK_JSON } from "./batch/gradebook.ts";
import type { GradebookRow } from "./batch/gradebook-model.ts";
import { parseNamespacesFile } from "./batch/namespace-pool.ts";
import { nameSubmissions, parseRoster, type BatchSubmission } from "./batch/roster.ts";
import { parseShard } from "./batch/shard.ts";

interface BatchCliOptions extends ClusterCliOptions {
  exercises?: string[];
  roster?: string;
  out: string;
  report?: string;
  jobs?: string;
  isolation: string;
  shard?: string;
  namespaces?: string;
  timeout?: string;
  similarAt?: string;
  debug?: boolean;
}

function positiveNumber(value: string, option: string, integer: boolean): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    throw new UsageError(`${option} ${value}: ${integer ? "a whole number of at least 1" : "a positive number"} is expected`);
  }
  return n;
}

function similarityThreshold(value: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n <= 0 || n > 1) throw new UsageError(`--similar-at ${value}: a fraction above 0 and at most 1 is expected`);
  return n;
}

async function readRoster(path: string): Promise<BatchSubmission[]> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new UsageError(`--roster ${path}: cannot be read (${errorMessage(error)})`);
  }
  return parseRoster(text, path, dirname(resolve(path)));
}

/** --namespaces FILE: the pre-created namespaces to grade in (exit 2 when unreadable, empty or repeating a name). */
export async function readNamespacesFile(path: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new UsageError(`--namespaces ${path}: cannot be read (${errorMessage(error)})`);
  }
  return parseNamespacesFile(text, `--namespaces ${path}`);
}

function summary(result: BatchResult): string {
  const lines: string[] = [];
  const width = Math.max(7, ...result.outcomes.map((o) => o.student.length));
  for (const { student, skipped, row } of result.outcomes) {
    const score = row.refused || row.infrastructureError !== undefined ? "-" : `${row.score}/${row.maxScore}`;
    lines.push(`${student.padEnd(width)}  ${score.padStart(7)}  ${verdict(row)}${skipped ? " (kept from an earlier run)" : ""}`);
  }
  const count = (f: (r: GradebookRow) => boolean) => result.outcomes.filter((o) => f(o.row)).length;
  lines.push(
    "",
    `${result.outcomes.length} submission(s): ${count((r) => r.passed)} passed, ` +
      `${count((r) => !r.passed && !r.refused && r.infrastructureError === undefined)} not passed, ` +
      `${count((r) => r.refused)} refused, ${count((r) => r.infrastructureError !== undefined)} infrastructure error(s); ` +
      `${result.outcomes.filter((o) => o.skipped).length} kept from an earlier run`,
    `Gradebook: ${join(result.out, GRADEBOOK_CSV)} and ${GRADEBOOK_JSON}; the class at a glance: ${join(result.out, "gradebook.html")}; ` +
      `similar pairs: similarity.csv; for Canvas or Moodle: gradebook-lms.csv; each student's reports in ${result.out}/<student>/`,
  );
  return lines.join("\n");
}

export async function batchCommand(exerciseId: string, sources: string[], opts: BatchCliOptions, context: CommandContext): Promise<ExitCode> {
  const { env } = context;
  if (opts.roster && sources.length) throw new UsageError("give the submissions either as arguments or in --roster, not both");
  if (!opts.roster && !sources.length) throw new UsageError("no submissions: give directories or git URLs, or --roster roster.csv");
  if (!(ISOLATIONS as readonly string[]).includes(opts.isolation)) {
    throw new UsageError(`--isolation ${opts.isolation}: expected one of ${ISOLATIONS.join(", ")}`);
  }
  const submissions = opts.roster ? await readRoster(opts.roster) : nameSubmissions(sources);
  const namespaces = opts.namespaces === undefined ? undefined : await readNamespacesFile(opts.namespaces);
  let reports;
  try {
    reports = opts.report ? (await import("./report/writers/index.ts")).parseReportSpecs(opts.report) : [];
  } catch (error) {
    throw new UsageError(`--report ${opts.report}: ${errorMessage(error)}`);
  }
  const { runBatch } = await import("./batch/batch.ts");
  const progress = createProgress({ env });
  const result = await runBatch({
    exercise: exerciseId,
    exercises: coursesOf(opts, env),
    submissions,
    out: opts.out,
    reports,
    jobs: opts.jobs === undefined ? undefined : positiveNumber(opts.jobs, "--jobs", true),
    isolation: opts.isolation as Isolation,
    shard: opts.shard === undefined ? undefined : parseShard(opts.shard, env),
    clusterOptions: clusterOptionsOf(opts, { env, progress }),
    imageRegistry: imageRegistryOf(opts, env),
    namespaces,
    namespacesOrigin: opts.namespaces === undefined ? undefined : `--namespaces ${opts.namespaces}`,
    timeoutMs: opts.timeout === undefined ? undefined : positiveNumber(opts.timeout, "--timeout", false) * 1000,
    similarity: opts.similarAt === undefined ? undefined : { threshold: similarityThreshold(opts.similarAt) },
    debug: opts.debug,
    signal: interruption,
    progress,
    env,
  });
  process.stdout.write(`${summary(result)}\n`);
  const unfinished = result.exitCode === EXIT.interrupted || result.exitCode === EXIT.terminated;
  if (unfinished) {
    process.stderr.write(`kubegrade: the batch was interrupted: ${submissions.length - result.outcomes.length} submission(s) not graded; run the same command again to grade only those.\n`);
  }
  const failed = result.outcomes.filter((o) => o.row.infrastructureError !== undefined);
  if (failed.length) {
    process.stderr.write(
      `kubegrade: ${failed.length} submission(s) not graded because the grader or the cluster failed (not the students' fault): ` +
        `${failed.map((o) => o.student).join(", ")}; run the same command again to grade only those.\n`,
    );
  }
  return result.exitCode;
}

interface MergeCliOptions {
  out?: string;
  /** The older name of --out. */
  into?: string;
  roster?: string;
}

/** --out DIR, or --into DIR (its older name, kept): where the merged results go. */
export function mergeTarget(opts: MergeCliOptions): string {
  if (opts.out !== undefined && opts.into !== undefined && resolve(opts.out) !== resolve(opts.into)) {
    throw new UsageError(`gradebook merge: --out ${opts.out} and --into ${opts.into} name two directories; --into is the older name of --out, give one`);
  }
  const target = opts.out ?? opts.into;
  if (target === undefined) throw new UsageError("gradebook merge: --out DIR is required (where the merged gradebook and report folders go)");
  return target;
}

export async function gradebookMergeCommand(outs: string[], opts: MergeCliOptions): Promise<ExitCode> {
  const { mergeResults } = await import("./batch/batch.ts");
  const target = mergeTarget(opts);
  const roster = opts.roster === undefined ? undefined : { students: await readRoster(opts.roster), origin: opts.roster };
  const { into, gradebook, copied } = await mergeResults({ outs, into: target, roster });
  process.stdout.write(
    `Merged ${outs.length} gradebook(s) of exercise ${gradebook.exercise}: ${gradebook.rows.length} student(s) ` +
      `into ${relative(process.cwd(), join(into, GRADEBOOK_CSV)) || GRADEBOOK_CSV} (${copied} report folder(s) copied).\n`,
  );
  return EXIT.passed;
}

export function registerBatchCommands(program: Command, context: CommandContext): void {
  const batch = program
    .command("batch")
    .description("grade a whole class on one cluster, several at a time, into a gradebook (CSV and JSON)")
    .argument("<exercise>", "exercise id (see `kubegrade list`)")
    .argument("[submissions...]", "submission directories or git URL[#ref]s (or use --roster)");
  addClusterOptions(batch, { what: "grade" })
    .option("--roster <file>", "CSV with a header row, then: student id, source (directory or git URL)")
    .option("--out <dir>", "results: gradebook.csv, gradebook.json, gradebook.html (dashboard), similarity.csv, gradebook-lms.csv and <student>/ folders of reports", DEFAULT_OUT)
    .option("--report <formats>", "each student's reports, FORMAT=PATH[,…] relative to <out>/<student>/ (report.json is always written)")
    .option("--jobs <n>", "grades at once (default: what the cluster's free CPU and memory fit, by what one submission's pods request; at most 1.5 per CPU core)")
    .addOption(new Option("--isolation <mode>", "a namespace per submission on one cluster, or a fresh node per submission").choices([...ISOLATIONS]).default("namespace"))
    .option("--shard <I/N|env>", "grade only shard I of N (a stable share by student id), or `env`: I and N from CI_NODE_INDEX and CI_NODE_TOTAL (GitLab's `parallel`); join with `kubegrade gradebook merge`")
    .option("--namespaces <file>", "grade in these pre-created namespaces (one name a line) instead of creating one per submission; one grade per namespace at a time")
    .option("--timeout <seconds>", "budget of each grade")
    .option("--similar-at <fraction>", "list two submissions as alike from this similarity of what they wrote beyond the handout, 0 to 1 (default 0.6; never scored)")
    .option(...EXERCISES_OPTION, collect)
    .option("--debug", "each grade's steps, stack traces")
    .action(async (exercise: string, sources: string[], opts: BatchCliOptions) => {
      context.setExitCode(await batchCommand(exercise, sources, opts, context));
    });
  const gradebook = program.command("gradebook").description("gradebooks written by `kubegrade batch`");
  gradebook
    .command("merge")
    .description("join the gradebooks of a sharded batch (same exercise; a student in two must have the same grade)")
    .argument("<out...>", "results directories of the shards")
    .option("--out <dir>", "where the merged gradebook, the class's views and the report folders go (as for batch)")
    .option("--into <dir>", "the same as --out (its older name)")
    .option("--roster <file>", "the class's roster: refuse (exit 2, nothing written) when any of its students is in none of the gradebooks")
    .action(async (outs: string[], opts: MergeCliOptions) => {
      context.setExitCode(await gradebookMergeCommand(outs, opts));
    });
}
