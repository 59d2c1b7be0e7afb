/**
 * `kubegrade exercise verify`: the grader's self-test of an exercise before it is handed
 * out. Its definition and parameters are validated (loading does that), its images must be
 * available on the cluster, then every fixture is graded — several at a time on one
 * cluster, as `batch` does — and each result compared with the fixture's expected.yaml.
 * The reference must score full marks. kubegrade's own fixtures test runs this same code.
 *
 * Fixtures: <course>/<id>/fixtures/<case>/ for a course's exercise, fixtures/<id>/<case>/
 * in kubegrade's own tree for a built-in one; each case holds submission/ and expected.yaml
 * (fixtures/README.md documents the format).
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { chooseJobs, readCapacity, submissionFootprint } from "./batch/capacity.ts";
import { givenCluster } from "./cluster/request.ts";
import type { Cluster, ProviderCapabilities } from "./cluster/types.ts";
import { PROJECT_ROOT } from "./config.ts";
import { UsageError } from "./errors.ts";
import { loadExercise, maxScore, type ExerciseDefinition } from "./exercise.ts";
import { exitCodeForReport, prepareGrade } from "./grade/index.ts";
import { WORKLOAD_IMAGES } from "./workload-images.ts";
import type { GradeReport } from "./report/model.ts";
import { imageVerdict } from "./submission/images.ts";
import { createProgress } from "./util/progress.ts";
import { didYouMean } from "./util/nearest.ts";

/** What a fixture must get (expected.yaml). */
export interface Expected {
  description: string;
  exitCode: number;
  refused?: boolean;
  /** Phrases the refusal messages must contain (file:line, field…). */
  refusals?: string[];
  /** Refused by the API server at apply (after the cluster started), not by the validator. */
  refusedByApiServer?: boolean;
  /** Every check's status; absent: only the exit code (and `fails`/`passes`) is compared. */
  verdicts?: Record<string, string>;
  /** Checks that must fail, the others left free (beside `exitCode`; not with `verdicts`). */
  fails?: string[];
  /** Checks that must pass, the others left free (beside `exitCode`; not with `verdicts`). */
  passes?: string[];
  /** A phrase each named check's feedback must contain. */
  feedback?: Record<string, string>;
  /** Phrases the report's notes must contain: what was adapted. */
  notes?: string[];
  /**
   * The grade must reach its verdict within this many seconds (the report's duration): for a
   * broken case whose cause is certain, which must not be waited out to a deadline.
   */
  maxSeconds?: number;
}

export interface FixtureCase {
  exercise: string;
  name: string;
  dir: string;
  expected: Expected;
}

export interface FixtureOutcome extends FixtureCase {
  report?: GradeReport;
  /** What differs from expected.yaml; empty when the fixture got exactly its verdicts. */
  problems: string[];
}

/** Where an exercise's fixtures are: in its course folder, or kubegrade's own fixtures/. */
export function fixturesDir(exercise: Pick<ExerciseDefinition, "id" | "dir" | "course">): string {
  return exercise.course ? join(exercise.dir, "fixtures") : join(PROJECT_ROOT, "fixtures", exercise.id);
}

export function fixtureCases(exercise: Pick<ExerciseDefinition, "id" | "dir" | "course">, only?: readonly string[]): FixtureCase[] {
  const root = fixturesDir(exercise);
  if (!existsSync(root)) return [];
  return readdirSync(root, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(root, e.name, "expected.yaml")))
    .map((e) => e.name)
    .filter((name) => !only || only.includes(name))
    .sort()
    .map((name) => {
      const file = join(root, name, "expected.yaml");
      let expected: Expected;
      try {
        expected = parse(readFileSync(file, "utf8")) as Expected;
      } catch (error) {
        throw new UsageError(`${file}: not valid YAML (${(error as Error).message.split("\n")[0]})`);
      }
      if (!expected || typeof expected.exitCode !== "number") throw new UsageError(`${file}: exitCode (0, 1 or 2) is required`);
      return { exercise: exercise.id, name, dir: join(root, name), expected };
    });
}

function refusalText(report: GradeReport): string {
  return report.refusals
    .map((r) => `${r.file}${r.line ? `:${r.line}` : ""}${r.column ? `:${r.column}` : ""} ${r.object ?? ""} ${r.field ?? ""} ${r.message}`)
    .join("\n");
}

const EXPECTED_KEYS = ["description", "exitCode", "refused", "refusals", "refusedByApiServer", "verdicts", "fails", "passes", "feedback", "notes", "maxSeconds"];
const STATUSES = ["passed", "failed", "error", "skipped"];

/**
 * What is wrong with an expected.yaml itself, before any grade: properties it does not know,
 * `verdicts` beside `fails`/`passes`, a check in both lists, and check ids the exercise does
 * not have — each with the nearest valid name (pure: unit-testable).
 */
export function expectedProblems(expected: Expected, exercise: Pick<ExerciseDefinition, "checks">): string[] {
  const problems: string[] = [];
  const ids = exercise.checks.map((c) => c.id);
  for (const key of Object.keys(expected)) {
    if (!EXPECTED_KEYS.includes(key)) problems.push(`expected.yaml has no property \`${key}\`${didYouMean(key, EXPECTED_KEYS)}`);
  }
  const lists = { fails: expected.fails, passes: expected.passes };
  for (const [key, list] of Object.entries(lists)) {
    if (list !== undefined && !(Array.isArray(list) && list.every((id) => typeof id === "string"))) problems.push(`expected.yaml: \`${key}\` must be a list of check ids, as in ${key}: [${ids[0] ?? "check-id"}]`);
  }
  if (expected.maxSeconds !== undefined && !(typeof expected.maxSeconds === "number" && expected.maxSeconds > 0)) {
    problems.push("expected.yaml: `maxSeconds` must be a number of seconds above 0, as in maxSeconds: 30");
  }
  if (expected.verdicts && (expected.fails || expected.passes)) {
    problems.push("expected.yaml: give `verdicts` (every check pinned) or `fails`/`passes` (only these pinned, the others free), not both");
  }
  const named: [string, string[]][] = [
    ["verdicts", Object.keys(expected.verdicts ?? {})],
    ["fails", Array.isArray(expected.fails) ? expected.fails : []],
    ["passes", Array.isArray(expected.passes) ? expected.passes : []],
    ["feedback", Object.keys(expected.feedback ?? {})],
  ];
  for (const [key, list] of named) {
    for (const id of list) {
      if (!ids.includes(String(id))) problems.push(`expected.yaml: \`${key}\` names ${String(id)}, which the exercise does not check${didYouMean(String(id), ids)}`);
    }
  }
  for (const id of lists.fails ?? []) if (lists.passes?.includes(id)) problems.push(`expected.yaml: ${id} is in both \`fails\` and \`passes\``);
  for (const [id, status] of Object.entries(expected.verdicts ?? {})) {
    if (!STATUSES.includes(String(status))) problems.push(`expected.yaml: \`verdicts.${id}\` is ${JSON.stringify(status)}, not one of ${STATUSES.join(", ")}${didYouMean(String(status), STATUSES)}`);
  }
  return problems;
}

/** The status the fixture pins for a check, if any: from `verdicts`, `fails` or `passes`. */
function pinned(expected: Expected, id: string): string | undefined {
  if (expected.verdicts) return expected.verdicts[id];
  if (expected.fails?.includes(id)) return "failed";
  if (expected.passes?.includes(id)) return "passed";
  return undefined;
}

/** What a report got that its expected.yaml does not say (pure: unit-testable). */
export function compareWithExpected(report: GradeReport, expected: Expected, name: string, exercise: Pick<ExerciseDefinition, "checks">): string[] {
  const problems = expectedProblems(expected, exercise);
  if (report.infrastructureError !== undefined) return [`the grader or the cluster failed: ${report.infrastructureError}`];
  const code = exitCodeForReport(report);
  const summary = report.checks.filter((c) => c.status !== "passed").map((c) => `${c.id} ${c.status}: ${c.feedback[0] ?? ""}`).join("; ");
  if (code !== expected.exitCode) problems.push(`exit code ${code}, expected ${expected.exitCode}${report.refused ? ` (refused: ${refusalText(report).slice(0, 300)})` : summary ? ` (${summary.slice(0, 300)})` : ""}`);
  if (report.refused !== (expected.refused ?? false)) problems.push(report.refused ? "refused, not expected to be" : "expected to be refused");
  for (const phrase of expected.notes ?? []) if (!report.notes.join("\n").includes(phrase)) problems.push(`no note says "${phrase}"`);
  if (expected.refused) {
    if (!expected.refusedByApiServer && report.cluster !== null) problems.push("a refused submission reached a cluster");
    for (const phrase of expected.refusals ?? []) if (!refusalText(report).includes(phrase)) problems.push(`no refusal says "${phrase}"`);
    return problems;
  }
  for (const check of exercise.checks) {
    const got = report.checks.find((c) => c.id === check.id)?.status;
    const want = pinned(expected, check.id);
    if (want === undefined) {
      // With `verdicts`, every check is pinned; with fails/passes (or neither), the rest are free.
      if (expected.verdicts) problems.push(`expected.yaml gives no verdict for ${check.id} (got ${got}); pin it, or name only some checks with fails:/passes:`);
    } else if (got !== want) {
      problems.push(`${check.id}: ${got}, expected ${want}${got !== "passed" ? ` — ${report.checks.find((c) => c.id === check.id)?.feedback.join(" | ").slice(0, 300)}` : ""}`);
    }
  }
  for (const [id, phrase] of Object.entries(expected.feedback ?? {})) {
    const feedback = report.checks.find((c) => c.id === id)?.feedback.join("\n") ?? "";
    if (!feedback.includes(phrase)) problems.push(`${id}'s feedback does not say "${phrase}" (it says: ${feedback.slice(0, 300) || "nothing"})`);
  }
  if (expected.maxSeconds !== undefined && report.durationMs > expected.maxSeconds * 1000) {
    problems.push(`the verdict took ${(report.durationMs / 1000).toFixed(1)} s, more than the ${expected.maxSeconds} s expected.yaml allows`);
  }
  if (name === "reference" && !report.refused && report.score !== report.maxScore) problems.push(`the reference scores ${report.score}/${report.maxScore}, not full marks`);
  return problems;
}

/** Images the exercise names that the kit cannot serve (another cluster pulls them itself). */
export function missingKitImages(exercise: Pick<ExerciseDefinition, "images">): string[] {
  const served = WORKLOAD_IMAGES.flatMap((w) => w.names);
  return exercise.images.filter((image) => imageVerdict(image, served).kind === "unknown");
}

/** Runs the given tasks at most `jobs` at a time; each promise settles with its own task. */
export function limited<T>(jobs: number, tasks: (() => Promise<T>)[]): Promise<T>[] {
  let free = Math.max(1, jobs);
  const waiting: (() => void)[] = [];
  const slot = () => (free > 0 ? (free--, Promise.resolve()) : new Promise<void>((resolve) => waiting.push(resolve)));
  const done = () => (waiting.length ? waiting.shift()!() : free++);
  return tasks.map(async (task) => {
    await slot();
    try {
      return await task();
    } finally {
      done();
    }
  });
}

export interface VerifyOptions {
  exercise: ExerciseDefinition;
  courses?: readonly string[];
  cluster: Cluster;
  /** Only these fixtures. */
  only?: readonly string[];
  /** Grades at once; chosen as batch chooses it when absent. */
  jobs?: number;
  signal?: AbortSignal;
  /** --image-registry: where the images only the kit builds are (RunOptions.imageRegistry). */
  imageRegistry?: string;
}

/**
 * Grades every fixture of one exercise on the cluster, several at a time; each outcome's
 * promise settles as soon as its own grade ends (the caller may report them one by one).
 */
export async function verifyFixtures(options: VerifyOptions): Promise<{ cases: FixtureCase[]; outcomes: Promise<FixtureOutcome>[]; jobs: number }> {
  const { exercise, cluster } = options;
  const cases = fixtureCases(exercise, options.only);
  let jobs = options.jobs;
  if (jobs === undefined) {
    const capacity = await readCapacity(cluster.kubeConfig);
    jobs = "unknown" in capacity ? 1 : chooseJobs(capacity, submissionFootprint(exercise), exercise.id).jobs;
  }
  const outcomes = limited(jobs, cases.map((c) => async (): Promise<FixtureOutcome> => {
    try {
      // The same two phases as `kubegrade grade`, on the one cluster.
      const prepared = await prepareGrade({
        exercise: exercise.id,
        exercises: options.courses,
        submission: join(c.dir, "submission"),
        progress: createProgress({ quiet: true }),
      });
      const report = prepared.refused ? prepared.report : await prepared.run({
        cluster: givenCluster(cluster),
        signal: options.signal,
        ...(options.imageRegistry ? { imageRegistry: options.imageRegistry } : {}),
      });
      return { ...c, report, problems: compareWithExpected(report, c.expected, c.name, exercise) };
    } catch (error) {
      return { ...c, problems: [`the grade failed: ${(error as Error).message}`] };
    }
  }));
  return { cases, outcomes, jobs };
}

/** Problems with the exercise itself, before any fixture is graded. */
export async function exerciseProblems(
  id: string,
  courses: readonly string[],
  cluster: Pick<ProviderCapabilities, "servesKitImages">,
): Promise<{ exercise?: ExerciseDefinition; problems: string[] }> {
  let exercise: ExerciseDefinition;
  try {
    exercise = await loadExercise(id, courses);
  } catch (error) {
    return { problems: [(error as Error).message] };
  }
  const problems: string[] = [];
  // A cluster that serves the kit's images serves only those; any other pulls the rest itself.
  if (cluster.servesKitImages) {
    const missing = missingKitImages(exercise);
    if (missing.length) problems.push(`images the kit node does not provide: ${missing.join(", ")} (it serves ${WORKLOAD_IMAGES.flatMap((w) => w.names).join(", ")})`);
  }
  if (!exercise.course && !existsSync(fixturesDir(exercise))) {
    throw new UsageError(
      `exercise ${id} is built in, and its fixtures (reference solutions included) are not shipped in the npm package, ` +
        "where every student would find them: verify built-in exercises from a clone of kubegrade's repository",
    );
  }
  const cases = fixtureCases(exercise);
  for (const c of cases) problems.push(...expectedProblems(c.expected, exercise).map((p) => `${c.name}/${p}`));
  if (!cases.some((c) => c.name === "reference")) problems.push(`no reference fixture (${join(fixturesDir(exercise), "reference")}/submission and expected.yaml)`);
  if (maxScore(exercise) <= 0) problems.push("the exercise gives no points");
  return { exercise, problems };
}
