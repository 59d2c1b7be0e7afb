/** The one place writers' text reaches the disk. */
import { appendFile, mkdir, readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { writeWhole } from "../../util/write-whole.ts";

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
