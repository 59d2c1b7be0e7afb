/**
 * Resume keys: a batch run again skips a student whose submission and exercise are what
 * they were when the gradebook row was written. The key is a sha256 of the exercise's
 * version (its definition file, the check modules it runs, the grader's version) and of
 * the submission: its git commit when it came from a git URL, otherwise the paths and
 * contents of its YAML files (what the grader reads, with the same directories skipped).
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { lstat, readFile, readlink, stat } from "node:fs/promises";
import { join, relative, resolve, sep } from "node:path";
import { PROJECT_ROOT } from "../config.ts";
import type { ExerciseCheck, ExerciseDefinition } from "../exercise.ts";
import type { Refusal } from "../report/model.ts";
import { findManifests, LIMITS } from "../submission/load.ts";

const KEY_FORMAT = "kubegrade-batch-key/1";
/** As the submission loader: never part of a submission. */
/** Shared by every check module: a change there can change any verdict. */
const CHECK_SUPPORT = ["checks/api.ts", "checks/support.ts"];

function sha256(parts: readonly (string | Buffer)[]): string {
  const hash = createHash("sha256");
  for (const part of parts) {
    hash.update(typeof part === "string" ? Buffer.from(part, "utf8") : part);
    hash.update("\0");
  }
  return hash.digest("hex");
}

type Versioned = Pick<ExerciseDefinition, "id"> & Partial<Pick<ExerciseDefinition, "dir" | "course">> & {
  checks: readonly Pick<ExerciseCheck, "id" | "module" | "object" | "command" | "http">[];
};

/**
 * The files that make an exercise's verdicts: relative to the project for kubegrade's own,
 * absolute for a course's (its definition and check modules).
 */
export function exerciseVersionFiles(exercise: Versioned): string[] {
  const own = (c: Versioned["checks"][number]) =>
    c.module ? resolve(exercise.dir ?? "", c.module) : c.object || c.command || c.http ? "checks/declarative.ts" : `checks/${c.id}.ts`;
  const definition = exercise.course && exercise.dir ? join(exercise.dir, "exercise.yaml") : `exercises/${exercise.id}/exercise.yaml`;
  return [definition, ...new Set(exercise.checks.map(own)), ...CHECK_SUPPORT];
}

/** The exercise's version: its definition, its check modules and the grader's version. */
export function exerciseVersion(exercise: Versioned, root = PROJECT_ROOT): string {
  const parts: string[] = [KEY_FORMAT];
  const pkg = join(root, "package.json");
  parts.push(existsSync(pkg) ? String((JSON.parse(readFileSync(pkg, "utf8")) as { version?: string }).version) : "no-package");
  for (const file of exerciseVersionFiles(exercise)) {
    const path = resolve(root, file);
    parts.push(file, existsSync(path) ? readFileSync(path, "utf8") : "(missing)");
  }
  return sha256(parts).slice(0, 16);
}

/**
 * A digest of a submission directory's YAML files — the very files the loader reads
 * (findManifests) — by relative path and content; a file over the loader's size limit
 * counts by its size, a link the loader refuses by where it points.
 */
export async function submissionDigest(root: string): Promise<string> {
  if (!(await lstat(root)).isDirectory()) throw new Error(`${root} is not a directory`);
  const refusals: Refusal[] = [];
  const files = await findManifests(root, refusals);
  const parts: (string | Buffer)[] = [];
  for (const full of files) {
    const rel = relative(root, full).split(sep).join("/");
    const size = (await stat(full)).size;
    parts.push(rel, size > LIMITS.maxFileBytes ? `too-large:${size}` : await readFile(full));
  }
  for (const refusal of refusals) {
    parts.push(refusal.file, "refused", await readlink(join(root, refusal.file)).catch(() => refusal.message));
  }
  return sha256(parts);
}

/** The resume key of one submission of one exercise version. */
export function resumeKey(input: { exerciseVersion: string; gitCommit?: string; contentDigest?: string }): string {
  if (!input.gitCommit && !input.contentDigest) throw new Error("a resume key needs a commit or a content digest");
  return sha256([
    KEY_FORMAT,
    input.exerciseVersion,
    input.gitCommit ? `git:${input.gitCommit}` : `content:${input.contentDigest}`,
  ]);
}
