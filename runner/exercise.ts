/**
 * Exercises are data: <dir>/<id>/exercise.yaml names the checks (built-in modules under
 * checks/, a course's own check modules, or declarative checks), their points and
 * parameters, what a submission may contain, and the resources a grade may use.
 * exercises/exercise.schema.json documents the format. The built-in exercises live in
 * exercises/; a course adds its own from directories of its own (--exercises DIR,
 * KUBEGRADE_EXERCISES, or a kubegrade.yaml found in the current directory or above).
 */
import type { Ajv2020 } from "ajv/dist/2020.js";
import { createHash } from "node:crypto";
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync } from "node:fs";
import { createRequire, registerHooks } from "node:module";
import { delimiter, dirname, isAbsolute, join, relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parse } from "yaml";
import { CONTEXT_PARAMS, type CheckDefinition } from "../checks/api.ts";
import { DECLARATIVE_SHAPES, declarativeCheck, placeholderProblems, type DeclarativeEntry } from "../checks/declarative.ts";
import { CHECKS } from "../checks/index.ts";
import { cacheDir, PROJECT_ROOT } from "./config.ts";
import { UsageError } from "./errors.ts";
import { checkLabel, exercisePlace, ordinal, wordSchemaErrors, type SchemaError } from "./exercise-errors.ts";
import { didYouMean } from "./util/nearest.ts";

export interface ExerciseCheck extends Omit<DeclarativeEntry, "id"> {
  id: string;
  points: number;
  /** Parameters for this check only, merged over the exercise's. */
  params?: Record<string, unknown>;
  /** Overrides the check's own time budget. */
  budgetSeconds?: number;
  /** Shown under the check's failure, in every report. */
  hint?: string;
  /** A course's check module, relative to the exercise's folder. */
  module?: string;
  /** The check this entry runs, resolved when the exercise is loaded. */
  definition: CheckDefinition<unknown>;
}

export interface ExerciseDefinition {
  id: string;
  title: string;
  summary: string;
  seed?: string;
  /** Handed-out manifests (relative to dir): what batch's similarity takes out before comparing submissions. */
  handout?: string[];
  /** The whole grade (cluster start excluded) must end within this. */
  timeBudgetSeconds: number;
  allowedKinds: string[];
  images: string[];
  allowedCapabilities?: string[];
  /** Overrides of the default waits (runner/config.ts TIMEOUTS). */
  deadlines?: { podReadySeconds?: number };
  /** ResourceQuota `hard` of the grading namespace. */
  quota: Record<string, string>;
  /** What each pod of the StatefulSet requests in a solution, when more than the container defaults. */
  podRequests?: { cpu?: string; memory?: string };
  /** Defaults for containers that set no requests/limits (LimitRange). */
  containerDefaults: { requests: Record<string, string>; limits: Record<string, string> };
  params: Record<string, unknown>;
  checks: ExerciseCheck[];
  /** Score needed to pass; all points when absent. */
  passScore?: number;
  /** The directory the definition came from. */
  dir: string;
  /** The course directory it came from; absent for a built-in exercise. */
  course?: string;
}

export const EXERCISES_DIR = join(PROJECT_ROOT, "exercises");
export const COURSE_FILE = "kubegrade.yaml";

/**
 * The course directories to read besides the built-in exercises: --exercises DIR (given),
 * else KUBEGRADE_EXERCISES (paths separated by the platform's delimiter), else the
 * `exercises:` of a kubegrade.yaml in `cwd` or a directory above it (relative to that file).
 */
export function courseDirs(options: { given?: readonly string[]; env?: NodeJS.ProcessEnv; cwd?: string } = {}): string[] {
  const cwd = options.cwd ?? process.cwd();
  const env = options.env ?? process.env;
  let dirs: string[];
  let origin: string;
  if (options.given?.length) {
    dirs = options.given.map((d) => resolve(cwd, d));
    origin = "--exercises";
  } else if (env.KUBEGRADE_EXERCISES) {
    dirs = env.KUBEGRADE_EXERCISES.split(delimiter).filter(Boolean).map((d) => resolve(cwd, d));
    origin = "KUBEGRADE_EXERCISES";
  } else {
    const file = findUp(COURSE_FILE, cwd);
    if (!file) return [];
    let data: unknown;
    try {
      data = parse(readFileSync(file, "utf8"));
    } catch (error) {
      throw new UsageError(`${file}: not valid YAML (${(error as Error).message.split("\n")[0]})`);
    }
    const named = (data as { exercises?: unknown } | null)?.exercises;
    const list = typeof named === "string" ? [named] : Array.isArray(named) && named.every((n) => typeof n === "string") ? (named as string[]) : undefined;
    if (!list) throw new UsageError(`${file}: expected \`exercises: <dir>\` (or a list of directories) naming the course's exercises`);
    dirs = list.map((d) => resolve(dirname(file), d));
    origin = file;
  }
  for (const dir of dirs) {
    if (!existsSync(dir)) throw new UsageError(`${origin}: the exercises directory ${dir} does not exist`);
  }
  return dirs;
}

function findUp(name: string, from: string): string | undefined {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    if (existsSync(join(dir, name))) return join(dir, name);
    if (dirname(dir) === dir) return undefined;
  }
}

/** Where each exercise id is defined: the built-in ones, then each course's. */
function catalog(courses: readonly string[]): Map<string, { dir: string; course?: string }> {
  const found = new Map<string, { dir: string; course?: string }>();
  const read = (root: string) =>
    readdirSync(root, { withFileTypes: true })
      .filter((e) => e.isDirectory() && existsSync(join(root, e.name, "exercise.yaml")))
      .map((e) => e.name);
  for (const id of read(EXERCISES_DIR)) found.set(id, { dir: join(EXERCISES_DIR, id) });
  for (const course of courses) {
    for (const id of read(course)) {
      const earlier = found.get(id);
      if (earlier) {
        throw new UsageError(
          `exercise ${id} of ${join(course, id)} has the id of ${earlier.course ? `${join(earlier.course, id)}` : `kubegrade's built-in exercise ${id}`}; give it another id (its folder's name)`,
        );
      }
      found.set(id, { dir: join(course, id), course });
    }
  }
  return found;
}

type Validator = ((data: unknown) => boolean) & { errors?: SchemaError[] | null };

const require = createRequire(import.meta.url);
let ajvInstance: Ajv2020 | undefined;
/** Ajv, loaded on the first validation not already known to pass (see `validateOnce`). */
function ajv(): Ajv2020 {
  if (!ajvInstance) {
    const { Ajv2020: Ajv } = require("ajv/dist/2020.js") as typeof import("ajv/dist/2020.js");
    ajvInstance = new Ajv({ allErrors: true, strict: false });
  }
  return ajvInstance;
}
let definitionValidator: Validator | undefined;
const paramValidators = new WeakMap<CheckDefinition<unknown>, Validator>();

/**
 * Validations that passed, remembered across runs: an empty file per passing (schema, data)
 * pair, named by their hash, under the cache directory. Loading Ajv and compiling an
 * exercise's schemas took ~0.1 s of every command; an exercise that validated once (same
 * definition, same schemas, same Ajv) is not validated again. Failures are never
 * remembered: they are validated, and explained, every time. KUBEGRADE_VALIDATION_MEMO=0
 * turns it off.
 */
const memo = {
  get dir(): string {
    return join(cacheDir(), "validated");
  },
  get enabled(): boolean {
    return process.env.KUBEGRADE_VALIDATION_MEMO !== "0";
  },
  key(schema: unknown, data: unknown): string {
    const ajvVersion = (require("ajv/package.json") as { version: string }).version;
    return createHash("sha256").update(`${ajvVersion}\0${JSON.stringify(schema)}\0${JSON.stringify(data)}`).digest("hex").slice(0, 32);
  },
  has(key: string): boolean {
    return this.enabled && existsSync(join(this.dir, key));
  },
  add(key: string): void {
    if (!this.enabled) return;
    try {
      mkdirSync(this.dir, { recursive: true });
      closeSync(openSync(join(this.dir, key), "w")); // empty: whole or absent
    } catch {
      // A cache that cannot be written only means validating again next time.
    }
  },
};

/** Runs `validate` unless this (schema, data) pair passed before; remembers a pass. */
function validateOnce(schema: unknown, data: unknown, validate: () => boolean): boolean {
  const key = memo.enabled ? memo.key(schema, data) : "";
  if (memo.has(key)) return true;
  const valid = validate();
  if (valid) memo.add(key);
  return valid;
}

let definitionSchema: object | undefined;
/**
 * exercise.schema.json, less the parameters it lists for editors: each parameter is validated
 * against the schema of each check that reads it (validateCheckParams), so that a course's check
 * module may read a name a built-in check reads differently.
 */
function definitionSchemaForLoad(): object {
  const schema = JSON.parse(readFileSync(join(EXERCISES_DIR, "exercise.schema.json"), "utf8")) as { properties: { params: Record<string, unknown> } };
  const { properties: _, ...params } = schema.properties.params;
  schema.properties.params = params;
  return schema;
}

function validateDefinition(data: unknown, file: string): void {
  definitionSchema ??= definitionSchemaForLoad();
  const schema = definitionSchema;
  const valid = validateOnce(schema, data, () => {
    definitionValidator ??= ajv().compile(schema) as Validator;
    return definitionValidator(data);
  });
  if (!valid) {
    const problems = wordSchemaErrors(definitionValidator?.errors ?? [], data, schema, exercisePlace(data));
    throw new UsageError(`${file} is not a valid exercise definition: ${problems.join("; ")}`);
  }
}

/** Parameters a check accepts: its own and the context's. */
function acceptedParams(definition: CheckDefinition<unknown>): string[] {
  return [...Object.keys(CONTEXT_PARAMS), ...Object.keys(definition.params.properties)];
}

/**
 * Every check the exercise names exists, and its parameters (the exercise's, merged with the
 * check's own) are the ones it declares, of the declared types. Problems name the exercise,
 * the check, the parameter and the nearest valid name.
 */
export function validateCheckParams(exercise: Pick<ExerciseDefinition, "id" | "params" | "checks">, file: string): void {
  const problems: string[] = [];
  const named: CheckDefinition<unknown>[] = [];
  exercise.checks.forEach((config, index) => {
    const definition = config.definition;
    named.push(definition);
    for (const key of Object.keys(config.params ?? {})) {
      if (!acceptedParams(definition).includes(key)) {
        problems.push(`${checkLabel(config.id, index)}: unknown parameter ${key}${didYouMean(key, acceptedParams(definition))}; it reads ${acceptedParams(definition).join(", ")}`);
      }
    }
  });
  const readByAny = new Set(named.flatMap(acceptedParams));
  for (const key of Object.keys(exercise.params ?? {})) {
    if (readByAny.has(key)) continue;
    const elsewhere = [...CHECKS.values()].filter((c) => key in c.params.properties).map((c) => c.id);
    problems.push(`parameter ${key} is read by none of its checks${didYouMean(key, readByAny)}${elsewhere.length ? ` (${elsewhere.join(", ")} read${elsewhere.length === 1 ? "s" : ""} it)` : ""}`);
  }
  exercise.checks.forEach((config, index) => {
    const definition = config.definition;
    const accepted = acceptedParams(definition);
    const merged = Object.fromEntries(Object.entries({ ...exercise.params, ...config.params }).filter(([k]) => accepted.includes(k)));
    const schema = { ...definition.params, properties: { ...CONTEXT_PARAMS, ...definition.params.properties } };
    let validator: Validator | undefined;
    const valid = validateOnce(schema, merged, () => {
      validator = paramValidators.get(definition) ?? (ajv().compile(schema) as Validator);
      paramValidators.set(definition, validator);
      return validator(merged);
    });
    if (!valid) {
      const errors = validator?.errors ?? [];
      const label = checkLabel(config.id, index);
      const missing = errors.filter((e) => e.keyword === "required" && e.instancePath === "");
      for (const e of missing) problems.push(`${label}: parameter ${String(e.params?.missingProperty)} is required (in params or in the check's own params)`);
      const rest = errors.filter((e) => !missing.includes(e));
      problems.push(...wordSchemaErrors(rest, merged, schema, (segments) => ({ subject: label, path: segments }), "parameter "));
    }
  });
  if (problems.length) throw new UsageError(`${file}: exercise ${exercise.id}: ${problems.join("; ")}`);
}

export function listExercises(courses: readonly string[] = []): string[] {
  return [...catalog(courses).keys()].sort();
}

// A course's check module imports "kubegrade/checks": it gets the API of the grader running
// it, wherever the course lives (with or without kubegrade in its node_modules).
const API_MODULE = new URL(import.meta.url.endsWith(".ts") ? "../checks/api.ts" : "../checks/api.js", import.meta.url).href;
let hooked = false;
function resolveCheckApi(): void {
  if (hooked) return;
  hooked = true;
  registerHooks({
    resolve: (specifier, context, nextResolve) =>
      specifier === "kubegrade/checks" ? { url: API_MODULE, shortCircuit: true } : nextResolve(specifier, context),
  });
}

/** A course's check module: its default export, checked to be a check value. */
async function importCheckModule(exerciseDir: string, module: string, file: string): Promise<CheckDefinition<unknown>> {
  const path = resolve(exerciseDir, module);
  if (isAbsolute(module) || relative(exerciseDir, path).startsWith("..")) {
    throw new UsageError(`${file}: check module ${module} must be inside the exercise's folder`);
  }
  if (!existsSync(path)) throw new UsageError(`${file}: check module ${module} does not exist (${path})`);
  resolveCheckApi();
  let loaded: { default?: unknown };
  try {
    loaded = (await import(pathToFileURL(path).href)) as { default?: unknown };
  } catch (error) {
    throw new UsageError(`${file}: check module ${module} could not be loaded: ${(error as Error).message.split("\n")[0]}`);
  }
  const check = loaded.default as Partial<CheckDefinition<unknown>> | undefined;
  const problems: string[] = [];
  if (!check || typeof check !== "object") problems.push("it has no default export (export default defineCheck({...}))");
  else {
    if (typeof check.id !== "string" || !/^[a-z0-9-]+$/.test(check.id)) problems.push("id must be lower-case letters, digits and -");
    if (typeof check.title !== "string") problems.push("title must be a string");
    if (!Array.isArray(check.requires)) problems.push("requires must be a list (service, statefulset, pods-ready)");
    if (typeof check.destructive !== "boolean") problems.push("destructive must be true or false");
    if (typeof check.budgetMs !== "number" || check.budgetMs <= 0) problems.push("budgetMs must be a positive number");
    if (typeof check.tests !== "function") problems.push("tests must be a function of the context");
    if (check.rules !== undefined && typeof check.rules !== "function") problems.push("rules, when given, must be a function of the parameters");
    if (!check.params || check.params.type !== "object" || typeof check.params.properties !== "object") problems.push("params must be a JSON Schema object ({type: object, properties: {…}})");
  }
  if (problems.length) throw new UsageError(`${file}: check module ${module} is not a check: ${problems.join("; ")}`);
  return check as CheckDefinition<unknown>;
}

type RawCheck = Omit<ExerciseCheck, "definition">;

/** A declarative entry's placeholders that have no value where they are, in words. */
function placeholderMistakes(entry: DeclarativeEntry, label: string): string[] {
  return placeholderProblems(entry).map((p) => {
    const why = p.notPerPod
      ? `which has no value there: ${entry.object ? "an object check" : "a command in the probe pod"} runs once, not per pod ({pod} and {ordinal} have values only in http checks and in commands run in pods)`
      : `which is not a placeholder${didYouMean(p.name, p.allowed).replace(/did you mean (\S+)\?/, "did you mean {$1}?")}`;
    return `${label}: \`${p.field}\` names {${p.name}}, ${why}; it may name ${p.allowed.map((n) => `{${n}}`).join(", ")}`;
  });
}

/** The check an entry runs: a course module, a declarative check, or a built-in one. */
async function resolveCheck(entry: RawCheck, index: number, dir: string, file: string): Promise<CheckDefinition<unknown> | string[]> {
  const label = checkLabel(entry.id, index);
  const shapes = [...(entry.module ? ["module"] : []), ...DECLARATIVE_SHAPES.filter((k) => entry[k] !== undefined)];
  if (shapes.length > 1) return [`${label}: give one of module, object, command or http, not ${shapes.join(" and ")}`];
  if (entry.module) {
    const check = await importCheckModule(dir, entry.module, file);
    if (check.id !== entry.id) return [`${label}: its module ${entry.module} defines check ${check.id}; name the entry by that id`];
    if (CHECKS.has(entry.id)) return [`${label}: module ${entry.module} has the id of a built-in check; give it another id`];
    return check;
  }
  if (shapes.length === 1) {
    if (CHECKS.has(entry.id)) return [`${label}: a declarative check cannot take a built-in check's id; give it another id`];
    const mistakes = placeholderMistakes(entry, label);
    if (mistakes.length) return mistakes;
    return declarativeCheck({ ...entry, id: entry.id } as DeclarativeEntry) as CheckDefinition<unknown>;
  }
  return CHECKS.get(entry.id) ?? [`${label} does not exist${didYouMean(entry.id, CHECKS.keys())} (or give it a module, object, command or http)`];
}

export async function loadExercise(id: string, courses: readonly string[] = []): Promise<ExerciseDefinition> {
  const known = catalog(courses);
  const where = known.get(id);
  if (!/^[a-z0-9-]+$/.test(id) || !where) {
    throw new UsageError(`unknown exercise "${id}"${didYouMean(id, known.keys())} (known: ${[...known.keys()].sort().join(", ")})`);
  }
  const { dir } = where;
  const file = join(dir, "exercise.yaml");
  let data: unknown;
  try {
    data = parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new UsageError(`${file}: not valid YAML (${(error as Error).message.split("\n")[0]})`);
  }
  validateDefinition(data, file);
  const raw = data as Omit<ExerciseDefinition, "dir" | "checks"> & { checks: RawCheck[] };
  if (raw.id !== id) throw new UsageError(`${file}: id ${raw.id} does not match its folder ${id}`);
  const problems: string[] = [];
  const checks: ExerciseCheck[] = [];
  for (const [index, entry] of raw.checks.entries()) {
    const definition = await resolveCheck(entry, index, dir, file);
    if (Array.isArray(definition)) problems.push(...definition);
    else checks.push({ ...entry, definition });
  }
  const seen = new Map<string, number>();
  for (const [index, entry] of raw.checks.entries()) {
    const first = seen.get(entry.id);
    if (first !== undefined) problems.push(`${checkLabel(entry.id, index)} has the id of the ${ordinal(first + 1)}: each check needs an id of its own`);
    else seen.set(entry.id, index);
  }
  if (problems.length) throw new UsageError(`${file}: exercise ${id}: ${problems.join("; ")}`);
  const definition: ExerciseDefinition = { ...raw, checks, dir, ...(where.course ? { course: where.course } : {}) };
  validateCheckParams(definition, file);
  return definition;
}

/** The parameters one check of the exercise reads: the exercise's, with the check's own over them. */
export function checkParams(exercise: Pick<ExerciseDefinition, "params">, check: Pick<ExerciseCheck, "params">): Record<string, unknown> {
  return { ...exercise.params, ...check.params };
}

export function maxScore(exercise: ExerciseDefinition): number {
  return exercise.checks.reduce((sum, c) => sum + c.points, 0);
}
