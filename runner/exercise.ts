/**
 * Exercises are data: exercises/<id>/exercise.yaml names the checks (reused modules
 * under checks/), their points and parameters, what a submission may contain, and the
 * resources a grade may use. exercises/exercise.schema.json documents the format.
 */
import { Ajv2020 } from "ajv/dist/2020.js";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { PROJECT_ROOT } from "./config.ts";
import { UsageError } from "./errors.ts";

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

let validator: ((data: unknown) => boolean) & { errors?: { instancePath: string; message?: string }[] | null };

function validate(data: unknown, file: string): void {
  if (!validator) {
    const schema = JSON.parse(readFileSync(join(EXERCISES_DIR, "exercise.schema.json"), "utf8")) as object;
    validator = new Ajv2020({ allErrors: true }).compile(schema);
  }
  if (!validator(data)) {
    const problems = (validator.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message ?? ""}`).join("; ");
    throw new Error(`${file} is not a valid exercise definition: ${problems}`);
  }
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
  validate(data, file);
  const definition = { ...(data as Omit<ExerciseDefinition, "dir">), dir };
  if (definition.id !== id) throw new Error(`${file}: id ${definition.id} does not match its folder ${id}`);
  return definition;
}

export function maxScore(exercise: ExerciseDefinition): number {
  return exercise.checks.reduce((sum, c) => sum + c.points, 0);
}
