/**
 * Each pipeline template's grading command, run locally as the pipeline would run it:
 * the project stands in for the clone of kubegrade, a copy of a fixture for the student's
 * repository, the shared test cluster (through KUBEGRADE_CLUSTER=kubeconfig) for k3s.
 * Then the files the pipeline publishes are checked.
 */
import { expect } from "chai";
import { execa } from "execa";
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { PROJECT_ROOT } from "../../runner/config.ts";
import { sharedCluster } from "./hooks.ts";

interface Workspace {
  root: string;
  repo: string;
  env: Record<string, string>;
}

async function workspace(fixture: string): Promise<Workspace> {
  const root = await mkdtemp(join(tmpdir(), "kubegrade-ci-"));
  const repo = join(root, "repo");
  await cp(join(PROJECT_ROOT, "fixtures", fixture, "submission"), repo, { recursive: true });
  const kubeconfig = join(root, "kubeconfig");
  await writeFile(kubeconfig, sharedCluster().kubeConfigYaml, { mode: 0o600 });
  return { root, repo, env: { KUBEGRADE_CLUSTER: "kubeconfig", KUBECONFIG: kubeconfig, CI: "true", NO_COLOR: "1" } };
}

async function run(command: string, env: Record<string, string>): Promise<{ exitCode: number; output: string }> {
  const result = await execa("bash", ["-c", command], { env: { ...process.env, ...env }, reject: false, all: true });
  return { exitCode: result.exitCode ?? -1, output: String(result.all ?? "") };
}

describe("ci templates", function () {
  it("GitHub Classroom: the Grade step passes the reference and publishes the Classroom result, summary and reports", async function () {
    const workflow = parse(await readFile(join(PROJECT_ROOT, "ci/github/classroom.yml"), "utf8")) as {
      env: Record<string, string>;
      jobs: { grade: { steps: { id?: string; run?: string; uses?: string; env?: Record<string, string>; with?: Record<string, string> }[] } };
    };
    const steps = workflow.jobs.grade.steps;
    const grade = steps.find((s) => s.id === "kubegrade");
    expect(grade?.run, "a step with id kubegrade runs the grade").to.be.a("string");
    const reporter = steps.find((s) => s.uses?.startsWith("classroom-resources/autograding-grading-reporter"));
    expect(reporter?.with?.runners).to.equal("kubegrade");
    expect(reporter?.env?.KUBEGRADE_RESULTS).to.include("steps.kubegrade.outputs.result");

    const ws = await workspace(join("web", "reference"));
    try {
      const runnerTemp = join(ws.root, "runner-temp");
      await mkdir(runnerTemp);
      await symlink(PROJECT_ROOT, join(runnerTemp, "kubegrade")); // stands in for the clone + npm ci
      const env = {
        ...workflow.env,
        ...ws.env,
        RUNNER_TEMP: runnerTemp,
        GITHUB_WORKSPACE: ws.repo,
        GITHUB_OUTPUT: join(ws.root, "github-output"),
        GITHUB_STEP_SUMMARY: join(ws.root, "step-summary.md"),
      };
      const result = await run(grade!.run!, env);
      expect(result.exitCode, result.output).to.equal(0);

      const output = await readFile(env.GITHUB_OUTPUT, "utf8");
      const line = output.split("\n").find((l) => l.startsWith("result="));
      expect(line, "result=… in $GITHUB_OUTPUT").to.be.a("string");
      const classroom = JSON.parse(Buffer.from(line!.slice("result=".length), "base64").toString("utf8")) as {
        status: string; max_score: number; tests: { score?: number }[];
      };
      expect(classroom.status).to.equal("pass");
      expect(classroom.max_score).to.equal(100);
      expect(classroom.tests.reduce((s, t) => s + (t.score ?? 0), 0)).to.equal(100);

      expect(await readFile(env.GITHUB_STEP_SUMMARY, "utf8")).to.match(/\| A headless Service .*\(headless-service\) \| ✅ passed \| 10\/10 \|/);
      const report = JSON.parse(await readFile(join(ws.repo, "kubegrade/report.json"), "utf8")) as { score: number; passed: boolean };
      expect(report).to.include({ score: 100, passed: true });
      expect(await readFile(join(ws.repo, "kubegrade/junit.xml"), "utf8")).to.include("<testsuite");
      expect(existsSync(join(ws.repo, "kubegrade/report.html"))).to.equal(true);
    } finally {
      await rm(ws.root, { recursive: true, force: true });
    }
  });

  it("GitLab: the script grades a failing submission, fails the job and still publishes the JUnit report", async function () {
    const pipeline = parse(await readFile(join(PROJECT_ROOT, "ci/gitlab/kubegrade.gitlab-ci.yml"), "utf8")) as {
      kubegrade: { variables: Record<string, string>; script: string[]; artifacts: { when: string; reports: { junit: string }; paths: string[] } };
    };
    const job = pipeline.kubegrade;
    expect(job.artifacts.when).to.equal("always");
    const ws = await workspace(join("web", "two-replicas"));
    try {
      await symlink(PROJECT_ROOT, join(ws.root, "kubegrade"));
      // The job clones kubegrade to /tmp/kubegrade; here that path points at the project.
      const script = job.script.join("\n").replaceAll("/tmp/kubegrade", join(ws.root, "kubegrade"));
      const env = { ...job.variables, ...ws.env, CI_PROJECT_DIR: ws.repo };
      delete (env as Record<string, string | undefined>).DOCKER_HOST;
      const result = await run(script, env);
      expect(result.exitCode, result.output).to.equal(1);
      const junit = await readFile(join(ws.repo, job.artifacts.reports.junit), "utf8");
      expect(junit).to.include('name="statefulset-spec"');
      expect(junit).to.include("<failure");
      expect(junit).to.include("spec.replicas: 2");
      for (const path of job.artifacts.paths) expect(existsSync(join(ws.repo, path)), path).to.equal(true);
    } finally {
      await rm(ws.root, { recursive: true, force: true });
    }
  });
});
