/**
 * `kubegrade exercise new` and `kubegrade exercise verify`: the instructor's tools for a
 * course directory (runner/exercise.ts reads it, runner/verify.ts proves it).
 */
import type { Command } from "commander";
import { cp, mkdir, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { parseAllDocuments, parseDocument, stringify } from "yaml";
import { addClusterOptions, clusterOptionsOf, imageRegistryOf, type ClusterCliOptions } from "./cluster-cli.ts";
import { EXERCISES_OPTION, collect, coursesOf, type CommandContext } from "./commands.ts";
import { EXIT, UsageError, errorMessage, type ExitCode } from "./errors.ts";
import { COURSE_FILE, courseDirs, listExercises, loadExercise } from "./exercise.ts";
import { verdict } from "./report/writers/text.ts";
import { interruption } from "./util/interrupt.ts";
import { createProgress } from "./util/progress.ts";
import type { FixtureOutcome } from "./verify.ts";

const ID = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** A minimal exercise: an nginx StatefulSet and its headless Service, graded by built-in and declarative checks. */
const TEMPLATE_EXERCISE = (id: string) => `# ${id}: written by \`kubegrade exercise new\`; edit it, then \`kubegrade exercise verify ${id}\`.
id: ${id}
title: "A StatefulSet of 2 nginx pods behind a headless Service"
summary: >-
  A headless Service \`app\` and a StatefulSet \`app\` running 2 nginx replicas.
timeBudgetSeconds: 180
allowedKinds: [Service, StatefulSet, ConfigMap]
images: [nginx:mainline, nginx:latest, k8s.gcr.io/nginx-slim:0.8, registry.k8s.io/nginx-slim:0.8]
quota: {pods: "6", requests.cpu: "1", requests.memory: 1Gi, limits.memory: 2Gi, persistentvolumeclaims: "6", requests.storage: 10Gi, services: "3", services.nodeports: "0", services.loadbalancers: "0"}
containerDefaults:
  requests: {cpu: 10m, memory: 16Mi, ephemeral-storage: 10Mi}
  limits: {cpu: 500m, memory: 256Mi, ephemeral-storage: 200Mi}
params:
  service: app
  statefulset: app
  port: {port: 80}
checks:
  - {id: headless-service, points: 30}
  - id: serves-http
    points: 40
    title: "Each pod answers HTTP on port 80 through its own DNS name"
    http: {port: 80, path: /, status: 200}
    hint: "nginx serves its welcome page on port 80 unless a volume hides /usr/share/nginx/html."
  - id: two-replicas
    points: 30
    title: "The StatefulSet runs 2 replicas"
    object: {kind: StatefulSet, name: app, fields: {spec.replicas: 2}}
    feedback: "StatefulSet app: spec.replicas should be {expected}, found {observed}."
`;

const TEMPLATE_REFERENCE = `apiVersion: v1
kind: Service
metadata:
  name: app
spec:
  clusterIP: None
  selector: {app: app}
  ports:
  - {name: http, port: 80}
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: app
spec:
  serviceName: app
  replicas: 2
  selector:
    matchLabels: {app: app}
  template:
    metadata:
      labels: {app: app}
    spec:
      containers:
      - name: nginx
        image: nginx:mainline
        ports:
        - {name: http, containerPort: 80}
`;

async function yamlFiles(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true, encoding: "utf8" })).filter((f) => /\.(ya?ml)$/.test(f)).sort();
}

/** The reference without its Services: a broken variant every exercise with a Service check fails. */
async function withoutServices(reference: string, into: string): Promise<number> {
  let removed = 0;
  for (const file of await yamlFiles(reference)) {
    const docs = parseAllDocuments(await readFile(join(reference, file), "utf8"));
    const kept = docs.filter((d) => {
      const kind = (d.toJS() as { kind?: unknown } | null)?.kind;
      if (kind === "Service") removed++;
      return kind !== "Service";
    });
    await mkdir(join(into, file, ".."), { recursive: true });
    if (kept.length) await writeFile(join(into, file), kept.map((d) => d.toString()).join("---\n"));
  }
  return removed;
}

export interface NewExerciseOptions {
  id: string;
  from?: string;
  dir: string;
  courses: readonly string[];
}

/**
 * Writes a new exercise folder: definition, README, a reference fixture and one broken fixture;
 * and the course's kubegrade.yaml when it has none (`courseFile`).
 */
export async function newExercise(options: NewExerciseOptions): Promise<{ dir: string; files: string[]; courseFile?: string }> {
  const { id } = options;
  if (!ID.test(id) || id.length > 40) throw new UsageError(`exercise id "${id}": lower-case letters, digits and "-" (at most 40)`);
  const dir = resolve(options.dir, id);
  if (existsSync(dir)) throw new UsageError(`${dir} already exists`);
  if (listExercises(options.courses).includes(id)) throw new UsageError(`an exercise ${id} already exists (see kubegrade list); choose another id`);
  const fixtures = join(dir, "fixtures");
  const reference = join(fixtures, "reference", "submission");
  try {
    if (options.from) {
      const source = await loadExercise(options.from, options.courses);
      const { fixturesDir } = await import("./verify.ts");
      const from = fixturesDir(source);
      if (!existsSync(join(from, "reference", "submission"))) {
        throw new UsageError(source.course
          ? `exercise ${source.id} has no reference fixture (${join(from, "reference")}) to start from`
          : `exercise ${source.id} is built in, and the reference solutions of the built-in exercises are not shipped in the npm package ` +
            "(every student would find them there): use --from from a clone of kubegrade's repository, or start from the minimal template (no --from)");
      }
      if (source.course) {
        await cp(source.dir, dir, { recursive: true, filter: (path) => !relative(source.dir, path).startsWith("fixtures") });
      } else {
        await mkdir(dir, { recursive: true });
        await cp(join(source.dir, "README.md"), join(dir, "README.md")).catch(() => undefined);
      }
      const definition = parseDocument(await readFile(join(source.dir, "exercise.yaml"), "utf8"));
      definition.set("id", id);
      definition.delete("seed");
      definition.commentBefore = ` ${id}: copied from ${source.id} by \`kubegrade exercise new\`; edit it, then \`kubegrade exercise verify ${id}\`.`;
      await writeFile(join(dir, "exercise.yaml"), definition.toString());
      await cp(join(from, "reference", "submission"), reference, { recursive: true });
      const expected = parseDocument(await readFile(join(from, "reference", "expected.yaml"), "utf8"));
      await writeFile(join(fixtures, "reference", "expected.yaml"), expected.toString());
    } else {
      await mkdir(reference, { recursive: true });
      await writeFile(join(dir, "exercise.yaml"), TEMPLATE_EXERCISE(id));
      await writeFile(join(reference, "app.yaml"), TEMPLATE_REFERENCE);
      await writeFile(join(fixtures, "reference", "expected.yaml"), stringify({
        description: "The reference solution: full marks.",
        exitCode: 0,
        verdicts: { "headless-service": "passed", "serves-http": "passed", "two-replicas": "passed" },
      }));
    }
    if (!existsSync(join(dir, "README.md"))) {
      await writeFile(join(dir, "README.md"), `# Exercise \`${id}\`\n\nWhat the student builds, and what the grader checks (\`kubegrade explain ${id}\`).\n`);
    }
    const broken = join(fixtures, "no-service");
    const removed = await withoutServices(reference, join(broken, "submission"));
    if (!removed) throw new UsageError(`the reference of ${options.from ?? id} has no Service to take out for the broken fixture`);
    await writeFile(join(broken, "expected.yaml"), stringify(await brokenExpected(id, options.dir, options.courses)));
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  const courseFile = (await writeCourseFile(options.dir)) ? resolve(options.dir, COURSE_FILE) : undefined;
  const files = (await readdir(dir, { recursive: true, encoding: "utf8" })).filter((f) => /\.(ya?ml|md|ts|js)$/.test(f)).sort();
  return { dir, files, ...(courseFile ? { courseFile } : {}) };
}

/**
 * The no-service fixture's verdicts: without a Service, headless-service fails (when the
 * exercise has it) — pinned with `fails:`, the other checks left free until the instructor
 * has seen them; the minimal template's object check (spec.replicas) still passes.
 */
async function brokenExpected(id: string, dir: string, courses: readonly string[]): Promise<Record<string, unknown>> {
  const exercise = await loadExercise(id, [...courses.filter((c) => resolve(c) !== resolve(dir)), resolve(dir)]);
  const ids = exercise.checks.map((c) => c.id);
  return {
    description:
      "The reference without its Service: not full marks. `fails:`/`passes:` pin only the checks they name (the others are free); " +
      "`verdicts:` pins every check — write it once you have seen them (kubegrade exercise verify).",
    exitCode: 1,
    ...(ids.includes("headless-service") ? { fails: ["headless-service"] } : {}),
    ...(ids.includes("two-replicas") ? { passes: ["two-replicas"] } : {}),
  };
}

/**
 * A kubegrade.yaml naming the course directory, when neither it nor a directory above has
 * one that does: then `kubegrade exercise verify <id>` (and grade, list, explain) find the
 * course from there without --exercises. Returns whether it wrote one.
 */
async function writeCourseFile(dir: string): Promise<boolean> {
  try {
    if (courseDirs({ env: {}, cwd: dir }).includes(resolve(dir))) return false;
  } catch {
    // A kubegrade.yaml above that cannot be read is its owner's to fix; this course gets its own.
  }
  if (existsSync(join(dir, COURSE_FILE))) return false;
  await writeFile(join(dir, COURSE_FILE), "# The course directory: kubegrade run here or below finds its exercises (written by `kubegrade exercise new`).\nexercises: .\n");
  return true;
}

function outcomeLine(o: FixtureOutcome, width: number): string {
  const got = o.report ? `${verdict(o.report)}${o.report.refused ? "" : ` ${o.report.score}/${o.report.maxScore}`}` : "not graded";
  const mark = o.problems.length ? "✗" : "✓";
  return `${mark} ${`${o.exercise}/${o.name}`.padEnd(width)}  exit ${o.expected.exitCode} expected, ${got}${o.problems.map((p) => `\n      ${p}`).join("")}`;
}

interface VerifyCliOptions extends ClusterCliOptions {
  exercises?: string[];
  jobs?: string;
  only?: string;
}

export async function verifyCommand(ids: string[], opts: VerifyCliOptions, context: CommandContext): Promise<ExitCode> {
  const courses = coursesOf(opts, context.env);
  const targets = ids.length ? ids : courses.length ? listExercises(courses).filter((id) => courses.some((c) => existsSync(join(c, id)))) : [];
  if (!targets.length) throw new UsageError("name the exercises to verify, or give --exercises DIR to verify all of a course's");
  const jobs = opts.jobs === undefined ? undefined : Number(opts.jobs);
  if (jobs !== undefined && (!Number.isInteger(jobs) || jobs < 1)) throw new UsageError(`--jobs ${opts.jobs}: a whole number of at least 1 is expected`);
  const progress = createProgress({ env: context.env });
  const clusterOptions = clusterOptionsOf(opts, { env: context.env, progress, reuseByDefault: true });
  const imageRegistry = imageRegistryOf(opts, context.env);
  const { exerciseProblems, verifyFixtures } = await import("./verify.ts");
  const { chooseProvider, obtainCluster } = await import("./cluster/index.ts");
  // What the cluster will be able to do, before it is obtained: an exercise that cannot run there fails first.
  const { provider } = await chooseProvider(clusterOptions);
  const prepared = [];
  const broken: string[] = [];
  for (const id of targets) {
    const { exercise, problems } = await exerciseProblems(id, courses, provider.capabilities);
    if (problems.length || !exercise) broken.push(`✗ ${id}: ${problems.join("; ")}`);
    if (exercise) prepared.push(exercise);
  }
  if (broken.length) {
    process.stdout.write(`${broken.join("\n")}\n`);
    return EXIT.notPassed;
  }
  const cluster = await obtainCluster(clusterOptions);
  let failed = 0;
  let total = 0;
  try {
    for (const exercise of prepared) {
      const { cases, outcomes, jobs: running } = await verifyFixtures({
        exercise, courses, cluster, jobs, signal: interruption, only: opts.only?.split(","), ...(imageRegistry ? { imageRegistry } : {}),
      });
      progress.info(`Verifying ${exercise.id}: ${cases.length} fixture(s), ${running} at a time, on ${cluster.description}`);
      const width = Math.max(...cases.map((c) => c.exercise.length + c.name.length + 1));
      for (const pending of outcomes) {
        const outcome = await pending;
        total++;
        if (outcome.problems.length) failed++;
        process.stdout.write(`${outcomeLine(outcome, width)}\n`);
      }
    }
  } finally {
    await cluster.stop().catch((error: unknown) => progress.info(`Could not stop the cluster: ${errorMessage(error)}`));
  }
  if (interruption.aborted) return EXIT.interrupted;
  process.stdout.write(`\n${total - failed}/${total} fixture(s) got exactly their verdicts${failed ? `; ${failed} did not` : ""}.\n`);
  return failed ? EXIT.notPassed : EXIT.passed;
}

export function registerExerciseCommands(program: Command, context: CommandContext): void {
  const exercise = program.command("exercise").description("write and prove a course's exercises");
  exercise
    .command("new")
    .description("a new exercise in a course directory: definition, README, a reference and a broken fixture")
    .argument("<id>", "the new exercise's id (its folder's name)")
    .option("--from <exercise>", "copy this exercise (built-in or the course's) and its reference solution")
    .option("--dir <dir>", "the course directory (default: the first of --exercises / KUBEGRADE_EXERCISES / kubegrade.yaml, else ./exercises)")
    .option(...EXERCISES_OPTION, collect)
    .action(async (id: string, opts: { from?: string; dir?: string; exercises?: string[] }) => {
      const courses = coursesOf(opts, context.env);
      const dir = opts.dir ?? courses[0] ?? "exercises";
      const made = await newExercise({ id, from: opts.from, dir, courses: [...courses, ...(existsSync(dir) && !courses.includes(resolve(dir)) ? [resolve(dir)] : [])] });
      process.stdout.write(
        `Wrote ${made.dir}:\n${made.files.map((f) => `  ${f}`).join("\n")}\n` +
          `${made.courseFile ? `Wrote ${made.courseFile} (exercises: .): kubegrade finds the course from ${resolve(dir)} or below.\n` : ""}` +
          `Next: kubegrade exercise verify ${id} --exercises ${resolve(dir)}   (or, from ${resolve(dir)}: kubegrade exercise verify ${id})\n`,
      );
    });
  const verify = exercise
    .command("verify")
    .description("grade every fixture of the exercises and compare each with its expected.yaml (exit 0 only when all agree)")
    .argument("[ids...]", "exercises to verify (default: every exercise of the course directories)");
  addClusterOptions(verify, { what: "verify", reuseByDefault: true })
    .option("--jobs <n>", "fixtures graded at once (default: as many as the cluster's free capacity fits, as batch chooses)")
    .option("--only <cases>", "only these fixtures (comma-separated)")
    .option(...EXERCISES_OPTION, collect)
    .action(async (ids: string[], opts: VerifyCliOptions) => {
      context.setExitCode(await verifyCommand(ids, opts, context));
    });
}

