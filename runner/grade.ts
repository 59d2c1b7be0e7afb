/**
 * grade(options) → GradeReport, in this order: load and validate the submission (no
 * cluster for a refused one) → obtain a cluster → a fresh namespace → start recording
 * pod/PVC events → server-side apply as the namespace-confined identity → checks
 * (non-destructive, then destructive) → score → teardown, always.
 */
import { CoreV1Api, type KubeConfig, type KubernetesObject } from "@kubernetes/client-node";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { cacheDir, TIMEOUTS } from "./config.ts";
import type { Cluster, ProviderName } from "./cluster/types.ts";
import { finish, obtainClusterFor, prepareSubmission, refuse, type PreparedSubmission } from "./prepare.ts";
export { MAX_REFUSALS, prepareSubmission, type PreparedSubmission } from "./prepare.ts";
import { PROBE_POD, warmUpProbe, type GradeSession } from "./check-context.ts";
import { EXIT, InfrastructureError, UsageError, errorMessage, type ExitCode } from "./errors.ts";
import { applyObjects } from "./kube/apply.ts";
import { createGradingNamespace, NamespaceNotUsable, usePreCreatedNamespace, type GradingNamespace } from "./namespace.ts";
import { interruptedBy } from "./util/interrupt.ts";
import { Recorder } from "./recorder.ts";
import type { CheckResult, GradeReport, Refusal } from "./report/model.ts";
import type { CheckProgress } from "./run-checks.ts";
import type { SubmittedObject } from "./submission/load.ts";
import { adaptImagesForCluster, exactReference } from "./submission/images.ts";
import { kitOnlyAdvice, placeKitOnlyImages, placeKitOnlyParams, type KitOnlyPlacement } from "./images/names.ts";
import type { Progress } from "./util/progress.ts";

/** mocha and the checks' runner load once the pods are starting, not before the first cluster request. */
const loadRunChecks = () => import("./run-checks.ts");

export interface GradeOptions {
  exercise: string;
  /** Course directories whose exercises are known besides the built-in ones (runner/exercise.ts courseDirs). */
  exercises?: readonly string[];
  /** The submission directory. */
  submission: string;
  /** Shown in the report instead of the directory (a git URL). */
  submissionLabel?: string;
  commit?: string;
  /** How the submission was read (a clone's submodules not fetched), for the report. */
  sourceNotes?: string[];
  provider?: ProviderName;
  kubeconfig?: string;
  context?: string;
  reuse?: boolean;
  /**
   * HOST/PATH of a registry holding the kit-only images (`kubegrade images push`): the
   * submission's references to them, and the checks' own, are rewritten to it at apply.
   */
  imageRegistry?: string;
  /**
   * Grade in a pre-created namespace taken from this lease instead of creating one: checked
   * (Pod Security label, empty), furnished as a created one, emptied at the end and given
   * back; never created or deleted. Taken only once the submission passed validation.
   */
  namespaces?: NamespaceLease;
  /** Ctrl-C / SIGTERM: the grade stops, releases what it holds and reports `interrupted`. */
  signal?: AbortSignal;
  /** Leave the namespace (and a started cluster, as the warm one) in place. */
  keep?: boolean;
  /**
   * A cluster this grade started is removed by a process of its own that outlives this
   * one (Cluster.handOff), so the report comes without waiting for the node to stop (the
   * command line: its process exits right after the report). Not when interrupted: then
   * the grade removes everything itself before it returns.
   */
  removeClusterInBackground?: boolean;
  /** Budget for the whole grade; the exercise's own budget plus cluster start when absent. */
  timeoutMs?: number;
  debug?: boolean;
  progress: Progress;
  checkProgress?: CheckProgress;
  /** Grade on this cluster and leave it running (tests, batches). */
  cluster?: Cluster;
  /**
   * The cluster this grade runs on, already being obtained (prepare.ts obtainClusterFor,
   * with these options): the grade owns it as if it had obtained it itself. The command
   * line starts it once the submission is validated, before loading the rest of the grader.
   */
  pendingCluster?: Promise<Cluster>;
  env?: NodeJS.ProcessEnv;
  /** Called once the namespace exists (with --keep: how to reach it). */
  onNamespace?: (info: { namespace: string; kubeconfigPath?: string }) => void;
}

/** Pre-created namespaces handed to grades one at a time (runner/batch/namespace-pool.ts). */
export interface NamespaceLease {
  /** Names the namespaces, for obtaining a cluster that checks them. */
  readonly names: readonly string[];
  /** A free namespace; waits until one is released. */
  acquire(): Promise<string>;
  /** Gives an emptied namespace back. */
  release(name: string): void;
  /** Takes a namespace out for good: it could not be used or emptied. */
  retire(name: string, why: string): void;
}

/** Apply order: what others refer to first, workloads last. */
const APPLY_ORDER = ["ServiceAccount", "ConfigMap", "Secret", "PersistentVolumeClaim", "Service", "PodDisruptionBudget"];
function applyRank(kind: string): number {
  const index = APPLY_ORDER.indexOf(kind);
  return index === -1 ? APPLY_ORDER.length : index;
}

/** 0 passed, 1 not passed, 2 refused before grading, 3 the grader or the cluster failed. */
export function exitCodeForReport(report: GradeReport): ExitCode {
  if (report.interrupted) return report.interrupted === "SIGINT" ? EXIT.interrupted : EXIT.terminated;
  if (report.refused) return EXIT.usage;
  if (report.infrastructureError) return EXIT.internal;
  return report.passed ? EXIT.passed : EXIT.notPassed;
}

function apiMessage(error: unknown): string {
  const body = (error as { body?: unknown }).body;
  if (typeof body === "string") {
    try {
      const parsed = JSON.parse(body) as { message?: string };
      if (parsed.message) return parsed.message;
    } catch {
      return body.slice(0, 500);
    }
  }
  return errorMessage(error).split("\n")[0];
}

/** The whole grade; `prepared` when step 1 was already done (prepareSubmission). */
export async function grade(options: GradeOptions, prepared?: PreparedSubmission): Promise<GradeReport> {
  // 1. Load and validate, before any cluster starts.
  const ready = prepared ?? (await prepareSubmission(options));
  if (ready.refused) return ready.report;
  const { exercise, report, loaded } = ready;
  // Read earlier (a batch reads its submissions first): the grade itself begins now.
  const started = prepared ? performance.now() : ready.started;
  if (prepared) report.startedAt = new Date().toISOString();

  const budgetMs = options.timeoutMs ?? exercise.timeBudgetSeconds * 1000 + TIMEOUTS.clusterStartMs;
  const budget = AbortSignal.timeout(budgetMs);
  const signal = options.signal ? AbortSignal.any([options.signal, budget]) : budget;
  const overBudget = () => new Error(`the grade exceeded its time budget of ${Math.round(budgetMs / 1000)} s`);
  /** Between steps: an interruption or the budget stops the grade here. */
  const checkpoint = () => {
    if (signal.aborted) throw interruptedBy(undefined, signal) ?? overBudget();
  };
  // Everything the grade makes is released here, last made first, however the grade ends.
  const cleanupErrors: string[] = [];
  const held = new AsyncDisposableStack();
  const release = (what: string, run: () => Promise<void>) =>
    held.defer(() => run().catch((e: unknown) => {
      cleanupErrors.push(`${what}: ${errorMessage(e)}`);
    }));
  let cluster: Cluster | undefined = options.cluster;
  let recorder: Recorder | undefined;

  try {
    // 2. Cluster.
    if (!cluster) {
      const started = await (options.pendingCluster ?? obtainClusterFor(options));
      cluster = started;
      if (!options.keep) {
        release("cluster", async () => {
          if (options.removeClusterInBackground && !signal.aborted && started.handOff?.()) return;
          await started.stop();
        });
      }
    }
    checkpoint();
    report.cluster = { provider: cluster.provider, kubernetesVersion: cluster.kubernetesVersion };
    // Another tag of a provided image: served by the kit's mirror (a digest rewritten), noted.
    const adapted = adaptImagesForCluster(loaded.objects, { servesKitImages: cluster.provider === "kit" });
    report.notes.push(...adapted.notes);
    // Images only the kit builds: from --image-registry, or loaded into a k3s node, or missing.
    let objectsToApply = adapted.objects;
    if (options.imageRegistry || cluster.provider !== "kit") {
      let placement: KitOnlyPlacement = options.imageRegistry ? { registry: options.imageRegistry } : { none: true };
      const needed = placeKitOnlyImages(objectsToApply, { none: true }).unreachable;
      const load = cluster.loadKitImages?.bind(cluster);
      if (!options.imageRegistry && needed.length && load) {
        placement = { loaded: await options.progress.step(`Loading ${needed.join(", ")} into the node (built only by the kit)`, () => load(needed)) };
      }
      const placed = placeKitOnlyImages(objectsToApply, placement);
      report.notes.push(...placed.notes);
      objectsToApply = placed.objects;
      const missing = await notOnAnyNode(cluster.kubeConfig, placed.unreachable);
      if (missing.length) {
        throw new InfrastructureError(`This cluster cannot run the submission: ${kitOnlyAdvice(missing.join(", "))}.`);
      }
      if (options.imageRegistry) {
        const moved = placeKitOnlyParams({ params: exercise.params, checks: exercise.checks.map((c) => c.params ?? {}) }, options.imageRegistry);
        if (moved.moved.length) report.notes.push(`The grader's own images built only by the kit run from ${options.imageRegistry}: ${moved.moved.join(", ")}.`);
      }
    }

    // 3. Namespace: created for this grade, or a pre-created one leased, emptied and given back.
    const admin = cluster.kubeConfig;
    let ns: GradingNamespace;
    if (options.namespaces) {
      const lease = options.namespaces;
      const name = await lease.acquire();
      let usable = true;
      // Deferred first, so it runs last: the namespace goes back once emptied.
      held.defer(async () => {
        if (usable) lease.release(name);
      });
      const retire = (error: unknown) => {
        usable = false;
        lease.retire(name, errorMessage(error));
      };
      ns = await options.progress.step(`Preparing the pre-created namespace ${name}`, async () => {
        try {
          const used = await usePreCreatedNamespace(admin, exercise, { name, deadlineMs: TIMEOUTS.namespaceReadyMs, cleanupMs: TIMEOUTS.cleanupMs });
          if (used.cleaned.length) report.notes.push(`Removed the remains of an interrupted grade from namespace ${name} before grading.`);
          return used;
        } catch (error) {
          if (error instanceof NamespaceNotUsable) retire(error);
          throw error;
        }
      });
      if (!options.keep) {
        release(`namespace ${name}`, () => ns.remove().catch((error: unknown) => {
          retire(error);
          throw error;
        }));
      }
    } else {
      ns = await options.progress.step("Creating the grading namespace", () =>
        createGradingNamespace(admin, exercise, { deadlineMs: TIMEOUTS.namespaceReadyMs }),
      );
      if (!options.keep) release(`namespace ${ns.name}`, () => ns.remove());
    }
    let kubeconfigPath: string | undefined;
    if (options.keep) {
      kubeconfigPath = join(cacheDir(options.env), `kept-${ns.name}.kubeconfig`);
      await mkdir(cacheDir(options.env), { recursive: true });
      await writeFile(kubeconfigPath, cluster.kubeConfigYaml, { mode: 0o600 });
    }
    options.onNamespace?.({ namespace: ns.name, kubeconfigPath });
    checkpoint();

    // 4. Record from before the apply.
    const rec = new Recorder(cluster.kubeConfig, ns.name);
    recorder = rec;
    await rec.start();
    release("recorder", async () => rec.stop());

    // 5. Apply as the namespace-confined identity.
    const objects = [...objectsToApply].sort((a, b) => applyRank(a.kind) - applyRank(b.kind));
    const applyRefusals = await options.progress.step(`Applying ${objects.length} object(s) (server-side apply)`, () =>
      applySubmission(ns, objects),
    );
    if (applyRefusals.length) return refuse(report, applyRefusals);
    checkpoint();

    // 6. Checks.
    const session: GradeSession = {
      kc: cluster.kubeConfig,
      namespace: ns.name,
      params: exercise.params,
      timeline: rec,
      deadlines: {
        podReadyMs: (exercise.deadlines?.podReadySeconds ?? 0) * 1000 || TIMEOUTS.podReadyMs,
        execMs: TIMEOUTS.execMs,
        dnsMs: TIMEOUTS.dnsMs,
        probePodMs: TIMEOUTS.probePodMs,
      },
      memo: new Map(),
      signal,
      submission: { objects: objects.map((o) => o.body as KubernetesObject), submitter: ns.submitter },
      ...(options.imageRegistry ? { imageRegistry: options.imageRegistry } : {}),
    };
    warmUpProbe(session);
    const { runChecks } = await loadRunChecks();
    const checks = await runChecks(exercise, session, { progress: options.checkProgress, debug: options.debug });
    checkpoint();
    report.checks = checks;
    if (options.keep) report.notes.push(`Kept namespace ${ns.name}${kubeconfigPath ? ` (kubectl --kubeconfig ${kubeconfigPath} -n ${ns.name} get pods)` : ""}.`);
    return report;
  } catch (error) {
    const interrupted = interruptedBy(error, signal);
    if (interrupted) {
      report.interrupted = interrupted.signal;
      return report;
    }
    if (error instanceof UsageError) throw error;
    const message = signal.aborted && budget.aborted ? errorMessage(overBudget()) : errorMessage(error);
    report.infrastructureError = message;
    report.checks = report.checks.map((c): CheckResult => ({
      ...c,
      status: "error",
      score: 0,
      feedback: [`Not graded: the grader or the cluster failed (not your submission's fault): ${message}`],
    }));
    if (options.debug && error instanceof Error && error.stack) report.notes.push(error.stack);
    if (options.debug && cluster) {
      const logs = await cluster.componentLogs().catch((e: unknown) => `(component logs unavailable: ${errorMessage(e)})`);
      report.notes.push(`Component logs of the cluster:\n${logs}`);
    }
    return report;
  } finally {
    if (recorder) {
      report.timeline = recorder.events
        .filter((e) => e.pod !== PROBE_POD)
        .map((e) => ({ pod: e.pod, uid: e.uid, event: e.event, at: new Date(e.at).toISOString() }));
      report.steps = recorder.steps.map((s) => ({ label: s.label, at: new Date(s.at).toISOString() }));
    }
    await held.disposeAsync();
    if (cleanupErrors.length) report.notes.push(`Cleanup problems: ${cleanupErrors.join("; ")}`);
    finish(report, exercise, started);
  }
}

/**
 * The references no node of the cluster reports holding (status.images), so that a kit-only
 * image an administrator loaded by hand is used, and a missing one fails before any pod waits
 * in ImagePullBackOff until the grade's deadline.
 */
async function notOnAnyNode(kc: KubeConfig, references: string[]): Promise<string[]> {
  if (!references.length) return [];
  const held = new Set<string>();
  const nodes = await kc.makeApiClient(CoreV1Api).listNode().catch(() => undefined);
  for (const node of nodes?.items ?? []) for (const image of node.status?.images ?? []) for (const name of image.names ?? []) held.add(name);
  return references.filter((reference) => !held.has(exactReference(reference)));
}

async function applySubmission(ns: GradingNamespace, objects: SubmittedObject[]): Promise<Refusal[]> {
  const refusals: Refusal[] = [];
  for (const object of objects) {
    const body = { ...object.body, metadata: { ...(object.body.metadata as object), namespace: ns.name } } as KubernetesObject;
    try {
      await applyObjects(ns.submitter, ns.name, [body]);
    } catch (error) {
      const code = (error as { code?: number }).code;
      const message = apiMessage(error);
      // Server-side apply answers 500 when the object does not fit its type ("expected
      // numeric, got string"): that is the submission's fault, like a 4xx.
      const badObject = code === 500 && /failed to create typed patch object/.test(message);
      if ((code && code >= 400 && code < 500 && code !== 408 && code !== 429) || badObject) {
        refusals.push({
          file: object.file,
          line: object.line,
          column: object.column,
          object: `${object.kind} ${object.name}`,
          message: `the API server refused it: ${message.replace(/^failed to create typed patch object \([^)]*\): /, "")}`,
        });
        continue;
      }
      throw new InfrastructureError(`applying ${object.kind} ${object.name} failed: ${apiMessage(error)}`, { cause: error });
    }
  }
  return refusals;
}
