/**
 * Where a submission comes from: a local directory (its git commit recorded when it is a
 * checkout), or a git URL with an optional #ref, cloned shallow into a temporary
 * directory — no submodules, no hooks, within a time and a size limit.
 */
import { execa } from "execa";
import { existsSync, statSync } from "node:fs";
import { mkdtemp, readdir, lstat, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { UsageError } from "../errors.ts";

export const GIT_LIMITS = {
  cloneTimeoutMs: 60_000,
  maxCheckoutBytes: 20 * 1024 * 1024,
} as const;

export interface ResolvedSource {
  /** The directory to grade. */
  dir: string;
  /** The submission as given, for the report. */
  label: string;
  commit?: string;
  /** Removes what resolving made (the temporary clone). */
  cleanup(): Promise<void>;
}

/** https://…, ssh://…, git://…, file://…, user@host:path, or anything ending in .git (with #ref). */
export function isGitUrl(source: string): boolean {
  const base = source.split("#")[0];
  return /^(https?|ssh|git|file):\/\//.test(base) || /^[\w.-]+@[\w.-]+:/.test(base) || (/\.git$/.test(base) && !existsSync(base));
}

export function splitRef(source: string): { url: string; ref?: string } {
  const hash = source.lastIndexOf("#");
  if (hash === -1) return { url: source };
  return { url: source.slice(0, hash), ref: source.slice(hash + 1) || undefined };
}

// Hooks, submodules and anything that runs code from the repository are disabled.
const SAFE_GIT = [
  "-c", "core.hooksPath=/dev/null",
  "-c", "protocol.ext.allow=never",
  "-c", "submodule.recurse=false",
  "-c", "core.symlinks=true",
  "-c", "advice.detachedHead=false",
];

async function git(args: string[], options: { cwd?: string; timeoutMs: number }): Promise<string> {
  const result = await execa("git", [...SAFE_GIT, ...args], {
    cwd: options.cwd,
    timeout: options.timeoutMs,
    reject: false,
    env: { GIT_TERMINAL_PROMPT: "0", GIT_ASKPASS: "true", GIT_CONFIG_NOSYSTEM: "1" },
    stdin: "ignore",
  });
  if (result.timedOut) throw new UsageError(`git ${args[0]} took longer than ${Math.round(options.timeoutMs / 1000)} s`);
  if (result.exitCode !== 0) throw new UsageError(`git ${args[0]} failed: ${(result.stderr || result.stdout).trim().split("\n").slice(-2).join(" ")}`);
  return result.stdout.trim();
}

async function treeBytes(dir: string, limit: number): Promise<number> {
  let total = 0;
  const walk = async (d: string) => {
    for (const entry of await readdir(d, { withFileTypes: true })) {
      if (entry.name === ".git") continue;
      const full = join(d, entry.name);
      if (entry.isDirectory()) await walk(full);
      else total += (await lstat(full)).size;
      if (total > limit) return;
    }
  };
  await walk(dir);
  return total;
}

/** The commit of a local checkout, if the directory is one (and git is installed). */
export async function localCommit(dir: string): Promise<string | undefined> {
  const result = await execa("git", ["-C", dir, "rev-parse", "--verify", "-q", "HEAD"], { reject: false, stdin: "ignore" });
  if (result.exitCode !== 0) return undefined;
  const dirty = await execa("git", ["-C", dir, "status", "--porcelain", "--", "."], { reject: false, stdin: "ignore" });
  return dirty.stdout.trim() ? `${result.stdout.trim()}-dirty` : result.stdout.trim();
}

export async function resolveSource(source: string): Promise<ResolvedSource> {
  if (!isGitUrl(source)) {
    const dir = resolve(source);
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`submission ${source}: not a directory`);
    return { dir, label: source, commit: await localCommit(dir), cleanup: async () => {} };
  }
  const { url, ref } = splitRef(source);
  const dir = await mkdtemp(join(tmpdir(), "kubegrade-clone-"));
  const cleanup = () => rm(dir, { recursive: true, force: true });
  try {
    const isSha = !!ref && /^[0-9a-f]{7,40}$/i.test(ref);
    if (isSha) {
      await git(["init", "-q", dir], { timeoutMs: 10_000 });
      await git(["remote", "add", "origin", url], { cwd: dir, timeoutMs: 10_000 });
      await git(["fetch", "-q", "--depth", "1", "--no-recurse-submodules", "origin", ref], { cwd: dir, timeoutMs: GIT_LIMITS.cloneTimeoutMs });
      await git(["checkout", "-q", "FETCH_HEAD"], { cwd: dir, timeoutMs: 30_000 });
    } else {
      await git(
        ["clone", "-q", "--depth", "1", "--single-branch", "--no-recurse-submodules", ...(ref ? ["--branch", ref] : []), "--", url, dir],
        { timeoutMs: GIT_LIMITS.cloneTimeoutMs },
      );
    }
    const bytes = await treeBytes(dir, GIT_LIMITS.maxCheckoutBytes);
    if (bytes > GIT_LIMITS.maxCheckoutBytes) {
      throw new UsageError(`${url}: the checkout is larger than ${GIT_LIMITS.maxCheckoutBytes / 1024 / 1024} MiB; submit only the manifests`);
    }
    const commit = await git(["rev-parse", "HEAD"], { cwd: dir, timeoutMs: 10_000 });
    return { dir, label: source, commit, cleanup };
  } catch (error) {
    await cleanup();
    throw error;
  }
}
