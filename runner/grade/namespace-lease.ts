/**
 * The grading namespace as something a grade holds and lets go of (AsyncDisposable): created
 * for the grade and removed after it, or a pre-created one leased, checked, emptied after the
 * grade and given back (taken out of the pool when it cannot be used or emptied).
 */
import type { KubeConfig } from "@kubernetes/client-node";
import { TIMEOUTS } from "../config.ts";
import { errorMessage } from "../errors.ts";
import type { ExerciseDefinition } from "../exercise.ts";
import { NamespaceNotUsable, createGradingNamespace, createInstrumentNamespace, gradingNamespaceName, usePreCreatedNamespace, type GradingNamespace, type LockWait } from "../namespace.ts";
import type { Progress } from "../util/progress.ts";

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

export interface HeldNamespace extends AsyncDisposable {
  readonly namespace: GradingNamespace;
  /**
   * Where the grader's probe pod runs: a namespace of the grader's own, out of reach of every
   * identity of the submission — or, in a pre-created namespace (the grader may not create
   * namespaces there), the grading namespace itself.
   */
  readonly probeNamespace: string;
  /** What the grade's report should say about it (remains of an interrupted grade removed). */
  readonly notes: string[];
  /** Lets go without touching the cluster (it failed): a leased namespace goes back as it is, its next grade removes the remains. */
  abandon(): void;
  /** Why the namespace stopped being this grade's while it ran (another grade took a pre-created one over), else undefined; asks the cluster. */
  lost(): Promise<string | undefined>;
}

/** The grade's time budget, stopped while it waits for another grade to let go of its namespace. */
export interface BudgetClock {
  pause(): void;
  resume(): void;
}

export interface NamespaceOptions {
  admin: KubeConfig;
  exercise: ExerciseDefinition;
  lease?: NamespaceLease;
  /** Left in place when the grade ends (--keep). */
  keep?: boolean;
  progress: Progress;
  /** Ends a wait for a pre-created namespace another grade holds (an interruption). */
  signal?: AbortSignal;
  budget?: BudgetClock;
}

/** The namespace a grade runs in; disposing of it removes (or empties and gives back) what it holds. */
export async function holdNamespace(options: NamespaceOptions): Promise<HeldNamespace> {
  const { admin, exercise, progress } = options;
  if (options.lease) return leaseNamespace(options, options.lease);
  const [namespace, instruments] = await progress.step("Creating the grading namespace", async () => {
    // Both at once: the probe's namespace costs the grade no time of its own.
    const name = gradingNamespaceName(exercise);
    const [created, instruments] = await Promise.allSettled([
      createGradingNamespace(admin, exercise, { deadlineMs: TIMEOUTS.namespaceReadyMs, name }),
      createInstrumentNamespace(admin, name),
    ]);
    if (created.status === "fulfilled" && instruments.status === "fulfilled") return [created.value, instruments.value] as const;
    if (created.status === "fulfilled") await created.value.remove().catch(() => {});
    if (instruments.status === "fulfilled") await instruments.value.remove().catch(() => {});
    throw created.status === "rejected" ? created.reason : (instruments as PromiseRejectedResult).reason;
  });
  return {
    namespace,
    probeNamespace: instruments.name,
    notes: [],
    abandon() {},
    lost: async () => undefined,
    async [Symbol.asyncDispose]() {
      if (options.keep) return;
      await Promise.all([namespace.remove(), instruments.remove()]);
    },
  };
}

async function leaseNamespace(options: NamespaceOptions, lease: NamespaceLease): Promise<HeldNamespace> {
  const name = await lease.acquire();
  const notes: string[] = [];
  let usable = true;
  const retire = (error: unknown) => {
    usable = false;
    lease.retire(name, errorMessage(error));
  };
  let namespace: GradingNamespace;
  let waiting = false;
  const wait: LockWait = {
    waitMs: TIMEOUTS.namespaceHeldMs,
    ...(options.signal ? { signal: options.signal } : {}),
    onWaiting: (holder) => {
      // Waiting for another grade is not this grade's time.
      if (!waiting) options.budget?.pause();
      waiting = true;
      options.progress.info(`Waiting for namespace ${name}, held by another grade (${holder})`);
    },
  };
  try {
    namespace = await options.progress.step(`Preparing the pre-created namespace ${name}`, async () => {
      const used = await usePreCreatedNamespace(options.admin, options.exercise, { name, deadlineMs: TIMEOUTS.namespaceReadyMs, cleanupMs: TIMEOUTS.cleanupMs, wait });
      if (used.tookOver) notes.push(`Namespace ${name}: ${used.tookOver}.`);
      if (used.cleaned.length) notes.push(`Removed the remains of an interrupted grade from namespace ${name} before grading.`);
      return used;
    });
  } catch (error) {
    if (error instanceof NamespaceNotUsable) retire(error);
    else lease.release(name);
    throw error;
  } finally {
    if (waiting) options.budget?.resume();
  }
  return {
    namespace,
    probeNamespace: name,
    notes,
    abandon: () => {
      namespace.lock?.abandon();
      lease.release(name);
    },
    lost: async () => namespace.lock?.confirm(),
    async [Symbol.asyncDispose]() {
      try {
        if (!options.keep) await namespace.remove().catch((error: unknown) => {
          retire(error);
          throw error;
        });
        // Kept: its objects are an interrupted grade's remains to the next grade, which removes them.
        else await namespace.lock?.release();
      } finally {
        // The namespace goes back once emptied.
        if (usable) lease.release(name);
      }
    },
  };
}
