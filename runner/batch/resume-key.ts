/**
 * Resume keys: a batch run again skips a student whose submission and exercise are what
 * they were when the gradebook row was written. The key is a sha256 of the exercise's
 * version (its definition file, the check modules it runs, the grader's version) and of
 * the submission: its git commit when it came from a git URL, otherwise the paths and
 * contents of its YAML files (what the grader reads, with the same directories skipped).
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { lstat, readdir, readFile, readlink, realpath, stat } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { PROJECT_ROOT } from "../config.ts";
import type { ExerciseDefinition } from "../exercise.ts";
import { LIMITS } from "../submission/load.ts";

const KEY_FORMAT = "kubegrade-batch-key/1";
/** As the submission loader: never part of a submission. */
const SKIPPED_DIRS = new Set(["node_modules", ".git", ".github", ".gitlab", "kubegrade-results"]);
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

/** The files that make an exercise's verdicts, relative to the project. */
export function exerciseVersionFiles(exercise: Pick<ExerciseDefinition, "id" | "checks">): string[] {
  return [`exercises/${exercise.id}/exercise.yaml`, ...exercise.checks.map((c) => `checks/${c.id}.ts`), ...CHECK_SUPPORT];
}

/** The exercise's version: its definition, its check modules and the grader's version. */
export function exerciseVersion(exercise: Pick<ExerciseDefinition, "id" | "checks">, root = PROJECT_ROOT): string {
  const parts: string[] = [KEY_FORMAT];
  const pkg = join(root, "package.json");
  parts.push(existsSync(pkg) ? String((JSON.parse(readFileSync(pkg, "utf8")) as { version?: string }).version) : "no-package");
  for (const file of exerciseVersionFiles(exercise)) {
    const path = join(root, file);
    parts.push(file, existsSync(path) ? readFileSync(path, "utf8") : "(missing)");
  }
  return sha256(parts).slice(0, 16);
}

/**
 * A digest of a submission directory's YAML files: relative paths and contents. Bounded
 * like the loader (a submission past its limits is refused whatever the rest holds):
 * at most one file over the file limit is read, an over-large file counts by its size.
 */
export async function submissionDigest(root: string): Promise<string> {
  const rootReal = await realpath(root);
  const parts: (string | Buffer)[] = [];
  let files = 0;
  const walk = async (dir: string): Promise<void> => {
    const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (files > LIMITS.maxFiles) return;
      const full = join(dir, entry.name);
      const rel = relative(root, full).split(sep).join("/");
      if (entry.isDirectory()) {
        if (SKIPPED_DIRS.has(entry.name) || entry.name.startsWith(".")) continue;
        await walk(full);
        continue;
      }
      if (!/\.ya?ml$/i.test(entry.name)) continue;
      if (entry.isSymbolicLink()) {
        const target = await realpath(full).catch(() => undefined);
        if (!target || !(target === rootReal || target.startsWith(rootReal + sep))) {
          // Refused by the loader; only where it points can change that.
          parts.push(rel, "symlink-outside", await readlink(full).catch(() => "?"));
          files++;
          continue;
        }
        if (!(await stat(target)).isFile()) continue;
      } else if (!entry.isFile()) {
        continue;
      }
      files++;
      const size = (await stat(full)).size;
      parts.push(rel, size > LIMITS.maxFileBytes ? `too-large:${size}` : await readFile(full));
    }
  };
  if (!(await lstat(root)).isDirectory()) throw new Error(`${root} is not a directory`);
  await walk(root);
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
