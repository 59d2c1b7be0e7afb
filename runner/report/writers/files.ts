/** The one place writers' text reaches the disk. */
import { appendFile, mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";

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
 * Writes `text` to `path`, creating its directory. When appending (GitHub's
 * GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files), the text starts on a line of its own even
 * if an earlier step left the file without a final newline.
 */
export async function writeText(path: string, text: string, append: boolean): Promise<void> {
  await mkdir(dirname(resolve(path)), { recursive: true });
  if (!append) return writeFile(path, text);
  const before = await readFile(path, "utf8").catch(() => "");
  await appendFile(path, before !== "" && !before.endsWith("\n") ? `\n${text}` : text);
}
