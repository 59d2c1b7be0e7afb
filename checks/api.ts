/**
 * What a check is and what it may use. A check is a value: an id, a title, what it
 * needs to run at all, whether it changes the cluster, its time budget, and tests that
 * receive an explicit context. The runner turns each check into a mocha suite and each
 * test into a mocha test; a failed chai assertion's message is the student's feedback,
 * so write it for a student: the object and field, what was expected, what was found,
 * and the likely fix.
 */
import type { AppsV1Api, CoreV1Api, KubeConfig, V1Pod, V1StatefulSet } from "@kubernetes/client-node";

import { AssertionError } from "chai";

/** chai's assert and expect, so a course's check module needs nothing but this module. */
export { assert, expect } from "chai";

/**
 * Asserts about an answer the cluster gave in full — an HTTP status or body, a field's value —
 * rather than about an answer not there yet (a name that does not resolve, a refused
 * connection). `answer` is what was observed. Inside `ctx.eventually`, once the same wrong
 * answer has come back for a moment (2 s, three times at least), retrying stops and the
 * assertion is the check's failure: asking again would get the same answer.
 */
export function assertAnswer(condition: unknown, answer: string, message: string): asserts condition {
  if (!condition) throw new AssertionError(message, { answer });
}

/** The answer an assertAnswer failure carries, if the error is one. */
export function answerOf(error: unknown): string | undefined {
  const answer = error instanceof AssertionError ? (error as { answer?: unknown }).answer : undefined;
  return typeof answer === "string" ? answer : undefined;
}

/** What a command run in a pod gave. */
export interface ExecResult {
  stdout: string;
  stderr: string;
  /** The command's exit code (0 on success). */
  exitCode: number;
  /** Why the command could not be run at all (the runtime's message), when it was not. */
  failure?: string;
}

/** A wait's condition: met, still pending (with what is awaited), or failed for good. */
export type Verdict = true | { pending: string } | { fail: string };

/** A pod transition the recorder saw; the report's timeline (runner/report/model.ts) uses the same kinds. */
export type PodEventKind = "created" | "scheduled" | "ready" | "unready" | "deleted";

/** One pod transition, with the grader's local receipt time (ms since the epoch). */
export interface TimelineEvent {
  pod: string;
  uid: string;
  event: PodEventKind;
  at: number;
}

export interface ClaimEvent {
  claim: string;
  uid: string;
  phase: string;
  volume?: string;
  at: number;
}

/** A step the grader took (scale, delete, patch), drawn on the timeline as a marker. */
export interface StepMark {
  label: string;
  at: number;
}

/** When a pod's deletion began (deletionTimestamp seen); its end is the "deleted" event. */
export interface TerminationStart {
  pod: string;
  uid: string;
  at: number;
}

/**
 * The pod and claim timeline of the grading namespace, recorded from watches started before
 * the submission was applied: the order of events is evidence, not a guess.
 */
export interface Timeline {
  readonly events: readonly TimelineEvent[];
  readonly claims: readonly ClaimEvent[];
  readonly steps: readonly StepMark[];
  readonly terminations: readonly TerminationStart[];
  /** Events of one pod name (all its incarnations), in order. */
  of(pod: string): TimelineEvent[];
  /** The first time `pod` had `event` at or after `since`. */
  first(pod: string, event: PodEventKind, since?: number): TimelineEvent | undefined;
}

/**
 * What a check needs to run at all. Unmet, the check is skipped with the reason, never
 * failed: a prerequisite is an object existing, not some unrelated field being right.
 *   service      — the Service the exercise names exists
 *   statefulset  — the StatefulSet the exercise names exists
 *   pods-ready   — every pod of that StatefulSet (by its own replica count) became Ready
 */
export type Requirement = "service" | "statefulset" | "pods-ready";

/** A JSON Schema (draft 2020-12) fragment describing one parameter. */
export type JsonSchema = Record<string, unknown>;

/**
 * The parameters a check reads, as a JSON Schema object: each property a parameter. An
 * exercise definition is validated against the schemas of the checks it names when it is
 * loaded, so a misspelled or mistyped parameter is refused before any cluster starts.
 */
export interface ParamsSchema {
  type: "object";
  properties: Record<string, JsonSchema>;
  required?: string[];
}

/**
 * Parameters the context itself reads, which every check accepts: `statefulset` (the
 * StatefulSet the context's helpers act on) and `service` (the governing Service, when the
 * exercise fixes its name).
 */
export const CONTEXT_PARAMS: Readonly<Record<"statefulset" | "service", JsonSchema>> = {
  statefulset: { type: "string", pattern: "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", description: "The StatefulSet the exercise asks for." },
  service: { type: "string", pattern: "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", description: "The governing Service's name, when the exercise fixes it." },
};

export interface CheckTest {
  title: string;
  run: () => Promise<void>;
}

export interface CheckDefinition<P = Record<string, unknown>> {
  id: string;
  title: string;
  requires: Requirement[];
  /**
   * Prerequisites this check proves itself (statefulset-spec proves "statefulset"): a check
   * skipped for one of them points the student to this check, when the exercise has it.
   */
  establishes?: Requirement[];
  /** The parameters this check reads (besides CONTEXT_PARAMS). */
  params: ParamsSchema;
  /**
   * The most pods this check makes (or lets) the StatefulSet run, from its parameters: what
   * a batch plans capacity for. Absent: the check does not change the replica count.
   */
  peakReplicas?: (params: P) => number | undefined;
  /**
   * The rules this check grades for these parameters (the exercise's merged with the check's
   * own), one line each for a student — the titles of the tests `tests` builds for them, so
   * that `kubegrade explain` lists exactly what is graded. A rule the parameters leave out is
   * not listed. Absent: explain shows the check's title alone.
   */
  rules?: (params: P) => string[];
  /** Deletes, scales or patches: runs after every non-destructive check. */
  destructive: boolean;
  /** Default time budget for the whole check. */
  budgetMs: number;
  tests: (ctx: CheckContext<P>) => CheckTest[];
}

export function defineCheck<P>(definition: CheckDefinition<P>): CheckDefinition<P> {
  return definition;
}

export interface Deadlines {
  /** Pods of the submission becoming Ready (after apply, after a deletion). */
  podReadyMs: number;
  execMs: number;
  /** DNS catching up with a change (new pod IPs). */
  dnsMs: number;
}

export interface CheckContext<P = Record<string, unknown>> {
  kc: KubeConfig;
  core: CoreV1Api;
  apps: AppsV1Api;
  namespace: string;
  /** The exercise's parameters merged with this check's own. */
  params: P;
  timeline: Timeline;
  deadlines: Deadlines;
  /**
   * Retries `attempt` while it fails a chai assertion, until the named deadline; then
   * rethrows the last assertion it failed (the last mismatch seen, not "timed out"). An
   * assertAnswer failure that gives the same answer for a moment ends it at once.
   */
  eventually<T>(what: string, deadlineMs: number, attempt: () => Promise<T>): Promise<T>;
  /** Runs a command in a container of a pod of the submission. */
  exec(pod: string, command: string[], options?: { container?: string }): Promise<ExecResult>;
  /** Runs a command in the grader's busybox:1.28 probe pod in the grading namespace. */
  probe(command: string[]): Promise<ExecResult>;
  /**
   * The governing Service's name: the exercise's `service` parameter when it fixes one,
   * else the StatefulSet's spec.serviceName, else the namespace's only Service.
   */
  serviceName(): Promise<string | undefined>;
  /** The StatefulSet the exercise names, as it is now (undefined when absent). */
  statefulSet(): Promise<V1StatefulSet | undefined>;
  /** Names of the StatefulSet's pods by its own replica count: web-0, web-1, … */
  podNames(): Promise<string[]>;
  /**
   * Waits until the StatefulSet's pods are all Ready; throws an assertion naming the pod
   * and its container state (ImagePullBackOff, CrashLoopBackOff, …) when they cannot be.
   * The answer is kept until something may have changed the pods: recreatePods, scale,
   * deleteStatefulSet and reapplyStatefulSet update it, and after a destructive check it is
   * asked afresh.
   */
  podsReady(): Promise<Map<string, V1Pod>>;
  /**
   * Deletes the given pods (short grace period) and waits until the StatefulSet has made
   * each again (new UID) and it is Ready. Returns the pods before and after.
   */
  recreatePods(names: string[], label: string): Promise<{ before: Map<string, V1Pod>; after: Map<string, V1Pod> }>;
  /** Every pod of the StatefulSet deleted and recreated once per grade (shared by checks). */
  recreateAllOnce(): Promise<{ before: Map<string, V1Pod>; after: Map<string, V1Pod> }>;
  /**
   * For a check proving that something survives the grade's one recreation of every pod:
   * `prepare` runs right before recreateAllOnce deletes the pods (its pods Ready), whichever
   * check asks for the recreation first, so the check needs no recreation of its own.
   * Register while building tests (in `tests(ctx)`), not from a running test. The function
   * returned gives `prepare`'s result, or rejects with its error (its assertion is the
   * check's failure); call it after `await ctx.recreateAllOnce()`.
   */
  beforeRecreateAll<T>(prepare: () => Promise<T>): () => Promise<T>;
  /**
   * Sets spec.replicas as `kubectl scale` would (marked on the timeline) and waits until
   * exactly pods 0..replicas-1 exist and are Ready.
   */
  scale(replicas: number): Promise<void>;
  /** Patches the StatefulSet as `kubectl patch` would (marked on the timeline). */
  patchStatefulSet(patch: object, label: string, strategy?: "merge" | "strategic"): Promise<V1StatefulSet>;
  /** The StatefulSet once its controller has observed its latest spec (status.observedGeneration). */
  observed(): Promise<V1StatefulSet>;
  /**
   * Waits, from a watch, until the namespace's pods satisfy `condition`; a `{ fail }`
   * verdict or the deadline becomes an assertion with what was last seen.
   */
  waitForPods(what: string, condition: (pods: Map<string, V1Pod>) => Verdict, deadlineMs?: number): Promise<Map<string, V1Pod>>;
  /** Deletes the StatefulSet (its pods go with it, its claims stay) and waits until the pods are gone. */
  deleteStatefulSet(label: string): Promise<void>;
  /** Applies the submitted StatefulSet again, as the student would with kubectl apply. */
  reapplyStatefulSet(label: string): Promise<void>;
  /** Marks a step of the grader's own on the timeline ("deleted web-0"). */
  step(label: string): void;
}
