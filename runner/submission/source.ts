/**
 * Where a submission comes from: a local directory (its git commit recorded when it is a
 * checkout), or a git URL with an optional #ref, cloned shallow into a temporary
 * directory — no submodules, no hooks, within a time and a size limit.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, statSync } from "node:fs";
import { lstat, mkdtemp, readdir, readFile, readlink, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative, resolve, sep } from "node:path";
import { interruption } from "../util/interrupt.ts";
import { UsageError } from "../errors.ts";
import { findManifests, isManifestPath } from "./load.ts";

/** execa is imported when a clone runs, not when a grade starts. */
const loadExeca = async () => (await import("execa")).execa;

/** What a clone may take. Tests pass smaller ones. */
export interface GitLimits {
  /** Each network step (clone or fetch). */
  cloneTimeoutMs: number;
  /** The files checked out (measured from the tree before anything is written). */
  maxCheckoutBytes: number;
  /** The clone directory while git downloads (the pack of one commit is about the checkout, compressed). */
  maxDownloadBytes: number;
}

export const GIT_LIMITS: GitLimits = {
  cloneTimeoutMs: 60_000,
  maxCheckoutBytes: 20 * 1024 * 1024,
  maxDownloadBytes: 40 * 1024 * 1024,
};

const MiB = (bytes: number) => `${Number((bytes / 1024 / 1024).toFixed(1))} MiB`;

export interface ResolvedSource {
  /** The directory to grade. */
  dir: string;
  /** The submission as given, for the report. */
  label: string;
  commit?: string;
  /** What the student should know about how it was read (submodules not fetched). */
  notes: string[];
  /** Removes what resolving made (the temporary clone). */
  cleanup(): Promise<void>;
}

/** `await using source = disposable(await resolveSource(…))`: the clone is removed however the scope ends. */
export function disposableSource(source: ResolvedSource): ResolvedSource & AsyncDisposable {
  return { ...source, [Symbol.asyncDispose]: () => source.cleanup() };
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
  "-c", "core.fsmonitor=false",
  "-c", "protocol.ext.allow=never",
  "-c", "submodule.recurse=false",
  "-c", "core.symlinks=true",
  "-c", "advice.detachedHead=false",
];

// Git LFS, when installed, would fetch large files from the network while checking out.
const GIT_ENV = { GIT_TERMINAL_PROMPT: "0", GIT_ASKPASS: "true", GIT_CONFIG_NOSYSTEM: "1", GIT_LFS_SKIP_SMUDGE: "1" };

interface GitRun {
  cwd?: string;
  timeoutMs: number;
  /** Stop git when this directory grows past maxBytes while it runs (checked again at the end). */
  watch?: { dir: string; maxBytes: number; what: string };
}

async function git(args: string[], options: GitRun): Promise<string> {
  const execa = await loadExeca();
  // Its own process group: git leaves the network to helpers (git-remote-https, ssh), and a
  // helper waiting on a silent server keeps running, and keeps our pipes open, when only
  // git itself is killed.
  const run = execa("git", [...SAFE_GIT, ...args], { cwd: options.cwd, reject: false, env: GIT_ENV, stdin: "ignore", detached: true });
  const stop = () => {
    try {
      if (run.pid) process.kill(-run.pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  };
  // Ctrl-C: the clone stops, and its caller's cleanup removes the directory.
  interruption.addEventListener("abort", stop, { once: true });
  const unregister = () => interruption.removeEventListener("abort", stop);
  let timedOut = false;
  let tooLarge = false;
  const timer = setTimeout(() => {
    timedOut = true;
    stop();
  }, options.timeoutMs);
  let watcher: NodeJS.Timeout | undefined;
  if (options.watch) {
    const { dir, maxBytes } = options.watch;
    let measuring = false;
    watcher = setInterval(() => {
      if (measuring) return;
      measuring = true;
      void treeBytes(dir, maxBytes, true)
        .then((bytes) => {
          if (bytes > maxBytes && !tooLarge) {
            tooLarge = true;
            stop();
          }
        })
        .finally(() => {
          measuring = false;
        });
    }, 200);
  }
  const result = await run.finally(() => {
    clearTimeout(timer);
    clearInterval(watcher);
    unregister();
  });
  if (options.watch && !tooLarge && !timedOut) tooLarge = (await treeBytes(options.watch.dir, options.watch.maxBytes, true)) > options.watch.maxBytes;
  if (tooLarge) {
    throw new UsageError(`${options.watch!.what}: the repository is larger than ${MiB(options.watch!.maxBytes)} (git ${args[0]} was stopped); submit a repository that holds only the manifests`);
  }
  if (timedOut) {
    throw new UsageError(`git ${args[0]} took longer than ${Math.round(options.timeoutMs / 1000)} s and was stopped; check that the URL is reachable from here and that the repository holds only the manifests`);
  }
  if (result.exitCode !== 0) throw new UsageError(`git ${args[0]} failed: ${(result.stderr || result.stdout).trim().split("\n").slice(-2).join(" ")}`);
  return result.stdout.trim();
}

/** Bytes of the files below dir (without .git unless asked), counting stops past limit; files that vanish while git works are skipped. */
async function treeBytes(dir: string, limit: number, withGit = false): Promise<number> {
  let total = 0;
  const walk = async (d: string) => {
    const entries = await readdir(d, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      if (entry.name === ".git" && !withGit) continue;
      const full = join(d, entry.name);
      if (entry.isDirectory()) await walk(full);
      else total += (await lstat(full).catch(() => undefined))?.size ?? 0;
      if (total > limit) return;
    }
  };
  await walk(dir);
  return total;
}

/** git's object id of a blob: what `git hash-object --no-filters` computes, without running git in the directory. */
function blobId(content: Buffer): string {
  return createHash("sha1").update(`blob ${content.length}\0`).update(content).digest("hex");
}

/**
 * The commit of a local checkout, if the directory is one (and git is installed), with
 * "-dirty" when a YAML file the grader reads differs from that commit. Only commands that
 * read objects run in the student's repository (rev-parse, ls-tree): `git status` would run
 * what its configuration names (core.fsmonitor, clean filters), and .git/config is theirs.
 */
export async function localCommit(dir: string): Promise<string | undefined> {
  // Node's own execFile: this runs on every grade of a local directory, before its first
  // cluster request, and execa is a few hundred milliseconds of imports.
  const run = (args: string[]) =>
    new Promise<{ exitCode: number; stdout: string }>((resolve) => {
      const child = execFile("git", [...SAFE_GIT, "-C", dir, ...args], { env: { ...process.env, ...GIT_ENV }, timeout: 10_000, maxBuffer: 64 * 1024 * 1024 }, (error, stdout) => {
        resolve({ exitCode: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout: String(stdout) });
      });
      child.stdin?.end();
    });
  const head = await run(["rev-parse", "--verify", "-q", "HEAD^{commit}"]);
  if (head.exitCode !== 0 || !head.stdout.trim()) return undefined;
  const commit = head.stdout.trim();
  // ls-tree run in a subdirectory lists that subdirectory, with paths relative to it.
  const tree = await run(["ls-tree", "-r", "-z", "HEAD"]);
  if (tree.exitCode !== 0) return commit;
  const committed = new Map<string, string>();
  for (const line of tree.stdout.split("\0")) {
    const match = /^(\d+) (\w+) ([0-9a-f]+)\t(.*)$/s.exec(line);
    if (match && match[2] === "blob") committed.set(match[4], match[3]);
  }
  const read = await findManifests(dir, []);
  let dirty = false;
  for (const full of read) {
    const rel = relative(dir, full).split(sep).join("/");
    const link = (await lstat(full)).isSymbolicLink();
    const content = link ? Buffer.from(await readlink(full)) : await readFile(full);
    if (committed.get(rel) !== blobId(content)) dirty = true;
    committed.delete(rel);
  }
  // What is left was committed but not read: a manifest deleted since makes it differ too.
  if ([...committed.keys()].some(isManifestPath)) dirty = true;
  return dirty ? `${commit}-dirty` : commit;
}
/**
 * A directory as it is, or a git URL[#ref] cloned into a temporary directory: one commit
 * (depth 1, so a long history is never downloaded), no submodules, no hooks, no LFS; the
 * download is stopped past limits.maxDownloadBytes or limits.cloneTimeoutMs, and the files
 * are measured from the tree and refused past limits.maxCheckoutBytes before any is written.
 */
export async function resolveSource(source: string, limits: GitLimits = GIT_LIMITS): Promise<ResolvedSource> {
  if (!isGitUrl(source)) {
    const dir = resolve(source);
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`submission ${source}: not a directory`);
    return { dir, label: source, commit: await localCommit(dir), notes: [], cleanup: async () => {} };
  }
  const { url, ref } = splitRef(source);
  const dir = await mkdtemp(join(tmpdir(), "kubegrade-clone-"));
  const cleanup = () => rm(dir, { recursive: true, force: true });
  const download = { cwd: dir, timeoutMs: limits.cloneTimeoutMs, watch: { dir, maxBytes: limits.maxDownloadBytes, what: url } };
  try {
    const isSha = !!ref && /^[0-9a-f]{7,40}$/i.test(ref);
    if (isSha) {
      await git(["init", "-q", dir], { timeoutMs: 10_000 });
      await git(["remote", "add", "--", "origin", url], { cwd: dir, timeoutMs: 10_000 });
      await git(["fetch", "-q", "--depth", "1", "--no-tags", "--no-recurse-submodules", "origin", ref], download);
      await git(["update-ref", "--no-deref", "HEAD", "FETCH_HEAD"], { cwd: dir, timeoutMs: 10_000 });
    } else {
      await git(
        ["clone", "-q", "--depth", "1", "--single-branch", "--no-tags", "--no-checkout", "--no-recurse-submodules", ...(ref ? ["--branch", ref] : []), "--", url, dir],
        download,
      );
    }
    const commit = await git(["rev-parse", "--verify", "-q", "HEAD^{commit}"], { cwd: dir, timeoutMs: 10_000 }).catch(() => {
      throw new UsageError(`${url}${ref ? `#${ref}` : ""}: the repository has no commit to grade; push the manifests first`);
    });
    // Measured from the tree, before checking out: a small pack can hold a huge file.
    let bytes = 0;
    const notes: string[] = [];
    for (const line of (await git(["ls-tree", "-r", "-l", "-z", "HEAD"], { cwd: dir, timeoutMs: 30_000 })).split("\0")) {
      const match = /^\d+ (\w+) [0-9a-f]+ +(\d+|-)\t(.*)$/s.exec(line);
      if (!match) continue;
      if (match[1] === "blob") bytes += Number(match[2]);
      if (match[1] === "commit") {
        notes.push(`${match[3]} is a git submodule: submodules are not fetched, so nothing in it is graded; put the manifests in the repository itself.`);
      }
    }
    if (bytes > limits.maxCheckoutBytes) {
      throw new UsageError(`${url}: the files of the commit add up to ${MiB(bytes)}, more than ${MiB(limits.maxCheckoutBytes)}; submit a repository that holds only the manifests`);
    }
    await git(["checkout", "-q", "--force", "HEAD"], { cwd: dir, timeoutMs: 30_000 });
    return { dir, label: source, commit, notes, cleanup };
  } catch (error) {
    await cleanup();
    throw error;
  }
}
