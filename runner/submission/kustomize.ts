/**
 * A submission whose root holds a kustomization is what `kubectl apply -k` builds from it.
 * It is built by kustomize's own engine (sigs.k8s.io/kustomize/api, the library inside
 * `kustomize build` and kubectl) through a small Go program, `kubegrade-kustomize`
 * (runner/submission/kustomize/), built by `npm run setup` and cached by its inputs. The
 * program sees only an in-memory copy of the files read here (so nothing outside the
 * submission can be read) and has no network or git (so remote resources are refused).
 */
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { lstat, mkdir, readdir, readFile, realpath, rename } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { cacheDir, PROJECT_ROOT } from "../config.ts";
import { InfrastructureError } from "../errors.ts";
import type { Refusal } from "../report/model.ts";

/** execa is imported when a git or kustomize process runs, not when a grade starts. */
const loadExeca = async () => (await import("execa")).execa;

/** The names kustomize looks for, in its order. */
export const KUSTOMIZATION_NAMES = ["kustomization.yaml", "kustomization.yml", "Kustomization"];

export const KUSTOMIZE_LIMITS = { maxFiles: 200, maxFileBytes: 1024 * 1024, maxTotalBytes: 4 * 1024 * 1024 } as const;

const SOURCE = join(PROJECT_ROOT, "runner/submission/kustomize");
const SKIPPED_DIRS = new Set(["node_modules", ".git", "kubegrade-results"]);

/** Whether kustomize may read the file at this "/"-separated path relative to the submission (submissionFiles walks the same directories). */
export function isKustomizeInput(rel: string): boolean {
  return rel.split("/").slice(0, -1).every((part) => !SKIPPED_DIRS.has(part));
}

/** The kustomization file at the root of dir, if there is one. */
export async function findKustomization(dir: string): Promise<string | undefined> {
  const names = new Set((await readdir(dir, { withFileTypes: true })).filter((e) => e.isFile() || e.isSymbolicLink()).map((e) => e.name));
  return KUSTOMIZATION_NAMES.find((name) => names.has(name));
}

/** Where the built program lives: the cache, by a hash of its sources. */
export async function kustomizeBinaryPath(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const hash = createHash("sha256").update("kubegrade-kustomize\0");
  for (const file of ["go.mod", "go.sum", "main.go"]) hash.update(await readFile(join(SOURCE, file)));
  return join(cacheDir(env), "kustomize", hash.digest("hex").slice(0, 16), "kubegrade-kustomize");
}

/** Builds kubegrade-kustomize from the Go module proxy unless it is cached; returns its path. */
export async function ensureKustomize(env: NodeJS.ProcessEnv = process.env, log?: (line: string) => void): Promise<{ path: string; built: boolean }> {
  const path = await kustomizeBinaryPath(env);
  if (existsSync(path)) return { path, built: false };
  const execa = await loadExeca();
  const go = await execa("go", ["version"], { reject: false });
  if (go.exitCode !== 0) {
    throw new InfrastructureError("kustomize is needed to grade a submission with a kustomization, and it is not built here.", {
      hint: "Run npm run setup on a machine with Go 1.24 or newer; it builds kustomize from the Go module proxy.",
    });
  }
  await mkdir(join(path, ".."), { recursive: true });
  log?.(`building kustomize (sigs.k8s.io/kustomize/api) into ${path}`);
  const result = await execa("go", ["build", "-mod=readonly", "-trimpath", "-ldflags", "-s -w", "-o", `${path}.partial`, "."], {
    cwd: SOURCE,
    env: { CGO_ENABLED: "0", GOFLAGS: "-buildvcs=false" },
    reject: false,
    all: true,
  });
  if (result.exitCode !== 0) {
    throw new InfrastructureError(`building kustomize failed:\n${String(result.all).split("\n").slice(-15).join("\n")}`);
  }
  await rename(`${path}.partial`, path);
  return { path, built: true };
}

/**
 * Every file below dir kustomize may read (resources, patches, generators' files), within
 * limits; a symbolic link that leads out of the submission is refused, as for manifests.
 */
async function submissionFiles(dir: string, refusals: Refusal[]): Promise<Map<string, Buffer>> {
  const root = await realpath(dir);
  const files = new Map<string, Buffer>();
  let total = 0;
  const walk = async (current: string): Promise<boolean> => {
    const entries = (await readdir(current, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
    for (const entry of entries) {
      const full = join(current, entry.name);
      const rel = relative(dir, full).split(sep).join("/");
      if (entry.isDirectory()) {
        if (SKIPPED_DIRS.has(entry.name)) continue;
        if (!(await walk(full))) return false;
        continue;
      }
      let target = full;
      if (entry.isSymbolicLink()) {
        const resolved = await realpath(full).catch(() => undefined);
        if (!resolved) continue; // kustomize reports it missing if it is used
        if (!(resolved === root || resolved.startsWith(root + sep))) {
          refusals.push({ file: rel, message: "is a symbolic link that points outside the submission; copy the file in instead" });
          continue;
        }
        target = resolved;
      }
      const info = await lstat(target);
      if (!info.isFile()) continue;
      if (info.size > KUSTOMIZE_LIMITS.maxFileBytes) {
        refusals.push({ file: rel, message: `is ${(info.size / 1024 / 1024).toFixed(1)} MiB; files over ${KUSTOMIZE_LIMITS.maxFileBytes / 1024 / 1024} MiB are refused (a solution needs a few KiB)` });
        continue;
      }
      total += info.size;
      if (files.size >= KUSTOMIZE_LIMITS.maxFiles || total > KUSTOMIZE_LIMITS.maxTotalBytes) {
        refusals.push({ file: ".", message: `the submission has more than ${KUSTOMIZE_LIMITS.maxFiles} files or ${KUSTOMIZE_LIMITS.maxTotalBytes / 1024 / 1024} MiB; keep only what the kustomization needs` });
        return false;
      }
      files.set(rel, await readFile(target));
    }
    return true;
  };
  await walk(dir);
  return files;
}

/** kustomize's error in a student's words: what was refused and why. */
export function explainKustomizeError(message: string): string {
  const text = message.trim().split("\n")[0].slice(0, 600);
  if (/kubegrade: remote resource|no 'git' program|git cmd/.test(text)) {
    const what = /from '([^']+)'/.exec(text)?.[1];
    return `it refers to a remote resource${what ? ` (${what})` : ""}: the grader builds kustomizations offline, from the submission alone. ` +
      "Copy those manifests into the submission and list them by path.";
  }
  const outside = /'(\/[^']*)' doesn't exist/.exec(text);
  if (outside && /\.\.\/|'\//.test(text)) {
    return `it refers to ${outside[1] === "/" ? "a path" : outside[1]}, which is outside the submission or missing: a kustomization may only use files inside the submission. (kustomize: ${text})`;
  }
  return `kustomize could not build it: ${text}`;
}

export interface KustomizeBuild {
  /** The built objects as one YAML stream (kustomize's output), when the build worked. */
  yaml?: string;
  refusals: Refusal[];
  /** How many files the submission holds that kustomize was given. */
  files: number;
}

/** Builds the kustomization at the root of dir (its file name: kustomization). */
export async function buildKustomization(dir: string, kustomization: string, env: NodeJS.ProcessEnv = process.env): Promise<KustomizeBuild> {
  const refusals: Refusal[] = [];
  const files = await submissionFiles(dir, refusals);
  if (refusals.length) return { refusals, files: files.size };
  const { path } = await ensureKustomize(env);
  const execa = await loadExeca();
  const input = JSON.stringify({ root: ".", files: Object.fromEntries([...files].map(([name, bytes]) => [name, bytes.toString("base64")])) });
  const result = await execa(path, [], { input, reject: false, timeout: 60_000, maxBuffer: 16 * 1024 * 1024, env: { PATH: "" }, extendEnv: false });
  if (result.timedOut) {
    return { refusals: [{ file: kustomization, message: "kustomize did not finish building it within 60 s" }], files: files.size };
  }
  if (result.isMaxBuffer) {
    return { refusals: [{ file: kustomization, message: "kustomize builds more than 16 MiB of manifests from it; a solution needs a few KiB" }], files: files.size };
  }
  if (result.exitCode !== 0) {
    if (result.exitCode === undefined || result.exitCode > 1 || result.signal) {
      throw new InfrastructureError(`kustomize failed (${result.signal ?? `exit ${result.exitCode}`}): ${String(result.stderr).slice(0, 500)}`);
    }
    const stderr = String(result.stderr);
    // "invalid Kustomization: yaml: line 3: …" is about the root kustomization's own text.
    const line = /^invalid Kustomization: yaml: line (\d+):/.exec(stderr.trim())?.[1];
    return { refusals: [{ file: kustomization, ...(line ? { line: Number(line) } : {}), message: explainKustomizeError(stderr) }], files: files.size };
  }
  return { yaml: String(result.stdout), refusals, files: files.size };
}
