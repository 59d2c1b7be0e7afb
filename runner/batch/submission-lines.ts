/**
 * Reading a submission (and an exercise's handout) into the normalised lines similarity.ts
 * compares. Only files the grader itself reads (findManifests), each at most 1 MiB; a
 * submission that cannot be read gives no lines (its grade says why).
 */
import { readFile, stat } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import type { ExerciseDefinition } from "../exercise.ts";
import { findManifests } from "../submission/load.ts";
import { manifestLines, ownLines, type ManifestLine } from "./similarity.ts";

const MAX_FILE_BYTES = 1024 * 1024;

/** The names an exercise imposes (every string in its parameters): the same in every solution. */
export function imposedNames(exercise: Pick<ExerciseDefinition, "params" | "checks">): string[] {
  const names = new Set<string>();
  const walk = (value: unknown) => {
    if (typeof value === "string") names.add(value);
    else if (Array.isArray(value)) value.forEach(walk);
    else if (value && typeof value === "object") Object.values(value).forEach(walk);
  };
  walk(exercise.params);
  for (const check of exercise.checks) walk(check.params);
  return [...names];
}

async function linesOfFiles(root: string, files: readonly string[], imposed: readonly string[]): Promise<ManifestLine[]> {
  const lines: ManifestLine[] = [];
  for (const file of files) {
    if ((await stat(file)).size > MAX_FILE_BYTES) continue;
    lines.push(...manifestLines(relative(root, file).split(sep).join("/"), await readFile(file, "utf8"), imposed));
  }
  return lines;
}

/** The texts of the lines the exercise hands out (empty when it names no handout). */
export async function handoutLines(exercise: ExerciseDefinition): Promise<Set<string>> {
  const files = (exercise.handout ?? []).map((f) => join(exercise.dir, f));
  return new Set((await linesOfFiles(exercise.dir, files, imposedNames(exercise))).map((l) => l.text));
}

/** What the student wrote beyond the handout, or undefined when the submission cannot be read. */
export async function submissionLines(dir: string, exercise: ExerciseDefinition, handout: ReadonlySet<string>): Promise<ManifestLine[] | undefined> {
  try {
    const files = await findManifests(dir, []);
    return ownLines(await linesOfFiles(dir, files, imposedNames(exercise)), handout);
  } catch {
    return undefined;
  }
}
