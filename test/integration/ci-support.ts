/**
 * What the tests of ci/ share: kubegrade installed as npm installs it, the environment a CI
 * machine gives, and the platforms' contracts as far as the templates rely on them —
 *
 * - GitHub Actions: a job's steps in order, each `run` in `bash -eo pipefail` (the runner's
 *   default shell on Linux), env from the workflow, the job and the step with `${{ }}`
 *   evaluated against matrix, strategy, secrets and vars; `if:`; a failed step skipping the
 *   rest but `always()`; the steps' stdout read as the runner reads workflow commands; and the
 *   actions the templates use, emulated after their sources at the pinned tags:
 *   upload-artifact@v6 (a directory's contents at the artifact's root, hidden files left out,
 *   `overwrite`, a 409 without it, `if-no-files-found`) and download-artifact@v7 (`name` or
 *   `pattern`, the latest artifact of each name; one match — or `merge-multiple` — unpacked
 *   into `path` itself, several into `path/<name>/`, none at all no failure; the running
 *   attempt's artifacts only, unless given `github-token` and `run-id`).
 * - GitLab CI: a job's `extends` merged, its variables (with `$VAR` expanded), before_script
 *   and script in one `bash -e`, `parallel: N` as CI_NODE_INDEX/CI_NODE_TOTAL, artifacts
 *   kept per job and unpacked into the workspace of the jobs that need them.
 *
 * Also a git server over smart HTTP (git http-backend) that wants a token, for private
 * student repositories.
 */
import { execa } from "execa";
import { spawn } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { cp, mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { delimiter, dirname, join, matchesGlob } from "node:path";
import { PROJECT_ROOT } from "../../runner/config.ts";
import { projectWithKubegrade } from "./package-support.ts";

export interface Run {
  exitCode: number;
  stdout: string;
  all: string;
}

/** The environment a CI machine gives: no npm_* of the `npm test` running us, Node 24 first on PATH. */
export function machineEnv(extra: Record<string, string | undefined>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined || /^npm_/i.test(key) || key === "INIT_CWD") continue;
    env[key] = value;
  }
  const path = (process.env.PATH ?? "").split(delimiter).filter((d) => d && !d.startsWith(PROJECT_ROOT));
  env.PATH = [dirname(process.execPath), ...path].join(delimiter);
  for (const [key, value] of Object.entries({ CI: "true", NO_COLOR: "1", ...extra })) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

export async function run(file: string, args: string[], cwd: string, env: Record<string, string>): Promise<Run> {
  const result = await execa(file, args, { cwd, env, extendEnv: false, reject: false, all: true, stdin: "ignore" });
  return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), all: String(result.all ?? "") };
}

let installed: Promise<{ project: string; dir: string }> | undefined;

/**
 * kubegrade as npm installs it: this checkout packed (`npm pack`) and installed once into an
 * empty project. The templates install KUBEGRADE_PACKAGE; here that is the installed
 * package's directory (npm links it, and its compiled JavaScript runs from node_modules with
 * its dependencies beside it, as from the registry).
 */
export function installedKubegrade(): Promise<{ project: string; dir: string }> {
  installed ??= projectWithKubegrade().then(({ project }) => ({ project, dir: join(project, "node_modules", "kubegrade") }));
  return installed;
}

export interface WorkflowCommand {
  name: string;
  props: Record<string, string>;
  data: string;
}

/** Workflow commands as the runner reads a step's stdout: `::name props::data`, none while stopped. */
export function workflowCommands(stdout: string): WorkflowCommand[] {
  const out: WorkflowCommand[] = [];
  let stoppedBy: string | undefined;
  const unescape = (s: string) => s.replace(/%3A/g, ":").replace(/%2C/g, ",").replace(/%0D/g, "\r").replace(/%0A/g, "\n").replace(/%25/g, "%");
  for (const line of stdout.split("\n")) {
    if (stoppedBy !== undefined) {
      if (line.trim() === `::${stoppedBy}::`) stoppedBy = undefined;
      continue;
    }
    const m = /^::([a-z-]+)(?: ([^:]*))?::(.*)$/.exec(line.trim());
    if (!m) continue;
    if (m[1] === "stop-commands") {
      stoppedBy = m[3];
      continue;
    }
    const props = Object.fromEntries((m[2] ?? "").split(",").filter(Boolean).map((p) => [p.slice(0, p.indexOf("=")), unescape(p.slice(p.indexOf("=") + 1))]));
    out.push({ name: m[1], props, data: unescape(m[3]) });
  }
  return out;
}

/** Every file below dir, relative to it (symbolic links left out). */
export async function filesBelow(dir: string, prefix = ""): Promise<string[]> {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isSymbolicLink()) continue;
    if (entry.isDirectory()) out.push(...(await filesBelow(join(dir, entry.name), rel)));
    else out.push(rel);
  }
  return out.sort();
}

// ---------------------------------------------------------------------------------------
// GitHub Actions

export interface GithubStep {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, unknown>;
  env?: Record<string, unknown>;
}

export interface GithubJob {
  name?: string;
  needs?: string | string[];
  "runs-on": string;
  strategy?: { "fail-fast"?: boolean; matrix?: Record<string, unknown[]> };
  env?: Record<string, unknown>;
  steps: GithubStep[];
}

export interface GithubWorkflow {
  on: unknown;
  permissions?: Record<string, string>;
  env?: Record<string, unknown>;
  jobs: Record<string, GithubJob>;
}

/** The contexts an expression may read. */
export interface GithubContexts {
  /** token, run_id, run_attempt: the run, and which attempt of it ("Re-run … jobs" makes a new one). */
  github: { token: string; run_id: string; run_attempt: number };
  matrix?: Record<string, unknown>;
  strategy?: { "job-index": number; "job-total": number };
  secrets: Record<string, string>;
  vars: Record<string, string>;
}

/**
 * `${{ … }}` as GitHub evaluates the expressions the templates use: a context's property
 * (`matrix.shard`, `secrets.X`; a missing secret or variable is the empty string), string
 * literals, and `||` (the first truthy operand). Anything else is a test error, not a guess.
 */
export function evaluate(value: unknown, contexts: GithubContexts): string {
  const text = String(value);
  return text.replace(/\$\{\{(.*?)\}\}/g, (_, expression: string) => {
    const operands = expression.split("||").map((o) => o.trim());
    for (const operand of operands) {
      const literal = /^'((?:[^']|'')*)'$/.exec(operand);
      let result: unknown;
      if (literal) {
        result = literal[1].replace(/''/g, "'");
      } else if (/^[a-z]+(\.[A-Za-z0-9_-]+)+$/.test(operand)) {
        const [context, ...path] = operand.split(".");
        if (!(context in contexts)) throw new Error(`\${{ ${operand} }}: the emulated runner has no ${context} context`);
        result = path.reduce<unknown>((at, key) => (at as Record<string, unknown> | undefined)?.[key], contexts[context as keyof GithubContexts]);
        if (result === undefined && (context === "secrets" || context === "vars")) result = "";
        if (result === undefined) throw new Error(`\${{ ${operand} }}: not set in the emulated ${context} context`);
      } else {
        throw new Error(`\${{ ${expression.trim()} }}: an expression the emulated runner does not evaluate`);
      }
      if (result !== "" && result !== false && result !== 0 && result !== null) return String(result);
    }
    return "";
  });
}

function evaluateAll(map: Record<string, unknown> | undefined, contexts: GithubContexts): Record<string, string> {
  return Object.fromEntries(Object.entries(map ?? {}).map(([k, v]) => [k, evaluate(v, contexts)]));
}

/**
 * The artifacts of one workflow run: the latest upload of each name, as a directory, and the
 * attempt of the run that uploaded it. Without a token, download-artifact asks the runner's
 * artifact service, which sees the running attempt's artifacts only (a job re-run by "Re-run
 * failed jobs" does not see what the jobs that had succeeded uploaded); with `github-token`
 * and `run-id` it asks the REST API, which lists the whole run's.
 */
export class ArtifactStore {
  readonly root: string;
  private readonly attempts = new Map<string, number>();
  constructor(root: string) {
    this.root = root;
  }

  async names(attempt?: number): Promise<string[]> {
    const all = existsSync(this.root) ? await readdir(this.root) : [];
    return attempt === undefined ? all : all.filter((n) => this.attempts.get(n) === attempt);
  }

  /** upload-artifact@v6 with a directory as `path`: its files at the artifact's root. */
  async upload(name: string, from: string, options: Record<string, unknown>, attempt: number): Promise<string | undefined> {
    const hidden = String(options["include-hidden-files"] ?? "false") === "true";
    const files = (await filesBelow(from)).filter((f) => hidden || !f.split("/").some((part) => part.startsWith(".")));
    if (!files.length) {
      const missing = String(options["if-no-files-found"] ?? "warn");
      return missing === "error" ? `No files were found with the provided path: ${from}` : undefined;
    }
    const target = join(this.root, name);
    if (existsSync(target)) {
      if (String(options.overwrite ?? "false") !== "true") return "Failed to CreateArtifact: (409) Conflict: an artifact with this name already exists on the workflow run";
      await rm(target, { recursive: true, force: true });
    }
    for (const f of files) {
      await mkdir(dirname(join(target, f)), { recursive: true });
      await cp(join(from, f), join(target, f));
    }
    this.attempts.set(name, attempt);
    return undefined;
  }

  /** download-artifact@v7 (src/download-artifact.ts at that tag). */
  async download(options: Record<string, unknown>, workspace: string, attempt: number): Promise<string | undefined> {
    const path = options.path === undefined ? workspace : join(workspace, String(options.path));
    const wholeRun = options["github-token"] !== undefined && options["github-token"] !== "" && options["run-id"] !== undefined;
    const all = await this.names(wholeRun ? undefined : attempt);
    let chosen: string[];
    if (options.name !== undefined) {
      if (!all.includes(String(options.name))) return `Unable to download artifact(s): Artifact '${String(options.name)}' not found`;
      chosen = [String(options.name)];
    } else {
      chosen = options.pattern === undefined ? all : all.filter((n) => matchesGlob(n, String(options.pattern)));
    }
    const together = options.name !== undefined || String(options["merge-multiple"] ?? "false") === "true" || chosen.length === 1;
    for (const name of chosen) await cp(join(this.root, name), together ? path : join(path, name), { recursive: true });
    return undefined;
  }
}

export interface StepRun extends Run {
  name: string;
}

export interface GithubJobRun {
  failed: boolean;
  steps: StepRun[];
  /** What the job wrote to $GITHUB_STEP_SUMMARY. */
  summary: string;
}

export interface GithubJobOptions {
  contexts: GithubContexts;
  /** The runner's work directory: a fresh checkout of the repository. */
  workspace: string;
  /** What actions/checkout puts there. */
  checkout: (workspace: string) => Promise<void>;
  artifacts: ArtifactStore;
  /**
   * What stands in here for the hosted runner's machine, applied over the workflow's env:
   * the cluster (the shared test cluster instead of k3s in the runner's Docker), the package
   * (the packed checkout instead of the registry's), a git host. Listed by each test.
   */
  substitutions: Record<string, string | undefined>;
}

function stepRuns(step: GithubStep, failed: boolean): boolean {
  const condition = step.if?.replace(/^\$\{\{\s*|\s*\}\}$/g, "").trim();
  switch (condition) {
    case undefined:
    case "success()":
      return !failed;
    case "always()":
    case "!cancelled()":
      return true;
    case "failure()":
      return failed;
    default:
      throw new Error(`if: ${step.if}: a condition the emulated runner does not evaluate`);
  }
}

/** An action's step, as the action at its pinned major does it; an error message when it fails. */
async function useAction(step: GithubStep, options: GithubJobOptions, inputs: Record<string, string>): Promise<string | undefined> {
  const action = step.uses?.replace(/@.*$/, "");
  switch (action) {
    case "actions/checkout":
      await options.checkout(options.workspace);
      return undefined;
    case "actions/setup-node":
      // The machine's Node is the one the tests run on: the version the step asks for.
      return process.versions.node.split(".")[0] === inputs["node-version"] ? undefined : `node-version ${inputs["node-version"]}: these tests run on Node ${process.version}`;
    case "actions/upload-artifact":
      return options.artifacts.upload(inputs.name ?? "artifact", join(options.workspace, inputs.path), inputs, options.contexts.github.run_attempt);
    case "actions/download-artifact":
      return options.artifacts.download(inputs, options.workspace, options.contexts.github.run_attempt);
    default:
      throw new Error(`uses: ${step.uses}: an action the emulated runner does not know`);
  }
}

/** One job of a workflow, as a hosted runner runs it. */
export async function runGithubJob(workflow: GithubWorkflow, jobId: string, options: GithubJobOptions): Promise<GithubJobRun> {
  const job = workflow.jobs[jobId];
  if (!job) throw new Error(`no job ${jobId}`);
  const { contexts, workspace } = options;
  // A fresh runner: nothing of an earlier job (or an earlier attempt) is left in its workspace.
  await rm(workspace, { recursive: true, force: true });
  await mkdir(workspace, { recursive: true });
  const runnerFiles = await mkdtemp(join(tmpdir(), "kubegrade-runner-"));
  const files = { GITHUB_STEP_SUMMARY: join(runnerFiles, "summary.md"), GITHUB_ENV: join(runnerFiles, "env"), GITHUB_OUTPUT: join(runnerFiles, "output") };
  for (const f of Object.values(files)) await writeFile(f, "");
  const base = { ...evaluateAll(workflow.env, contexts), ...evaluateAll(job.env, contexts) };
  const steps: StepRun[] = [];
  let failed = false;
  try {
    for (const step of job.steps) {
      if (!stepRuns(step, failed)) continue;
      const name = step.name ?? step.uses ?? "";
      if (step.uses !== undefined) {
        const problem = await useAction(step, options, evaluateAll(step.with, contexts));
        steps.push({ name, exitCode: problem ? 1 : 0, stdout: "", all: problem ?? "" });
        if (problem) failed = true;
        continue;
      }
      if (step.run === undefined) throw new Error(`step ${name}: neither uses nor run`);
      // Expressions in a script are spliced into it unescaped (script injection); the templates pass values through env.
      if (step.run.includes("${{")) throw new Error(`step ${name}: an expression inside run; pass it through env`);
      const env = machineEnv({
        ...base, ...evaluateAll(step.env, contexts), ...options.substitutions,
        GITHUB_ACTIONS: "true", GITHUB_WORKSPACE: workspace, RUNNER_TEMP: runnerFiles, ...files,
      });
      const result = await run("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", step.run], workspace, env);
      steps.push({ name, ...result });
      if (result.exitCode !== 0) failed = true;
    }
    if (readFileSync(files.GITHUB_ENV, "utf8") !== "") throw new Error(`job ${jobId} wrote to GITHUB_ENV, which the emulated runner does not apply`);
    return { failed, steps, summary: readFileSync(files.GITHUB_STEP_SUMMARY, "utf8") };
  } finally {
    rmSync(runnerFiles, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------
// GitLab CI

export interface GitlabJob {
  extends?: string;
  image?: string;
  parallel?: number;
  needs?: string[];
  services?: unknown[];
  variables?: Record<string, string>;
  rules?: { if: string }[];
  before_script?: string[];
  script: string[];
  artifacts?: { when?: string; paths: string[] };
}

/** A job with its `extends` merged: hashes deeply, anything else replaced (GitLab's rule). */
export function gitlabJob(pipeline: Record<string, GitlabJob>, name: string): GitlabJob {
  const job = pipeline[name];
  if (!job.extends) return job;
  const parent = gitlabJob(pipeline, job.extends);
  const merged: Record<string, unknown> = { ...parent };
  for (const [key, value] of Object.entries(job)) {
    const before = merged[key];
    const hashes = [before, value].every((v) => typeof v === "object" && v !== null && !Array.isArray(v));
    merged[key] = hashes ? { ...(before as object), ...(value as object) } : value;
  }
  delete merged.extends;
  return merged as unknown as GitlabJob;
}

/** `$NAME` and `${NAME}` in a variable's value, from the variables known (as the runner expands them). */
function expandVariables(variables: Record<string, string>, known: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(variables).map(([k, v]) => [k, String(v).replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (_, n: string) => known[n] ?? "")]));
}

export interface GitlabJobRun extends Run {
  /** The job's artifacts, copied out of its workspace (when: always, or on success). */
  artifacts: string;
}

/**
 * One job (one of `parallel: N` when `node` is given), in `projectDir` (a fresh checkout),
 * with the artifacts of the jobs it needs unpacked there first.
 */
export async function runGitlabJob(
  pipeline: Record<string, GitlabJob>, name: string,
  options: {
    projectDir: string;
    checkout: (dir: string) => Promise<void>;
    /** Artifacts of the jobs this one needs, unpacked into its directory first. */
    needed?: string[];
    /** Which of `parallel: N`. */
    node?: { index: number; total: number };
    /** The predefined and the project's CI/CD variables. */
    predefined: Record<string, string>;
    /** What stands in for the runner's machine (see GithubJobOptions.substitutions). */
    substitutions: Record<string, string | undefined>;
  },
): Promise<GitlabJobRun> {
  const job = gitlabJob(pipeline, name);
  await rm(options.projectDir, { recursive: true, force: true });
  await mkdir(options.projectDir, { recursive: true });
  await options.checkout(options.projectDir);
  for (const artifacts of options.needed ?? []) await cp(artifacts, options.projectDir, { recursive: true });
  const predefined = {
    ...options.predefined,
    GITLAB_CI: "true", CI_PROJECT_DIR: options.projectDir,
    ...(options.node ? { CI_NODE_INDEX: String(options.node.index), CI_NODE_TOTAL: String(options.node.total) } : { CI_NODE_TOTAL: "1" }),
  };
  const variables = expandVariables(job.variables ?? {}, predefined);
  const env = machineEnv({ ...predefined, ...variables, ...options.substitutions });
  // The runner runs before_script and script in one shell that stops at the first failure.
  const result = await run("bash", ["-e", "-c", [...(job.before_script ?? []), ...job.script].join("\n")], options.projectDir, env);
  const artifacts = await mkdtemp(join(tmpdir(), "kubegrade-gitlab-artifacts-"));
  const when = job.artifacts?.when ?? "on_success";
  if (when === "always" || (when === "on_success" && result.exitCode === 0) || (when === "on_failure" && result.exitCode !== 0)) {
    for (const path of job.artifacts?.paths ?? []) {
      if (existsSync(join(options.projectDir, path))) await cp(join(options.projectDir, path), join(artifacts, path), { recursive: true });
    }
  }
  return { ...result, artifacts };
}

// ---------------------------------------------------------------------------------------
// A git server that wants a token

export interface PrivateGitServer {
  /** http://127.0.0.1:port */
  url: string;
  /** Each request: whether it carried the token, and the status it got. */
  requests: { path: string; authorized: boolean; status: number }[];
  /** A bare repository served at `${url}/${name}.git` holding `files` in one commit. */
  addRepository(name: string, files: Record<string, string>): Promise<string>;
  close(): Promise<void>;
}

/** The CGI response of git http-backend, as an HTTP response. */
function sendCgi(res: ServerResponse, output: Buffer): void {
  let end = output.indexOf("\r\n\r\n");
  let gap = 4;
  if (end === -1) {
    end = output.indexOf("\n\n");
    gap = 2;
  }
  if (end === -1) {
    res.writeHead(500).end("git http-backend answered no headers");
    return;
  }
  const headers = output.subarray(0, end).toString("latin1").split(/\r?\n/);
  let status = 200;
  for (const header of headers) {
    const colon = header.indexOf(":");
    const key = header.slice(0, colon).trim();
    const value = header.slice(colon + 1).trim();
    if (key.toLowerCase() === "status") status = Number.parseInt(value, 10);
    else res.setHeader(key, value);
  }
  res.statusCode = status;
  res.end(output.subarray(end + gap));
}

/**
 * git's smart HTTP protocol on loopback (git http-backend behind node:http) for repositories
 * that only a request with HTTP Basic credentials whose password is `token` may read — as a
 * private repository on GitHub or GitLab. Everything else gets 401 and a challenge.
 */
export async function privateGitServer(token: string): Promise<PrivateGitServer> {
  const root = await mkdtemp(join(tmpdir(), "kubegrade-git-server-"));
  const requests: PrivateGitServer["requests"] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const auth = /^Basic (.+)$/.exec(req.headers.authorization ?? "");
    const password = auth ? Buffer.from(auth[1], "base64").toString("utf8").split(":").slice(1).join(":") : undefined;
    const authorized = password === token;
    if (!authorized) {
      requests.push({ path: url.pathname, authorized, status: 401 });
      res.writeHead(401, { "WWW-Authenticate": 'Basic realm="student repositories"' }).end();
      return;
    }
    const backend = spawn("git", ["http-backend"], {
      env: {
        PATH: process.env.PATH ?? "",
        GIT_PROJECT_ROOT: root,
        GIT_HTTP_EXPORT_ALL: "1",
        GIT_CONFIG_NOSYSTEM: "1",
        GIT_CONFIG_GLOBAL: "/dev/null",
        REQUEST_METHOD: req.method ?? "GET",
        PATH_INFO: decodeURIComponent(url.pathname),
        QUERY_STRING: url.search.slice(1),
        CONTENT_TYPE: req.headers["content-type"] ?? "",
        REMOTE_USER: "student-repos",
        REMOTE_ADDR: "127.0.0.1",
        ...(req.headers["content-encoding"] ? { HTTP_CONTENT_ENCODING: String(req.headers["content-encoding"]) } : {}),
        ...(req.headers["git-protocol"] ? { GIT_PROTOCOL: String(req.headers["git-protocol"]) } : {}),
      },
      stdio: ["pipe", "pipe", "inherit"],
    });
    const chunks: Buffer[] = [];
    backend.stdout.on("data", (c: Buffer) => chunks.push(c));
    backend.on("close", () => {
      const output = Buffer.concat(chunks);
      sendCgi(res, output);
      requests.push({ path: url.pathname, authorized, status: res.statusCode });
    });
    req.pipe(backend.stdin);
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const git = (cwd: string, args: string[]) =>
    execa("git", ["-c", "user.email=student@example.invalid", "-c", "user.name=student", "-c", "init.defaultBranch=main", ...args], {
      cwd, env: { GIT_CONFIG_NOSYSTEM: "1", GIT_CONFIG_GLOBAL: "/dev/null" },
    });
  return {
    url,
    requests,
    async addRepository(name, files) {
      const work = await mkdtemp(join(tmpdir(), "kubegrade-git-work-"));
      try {
        await git(work, ["init", "-q"]);
        for (const [file, content] of Object.entries(files)) {
          await mkdir(dirname(join(work, file)), { recursive: true });
          await writeFile(join(work, file), content);
        }
        await git(work, ["add", "."]);
        await git(work, ["commit", "-qm", "my StatefulSet"]);
        await git(root, ["clone", "-q", "--bare", work, `${name}.git`]);
      } finally {
        await rm(work, { recursive: true, force: true });
      }
      return `${url}/${name}.git`;
    },
    async close() {
      server.closeAllConnections();
      await new Promise((done) => server.close(done));
      await rm(root, { recursive: true, force: true });
    },
  };
}
