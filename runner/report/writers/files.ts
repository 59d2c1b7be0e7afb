/** The one place writers' text reaches the disk. */
import { randomBytes } from "node:crypto";
import { appendFile, mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";

/** The file an environment variable names; unset and empty are the same. */
export function envFile(env: Readonly<Record<string, string | undefined>>, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value === "" ? undefined : value;
}

/** True when `target` is the file an environment variable names (append, never replace). */
export function isEnvFile(target: string, envValue: string | undefined): boolean {
  return envValue !== undefined && envValue !== "" && resolve(target) === resolve(envValue);
}

/**
 * Writes `text` to `path`, creating its directory: whole or not at all (a temporary file
 * beside it, then a rename), so a reader — Gradescope, Classroom 50's runner — never sees
 * half a report. When appending (GitHub's GITHUB_STEP_SUMMARY file), the text starts on a
 * line of its own even if an earlier step left the file without a final newline.
 */
export async function writeText(path: string, text: string, append: boolean): Promise<void> {
  const dir = dirname(resolve(path));
  await mkdir(dir, { recursive: true });
  if (!append) return writeWhole(path, text);
  const before = await readFile(path, "utf8").catch(() => "");
  await appendFile(path, before !== "" && !before.endsWith("\n") ? `\n${text}` : text);
}

/** Writes `text` to `path` through a temporary file in the same directory and a rename. */
export async function writeWhole(path: string, text: string, options: { mode?: number } = {}): Promise<void> {
  const temporary = join(dirname(resolve(path)), `.${basename(path)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  try {
    await writeFile(temporary, text, options.mode === undefined ? undefined : { mode: options.mode });
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}
