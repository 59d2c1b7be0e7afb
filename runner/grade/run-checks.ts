/**
 * Runs an exercise's checks through mocha's programmatic API: one fresh Mocha per grade,
 * one suite per check (non-destructive checks first, then destructive ones, each group
 * in the exercise's order), one test per assertion group. A suite whose prerequisite is
 * missing is skipped with the reason; prerequisites are asked afresh after every check
 * that may change the pods (a destructive one). Results are collected from the runner's events
 * into CheckResults; mocha prints nothing.
 */
import { AssertionError } from "chai";
import Mocha from "mocha";
import type { CheckDefinition, Requirement } from "../../checks/api.ts";
import type { ExerciseCheck, ExerciseDefinition } from "../exercise.ts";
import type { CheckResult } from "../report/model.ts";
import { createCheckContext } from "./check-context.ts";
import { podsMayHaveChanged, type GradeSession, type Unmet } from "./session.ts";
import type { CheckProgress } from "./types.ts";

export type { CheckProgress } from "./types.ts";

interface Planned {
  config: ExerciseCheck;
  definition: CheckDefinition<unknown>;
}

export function planChecks(exercise: ExerciseDefinition): Planned[] {
  const planned = exercise.checks.map((config) => ({ config, definition: config.definition }));
  return [...planned.filter((p) => !p.definition.destructive), ...planned.filter((p) => p.definition.destructive)];
}

export type { Unmet } from "./session.ts";

/** Why a prerequisite is not met, or undefined when it is; kept until the pods may have changed. */
function unmet(session: GradeSession, requirement: Requirement, after: string | undefined): Promise<Unmet | undefined> {
  let answer = session.gates.get(requirement);
  if (!answer) {
    answer = ask(session, requirement).then((why) => (why && after ? { ...why, after } : why));
    session.gates.set(requirement, answer);
  }
  return answer;
}

async function ask(session: GradeSession, requirement: Requirement): Promise<Unmet | undefined> {
  const ctx = createCheckContext<{ service?: string; statefulset?: string }>(session);
  switch (requirement) {
    case "service": {
      const name = await ctx.serviceName();
      const svc = name ? await ctx.core.readNamespacedService({ name, namespace: ctx.namespace }).catch(() => undefined) : undefined;
      return svc ? undefined : { reason: name ? `the Service ${name} does not exist` : "no Service governs the StatefulSet" };
    }
    case "statefulset":
      return (await ctx.statefulSet()) ? undefined : { reason: `StatefulSet ${ctx.params.statefulset} does not exist` };
    case "pods-ready":
      try {
        await ctx.podsReady();
        return undefined;
      } catch (error) {
        if (error instanceof AssertionError) return { reason: "the pods never all became Ready", detail: error.message };
        throw error;
      }
  }
}

/**
 * The skip text: the reason, and where the student reads more — the exercise's check that
 * proves this prerequisite, else the first check skipped for it (which carries the detail).
 * Never a check the exercise does not have, and the detail only once.
 */
export function skipText(requirement: Requirement, why: Unmet, plan: Planned[], skipped: string, firstSkipped: Map<string, string>): string {
  if (why.after) return afterText(requirement, why, skipped, firstSkipped);
  const prover = plan.find((p) => p.definition.establishes?.includes(requirement) && p.definition.id !== skipped);
  const see = prover?.definition.id ?? firstSkipped.get(requirement);
  if (see) return `${why.reason} (see ${see}).`;
  firstSkipped.set(requirement, skipped);
  return `${why.reason}${why.detail ? `: ${why.detail}` : "."}`;
}

/**
 * A prerequisite lost to a check that changed the pods (a destructive one): the first check
 * skipped for it carries what was seen, the others point to that one.
 */
function afterText(requirement: Requirement, why: Unmet, skipped: string, firstSkipped: Map<string, string>): string {
  const reason = why.reason === "the pods never all became Ready" ? "the pods were not all Ready" : why.reason;
  const key = `${requirement} after ${why.after}`;
  const first = firstSkipped.get(key);
  if (first) return `${reason} after ${why.after} changed them (see ${first}).`;
  firstSkipped.set(key, skipped);
  return `${reason} after ${why.after} changed them${why.detail ? `: ${why.detail}` : "."}`;
}

class SilentReporter extends Mocha.reporters.Base {}

export async function runChecks(
  exercise: ExerciseDefinition,
  session: GradeSession,
  options: { progress?: CheckProgress; debug?: boolean } = {},
): Promise<CheckResult[]> {
  const plan = planChecks(exercise);
  const mocha = new Mocha({ reporter: SilentReporter as never, bail: false, allowUncaught: false });
  mocha.cleanReferencesAfterRun(true);
  const results = new Map<string, CheckResult>();
  const started = new Map<string, number>();
  const skipReasons = new Map<string, string>();
  const firstSkipped = new Map<string, string>();
  /** The last check that may have changed the pods, once it has run. */
  let changedBy: string | undefined;
  const failures = new Map<string, { assertion: string[]; errors: string[]; evidence: string[] }>();

  for (const { config, definition } of plan) {
    const suite = Mocha.Suite.create(mocha.suite, definition.id);
    const budget = (config.budgetSeconds ?? 0) * 1000 || definition.budgetMs;
    suite.timeout(budget);
    const ctx = createCheckContext(session, definition.id);
    suite.beforeAll(async function (this: Mocha.Context) {
      this.timeout(session.deadlines.podReadyMs + 30_000);
      started.set(definition.id, performance.now());
      options.progress?.started({ id: definition.id, title: definition.title });
      session.onWait = (detail) => options.progress?.waiting?.(definition.id, detail);
      for (const requirement of definition.requires) {
        const why = await unmet(session, requirement, changedBy);
        if (why) {
          skipReasons.set(definition.id, skipText(requirement, why, plan, definition.id, firstSkipped));
          this.skip();
        }
      }
    });
    for (const test of definition.tests(ctx)) {
      suite.addTest(new Mocha.Test(test.title, test.run));
    }
    if (definition.destructive) {
      // Only a check that ran may have changed the pods: one skipped for its prerequisite did not.
      suite.afterAll(() => {
        if (skipReasons.has(definition.id)) return;
        podsMayHaveChanged(session);
        changedBy = definition.id;
      });
    }
  }

  const record = (id: string, error?: unknown) => {
    const entry = failures.get(id) ?? { assertion: [], errors: [], evidence: [] };
    failures.set(id, entry);
    if (!error) return;
    if (error instanceof AssertionError) {
      entry.assertion.push(error.message);
    } else {
      const message = error instanceof Error ? error.message : String(error);
      entry.errors.push(message);
      if (options.debug && error instanceof Error && error.stack) entry.evidence.push(error.stack);
    }
  };

  await new Promise<void>((resolve) => {
    const runner = mocha.run(() => resolve());
    // Interrupted or over budget: no further check starts (the running one stops at its next wait).
    const stop = () => runner.abort();
    session.signal?.addEventListener("abort", stop, { once: true });
    runner.on("end", () => session.signal?.removeEventListener("abort", stop));
    runner.on("fail", (runnable: Mocha.Runnable, error: unknown) => {
      const id = suiteId(runnable);
      if (id) record(id, error);
    });
    runner.on("suite end", (suite: Mocha.Suite) => {
      const planned = plan.find((p) => p.definition.id === suite.title && suite.parent?.root);
      if (!planned) return;
      const result = summarise(planned, failures.get(planned.definition.id), skipReasons.get(planned.definition.id), started.get(planned.definition.id));
      results.set(result.id, result);
      options.progress?.finished(result);
    });
  });

  mocha.dispose();
  for (const { config, definition } of plan) {
    if (!results.has(definition.id)) {
      results.set(definition.id, {
        id: definition.id, title: definition.title, status: "error", score: 0, maxScore: config.points,
        feedback: ["The grader did not run this check (internal error)."], durationMs: 0,
      });
    }
  }
  // Report in the exercise's order, whatever order they ran in.
  return exercise.checks.map((c) => results.get(c.id) as CheckResult);
}

function suiteId(runnable: Mocha.Runnable): string | undefined {
  let suite: Mocha.Suite | undefined = runnable.parent;
  while (suite && suite.parent && !suite.parent.root) suite = suite.parent;
  return suite?.title;
}

function summarise(
  planned: Planned,
  failure: { assertion: string[]; errors: string[]; evidence: string[] } | undefined,
  skipReason: string | undefined,
  startedAt: number | undefined,
): CheckResult {
  const { config, definition } = planned;
  const base = {
    id: definition.id,
    title: definition.title,
    maxScore: config.points,
    durationMs: startedAt === undefined ? 0 : Math.round(performance.now() - startedAt),
  };
  if (failure?.errors.length) {
    return {
      ...base, status: "error", score: 0,
      feedback: [...new Set(failure.assertion), ...failure.errors.map((e) => `The grader could not finish this check (not your submission's fault): ${e}`)],
      ...(failure.evidence.length ? { evidence: failure.evidence } : {}),
    };
  }
  // Several tests of a check can fail for one reason (pods that never came back): say it once.
  // The exercise's hint goes under the failure, so every report shows it.
  if (failure?.assertion.length) return { ...base, status: "failed", score: 0, feedback: [...new Set(failure.assertion), ...(config.hint ? [`Hint: ${config.hint}`] : [])] };
  if (skipReason) return { ...base, status: "skipped", score: 0, feedback: [`Not run: ${skipReason}`] };
  return { ...base, status: "passed", score: config.points, feedback: [] };
}
