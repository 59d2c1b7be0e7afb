/** Files written whole or not at all, so a reader never sees half of one. */
import { randomBytes } from "node:crypto";
import { rename, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";

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
