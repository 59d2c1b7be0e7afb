/**
 * The check API: what a check is and what it may use. A course's check module imports it as
 * `kubegrade/checks` (which always resolves to the API of the kubegrade running the grade); the
 * built-in checks in kubegrade's `checks/` are written against the same API. (docs/check-api.md,
 * the reference for course authors, is generated from this file: `npm run docs`.)
 *
 * A check is a value: an id, a title, what it needs to run at all, whether it changes the
 * cluster, its time budget, and tests that receive an explicit context ({@link CheckContext}).
 * The runner turns each check into a mocha suite and each test into a mocha test.
 *
 * How a test ends decides the verdict:
 *
 * - it returns: the test passed;
 * - it throws a chai assertion (`assert`, `expect`, re-exported here from chai, so a module
 *   needs nothing else): the check **failed**, and the assertion's message is the student's
 *   feedback — write it for a student: the object and field, what was expected, what was found,
 *   and the likely fix;
 * - it throws anything else, or runs past the check's budget: the check is in **error** — the
 *   grader's or the cluster's fault, never the student's: the whole grade is then no grade
 *   (exit code 3).
 *
 * The context's waits turn what the student's objects do (a pod that never becomes Ready, a
 * crash loop) into assertions, so a wait that cannot be met is the student's failure with the
 * reason, not a time-out. Its deadlines ({@link Deadlines}) are the grade's: 120 s for pods to
 * become Ready (an exercise's `deadlines.podReadySeconds` changes it), 30 s per command, 10 s for
 * DNS to catch up.
 *
 * @example A course's check module, checks/pod-name-env.ts
 * Named in exercise.yaml as
 * `{id: pod-name-env, points: 40, module: checks/pod-name-env.ts, params: {variable: POD_NAME}}`:
 * ```ts
 * import { assert, defineCheck } from "kubegrade/checks";
 *
 * export default defineCheck<{ statefulset: string; variable: string }>({
 *   id: "pod-name-env",
 *   title: "Each pod knows its own name",
 *   requires: ["statefulset", "pods-ready"],
 *   params: { type: "object", properties: { variable: { type: "string", description: "The variable that must hold the pod's name." } }, required: ["statefulset", "variable"] },
 *   destructive: false,
 *   budgetMs: 60_000,
 *   tests: (ctx) => [{
 *     title: "$VARIABLE is the pod's name",
 *     run: async () => {
 *       for (const pod of (await ctx.podsReady()).keys()) {
 *         const { stdout } = await ctx.exec(pod, ["sh", "-c", `printf %s "$${ctx.params.variable}"`]);
 *         assert(stdout === pod, `In pod ${pod}, ${ctx.params.variable} is "${stdout}", not the pod's name.`);
 *       }
 *     },
 *   }],
 * });
 * ```
 *
 * @packageDocumentation
 */
import type { AppsV1Api, CoreV1Api, KubeConfig, V1Pod, V1StatefulSet } from "@kubernetes/client-node";
import { AssertionError } from "chai";

/** chai's assert and expect, so a course's check module needs nothing but this module. */
export { assert, expect } from "chai";

/**
 * Asserts about an answer the cluster gave in full — an HTTP status or body, a field's value —
 * rather than about an answer not there yet (a name that does not resolve, a refused
 * connection): like chai's `assert(condition, message)`, with what was observed as `answer`.
 * Inside {@link CheckContext.eventually}, once the same wrong answer has come back for 2 s
 * (three attempts at least), retrying stops and the assertion is the check's failure: asking
 * again would get the same answer. Assert with `assert` what is not an answer yet: that is
 * retried until the deadline.
 *
 * @param condition - What must hold.
 * @param answer - What was observed ("status 404", "body <h1>Hello</h1>"): equal answers are the same answer.
 * @param message - The student's feedback when it does not hold.
 * @example
 * ```ts
 * await ctx.eventually(`GET ${url}`, ctx.deadlines.dnsMs, async () => {
 *   const answer = await ctx.probe(["wget", "-qO-", url]);
 *   assert(answer.exitCode === 0, `GET ${url} failed: ${answer.stderr.trim()}`); // no answer yet: retried
 *   assertAnswer(answer.stdout.includes(name), `body ${answer.stdout}`, `GET ${url} answered ${answer.stdout.trim()}, not from ${name}.`);
 * });
 * ```
 * @group Writing a check
 */
export function assertAnswer(condition: unknown, answer: string, message: string): asserts condition {
  if (!condition) throw new AssertionError(message, { answer });
}

/**
 * The answer an {@link assertAnswer} failure carries; undefined for any other error.
 *
 * @group Writing a check
 */
export function answerOf(error: unknown): string | undefined {
  const answer = error instanceof AssertionError ? (error as { answer?: unknown }).answer : undefined;
  return typeof answer === "string" ? answer : undefined;
}

/**
 * Returns the definition as it is, typed by its parameters `P`: a check module's default export.
 *
 * @typeParam P - The parameters the check reads: the exercise's `params` merged with the
 * check entry's own, validated against {@link CheckDefinition.params} when the exercise loads.
 * @group Writing a check
 */
export function defineCheck<P>(definition: CheckDefinition<P>): CheckDefinition<P> {
  return definition;
}

/**
 * A check: what an exercise names by `id`. Its tests are built once per grade from the
 * context, then run in order; a check whose `requires` are unmet is skipped with the reason.
 *
 * @group Writing a check
 */
export interface CheckDefinition<P = Record<string, unknown>> {
  /** The check's id, as an exercise names it: lower-case letters, digits and `-`. */
  id: string;
  /** What the check proves, as reports and `kubegrade explain` show it. */
  title: string;
  /** What the check needs to run at all; unmet, it is skipped with the reason, never failed. */
  requires: Requirement[];
  /**
   * Prerequisites this check proves itself (statefulset-spec proves "statefulset"): a check
   * skipped for one of them points the student to this check, when the exercise has it.
   */
  establishes?: Requirement[];
  /**
   * The parameters this check reads (besides {@link CONTEXT_PARAMS}), as a JSON Schema object.
   * Give each a `description` (what it selects, and what else it changes) and, when the check
   * has one, its `default`: `kubegrade explain` prints them beside the value the exercise sets.
   */
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
  /**
   * Deletes, scales or patches: runs after every non-destructive check, and after it the
   * context asks afresh whether the pods are Ready.
   */
  destructive: boolean;
  /**
   * The time budget for the whole check, in ms (an exercise's `budgetSeconds` overrides it).
   * A check still running at its end is in error — the grader's fault — so make it longer than
   * the waits it makes (each at most its own deadline).
   */
  budgetMs: number;
  /**
   * Builds the check's tests from the context, in the order they run. Build, do not run:
   * nothing here may wait on the cluster (register {@link CheckContext.beforeRecreateAll} hooks
   * here, though).
   */
  tests: (ctx: CheckContext<P>) => CheckTest[];
}

/**
 * One test of a check: a rule a student reads, and the code that proves it.
 *
 * @group Writing a check
 */
export interface CheckTest {
  /** The rule, for a student: `kubegrade explain` and the reports show it. */
  title: string;
  /** Returns when the rule holds; throws a chai assertion (the student's feedback) when it does not. */
  run: () => Promise<void>;
}

/**
 * What a check needs to run at all. Unmet, the check is skipped with the reason, never
 * failed: a prerequisite is an object existing, not some unrelated field being right.
 *
 * - `"service"` — the Service the exercise names exists;
 * - `"statefulset"` — the StatefulSet the exercise names exists;
 * - `"pods-ready"` — every pod of that StatefulSet (by its own replica count) became Ready
 *   (waited for up to {@link Deadlines.podReadyMs}).
 *
 * @group Writing a check
 */
export type Requirement = "service" | "statefulset" | "pods-ready";

/**
 * The parameters a check reads, as a JSON Schema object: each property a parameter. An
 * exercise definition is validated against the schemas of the checks it names when it is
 * loaded, so a misspelled or mistyped parameter is refused before any cluster starts, with
 * the nearest valid name.
 *
 * @example
 * ```ts
 * params: {
 *   type: "object",
 *   properties: {
 *     port: { type: "integer", minimum: 1, maximum: 65535, default: 80, description: "The port the pods serve on." },
 *   },
 *   required: ["statefulset"],
 * }
 * ```
 * @group Parameters
 */
export interface ParamsSchema {
  /** Always "object": the parameters are its properties. */
  type: "object";
  /** Each parameter's schema, by name. */
  properties: Record<string, JsonSchema>;
  /** The parameters that must be set (in the exercise's `params` or the check entry's own). */
  required?: string[];
}

/**
 * A JSON Schema (draft 2020-12) fragment describing one parameter.
 *
 * @group Parameters
 */
export type JsonSchema = Record<string, unknown>;

/**
 * Parameters the context itself reads, which every check accepts: `statefulset` (the
 * StatefulSet the context's helpers act on) and `service` (the governing Service's name, when
 * the exercise fixes it), both Kubernetes names. A check that needs one lists it in its
 * `params.required`.
 *
 * @group Parameters
 */
export const CONTEXT_PARAMS: Readonly<Record<"statefulset" | "service", JsonSchema>> = {
  statefulset: { type: "string", pattern: "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", description: "The StatefulSet the exercise asks for: the one the context's helpers act on." },
  service: {
    type: "string", pattern: "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$",
    description: "The governing Service's name, when the exercise fixes it. Absent: the StatefulSet's spec.serviceName, else the namespace's only Service.",
  },
};

/**
 * The grade's deadlines, in ms: how long the context's waits last before they give up with
 * what they last saw. A check's own waits ({@link CheckContext.eventually}) take one of these.
 *
 * @group The context
 */
export interface Deadlines {
  /**
   * Pods of the submission becoming Ready (after apply, after a deletion, after scaling):
   * 120 000 by default; an exercise's `deadlines.podReadySeconds` changes it.
   */
  podReadyMs: number;
  /** One command in a pod (exec, probe): 30 000. */
  execMs: number;
  /** DNS catching up with a change (new pod IPs), and pods answering on their names: 10 000. */
  dnsMs: number;
}

/**
 * What `tests(ctx)` receives: the cluster seen from the grading namespace, the exercise's
 * parameters, the recorded timeline, and helpers whose waits have named deadlines and turn
 * what the student's objects do into assertions a student can act on.
 *
 * The helpers act on the StatefulSet the `statefulset` parameter names. Every wait ends at its
 * deadline with what it last saw, or at once when a pod fails for good (ImagePullBackOff,
 * CrashLoopBackOff: the container's last log lines are quoted).
 *
 * @typeParam P - The check's parameters (see {@link defineCheck}).
 * @group The context
 */
export interface CheckContext<P = Record<string, unknown>> {
  /** The grader's kubeconfig (`@kubernetes/client-node`), for any other API client (`ctx.kc.makeApiClient(BatchV1Api)`). */
  kc: KubeConfig;
  /**
   * The core API client (`CoreV1Api` of @kubernetes/client-node: pods, Services, claims,
   * events…). Its calls do not wait: a missing object is an error with `code` 404.
   *
   * @example
   * ```ts
   * const claims = await ctx.core.listNamespacedPersistentVolumeClaim({ namespace: ctx.namespace });
   * ```
   */
  core: CoreV1Api;
  /** The apps API client (`AppsV1Api` of @kubernetes/client-node: StatefulSets, Deployments…). */
  apps: AppsV1Api;
  /** The grading namespace, where the submission was applied. */
  namespace: string;
  /** The exercise's parameters merged with this check's own (the check entry's `params` win). */
  params: P;
  /** The namespace's pod and claim timeline, recorded from watches started before the submission was applied. */
  timeline: Timeline;
  /** The grade's deadlines, in ms. */
  deadlines: Deadlines;
  /**
   * Retries `attempt` while it fails a chai assertion, every 0.2 s growing to 1 s, until
   * `deadlineMs` has passed; then rethrows the last assertion it failed (the last mismatch
   * seen, not "timed out"). Any other error ends it at once, and so does an
   * {@link assertAnswer} failure that has given the same answer for 2 s. `what` names the wait.
   *
   * @param what - What is awaited, for the progress line ("web-0 answers").
   * @param deadlineMs - How long to keep trying: one of `ctx.deadlines`, or a budget of the check's own.
   * @param attempt - Returns when the condition holds; throws a chai assertion (the mismatch) while it does not.
   * @example
   * ```ts
   * await ctx.eventually(`${name} answers`, ctx.deadlines.dnsMs, async () => {
   *   const answer = await ctx.probe(["wget", "-qO-", `http://${name}.${service}`]);
   *   assert(answer.stdout.includes(name), `GET ${name}.${service} answered ${answer.stdout.trim()}, not from ${name}.`);
   * });
   * ```
   */
  eventually<T>(what: string, deadlineMs: number, attempt: () => Promise<T>): Promise<T>;
  /**
   * Runs a command in a container of a pod of the submission (the first container unless
   * `options.container` names one) and returns its output and exit code; a non-zero exit code
   * is returned, not thrown. Waits for the command to end, up to {@link Deadlines.execMs}.
   * When the pod cannot run it at all (the runtime refuses; the pod has no room for another
   * process) it throws an assertion naming the pod: that is the student's pod's doing.
   *
   * @param pod - A pod of the submission (web-0).
   * @param command - The argv: `["sh", "-c", "…"]` for a shell.
   * @param options - `container`: the container to run in (default: the pod's first).
   * @example
   * ```ts
   * const { stdout, exitCode } = await ctx.exec("web-0", ["cat", "/usr/share/nginx/html/index.html"], { container: "nginx" });
   * ```
   */
  exec(pod: string, command: string[], options?: { container?: string }): Promise<ExecResult>;
  /**
   * Runs a command in the grader's busybox:1.28 probe pod, which sees the cluster as a pod of
   * the grading namespace does (short names resolve there) but lives in a namespace of the
   * grader's own, out of the submission's reach: DNS (`nslookup`) and HTTP (`wget`) from inside
   * the cluster. The first call waits for the probe pod (up to 60 s; it starts with the grade);
   * each command up to {@link Deadlines.execMs}. A probe pod that cannot run the command is the
   * grader's fault (error), never the student's.
   *
   * @param command - The argv, run by busybox 1.28 (`nslookup`, `wget`, `sh -c`).
   * @example
   * ```ts
   * const answer = await ctx.probe(["nslookup", `web-0.nginx.${ctx.namespace}.svc.cluster.local`]);
   * ```
   */
  probe(command: string[]): Promise<ExecResult>;
  /**
   * The governing Service's name: the exercise's `service` parameter when it fixes one,
   * else the StatefulSet's spec.serviceName, else the namespace's only Service; undefined when
   * none of them gives one. Reads, does not wait.
   */
  serviceName(): Promise<string | undefined>;
  /** The StatefulSet the exercise names, as it is now (undefined when absent). Reads, does not wait. */
  statefulSet(): Promise<V1StatefulSet | undefined>;
  /**
   * Names of the StatefulSet's pods by its own spec.replicas (at least 1, at most 10): web-0,
   * web-1, … Reads, does not wait: the pods may not exist yet.
   */
  podNames(): Promise<string[]>;
  /**
   * Waits, from a watch, until every pod of the StatefulSet (by its replica count) is Ready,
   * up to {@link Deadlines.podReadyMs}, and returns them by name; throws an assertion naming
   * the pod and its state (ImagePullBackOff, CrashLoopBackOff, a failing readiness probe…)
   * when they cannot be, at once for a certain failure. The answer is kept until something may
   * have changed the pods: recreatePods, scale, deleteStatefulSet and reapplyStatefulSet
   * update it, and after a destructive check it is asked afresh.
   *
   * @example
   * ```ts
   * for (const [name, pod] of await ctx.podsReady()) assert(pod.status?.podIP, `${name} has no IP.`);
   * ```
   */
  podsReady(): Promise<Map<string, V1Pod>>;
  /**
   * Deletes the given pods (grace period 1 s), marks `label` on the timeline, and waits until
   * the StatefulSet has made each again (a new UID) and it is Ready, up to
   * {@link Deadlines.podReadyMs}. Returns the pods before and after.
   *
   * @param names - The pods to delete (web-0, web-1).
   * @param label - The step's name on the timeline ("deleted web-0").
   * @example
   * ```ts
   * const { before, after } = await ctx.recreatePods(["web-0"], "deleted web-0");
   * assert(after.get("web-0")?.metadata?.uid !== before.get("web-0")?.metadata?.uid, "web-0 was not recreated.");
   * ```
   */
  recreatePods(names: string[], label: string): Promise<Recreation>;
  /**
   * Every pod of the StatefulSet deleted and recreated once per grade, shared by the checks
   * that ask (the first caller starts it, the others await the same recreation): waits for the
   * pods Ready first, runs the {@link CheckContext.beforeRecreateAll} hooks, then as
   * {@link CheckContext.recreatePods}. Only a destructive check may call it.
   */
  recreateAllOnce(): Promise<Recreation>;
  /**
   * For a check proving that something survives the grade's one recreation of every pod:
   * `prepare` runs right before recreateAllOnce deletes the pods (its pods Ready), whichever
   * check asks for the recreation first, so the check needs no recreation of its own.
   * Register while building tests (in `tests(ctx)`), not from a running test. The function
   * returned gives `prepare`'s result, or rejects with its error (its assertion is the
   * check's failure); call it after `await ctx.recreateAllOnce()`.
   *
   * @param prepare - What to do with every pod Ready, right before they are deleted; its result (or failure) is the returned function's.
   * @example
   * ```ts
   * tests: (ctx) => {
   *   const written = ctx.beforeRecreateAll(async () => {
   *     await ctx.exec("web-0", ["sh", "-c", "echo kept > /data/mark"]);
   *     return "/data/mark";
   *   });
   *   return [{ title: "the file survives", run: async () => {
   *     await ctx.recreateAllOnce();
   *     const file = await written();
   *     assert((await ctx.exec("web-0", ["cat", file])).stdout.includes("kept"), `${file} was lost when web-0 was recreated.`);
   *   } }];
   * }
   * ```
   */
  beforeRecreateAll<T>(prepare: () => Promise<T>): () => Promise<T>;
  /**
   * Sets spec.replicas as `kubectl scale` would (marked on the timeline) and waits, from a
   * watch, until exactly pods 0..replicas-1 exist and are Ready, up to
   * {@link Deadlines.podReadyMs}.
   * @param replicas - The new spec.replicas.
   */
  scale(replicas: number): Promise<void>;
  /**
   * Patches the StatefulSet as `kubectl patch` would (marked on the timeline), a JSON merge
   * patch unless `strategy` is `"strategic"`. Does not wait: follow with
   * {@link CheckContext.observed} or {@link CheckContext.waitForPods}.
   *
   * @param patch - The patch, as kubectl patch -p takes it.
   * @param label - The step's name on the timeline ("partition 2").
   * @param strategy - "merge" (a JSON merge patch, the default) or "strategic".
   * @example
   * ```ts
   * await ctx.patchStatefulSet({ spec: { updateStrategy: { type: "RollingUpdate", rollingUpdate: { partition: 2 } } } }, "partition 2");
   * ```
   */
  patchStatefulSet(patch: object, label: string, strategy?: "merge" | "strategic"): Promise<V1StatefulSet>;
  /**
   * The StatefulSet once its controller has observed its latest spec
   * (status.observedGeneration), waited for up to 30 s.
   */
  observed(): Promise<V1StatefulSet>;
  /**
   * Waits, from a watch, until the namespace's pods satisfy `condition` (by name), up to
   * `deadlineMs` ({@link Deadlines.podReadyMs} by default). The condition returns `true`,
   * `{ pending: "what is awaited" }` or `{ fail: "why it never will be" }`; a `{ fail }`, a pod
   * failing for good, or the deadline becomes an assertion with what was last seen.
   *
   * @param what - What is awaited, named in the assertion at the deadline.
   * @param condition - A verdict on the namespace's pods by name, asked on every change.
   * @param deadlineMs - How long to wait (default `ctx.deadlines.podReadyMs`).
   * @example
   * ```ts
   * await ctx.waitForPods("web-2 gone", (pods) => (pods.has("web-2") ? { pending: "web-2 still there" } : true));
   * ```
   */
  waitForPods(what: string, condition: (pods: Map<string, V1Pod>) => Verdict, deadlineMs?: number): Promise<Map<string, V1Pod>>;
  /**
   * Deletes the StatefulSet (its pods go with it, its claims stay), marks `label` on the
   * timeline, and waits until its pods are gone, up to {@link Deadlines.podReadyMs}.
   * @param label - The step's name on the timeline.
   */
  deleteStatefulSet(label: string): Promise<void>;
  /**
   * Applies the submitted StatefulSet again, as the student would with kubectl apply (marked
   * on the timeline). Does not wait: follow with {@link CheckContext.podsReady}.
   * @param label - The step's name on the timeline.
   */
  reapplyStatefulSet(label: string): Promise<void>;
  /**
   * Marks a step of the grader's own on the timeline; the HTML report draws it.
   *
   * @param label - The step's name ("CQL write through cassandra-1").
   */
  step(label: string): void;
}

/**
 * What a command run in a pod gave.
 *
 * @group What the helpers return
 */
export interface ExecResult {
  /** What the command printed on its standard output. */
  stdout: string;
  /** What it printed on its standard error. */
  stderr: string;
  /** The command's exit code (0 on success). */
  exitCode: number;
  /** Why the command could not be run at all (the runtime's message), when it was not. */
  failure?: string;
}

/**
 * A wait's condition ({@link CheckContext.waitForPods}): met, still pending (with what is
 * awaited, shown on the grade's progress line), or failed for good (the check's failure).
 *
 * @group What the helpers return
 */
export type Verdict =
  | true
  | {
      /** What is still awaited ("web-1 not Ready"): the deadline's message if it stays so. */
      pending: string;
    }
  | {
      /** Why the condition can never be met: the assertion's message, at once. */
      fail: string;
    };

/**
 * Pods deleted and made again by the StatefulSet ({@link CheckContext.recreatePods},
 * {@link CheckContext.recreateAllOnce}).
 *
 * @group What the helpers return
 */
export interface Recreation {
  /** The pods as they were before the deletion, by name. */
  before: Map<string, V1Pod>;
  /** The pods made again, Ready, by name (each with a new UID). */
  after: Map<string, V1Pod>;
}

/**
 * The pod and claim timeline of the grading namespace, recorded from watches started before
 * the submission was applied: the order of events is evidence, not a guess.
 *
 * @example
 * ```ts
 * const ready = ctx.timeline.first("web-0", "ready");
 * const created = ctx.timeline.first("web-1", "created");
 * assert(ready && created && created.at >= ready.at, "web-1 was created before web-0 was Ready.");
 * ```
 * @group The timeline
 */
export interface Timeline {
  /** Pod transitions, in the order they were seen. */
  readonly events: readonly TimelineEvent[];
  /** Claim phase changes, in the order they were seen. */
  readonly claims: readonly ClaimEvent[];
  /** The grader's own steps (scale, delete, patch, {@link CheckContext.step}). */
  readonly steps: readonly StepMark[];
  /** When each pod's deletion began. */
  readonly terminations: readonly TerminationStart[];
  /** Events of one pod name (all its incarnations), in order. */
  of(pod: string): TimelineEvent[];
  /** The first time `pod` had `event` at or after `since` (ms since the epoch). */
  first(pod: string, event: PodEventKind, since?: number): TimelineEvent | undefined;
}

/**
 * A pod transition the recorder saw; the report's timeline uses the same kinds.
 *
 * @group The timeline
 */
export type PodEventKind = "created" | "scheduled" | "ready" | "unready" | "deleted";

/**
 * One pod transition, with the grader's local receipt time.
 *
 * @group The timeline
 */
export interface TimelineEvent {
  /** The pod's name (web-0). */
  pod: string;
  /** Which incarnation of the pod: a recreated pod has a new UID. */
  uid: string;
  /** What happened to it. */
  event: PodEventKind;
  /** When the grader saw it, in ms since the epoch. */
  at: number;
}

/**
 * A claim's phase as the recorder saw it change.
 *
 * @group The timeline
 */
export interface ClaimEvent {
  /** The claim's name (www-web-0). */
  claim: string;
  /** Which incarnation of the claim. */
  uid: string;
  /** Pending, Bound, Lost. */
  phase: string;
  /** The volume it is bound to, once Bound. */
  volume?: string;
  /** When the grader saw it, in ms since the epoch. */
  at: number;
}

/**
 * A step the grader took (scale, delete, patch), drawn on the timeline as a marker.
 *
 * @group The timeline
 */
export interface StepMark {
  /** What the grader did ("scaled web to 3"). */
  label: string;
  /** When, in ms since the epoch. */
  at: number;
}

/**
 * When a pod's deletion began (deletionTimestamp seen); its end is the "deleted" event.
 *
 * @group The timeline
 */
export interface TerminationStart {
  /** The pod's name. */
  pod: string;
  /** Which incarnation of it. */
  uid: string;
  /** When its deletion was first seen, in ms since the epoch. */
  at: number;
}
