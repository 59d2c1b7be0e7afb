/**
 * Each template in ci/ run the way its platform runs it, on the shared test cluster, and
 * the files that platform reads checked against its documented contract:
 *
 * - Classroom 50: `python3 autograder.py` in the student's checkout with the runner's
 *   environment (wiki "Advanced Autograding", "Contract"); result.json against
 *   classroom50/result/v1, the exit code as the runner reads it.
 * - GitHub Actions: the workflow's `run` steps in order (a failed step skips the rest but
 *   `if: always()`), each in `bash -eo pipefail` with GITHUB_STEP_SUMMARY / GITHUB_OUTPUT
 *   files; their stdout read as the runner reads workflow commands (honouring
 *   ::stop-commands::), the annotations checked against the manifest's real lines.
 * - GitLab: the job's before_script and script with its variables and CI_PROJECT_DIR; the
 *   JUnit `file` attributes and the Code Quality report against the manifest's lines.
 * - Gradescope: setup.sh, then run_autograder, in a directory laid out as /autograder
 *   (AUTOGRADER_ROOT), grading on the shared cluster through a kubeconfig of an identity
 *   holding only the pre-created-namespace rights of docs/clusters.md.
 *
 * What npm installs is this checkout packed and installed (package-support.ts), never the
 * TypeScript sources.
 */
import { CoreV1Api, KubeConfig, RbacAuthorizationV1Api } from "@kubernetes/client-node";
import { expect } from "chai";
import { execa } from "execa";
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { existsSync, lstatSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { PROJECT_ROOT } from "../../runner/config.ts";
import { expectValid, schemaValidator } from "../unit/reporters/support.ts";
import { sharedCluster } from "./hooks.ts";
import { githubEnv, grantDocumentedRights, revokeDocumentedRights, type GraderRights } from "./support.ts";
import { installedKubegrade, machineEnv, run, workflowCommands, type Run } from "./ci-support.ts";

interface Workspace {
  root: string;
  repo: string;
  kubeconfig: string;
  package: string;
}

async function workspace(fixture: string): Promise<Workspace> {
  const root = await mkdtemp(join(tmpdir(), "kubegrade-ci-"));
  const repo = join(root, "repo");
  await cp(join(PROJECT_ROOT, "fixtures", fixture, "submission"), repo, { recursive: true });
  const kubeconfig = join(root, "kubeconfig");
  await writeFile(kubeconfig, sharedCluster().kubeConfigYaml, { mode: 0o600 });
  return { root, repo, kubeconfig, package: (await installedKubegrade()).dir };
}

/** The student's repository as a git checkout with one commit made at `when`. */
async function commit(repo: string, when: string): Promise<string> {
  const env = { GIT_CONFIG_NOSYSTEM: "1", GIT_AUTHOR_DATE: when, GIT_COMMITTER_DATE: when };
  const git = (args: string[]) => execa("git", ["-C", repo, ...args], { env });
  await git(["init", "-q", "-b", "main"]);
  await git(["add", "."]);
  await git(["-c", "user.email=student@example.invalid", "-c", "user.name=student", "commit", "-qm", "my StatefulSet"]);
  return (await git(["rev-parse", "HEAD"])).stdout.trim();
}

function lineOf(path: string, line: number): string {
  return readFileSync(path, "utf8").split(/\r?\n/)[line - 1] ?? "";
}

// ---------------------------------------------------------------------------------------

describe("ci templates", function () {
  describe("Classroom 50: autograder.py as the runner invokes it", function () {
    const validate = schemaValidator(join(PROJECT_ROOT, "test/unit/reporters/classroom50-result.schema.json"));
    const COMMITTED = "2026-11-30T21:15:42Z";

    /** The runner's invocation: `python3 autograder.py` from the bundle, cwd the checkout (wiki "Contract"). */
    async function autograde(ws: Workspace, extra: Record<string, string> = {}): Promise<Run> {
      const bundle = join(ws.root, "bundle", "statefulsets");
      await mkdir(bundle, { recursive: true });
      await cp(join(PROJECT_ROOT, "ci/classroom50/autograder.py"), join(bundle, "autograder.py"));
      const runnerTemp = join(ws.root, "runner-temp");
      await mkdir(runnerTemp, { recursive: true });
      const tag = "submit/2026-11-30T21-16-00Z-a1b2c3d";
      const repoUrl = "https://github.com/k8s-course/k8s-fall-2026-statefulsets-alice";
      const env = machineEnv({
        CLASSROOM: "k8s-fall-2026",
        ASSIGNMENT: "statefulsets",
        SUBMISSION_TAG: tag,
        PAGES_BASE_URL: "https://k8s-course.github.io/classroom50",
        USERNAME: "alice",
        OWNER: "alice",
        ASSIGNMENT_TYPE: "individual",
        COMMIT_URL: `${repoUrl}/commit/a1b2c3d`,
        RELEASE_URL: `${repoUrl}/releases/tag/${encodeURIComponent(tag)}`,
        REVIEW_URL: `${repoUrl}/compare/0000000...a1b2c3d`,
        CLASSROOM50_BUNDLE_DIR: bundle,
        GITHUB_ACTIONS: "true",
        GITHUB_OUTPUT: join(ws.root, "github-output"),
        RUNNER_TEMP: runnerTemp,
        KUBEGRADE_PACKAGE: ws.package,
        KUBEGRADE_CLUSTER: "kubeconfig",
        KUBECONFIG: ws.kubeconfig,
        ...extra,
      });
      return run("python3", [join(bundle, "autograder.py")], ws.repo, env);
    }

    interface Result {
      classroom: string;
      owner: string;
      datetime: string;
      score: number;
      "max-score": number;
      tests: { "test-name": string; passed: boolean; score: number; "max-score": number; message: string; check?: string }[];
    }

    /** result.json as Classroom 50's runner validates it: the v1 schema plus its cross-field rules. */
    async function readResult(ws: Workspace): Promise<Result> {
      const result = JSON.parse(await readFile(join(ws.repo, "result.json"), "utf8")) as Result;
      expectValid(validate, result, "result.json");
      expect(result.score).to.be.at.most(result["max-score"]);
      expect(result.score).to.equal(result.tests.reduce((s, t) => s + t.score, 0));
      expect(result["max-score"]).to.equal(result.tests.reduce((s, t) => s + t["max-score"], 0));
      for (const t of result.tests) expect(t.score).to.be.at.most(t["max-score"]);
      return result;
    }

    it("the reference: exit 0, result.json v1 with 100/100, the commit's date, release-body.md", async function () {
      const ws = await workspace("web/reference");
      try {
        await commit(ws.repo, COMMITTED);
        const result = await autograde(ws);
        expect(result.exitCode, result.all).to.equal(0);
        const json = await readResult(ws);
        expect(json).to.include({ classroom: "k8s-fall-2026", owner: "alice", datetime: COMMITTED, score: 100, "max-score": 100 });
        expect(json.tests.every((t) => t.passed)).to.equal(true);
        expect(await readFile(join(ws.repo, "release-body.md"), "utf8")).to.match(/\| A headless Service .*\(headless-service\) \| ✅ passed \| 10\/10 \|/);
      } finally {
        await rm(ws.root, { recursive: true, force: true });
      }
    });

    it("a failing submission: exit 0 (graded), the failed test with kubegrade's feedback", async function () {
      const ws = await workspace("web/two-replicas");
      try {
        await commit(ws.repo, COMMITTED);
        const result = await autograde(ws);
        expect(result.exitCode, result.all).to.equal(0);
        const json = await readResult(ws);
        expect(json.score).to.equal(85);
        const spec = json.tests.find((t) => t.check === "statefulset-spec");
        expect(spec).to.include({ passed: false, score: 0 });
        expect(spec?.message).to.include("spec.replicas: 2");
      } finally {
        await rm(ws.root, { recursive: true, force: true });
      }
    });

    it("a refused submission is graded (exit 0, 0 points); a student's own result.json never counts", async function () {
      const ws = await workspace("web/invalid-yaml");
      try {
        await writeFile(join(ws.repo, "result.json"), JSON.stringify({ schema: "classroom50/result/v1", score: 100, "max-score": 100 }));
        await commit(ws.repo, COMMITTED);
        const result = await autograde(ws);
        expect(result.exitCode, result.all).to.equal(0);
        const json = await readResult(ws);
        expect(json.score).to.equal(0);
        expect(json["max-score"]).to.equal(100);
        expect(json.tests[0]).to.include({ "test-name": "Submission accepted", passed: false });
      } finally {
        await rm(ws.root, { recursive: true, force: true });
      }
    });

    it("a cluster that cannot be reached is an infrastructure error: non-zero exit, never a score", async function () {
      const ws = await workspace("web/reference");
      try {
        await commit(ws.repo, COMMITTED);
        const dead = new KubeConfig();
        dead.loadFromOptions({
          clusters: [{ name: "gone", server: "https://127.0.0.1:9", skipTLSVerify: true }],
          users: [{ name: "u", token: "t" }],
          contexts: [{ name: "gone", cluster: "gone", user: "u" }],
          currentContext: "gone",
        });
        const kubeconfig = join(ws.root, "dead.kubeconfig");
        await writeFile(kubeconfig, dead.exportConfig());
        const result = await autograde(ws, { KUBECONFIG: kubeconfig });
        expect(result.exitCode, result.all).to.not.equal(0);
        expect(result.all).to.include("::error::kubegrade autograder: ");
      } finally {
        await rm(ws.root, { recursive: true, force: true });
      }
    });

    it("runtime.json asks for what the grade needs: a hosted Linux runner (Docker) and Node 24", async function () {
      const runtime = JSON.parse(await readFile(join(PROJECT_ROOT, "ci/classroom50/runtime.json"), "utf8")) as Record<string, unknown>;
      expect(runtime).to.deep.equal({ "runs-on": "ubuntu-latest", node: "24" });
    });
  });

  // -------------------------------------------------------------------------------------

  describe("GitHub Actions: the workflow's run steps", function () {
    interface Step {
      name?: string;
      run?: string;
      uses?: string;
      if?: string;
      env?: Record<string, string>;
    }

    it("a failing submission: the job fails, the summary and JUnit are written, each error sits on the manifest line it names", async function () {
      const workflow = parse(await readFile(join(PROJECT_ROOT, "ci/github/kubegrade.yml"), "utf8")) as {
        env: Record<string, string>;
        jobs: { grade: { steps: Step[] } };
      };
      const steps = workflow.jobs.grade.steps;
      // Each at a major whose action.yml runs on Node 24 (test/unit/ci-actions.test.ts holds the table).
      expect(steps.map((s) => s.uses).filter(Boolean)).to.deep.equal(["actions/checkout@v5", "actions/setup-node@v5", "actions/upload-artifact@v6"]);
      expect(JSON.stringify(workflow), "no retired GitHub Classroom step").to.not.include("autograding");
      // The course's published node image when its variable is set (published-node-image.test.ts grades with it); no provider pinned over it.
      expect(workflow.env.KUBEGRADE_NODE_IMAGE).to.equal("${{ vars.KUBEGRADE_NODE_IMAGE }}");
      expect(workflow.env).to.not.have.property("KUBEGRADE_CLUSTER");

      const ws = await workspace("web/two-replicas");
      try {
        // The student's repository as DESIGN.md has it: kubegrade a dev dependency (npm i -D kubegrade).
        const { project } = await installedKubegrade();
        for (const f of ["package.json", "package-lock.json"]) await cp(join(project, f), join(ws.repo, f));
        const summary = join(ws.root, "step-summary.md");
        const env = machineEnv({
          ...githubEnv(workflow.env),
          KUBEGRADE_PACKAGE: ws.package,
          KUBEGRADE_CLUSTER: "kubeconfig",
          KUBECONFIG: ws.kubeconfig,
          GITHUB_ACTIONS: "true",
          GITHUB_WORKSPACE: ws.repo,
          GITHUB_STEP_SUMMARY: summary,
          GITHUB_OUTPUT: join(ws.root, "github-output"),
          RUNNER_TEMP: join(ws.root, "runner-temp"),
        });
        await writeFile(summary, "");
        let failed = false;
        const results: { name: string; exitCode: number; stdout: string; all: string }[] = [];
        for (const step of steps) {
          if (step.run === undefined) continue;
          if (failed && step.if !== "always()") continue;
          // GitHub's default shell for `run` on Linux: bash --noprofile --norc -eo pipefail {0}.
          const result = await run("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", step.run], ws.repo, { ...env, ...step.env });
          results.push({ name: step.name ?? "", ...result });
          if (result.exitCode !== 0) failed = true;
        }
        const byName = (name: string) => results.find((r) => r.name === name);
        expect(byName("Install kubegrade")?.exitCode, byName("Install kubegrade")?.all).to.equal(0);
        // npm ci from the repository's lock file (a real install), not the KUBEGRADE_PACKAGE link.
        expect(lstatSync(join(ws.repo, "node_modules/kubegrade")).isSymbolicLink()).to.equal(false);
        expect(existsSync(join(ws.repo, "node_modules/kubegrade/dist/runner/bin.js"))).to.equal(true);
        expect(byName("Grade")?.exitCode, byName("Grade")?.all).to.equal(1);

        const commands = results.flatMap((r) => workflowCommands(r.stdout));
        const errors = commands.filter((c) => c.name === "error");
        const spec = errors.find((c) => c.props.title?.includes("(statefulset-spec)"));
        expect(spec?.props.file).to.equal("web.yaml");
        expect(lineOf(join(ws.repo, "web.yaml"), Number(spec?.props.line))).to.match(/^\s+replicas: 2$/);
        expect(spec?.data).to.include("StatefulSet web has spec.replicas: 2");
        for (const c of errors.filter((e) => e.props.file !== undefined && e.props.line !== undefined)) {
          expect(existsSync(join(ws.repo, c.props.file)), c.props.file).to.equal(true);
          expect(lineOf(join(ws.repo, c.props.file), Number(c.props.line)).trim(), `${c.props.file}:${c.props.line}`).to.not.equal("");
        }

        expect(await readFile(summary, "utf8")).to.match(/\| The StatefulSet .*\(statefulset-spec\) \| ❌ failed \| 0\/15 \|/);
        expect(await readFile(join(ws.repo, "kubegrade/junit.xml"), "utf8")).to.include('name="statefulset-spec" file="web.yaml" line="21"');
        expect(JSON.parse(await readFile(join(ws.repo, "kubegrade/report.json"), "utf8"))).to.include({ score: 85, passed: false });
      } finally {
        await rm(ws.root, { recursive: true, force: true });
      }
    });
  });

  // -------------------------------------------------------------------------------------

  describe("GitLab: the job's script", function () {
    it("a failing submission: the job fails; JUnit names the manifest, Code Quality points at its line", async function () {
      const pipeline = parse(await readFile(join(PROJECT_ROOT, "ci/gitlab/kubegrade.gitlab-ci.yml"), "utf8")) as {
        kubegrade: {
          variables: Record<string, string>;
          before_script: string[];
          script: string[];
          artifacts: { when: string; paths: string[]; reports: { junit: string; codequality: string } };
        };
      };
      const job = pipeline.kubegrade;
      expect(job.artifacts.when).to.equal("always");
      // Empty unless the course's CI/CD variable sets it (settings override the file); no provider pinned over it.
      expect(job.variables.KUBEGRADE_NODE_IMAGE).to.equal("");
      expect(job.variables).to.not.have.property("KUBEGRADE_CLUSTER");
      const ws = await workspace("web/two-replicas");
      try {
        const variables = { ...job.variables, DOCKER_HOST: undefined, DOCKER_TLS_CERTDIR: undefined };
        const env = machineEnv({
          ...variables,
          KUBEGRADE_PACKAGE: ws.package,
          KUBEGRADE_CLUSTER: "kubeconfig",
          KUBECONFIG: ws.kubeconfig,
          GITLAB_CI: "true",
          CI_PROJECT_DIR: ws.repo,
        });
        // The runner runs before_script and script in one shell that stops at the first failure.
        const script = [...job.before_script, ...job.script].join("\n");
        const result = await run("bash", ["-e", "-c", script], ws.repo, env);
        expect(result.exitCode, result.all).to.equal(1);
        for (const path of job.artifacts.paths) expect(existsSync(join(ws.repo, path)), path).to.equal(true);

        const junit = await readFile(join(ws.repo, job.artifacts.reports.junit), "utf8");
        expect(junit).to.include('name="statefulset-spec" file="web.yaml" line="21"');
        expect(junit).to.include("spec.replicas: 2");

        const issues = JSON.parse(await readFile(join(ws.repo, job.artifacts.reports.codequality), "utf8")) as {
          description: string; check_name: string; fingerprint: string; severity: string; location: { path: string; lines: { begin: number } };
        }[];
        expect(issues).to.not.be.empty;
        for (const issue of issues) {
          // GitLab's documented fields and values.
          expect(issue.description).to.be.a("string").and.not.equal("");
          expect(issue.check_name).to.match(/^kubegrade\//);
          expect(issue.fingerprint).to.be.a("string").and.not.equal("");
          expect(["info", "minor", "major", "critical", "blocker"]).to.include(issue.severity);
          expect(existsSync(join(ws.repo, issue.location.path)), issue.location.path).to.equal(true);
          expect(lineOf(join(ws.repo, issue.location.path), issue.location.lines.begin).trim()).to.not.equal("");
        }
        expect(new Set(issues.map((i) => i.fingerprint)).size).to.equal(issues.length);
        const spec = issues.find((i) => i.check_name === "kubegrade/statefulset-spec");
        expect(spec?.location.path).to.equal("web.yaml");
        expect(lineOf(join(ws.repo, "web.yaml"), spec?.location.lines.begin ?? 0)).to.match(/^\s+replicas: 2$/);
      } finally {
        await rm(ws.root, { recursive: true, force: true });
      }
    });
  });

  // -------------------------------------------------------------------------------------

  describe("Gradescope: setup.sh and run_autograder in a directory laid out as /autograder", function () {
    const id = Math.random().toString(36).slice(2, 7);
    const graderNs = `kg-gs-grader-${id}`;
    const pool = [`kg-gs-${id}-1`, `kg-gs-${id}-2`];
    const rights: GraderRights = {
      graderNs,
      namespaces: pool.map((name) => ({ name, labels: { "pod-security.kubernetes.io/enforce": "baseline" } })),
      readsName: `kubegrade-gs-reads-${id}`,
      dnsReadsName: `kubegrade-gs-dns-reads-${id}`,
    };
    let admin: KubeConfig;
    let root: string;
    let graderKubeconfig: string;

    before(async function () {
      this.timeout(120_000);
      admin = sharedCluster().kubeConfig;
      root = await mkdtemp(join(tmpdir(), "kubegrade-gradescope-"));
      // The administrator's part, exactly as docs/clusters.md says.
      graderKubeconfig = await grantDocumentedRights(admin, rights);
    });

    after(async function () {
      this.timeout(120_000);
      if (root) await rm(root, { recursive: true, force: true });
      if (!admin) return;
      await revokeDocumentedRights(admin, rights);
    });

    /** /autograder as Gradescope lays it out: source/ (the autograder zip), submission/, results/. */
    async function autograderDir(name: string, fixture: string, namespaces: string[]): Promise<string> {
      const dir = join(root, name);
      await mkdir(join(dir, "source"), { recursive: true });
      await mkdir(join(dir, "results"), { recursive: true });
      for (const f of ["setup.sh", "run_autograder", "kubegrade.env", "namespace-lock.mjs"]) await cp(join(PROJECT_ROOT, "ci/gradescope", f), join(dir, "source", f));
      const settings = (await readFile(join(dir, "source/kubegrade.env"), "utf8"))
        .replace(/^KUBEGRADE_PACKAGE=.*$/m, `KUBEGRADE_PACKAGE=${(await installedKubegrade()).dir}`)
        .replace(/^KUBEGRADE_NAMESPACES=.*$/m, `KUBEGRADE_NAMESPACES="${namespaces.join(" ")}"`);
      await writeFile(join(dir, "source/kubegrade.env"), settings);
      await writeFile(join(dir, "source/kubeconfig"), graderKubeconfig, { mode: 0o600 });
      await cp(join(PROJECT_ROOT, "fixtures", fixture, "submission"), join(dir, "submission"), { recursive: true });
      const setup = await run("bash", [join(dir, "source/setup.sh")], join(dir, "source"), machineEnv({ AUTOGRADER_ROOT: dir }));
      expect(setup.exitCode, setup.all).to.equal(0);
      return dir;
    }

    interface Results {
      score: number;
      output: string;
      tests: { name: string; status: string; score: number; max_score: number }[];
    }

    const gradescopeSchema = schemaValidator(join(PROJECT_ROOT, "test/unit/reporters/gradescope.schema.json"));

    /** Gradescope's harness: cd source, run run_autograder, read results/results.json. */
    async function runAutograder(dir: string): Promise<{ run: Run; results: Results }> {
      const result = await run(join(dir, "source/run_autograder"), [], join(dir, "source"), machineEnv({ AUTOGRADER_ROOT: dir, KUBECONFIG: undefined }));
      expect(result.exitCode, result.all).to.equal(0);
      expect(result.stdout, "nothing on stdout").to.equal("");
      const results = JSON.parse(await readFile(join(dir, "results/results.json"), "utf8")) as Results;
      // Gradescope's "Output format", as test/unit/reporters/gradescope.schema.json transcribes it.
      expectValid(gradescopeSchema, results, "results.json");
      return { run: result, results };
    }

    async function expectEmptyAndUnlocked(): Promise<void> {
      const core = admin.makeApiClient(CoreV1Api);
      const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
      for (const namespace of pool) {
        expect((await core.listNamespacedPod({ namespace })).items, namespace).to.deep.equal([]);
        expect((await rbac.listNamespacedRoleBinding({ namespace })).items.map((b) => b.metadata?.name), namespace).to.deep.equal(["kubegrade-grader"]);
      }
    }

    it("two submissions at once, as Gradescope runs them: each in its own namespace, each results.json right, nothing left", async function () {
      const [reference, failing] = await Promise.all([autograderDir("reference", "web/reference", pool), autograderDir("failing", "web/two-replicas", pool)]);
      const [a, b] = await Promise.all([runAutograder(reference), runAutograder(failing)]);
      expect(a.results.score, a.run.all).to.equal(100);
      expect(a.results.tests).to.have.length(7);
      expect(a.results.tests.every((t) => t.status === "passed")).to.equal(true);
      expect(b.results.score, b.run.all).to.equal(85);
      expect(b.results.tests.find((t) => t.name.startsWith("The StatefulSet"))).to.include({ status: "failed", score: 0 });
      // One of them found the first namespace taken and moved on.
      expect(`${a.run.all}\n${b.run.all}`).to.include(`namespace ${pool[0]} is grading another submission`);
      await expectEmptyAndUnlocked();
    });

    it("a lock left by a container that died is taken over once it is older than any grade", async function () {
      const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
      for (const namespace of pool) {
        await rbac.createNamespacedRoleBinding({
          namespace,
          body: { metadata: { name: "kubegrade-lock" }, roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "kubegrade-grader" }, subjects: [] },
        });
      }
      const dir = await autograderDir("stale", "web/reference", pool);
      const busy = await runAutograder(dir);
      expect(busy.results.score).to.equal(0);
      expect(busy.results.output).to.include(`namespace ${pool[1]} is grading another submission`);
      await writeFile(join(dir, "source/kubegrade.env"), `${await readFile(join(dir, "source/kubegrade.env"), "utf8")}\nexport KUBEGRADE_LOCK_MINUTES=0\n`);
      const taken = await runAutograder(dir);
      expect(taken.results.score, taken.run.all).to.equal(100);
      // The other namespace's lock was stale too, but the first one free was enough.
      await rbac.deleteNamespacedRoleBinding({ name: "kubegrade-lock", namespace: pool[1] }).catch(() => {});
      await expectEmptyAndUnlocked();
    });

    it("no usable namespace: results.json still written, saying it is not the student's fault", async function () {
      const dir = await autograderDir("none", "web/reference", [`kg-gs-${id}-missing`]);
      const { results } = await runAutograder(dir);
      expect(results.score).to.equal(0);
      expect(results.output).to.include("not a problem with your submission");
      expect(results.tests).to.deep.equal([]);
    });
  });
});
