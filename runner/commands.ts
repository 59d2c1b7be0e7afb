/**
 * grade, list and explain: plain async functions over options, registered on the CLI.
 */
import type { Command } from "commander";
import pc from "picocolors";
import { TIMEOUTS } from "./config.ts";
import { requestCluster } from "./cluster/request.ts";
import { addClusterOptions, clusterOptionsOf, imageRegistryOf, type ClusterCliOptions } from "./cluster-cli.ts";
import { UsageError, type ExitCode } from "./errors.ts";
import { CONTEXT_PARAMS } from "../checks/api.ts";
import { checkParams, courseDirs, listExercises, loadExercise, maxScore } from "./exercise.ts";
import { contextParamRows, paramLines, paramRows } from "./exercise-params.ts";
import type { CheckResult, GradeReport } from "./report/model.ts";
import type { CheckProgress, RunOptions } from "./grade/types.ts";
import { renderTable } from "./report/terminal.ts";
import { formatRefusal } from "./report/writers/text.ts";
import { colourEnabled } from "./util/colour.ts";
import { createProgress, type ActiveStep } from "./util/progress.ts";
import { disposableSource, resolveSource } from "./submission/source.ts";
import { NamespacePool } from "./batch/namespace-pool.ts";
import { interruption } from "./util/interrupt.ts";
import type { Progress } from "./util/progress.ts";

/** --exercises DIR (repeatable): a course's exercises besides the built-in ones. */
export const EXERCISES_OPTION = ["--exercises <dir>", "a course directory of exercises (repeatable; also KUBEGRADE_EXERCISES or a kubegrade.yaml above the current directory)"] as const;
export const collect = (value: string, previous: string[] = []) => [...previous, value];

/** The course directories a command reads, from its --exercises, the environment or kubegrade.yaml. */
export function coursesOf(opts: { exercises?: string[] }, env: NodeJS.ProcessEnv): string[] {
  return courseDirs({ given: opts.exercises, env });
}

/**
 * Phase 1 of a grade (read and validate: no Kubernetes client, no container library), loaded
 * when a grade runs, not at start: list, explain and --help need neither. At module level:
 * tsc does not rewrite ".ts" to ".js" in an import() inside a function that holds an
 * `await using` (its downlevelled body), which would break the npm package.
 */
const loadPrepare = () => import("./grade/prepare.ts");
const loadScore = () => import("./grade/score.ts");

export interface CommandContext {
  env: NodeJS.ProcessEnv;
  setExitCode: (code: ExitCode) => void;
}

function formatRefusals(report: GradeReport): string {
  return [
    "The submission was refused before grading:",
    ...report.refusals.map((r) => `  ${formatRefusal(r)}`),
    "Fix these and grade again (exit code 2).",
  ].join("\n");
}

interface GradeCliOptions extends WatchCliOptions {
  report?: string;
  namespace?: string;
  keep?: boolean;
  watch?: boolean;
}

/** --timeout SECONDS, in milliseconds (exit 2 when it is not a positive number). */
function timeoutOf(opts: { timeout?: string }): number | undefined {
  if (opts.timeout === undefined) return undefined;
  const seconds = Number(opts.timeout);
  if (!Number.isFinite(seconds) || seconds <= 0) throw new UsageError(`--timeout ${opts.timeout}: a number of seconds is expected`);
  return seconds * 1000;
}

export async function gradeCommand(exerciseId: string, dir: string | undefined, opts: GradeCliOptions, context: CommandContext): Promise<ExitCode> {
  const { env } = context;
  if (opts.watch) {
    const alone = (["report", "keep", "namespace"] as const).filter((o) => opts[o] !== undefined);
    if (alone.length) throw new UsageError(`--watch grades again on every save and writes no report; it does not go with ${alone.map((o) => `--${o}`).join(", ")}`);
    return watchCommand(exerciseId, dir, opts, context);
  }
  const specs = opts.report ? await parseReportSpecsOrUsage(opts.report) : [];
  const timeoutMs = timeoutOf(opts);
  if (opts.namespace !== undefined && !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(opts.namespace)) {
    throw new UsageError(`--namespace ${opts.namespace}: not a namespace name (lower-case letters, digits and "-", at most 63 characters)`);
  }
  const imageRegistry = imageRegistryOf(opts, env);
  const progress = createProgress({ env });
  const colour = colourEnabled(env, !!process.stdout.isTTY);
  await using source = disposableSource(await resolveSource(dir ?? "."));
  const namespaces = opts.namespace !== undefined ? new NamespacePool([opts.namespace]) : undefined;
  // Phase 1: a refused submission never starts a cluster.
  const prepared = await (await loadPrepare()).prepareGrade({
    exercise: exerciseId,
    exercises: coursesOf(opts, env),
    submission: source.dir,
    submissionLabel: source.label,
    commit: source.commit,
    sourceNotes: source.notes,
    progress,
    env,
  });
  let report = prepared.report;
  if (!prepared.refused) {
    // The cluster starts now; the rest of the grader (the Kubernetes client, mocha's checks)
    // loads while it boots (run() imports it once the node's container runs).
    let onStarting = () => {};
    const starting = new Promise<void>((resolve) => (onStarting = resolve));
    const cluster = requestCluster(
      { ...clusterOptionsOf({ ...opts, reuse: opts.reuse || opts.keep }, { env, progress }), ...(namespaces ? { namespaces: namespaces.names } : {}), onStarting: () => onStarting() },
      { removeInBackground: true },
    );
    const obtaining = cluster.obtain();
    await Promise.race([starting, obtaining.then(() => {}, () => {})]); // run() reports its failure
    const run: RunOptions = {
      cluster,
      ...(imageRegistry ? { imageRegistry } : {}),
      ...(namespaces ? { namespaces } : {}),
      signal: interruption,
      keep: opts.keep,
      timeoutMs,
      debug: opts.debug,
      checkProgress: checkLines(progress, colour),
      onNamespace: ({ namespace, kubeconfigPath }) => {
        if (kubeconfigPath) progress.info(`Keeping namespace ${namespace}: kubectl --kubeconfig ${kubeconfigPath} -n ${namespace} get pods`);
      },
    };
    report = await prepared.run(run);
  }
  return printGrade(report, { colour, specs, env, progress });
}

interface WatchCliOptions extends ClusterCliOptions {
  exercises?: string[];
  timeout?: string;
  debug?: boolean;
}

/** kubegrade watch (and grade --watch): grades on every save until Ctrl-C, on the warm cluster unless told otherwise. */
export async function watchCommand(exerciseId: string, dir: string | undefined, opts: WatchCliOptions, context: CommandContext): Promise<ExitCode> {
  const { env } = context;
  const timeoutMs = timeoutOf(opts);
  const imageRegistry = imageRegistryOf(opts, env);
  const progress = createProgress({ env });
  const colour = colourEnabled(env, !!process.stdout.isTTY);
  const { watchSubmission } = await import("./watch.ts");
  const ended = await watchSubmission({
    exercise: exerciseId,
    exercises: coursesOf(opts, env),
    dir: dir ?? ".",
    cluster: clusterOptionsOf(opts, { env, progress, reuseByDefault: true }),
    run: { ...(imageRegistry ? { imageRegistry } : {}), timeoutMs, debug: opts.debug },
    progress,
    env,
    signal: interruption,
    write: (text) => process.stdout.write(text),
    colour,
    checkProgress: (stopped) => checkLines(progress, colour, stopped),
  });
  process.stderr.write(`kubegrade: watch ended by ${ended.signal}; what its grades made was removed.\n`);
  return ended.exitCode;
}

/** Each check's progress line: started, what it waits for, its verdict — or, once `stopped` (watch: a newer save), that it was stopped. */
function checkLines(progress: Progress, colour: boolean, stopped?: AbortSignal): CheckProgress {
  const c = pc.createColors(colour);
  const active = new Map<string, ActiveStep>();
  return {
    started: (check) => {
      if (!stopped?.aborted) active.set(check.id, progress.begin(`${check.id}: ${check.title}`));
    },
    waiting: (id, detail) => active.get(id)?.update(detail),
    finished: (result: CheckResult) => {
      const mark = { passed: c.green("✓"), failed: c.red("✗"), error: c.magenta("!"), skipped: c.yellow("–") }[result.status];
      const line = stopped?.aborted
        ? `${c.yellow("↻")} ${result.id} stopped`
        : `${mark} ${result.id} ${result.status} ${c.dim(`(${(result.durationMs / 1000).toFixed(1)} s)`)}`;
      if (stopped?.aborted && !active.has(result.id)) return;
      const step = active.get(result.id);
      if (step) step.end({ ok: result.status === "passed", line });
      else progress.info(line);
    },
  };
}

/** The table (or the refusals), the notes and the reports asked for; the exit code. */
async function printGrade(
  report: GradeReport,
  how: { colour: boolean; specs: Awaited<ReturnType<typeof parseReportSpecsOrUsage>>; env: NodeJS.ProcessEnv; progress: Progress },
): Promise<ExitCode> {
  const { exitCodeForReport } = await loadScore();
  if (report.interrupted) {
    // Not a result: no table, no score, no report file a grading system would read.
    process.stderr.write(`kubegrade: interrupted by ${report.interrupted}: not graded, no report written; everything the grade started was removed.\n`);
    return exitCodeForReport(report);
  }
  if (report.refused) process.stderr.write(`${formatRefusals(report)}\n`);
  else if (report.infrastructureError !== undefined) {
    // Not a grade: no table, no score, no "not passed" — the cause, once.
    process.stderr.write(`kubegrade: not graded — the grader or the cluster failed (not your submission's fault): ${report.infrastructureError}\n`);
  } else process.stdout.write(`${renderTable(report, { colour: how.colour })}\n`);
  for (const note of report.notes) process.stdout.write(`note: ${note}\n`);
  const written = how.specs.length ? await (await loadWriters()).writeReports(report, how.specs, how.env) : [];
  for (const path of written) how.progress.info(`Report written: ${path}`);
  return exitCodeForReport(report);
}

/** The report writers (the JUnit one imports an XML library) load when a report is asked for. */
const loadWriters = () => import("./report/writers/index.ts");

async function parseReportSpecsOrUsage(value: string) {
  const { parseReportSpecs } = await loadWriters();
  try {
    return parseReportSpecs(value);
  } catch (error) {
    throw new UsageError(`--report ${value}: ${(error as Error).message}`);
  }
}

export async function listCommand(courses: readonly string[] = []): Promise<string> {
  const lines: string[] = [];
  for (const id of listExercises(courses)) {
    const e = await loadExercise(id, courses);
    lines.push(`${id.padEnd(12)} ${String(maxScore(e)).padStart(3)} pts  ${e.title}${e.course ? `  (${e.course})` : ""}`);
  }
  return lines.join("\n");
}

export async function explainCommand(exerciseId: string, courses: readonly string[] = []): Promise<string> {
  const e = await loadExercise(exerciseId, courses);
  const lines = [`${e.title}`, "", e.summary, ""];
  // statefulset and service: read by the context, so by every check; required where some check requires them.
  const required = new Set(e.checks.flatMap((c) => c.definition.params.required ?? []));
  lines.push("Parameters every check receives:");
  for (const row of contextParamRows(e.params)) lines.push(...paramLines({ ...row, required: required.has(row.name) }, "  "));
  lines.push("", `Checks (${maxScore(e)} points; pass with ${e.passScore ?? maxScore(e)}):`);
  const under = `       ${"".padEnd(18)} `;
  for (const check of e.checks) {
    const { definition } = check;
    const params = checkParams(e, check);
    lines.push(`  ${String(check.points).padStart(3)}  ${check.id.padEnd(18)} ${definition.title}`);
    for (const rule of definition.rules?.(params) ?? []) lines.push(`${under}- ${rule}`);
    if (definition.requires.length) lines.push(`${under}needs: ${definition.requires.join(", ")}`);
    if (check.hint) lines.push(`${under}hint: ${check.hint}`);
    const own = paramRows(definition.params, params).filter((row) => !(row.name in CONTEXT_PARAMS));
    if (own.length) lines.push(`${under}parameters:`, ...own.flatMap((row) => paramLines(row, `${under}  `)));
  }
  lines.push("", `Allowed kinds: ${e.allowedKinds.join(", ")}`, `Images (any tag or digest of these): ${e.images.join(", ")}`);
  lines.push(`Time budget: ${e.timeBudgetSeconds} s (plus up to ${TIMEOUTS.clusterStartMs / 1000} s to start a cluster)`);
  return lines.join("\n");
}

export function registerGradeCommands(program: Command, context: CommandContext): void {
  const grade = program
    .command("grade")
    .description("grade a submission: every *.yaml/*.yml below DIR (default: the current directory)")
    .argument("<exercise>", "exercise id (see `kubegrade list`)")
    .argument("[source]", "submission directory, or git URL[#ref]", ".");
  addClusterOptions(grade, { what: "grade" })
    .option("--report <formats>", "reports to write, FORMAT=PATH[,FORMAT=PATH…]: json, junit, gradescope, classroom50, annotations, codequality, summary, html")
    .option("--namespace <name>", "grade in this pre-created, empty namespace instead of creating one (it is emptied again afterwards, not deleted)")
    .option("--keep", "leave the namespace and the cluster in place and print how to reach them")
    .option("--timeout <seconds>", "budget for the whole grade")
    .option("--watch", "grade again each time a file of the submission is saved, on the warm cluster: `kubegrade watch`")
    .option(...EXERCISES_OPTION, collect)
    .option("--debug", "stack traces and component logs")
    .action(async (exercise: string, dir: string, opts: GradeCliOptions) => {
      context.setExitCode(await gradeCommand(exercise, dir, opts, context));
    });
  const watch = program
    .command("watch")
    .description("grade a submission directory, then again each time one of its files is saved, until Ctrl-C (on the warm cluster unless told otherwise)")
    .argument("<exercise>", "exercise id (see `kubegrade list`)")
    .argument("[dir]", "submission directory", ".");
  addClusterOptions(watch, { what: "grade", reuseByDefault: true })
    .option("--timeout <seconds>", "budget for each grade")
    .option(...EXERCISES_OPTION, collect)
    .option("--debug", "stack traces and component logs")
    .action(async (exercise: string, dir: string, opts: WatchCliOptions) => {
      context.setExitCode(await watchCommand(exercise, dir, opts, context));
    });
  program
    .command("list")
    .description("the exercises kubegrade can grade")
    .option(...EXERCISES_OPTION, collect)
    .action(async (opts: { exercises?: string[] }) => {
      process.stdout.write(`${await listCommand(coursesOf(opts, context.env))}\n`);
    });
  program
    .command("explain")
    .description("what is checked in an exercise, and for how many points")
    .argument("<exercise>")
    .option(...EXERCISES_OPTION, collect)
    .action(async (exercise: string, opts: { exercises?: string[] }) => {
      process.stdout.write(`${await explainCommand(exercise, coursesOf(opts, context.env))}\n`);
    });
}
