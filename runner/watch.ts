/**
 * `kubegrade watch <exercise> [dir]`: a student's inner loop. The submission is graded once,
 * then again each time a file the grade reads is saved (a burst of saves is one), on one
 * cluster kept for the whole watch — the warm one unless told otherwise. A save while a grade
 * runs stops it (it releases what it made, as on Ctrl-C) and a new grade starts. Each result
 * leads with what changed since the previous grade (report/diff.ts), then the feedback of every
 * check not passed; a refused submission is shown from phase 1 at once, and nothing runs on the
 * cluster for it. Ctrl-C ends the watch: the grade under way releases what it made, then 130.
 */
import { existsSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { givenCluster, requestCluster } from "./cluster/request.ts";
import type { Cluster, ClusterOptions } from "./cluster/types.ts";
import { UsageError, errorMessage } from "./errors.ts";
import { prepareGrade } from "./grade/prepare.ts";
import type { CheckProgress, RunOptions } from "./grade/types.ts";
import { diffReports, renderChanges, standingLine } from "./report/diff.ts";
import type { GradeReport } from "./report/model.ts";
import { clean, wrap, TERMINAL_WIDTH } from "./report/terminal.ts";
import { formatRefusal } from "./report/writers/text.ts";
import { isKustomizeInput, KUSTOMIZATION_NAMES } from "./submission/kustomize.ts";
import { isManifestPath } from "./submission/load.ts";
import { AsyncDisposableStack } from "./util/disposable-stack.ts";
import { watchSaves } from "./util/file-watch.ts";
import { interruptedBy, type Interrupted } from "./util/interrupt.ts";
import { silencedBy, type Progress } from "./util/progress.ts";

/** Quiet time after a save before grading: an editor's save is a burst of events. */
export const SAVE_QUIET_MS = 150;

export interface WatchOptions {
  exercise: string;
  /** Course directories (runner/exercise.ts courseDirs). */
  exercises?: readonly string[];
  /** The submission directory watched and graded. */
  dir: string;
  /** How the cluster kept for the watch is obtained (the warm one by default). */
  cluster: ClusterOptions;
  /** Passed to every grade. */
  run?: Pick<RunOptions, "imageRegistry" | "timeoutMs" | "debug">;
  progress: Progress;
  env?: NodeJS.ProcessEnv;
  /** Ctrl-C / SIGTERM (util/interrupt.ts): ends the watch. */
  signal: AbortSignal;
  /** Where each result goes (the command line: stdout). */
  write(text: string): void;
  /** Each result's lines, for a terminal: the caller decides on colour. */
  colour: boolean;
  /** Each grade's check lines; `stopped` is aborted if a newer save stops that grade. */
  checkProgress?(stopped: AbortSignal): CheckProgress;
  quietMs?: number;
}

/** A grade stopped by a save made while it ran: it has no result. */
export class Superseded extends Error {
  readonly paths: string[];
  constructor(paths: string[]) {
    super(`${savedWhat(paths)} saved during the grade`);
    this.name = "Superseded";
    this.paths = paths;
  }
}

/** Watches and grades until the signal ends it; returns that interruption (its exit code: 130 or 143). */
export async function watchSubmission(options: WatchOptions): Promise<Interrupted> {
  const dir = resolve(options.dir);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new UsageError(`${options.dir}: not a directory (watch grades a directory of its own; a git URL cannot be watched)`);
  }
  await using held = new AsyncDisposableStack();
  const saves = new Saves();
  const watcher = watchSaves(dir, { accept: (path) => submittedFile(dir, path), quietMs: options.quietMs ?? SAVE_QUIET_MS, onSaved: (paths) => saves.add(paths), onError: (error) => saves.fail(error) });
  held.defer(() => watcher.close());
  const cluster = held.use(new KeptCluster(options.cluster));
  const said = { previous: undefined as GradeReport | undefined, notes: "" };
  let saved: string[] = [];
  for (let number = 1; ; number++) {
    const stop = new AbortController();
    saves.duringGrade = (paths) => stop.abort(new Superseded(paths));
    const outcome = await gradeOnce(options, dir, cluster, stop.signal, number === 1).finally(() => (saves.duringGrade = undefined));
    const interrupted = interruptedBy(undefined, options.signal);
    if (interrupted) return interrupted;
    options.write(`${resultLines({ number, saved, outcome, said, colour: options.colour }).join("\n")}\n`);
    if (outcome.kind !== "stopped") options.progress.info(`Watching ${options.dir}: save a file to grade again, Ctrl-C to stop.`);
    saved = await saves.next(options.signal);
    const stopped = interruptedBy(undefined, options.signal);
    if (stopped) return stopped;
  }
}

/** Whether a saved path is one the grade reads: a manifest, or below a kustomization any file kustomize may read; never an editor's scratch file. */
export function submittedFile(dir: string, path: string): boolean {
  const name = path.split("/").pop() ?? "";
  if (/~$|\.sw[a-p]$|^4913$|^\.#|^#.*#$/.test(name)) return false;
  if (isManifestPath(path)) return true;
  return isKustomizeInput(path) && KUSTOMIZATION_NAMES.some((k) => existsSync(join(dir, k)));
}

/** The saves not yet graded, and who to tell of a save while a grade runs. */
class Saves {
  #pending = new Set<string>();
  #error: Error | undefined;
  #wake: (() => void) | undefined;
  /** Set while a grade runs: a save stops it. */
  duringGrade: ((paths: string[]) => void) | undefined;

  add(paths: string[]): void {
    for (const p of paths) this.#pending.add(p);
    this.duringGrade?.([...this.#pending]);
    this.#wake?.();
  }

  fail(error: Error): void {
    this.#error = error;
    this.#wake?.();
  }

  /** The paths saved since the last call, once there is one (or the signal ended the wait). */
  async next(signal: AbortSignal): Promise<string[]> {
    while (!this.#pending.size && !this.#error && !signal.aborted) {
      const ended = () => this.#wake?.();
      signal.addEventListener("abort", ended, { once: true });
      await new Promise<void>((resolve) => (this.#wake = resolve));
      signal.removeEventListener("abort", ended);
      this.#wake = undefined;
    }
    if (this.#error && !signal.aborted) throw new UsageError(`the submission directory cannot be watched any more: ${errorMessage(this.#error)}`);
    const paths = [...this.#pending].sort();
    this.#pending.clear();
    return paths;
  }
}

/** The cluster of the whole watch: obtained for the first grade that needs it, released (a warm or existing one: left running) when the watch ends. */
class KeptCluster {
  readonly #options: ClusterOptions;
  #cluster: Promise<Cluster> | undefined;
  constructor(options: ClusterOptions) {
    this.#options = options;
  }
  get(): Promise<Cluster> {
    if (!this.#cluster) {
      const obtaining = requestCluster(this.#options).obtain();
      this.#cluster = obtaining;
      // Not obtained: the next grade asks again.
      obtaining.catch(() => {
        if (this.#cluster === obtaining) this.#cluster = undefined;
      });
    }
    return this.#cluster;
  }
  async [Symbol.asyncDispose](): Promise<void> {
    const cluster = await this.#cluster?.catch(() => undefined);
    await cluster?.stop();
  }
}

type Outcome =
  | { kind: "graded"; report: GradeReport }
  | { kind: "refused"; report: GradeReport }
  | { kind: "not graded"; why: string }
  | { kind: "stopped"; why: string };

/** One grade of the directory as it is now: refused at once, or run on the kept cluster until it ends or a save stops it. */
async function gradeOnce(options: WatchOptions, dir: string, cluster: KeptCluster, stopped: AbortSignal, first: boolean): Promise<Outcome> {
  const signal = AbortSignal.any([options.signal, stopped]);
  const progress = silencedBy(options.progress, signal);
  const stoppedWhy = (): Outcome => ({ kind: "stopped", why: errorMessage(stopped.reason) });
  try {
    const prepared = await prepareGrade({ exercise: options.exercise, exercises: options.exercises, submission: dir, submissionLabel: options.dir, progress, env: options.env });
    if (stopped.aborted) return stoppedWhy();
    if (prepared.refused) return { kind: "refused", report: prepared.report };
    const kept = await cluster.get();
    if (stopped.aborted) return stoppedWhy();
    const report = await prepared.run({
      ...options.run,
      cluster: givenCluster(kept),
      signal,
      ...(options.checkProgress ? { checkProgress: options.checkProgress(stopped) } : {}),
    });
    if (stopped.aborted && !report.interrupted) return stoppedWhy();
    if (report.infrastructureError !== undefined) return { kind: "not graded", why: report.infrastructureError };
    return { kind: report.refused ? "refused" : "graded", report };
  } catch (error) {
    if (stopped.aborted && error === stopped.reason) return stoppedWhy();
    // The exercise or the directory was wrong from the start: the command's usage error (exit 2).
    if (first && error instanceof UsageError) throw error;
    return { kind: "not graded", why: errorMessage(error) };
  }
}

/** "web.yaml", "web.yaml and service.yaml", "a.yaml, b.yaml and 3 more". */
function savedWhat(paths: readonly string[]): string {
  if (!paths.length) return "the directory";
  if (paths.length === 1) return paths[0];
  if (paths.length <= 3) return `${paths.slice(0, -1).join(", ")} and ${paths.at(-1)}`;
  return `${paths.slice(0, 2).join(", ")} and ${paths.length - 2} more`;
}

/** A result, for a terminal: its heading (the score's move), the changed checks, then the feedback. */
function resultLines(r: {
  number: number;
  saved: string[];
  outcome: Outcome;
  said: { previous: GradeReport | undefined; notes: string };
  colour: boolean;
}): string[] {
  const { outcome, said } = r;
  const when = new Date().toTimeString().slice(0, 8);
  const head = `Grade ${r.number} (${r.saved.length ? `${clean(savedWhat(r.saved))} saved, ` : ""}${when})`;
  switch (outcome.kind) {
    case "stopped":
      return [`Grade ${r.number} stopped: ${clean(outcome.why)}; grading again.`];
    case "not graded":
      return [`${head}: not graded — the grader or the cluster failed (not your submission's fault): ${clean(outcome.why)}`];
    case "refused": {
      const nothingRan = outcome.report.cluster ? "the API server refused it" : "nothing ran on the cluster";
      const refusals = outcome.report.refusals.flatMap((f) => wrap(clean(formatRefusal(f)), TERMINAL_WIDTH, "      ", "    - "));
      return [`${head}: refused before grading (${nothingRan}):`, ...refusals, "  Fix it and save again."];
    }
    case "graded": {
      const changes = diffReports(said.previous, outcome.report);
      said.previous = outcome.report;
      const notes = outcome.report.notes.map((n) => `note: ${clean(n)}`);
      const newNotes = notes.join("\n") === said.notes ? [] : notes;
      said.notes = notes.join("\n");
      return [`${head}: ${standingLine(changes)}`, ...renderChanges(changes, outcome.report, { colour: r.colour }), ...newNotes];
    }
  }
}

