/**
 * Phase 2 of a grade, on the cluster its request gives: the images placed for that cluster →
 * the grading namespace → recording pod/PVC events → server-side apply as the
 * namespace-confined identity → checks (non-destructive, then destructive) → the result
 * (score.ts) → everything held released, last made first, however the grade ended.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { clusterFault } from "../cluster/health.ts";
import type { Cluster } from "../cluster/types.ts";
import { cacheDir, TIMEOUTS } from "../config.ts";
import { InfrastructureError, UsageError, errorMessage } from "../errors.ts";
import type { ExerciseDefinition } from "../exercise.ts";
import { NamespaceObserver } from "../kube/observer.ts";
import { Recorder } from "../recorder.ts";
import type { GradeReport } from "../report/model.ts";
import type { SubmittedObject } from "../submission/load.ts";
import { AsyncDisposableStack } from "../util/disposable-stack.ts";
import { interruptedBy } from "../util/interrupt.ts";
import { applySubmission, inApplyOrder } from "./apply.ts";
import { holdNamespace, type BudgetClock, type HeldNamespace } from "./namespace-lease.ts";
import { placeImages } from "./placement.ts";
import { PROBE_POD, warmUpProbe } from "./probe.ts";
import { conclude, infrastructureFailure, refuse } from "./score.ts";
import { createSession } from "./session.ts";
import type { RunOptions, SubmissionInput } from "./types.ts";

/** mocha and the checks' runner load once the pods are starting, not before the first cluster request. */
const loadRunChecks = () => import("./run-checks.ts");

/** What phase 1 hands to phase 2. */
export interface ReadySubmission {
  exercise: ExerciseDefinition;
  report: GradeReport;
  objects: SubmittedObject[];
  input: SubmissionInput;
}

/** The grade's time budget, and the signal that ends it (the budget, or an interruption). */
interface Limits {
  signal: AbortSignal;
  /** Between steps: an interruption or the budget stops the grade here. */
  checkpoint(): void;
  /** The message when the budget ran out, else undefined. */
  overBudget(): string | undefined;
  /** Stopped while the grade waits for another grade to let go of its namespace. */
  budget: BudgetClock;
  /** The budget's clock stopped for good (the grade ended). */
  end(): void;
}

function limitsOf(exercise: ExerciseDefinition, options: RunOptions): Limits {
  const budgetMs = options.timeoutMs ?? exercise.timeBudgetSeconds * 1000 + TIMEOUTS.clusterStartMs;
  const budget = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, budget.signal]) : budget.signal;
  const over = () => `the grade exceeded its time budget of ${Math.round(budgetMs / 1000)} s`;
  let leftMs = budgetMs;
  let since = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const start = () => {
    since = performance.now();
    timer = setTimeout(() => budget.abort(new DOMException(over(), "TimeoutError")), leftMs);
    timer.unref();
  };
  const stop = () => {
    if (timer === undefined) return;
    clearTimeout(timer);
    timer = undefined;
    leftMs -= performance.now() - since;
  };
  start();
  return {
    signal,
    checkpoint() {
      if (signal.aborted) throw interruptedBy(undefined, signal) ?? (budget.signal.aborted ? new Error(over()) : signal.reason);
    },
    overBudget: () => (budget.signal.aborted ? over() : undefined),
    budget: {
      pause: stop,
      resume: () => {
        if (timer === undefined && !budget.signal.aborted) start();
      },
    },
    end: stop,
  };
}

/** Resolves once `work` has settled, or after `deadlineMs` at the latest. */
async function settled(work: Promise<unknown>, deadlineMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, deadlineMs)));
  await Promise.race([work.then(() => {}, () => {}), deadline]);
  clearTimeout(timer);
}

/** Rejects once the grade is interrupted, over its budget or cancelled (never resolves). */
function whenAborted(limits: Limits): Promise<never> {
  return new Promise<never>((_, reject) => {
    const stop = () => {
      try {
        limits.checkpoint();
      } catch (error) {
        reject(error);
      }
    };
    if (limits.signal.aborted) stop();
    else limits.signal.addEventListener("abort", stop, { once: true });
  });
}

/**
 * What the grade holds, released last made first; failures to release are collected, not
 * thrown. What lives in the cluster is left alone once the cluster is known to have failed
 * (its API would only hang or refuse); the cluster itself is still removed.
 */
class Held {
  readonly stack = new AsyncDisposableStack();
  readonly errors: string[] = [];
  clusterFailed = false;
  release(what: string, run: () => Promise<void>, where: "in the cluster" | "outside" = "in the cluster", otherwise?: () => void): void {
    const dispose = async () => {
      if (this.clusterFailed && where === "in the cluster") return otherwise?.();
      await run().catch((e: unknown) => {
        this.errors.push(`${what}: ${errorMessage(e)}`);
      });
    };
    // Made by a step of a stopped grade that ended after the rest was released: released now.
    if (this.stack.disposed) void dispose();
    else this.stack.defer(dispose);
  }
  /** The namespace: removed (or emptied and given back); only given back when the cluster failed. */
  useNamespace(what: string, held: HeldNamespace): void {
    this.release(what, async () => held[Symbol.asyncDispose](), "in the cluster", () => held.abandon());
  }
}

export async function runGrade(ready: ReadySubmission, options: RunOptions): Promise<GradeReport> {
  const { exercise, report } = ready;
  const started = performance.now();
  report.startedAt = new Date().toISOString();
  const limits = limitsOf(exercise, options);
  const held = new Held();
  const state: GradeState = {};
  /** Why the caller cancelled the grade (RunOptions.signal, aborted for another reason than a signal). */
  let cancelled: { reason: unknown } | undefined;
  let grading: Promise<void> | undefined;
  try {
    state.cluster = await holdCluster(options, held, limits.signal);
    limits.checkpoint();
    report.cluster = { provider: state.cluster.provider, kubernetesVersion: state.cluster.kubernetesVersion };
    // An interruption or the budget ends the grade even where a request hangs (a paused node
    // answers nothing); what gradeOn still awaits is abandoned with the cluster.
    grading = gradeOn(state.cluster, ready, options, { held, limits, state });
    await Promise.race([grading, whenAborted(limits)]);
  } catch (error) {
    cancelled = cancellation(limits, options);
    if (!cancelled) await failed(report, error, limits, options, state.cluster);
    // Stopped by the caller: the step under way (a namespace being made) ends at its next wait,
    // and what it made is released with the rest.
    if (grading && options.signal?.aborted) await settled(grading, TIMEOUTS.gradeStopMs);
  } finally {
    limits.end();
    const ended = report.interrupted || report.refused || cancelled;
    // Whatever the checks concluded, a cluster that stopped serving makes it no grade (score.ts).
    const clusterDiagnosis = state.cluster && !ended
      ? await clusterFault(state.cluster, { checksFailed: report.checks.some((c) => c.status !== "passed") }).catch(() => undefined)
      : undefined;
    // So does a pre-created namespace another grade took over meanwhile: what the checks saw was not only this grade's.
    const lost = ended || clusterDiagnosis ? undefined : await state.namespace?.lost();
    const diagnosis = clusterDiagnosis ?? lost;
    if (state.recorder) {
      report.timeline = state.recorder.events
        .filter((e) => e.pod !== PROBE_POD)
        .map((e) => ({ pod: e.pod, uid: e.uid, event: e.event, at: new Date(e.at).toISOString() }));
      report.steps = state.recorder.steps.map((s) => ({ label: s.label, at: new Date(s.at).toISOString() }));
    }
    held.clusterFailed = clusterDiagnosis !== undefined;
    await held.stack.disposeAsync();
    // A cluster that failed cannot be cleaned up either: its cause is said once, not again here.
    if (held.errors.length && !diagnosis) report.notes.push(`Cleanup problems: ${held.errors.join("; ")}`);
    conclude(report, exercise, started, diagnosis);
  }
  if (cancelled) throw cancelled.reason;
  return report;
}

/**
 * The caller's own reason when it cancelled the grade (`watch`: a newer save), not a signal
 * and not the budget: the grade has no result, and run() rejects with that reason.
 */
function cancellation(limits: Limits, options: RunOptions): { reason: unknown } | undefined {
  const signal = options.signal;
  if (!signal?.aborted || interruptedBy(undefined, signal) || limits.overBudget()) return undefined;
  return { reason: signal.reason };
}

/** What a grade obtained, as far as it got. */
interface GradeState {
  cluster?: Cluster;
  namespace?: HeldNamespace;
  recorder?: Recorder;
}

/** The requested cluster, released at the end when the grade obtained it (not kept). */
async function holdCluster(options: RunOptions, held: Held, signal: AbortSignal): Promise<Cluster> {
  const request = options.cluster;
  const cluster = await request.obtain();
  if (request.removedByGrade && !options.keep) {
    held.release("cluster", async () => {
      if (request.removeInBackground && !signal.aborted && cluster.handOff?.()) return;
      await cluster.stop();
    }, "outside");
  }
  return cluster;
}

/** Namespace, recording, apply and checks, on the cluster obtained; fills the report. */
async function gradeOn(
  cluster: Cluster,
  ready: ReadySubmission,
  options: RunOptions,
  ctx: { held: Held; limits: Limits; state: GradeState },
): Promise<void> {
  const { exercise, report, input } = ready;
  const { held, limits } = ctx;
  const placement = await placeImages(cluster, ready.objects, exercise, { imageRegistry: options.imageRegistry, progress: input.progress });
  report.notes.push(...placement.notes);

  const hold = await holdNamespace({
    admin: cluster.kubeConfig, exercise, lease: options.namespaces, keep: options.keep, progress: input.progress, signal: limits.signal, budget: limits.budget,
  });
  const { namespace: ns, notes, probeNamespace } = hold;
  held.useNamespace(`namespace ${ns.name}`, hold);
  ctx.state.namespace = hold;
  report.notes.push(...notes);
  const kubeconfigPath = options.keep ? await keepKubeconfig(cluster, ns.name, input.env) : undefined;
  options.onNamespace?.({ namespace: ns.name, kubeconfigPath });
  limits.checkpoint();

  // Recorded from before the apply; so are the events and claims the rule for "certain" reads.
  const recorder = new Recorder(cluster.kubeConfig, ns.name);
  const observer = new NamespaceObserver(cluster.kubeConfig, ns.name);
  ctx.state.recorder = recorder;
  held.release("recorder", async () => recorder.stop());
  held.release("observer", async () => observer.stop());
  await Promise.all([recorder.start(), observer.start()]);

  const objects = inApplyOrder(placement.objects);
  const refusals = await input.progress.step(`Applying ${objects.length} object(s) (server-side apply)`, () => applySubmission(ns, objects));
  if (refusals.length) {
    refuse(report, refusals);
    return;
  }
  limits.checkpoint();

  const session = createSession({
    kc: cluster.kubeConfig,
    namespace: ns.name,
    probeNamespace,
    params: placement.params,
    checkParams: placement.checkParams,
    timeline: recorder,
    observer,
    deadlines: {
      podReadyMs: (exercise.deadlines?.podReadySeconds ?? 0) * 1000 || TIMEOUTS.podReadyMs,
      execMs: TIMEOUTS.execMs,
      dnsMs: TIMEOUTS.dnsMs,
      probePodMs: TIMEOUTS.probePodMs,
    },
    signal: limits.signal,
    submission: { objects: objects.map((o) => o.body as never), asSubmitter: ns.asSubmitter },
  });
  warmUpProbe(session);
  const { runChecks } = await loadRunChecks();
  const checks = await runChecks(exercise, session, { progress: options.checkProgress, debug: options.debug });
  limits.checkpoint();
  report.checks = checks;
  if (options.keep) report.notes.push(`Kept namespace ${ns.name}${kubeconfigPath ? ` (kubectl --kubeconfig ${kubeconfigPath} -n ${ns.name} get pods)` : ""}.`);
}

/** --keep: the cluster's admin kubeconfig, kept where the user can reach the namespace with kubectl. */
async function keepKubeconfig(cluster: Cluster, namespace: string, env?: NodeJS.ProcessEnv): Promise<string> {
  const path = join(cacheDir(env), `kept-${namespace}.kubeconfig`);
  await mkdir(cacheDir(env), { recursive: true });
  await writeFile(path, cluster.kubeConfigYaml, { mode: 0o600 });
  return path;
}

/** The grade ended early: interrupted (no result), a usage error (thrown on), or a fault of the grader or the cluster. */
async function failed(report: GradeReport, error: unknown, limits: Limits, options: RunOptions, cluster?: Cluster): Promise<void> {
  const interrupted = interruptedBy(error, limits.signal);
  if (interrupted) {
    report.interrupted = interrupted.signal;
    return;
  }
  if (error instanceof UsageError) throw error;
  // What to do about it (an InfrastructureError's hint) goes with the cause into every report.
  const hint = error instanceof InfrastructureError && error.hint ? ` ${error.hint}` : "";
  infrastructureFailure(report, limits.overBudget() ?? `${errorMessage(error)}${hint}`);
  if (options.debug && error instanceof Error && error.stack) report.notes.push(error.stack);
  if (options.debug && cluster) {
    const logs = await cluster.componentLogs().catch((e: unknown) => `(component logs unavailable: ${errorMessage(e)})`);
    report.notes.push(`Component logs of the cluster:\n${logs}`);
  }
}
