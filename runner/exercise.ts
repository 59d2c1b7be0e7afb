/**
 * Exercises are data: exercises/<id>/exercise.yaml names the checks (reused modules
 * under checks/), their points and parameters, what a submission may contain, and the
 * resources a grade may use. exercises/exercise.schema.json documents the format.
 */
import { Ajv2020 } from "ajv/dist/2020.js";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { CONTEXT_PARAMS, type CheckDefinition } from "../checks/api.ts";
import { CHECKS } from "../checks/index.ts";
import { PROJECT_ROOT } from "./config.ts";
import { UsageError } from "./errors.ts";
import { didYouMean } from "./util/nearest.ts";

export interface ExerciseCheck {
  id: string;
  points: number;
  /** Parameters for this check only, merged over the exercise's. */
  params?: Record<string, unknown>;
  /** Overrides the check's own time budget. */
  budgetSeconds?: number;
}

export interface ExerciseDefinition {
  id: string;
  title: string;
  summary: string;
  seed?: string;
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
}

export const EXERCISES_DIR = join(PROJECT_ROOT, "exercises");

type Validator = ((data: unknown) => boolean) & { errors?: { instancePath: string; message?: string }[] | null };

const ajv = new Ajv2020({ allErrors: true, strict: false });
let definitionValidator: Validator | undefined;
const paramValidators = new Map<string, Validator>();

function problemsOf(validator: Validator, root: string): string[] {
  return (validator.errors ?? []).map((e) => `${root}${e.instancePath.replaceAll("/", ".")} ${e.message ?? "is not valid"}`);
}

function validateDefinition(data: unknown, file: string): void {
  definitionValidator ??= ajv.compile(JSON.parse(readFileSync(join(EXERCISES_DIR, "exercise.schema.json"), "utf8")) as object) as Validator;
  if (!definitionValidator(data)) {
    throw new UsageError(`${file} is not a valid exercise definition: ${problemsOf(definitionValidator, "").join("; ")}`);
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
  for (const config of exercise.checks) {
    const definition = CHECKS.get(config.id);
    if (!definition) {
      problems.push(`check ${config.id} does not exist${didYouMean(config.id, CHECKS.keys())}`);
      continue;
    }
    named.push(definition);
    for (const key of Object.keys(config.params ?? {})) {
      if (!acceptedParams(definition).includes(key)) {
        problems.push(`check ${config.id}: unknown parameter ${key}${didYouMean(key, acceptedParams(definition))}; it reads ${acceptedParams(definition).join(", ")}`);
      }
    }
  }
  const readByAny = new Set(named.flatMap(acceptedParams));
  for (const key of Object.keys(exercise.params ?? {})) {
    if (!readByAny.has(key)) problems.push(`parameter ${key} is read by none of its checks${didYouMean(key, readByAny)}`);
  }
  for (const config of exercise.checks) {
    const definition = CHECKS.get(config.id);
    if (!definition) continue;
    const accepted = acceptedParams(definition);
    const merged = Object.fromEntries(Object.entries({ ...exercise.params, ...config.params }).filter(([k]) => accepted.includes(k)));
    let validator = paramValidators.get(definition.id);
    if (!validator) {
      validator = ajv.compile({ ...definition.params, properties: { ...CONTEXT_PARAMS, ...definition.params.properties } }) as Validator;
      paramValidators.set(definition.id, validator);
    }
    if (!validator(merged)) {
      for (const e of validator.errors ?? []) {
        const missing = (e as { params?: { missingProperty?: string } }).params?.missingProperty;
        problems.push(missing
          ? `check ${config.id}: parameter ${missing} is required (in params or in the check's own params)`
          : `check ${config.id}: parameter ${e.instancePath.slice(1).replaceAll("/", ".")} ${e.message ?? "is not valid"}`);
      }
    }
  }
  if (problems.length) throw new UsageError(`${file}: exercise ${exercise.id}: ${problems.join("; ")}`);
}

export function listExercises(): string[] {
  return readdirSync(EXERCISES_DIR, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(EXERCISES_DIR, e.name, "exercise.yaml")))
    .map((e) => e.name)
    .sort();
}

export function loadExercise(id: string): ExerciseDefinition {
  const known = listExercises();
  if (!/^[a-z0-9-]+$/.test(id) || !known.includes(id)) {
    throw new UsageError(`unknown exercise "${id}" (known: ${known.join(", ")})`);
  }
  const dir = join(EXERCISES_DIR, id);
  const file = join(dir, "exercise.yaml");
  const data = parse(readFileSync(file, "utf8")) as unknown;
  validateDefinition(data, file);
  const definition = { ...(data as Omit<ExerciseDefinition, "dir">), dir };
  if (definition.id !== id) throw new UsageError(`${file}: id ${definition.id} does not match its folder ${id}`);
  validateCheckParams(definition, file);
  return definition;
}

export function maxScore(exercise: ExerciseDefinition): number {
  return exercise.checks.reduce((sum, c) => sum + c.points, 0);
}
