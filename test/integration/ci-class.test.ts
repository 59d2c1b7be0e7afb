/**
 * The class-grading templates (ci/github/kubegrade-class.yml, ci/gitlab/kubegrade-class.gitlab-ci.yml)
 * run the way their platforms run them (ci-support.ts), one job after the other, on the shared
 * test cluster: a class of six — the reference solution and a broken one in the course's
 * repository, a hostile one (refused), two near-identical copies in private repositories on
 * a git server that wants a token, and a repository on another host, to which the token must
 * never go.
 *
 * GitHub: three shards, the second failing on a dead cluster first and then re-run ("Re-run
 * failed jobs"), then the class job; the merged class has the same verdicts, similar pairs,
 * LMS file and summary as the same workflow's one job over the whole roster, and the copies
 * are found across two shards. Re-running one shard alone and merging again gives the same
 * gradebook. GitLab: `parallel: 3` with `--shard env`, then the class job: the same verdicts.
 *
 * What stands in for the hosted runner's machine: the shared cluster through a kubeconfig
 * (KUBEGRADE_CLUSTER=kubeconfig instead of k3s in the runner's Docker), this checkout packed
 * (KUBEGRADE_PACKAGE), the loopback git server (STUDENT_REPOS_HOST for github.com; GitLab's
 * CI_SERVER_URL), an empty global git configuration.
 */
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import type { GradebookRow } from "../../runner/batch/gradebook-model.ts";
import { parseCsv } from "../../runner/batch/csv.ts";
import { parseGradebook } from "../../runner/batch/gradebook.ts";
import { shardOf } from "../../runner/batch/shard.ts";
import { PROJECT_ROOT } from "../../runner/config.ts";
import {
  ArtifactStore, filesBelow, installedKubegrade, privateGitServer, runGithubJob, runGitlabJob, workflowCommands,
  type GithubJobRun, type GithubWorkflow, type GitlabJob, type PrivateGitServer,
} from "./ci-support.ts";
import { sharedCluster } from "./hooks.ts";
import { withExtras } from "./support.ts";

const fixture = (name: string) => join(PROJECT_ROOT, "fixtures", name, "submission");

/**
 * What a gradebook row says of the student's work (not when it was graded, nor how long it
 * took), a directory of the checkout named from the checkout's root (GitHub's runners all
 * work in one path; GitLab's in another).
 */
function verdicts(rows: readonly GradebookRow[], checkout: string): Record<string, unknown> {
  return Object.fromEntries(rows.map(({ durationMs: _d, gradedAt: _g, ...rest }) => [rest.student, { ...rest, source: rest.source.replace(checkout, "<checkout>") }]));
}

function gradebookIn(dir: string): GradebookRow[] {
  return parseGradebook(readFileSync(join(dir, "gradebook.json"), "utf8"), dir).rows;
}

const by0 = (rows: GradebookRow[]) => Object.fromEntries(rows.map((r) => [r.student, r]));
const output = (job: GithubJobRun) => job.steps.map((s) => `--- ${s.name} (exit ${s.exitCode})\n${s.all}`).join("\n");
const step = (job: GithubJobRun, name: string) => job.steps.find((s) => s.name === name);

describe("ci: a class over many runners", function () {
  this.timeout(20 * 60_000);
  const token = `github_pat_${randomBytes(20).toString("hex")}`;
  let root: string;
  let course: string;
  let kubeconfig: string;
  let deadKubeconfig: string;
  let pkg: string;
  let repos: PrivateGitServer;
  let elsewhere: PrivateGitServer;
  let roster: { student: string; source: string }[];
  const outputs: string[] = [];
  /** The whole roster in one job (a matrix of one): what the shards must add up to. */
  let whole: string;
  /** The class job's artifact of the three-shard run. */
  let merged: string;

  before(async function () {
    this.timeout(10 * 60_000);
    root = await mkdtemp(join(tmpdir(), "kubegrade-ci-class-"));
    githubWorkspace = join(root, "runner", "work", "course", "course");
    pkg = (await installedKubegrade()).dir;
    kubeconfig = join(root, "kubeconfig");
    await writeFile(kubeconfig, sharedCluster().kubeConfigYaml, { mode: 0o600 });
    deadKubeconfig = join(root, "dead.kubeconfig");
    await writeFile(deadKubeconfig, [
      "apiVersion: v1", "kind: Config",
      "clusters: [{name: gone, cluster: {server: 'https://127.0.0.1:9', insecure-skip-tls-verify: true}}]",
      "users: [{name: u, user: {token: t}}]",
      "contexts: [{name: gone, context: {cluster: gone, user: u}}]",
      "current-context: gone", "",
    ].join("\n"));

    repos = await privateGitServer(token);
    elsewhere = await privateGitServer(`another-${token}`);
    const reference = readFileSync(join(fixture("web/reference"), "web.yaml"), "utf8");
    // The course's repository: the roster, and the submissions it holds itself.
    course = join(root, "course");
    for (const [student, from] of [["bob", "web/reference"], ["alice", "web/two-replicas"], ["carol", "hostile/privileged-hostpath"]]) {
      await cp(fixture(from), join(course, "submissions", student), { recursive: true });
    }
    roster = [
      { student: "bob", source: "submissions/bob" },
      { student: "alice", source: "submissions/alice" },
      { student: "carol", source: "submissions/carol" },
      { student: "dave", source: await repos.addRepository("dave", { "web.yaml": withExtras(reference, "block") }) },
      { student: "judy", source: await repos.addRepository("judy", { "web.yaml": withExtras(reference, "flow") }) },
      { student: "mallory", source: await elsewhere.addRepository("mallory", { "web.yaml": reference }) },
    ];
    await writeFile(join(course, "roster.csv"), ["student,source", ...roster.map((r) => `${r.student},${r.source}`), ""].join("\n"));
    // The copies sit in different shards of three, and every shard has a share.
    expect([shardOf("dave", 3), shardOf("judy", 3)]).to.deep.equal([1, 2]);
    expect(new Set(roster.map((r) => shardOf(r.student, 3))).size).to.equal(3);
  });

  after(async function () {
    await repos?.close();
    await elsewhere?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  const checkout = async (dir: string) => cp(course, dir, { recursive: true });
  /** Every hosted runner works in the same directory; each job starts with it empty. */
  let githubWorkspace: string;

  describe("GitHub Actions: a matrix of shards, then the class job", function () {
    let workflow: GithubWorkflow;
    const workspace = () => githubWorkspace;

    /** The artifacts of the three-shard run, over its attempts. */
    let artifacts: ArtifactStore;

    before(async function () {
      workflow = parse(await readFile(join(PROJECT_ROOT, "ci/github/kubegrade-class.yml"), "utf8")) as GithubWorkflow;
      artifacts = new ArtifactStore(join(root, "artifacts"));
    });

    /** A job of the workflow in attempt `attempt` of its run; `shard` and `total` make it a matrix job. */
    function job(
      id: string, artifacts: ArtifactStore, attempt: number, contexts: { shard?: number; total?: number } = {}, cluster = kubeconfig,
    ): Promise<GithubJobRun> {
      return runGithubJob(workflow, id, {
        contexts: {
          github: { token: `ghs_${randomBytes(8).toString("hex")}`, run_id: "4242", run_attempt: attempt },
          ...(contexts.shard === undefined ? {} : { matrix: { shard: contexts.shard }, strategy: { "job-index": contexts.shard - 1, "job-total": contexts.total ?? 1 } }),
          secrets: { STUDENT_REPOS_TOKEN: token },
          vars: {},
        },
        workspace: workspace(),
        checkout,
        artifacts,
        substitutions: { KUBEGRADE_PACKAGE: pkg, KUBEGRADE_CLUSTER: "kubeconfig", KUBECONFIG: cluster, STUDENT_REPOS_HOST: repos.url, GIT_CONFIG_GLOBAL: "/dev/null" },
      }).then((run) => {
        outputs.push(output(run));
        return run;
      });
    }

    it("is shaped for it: a failed shard cancels no other, the class job needs every shard, each shard its own artifact", function () {
      const shard = workflow.jobs.shard;
      expect(shard.strategy?.["fail-fast"]).to.equal(false);
      expect(shard.strategy?.matrix?.shard).to.deep.equal([1, 2, 3]);
      expect(workflow.jobs.class.needs).to.equal("shard");
      // Reading the artifacts of earlier attempts (after "Re-run failed jobs") takes actions: read, nothing more.
      expect(workflow.permissions).to.deep.equal({ contents: "read", actions: "read" });
      const upload = shard.steps.find((s) => s.uses?.startsWith("actions/upload-artifact@"));
      expect(upload).to.deep.include({ if: "always()" });
      expect(upload?.with).to.deep.include({ name: "kubegrade-shard-${{ matrix.shard }}", overwrite: true });
      // The token only in the one step that clones, and only through env.
      const withToken = shard.steps.filter((s) => JSON.stringify(s).includes("secrets.STUDENT_REPOS_TOKEN"));
      expect(withToken.map((s) => s.name)).to.deep.equal(["Grade the shard"]);
      expect(JSON.stringify(workflow.env)).to.not.include("secrets.");
      for (const j of Object.values(workflow.jobs)) {
        expect(j.steps.find((s) => s.uses?.startsWith("actions/checkout@"))?.with).to.deep.include({ "persist-credentials": false });
      }
    });

    it("three shards (the second failing on a dead cluster, then re-run), then the class job: the same class as one job over the whole roster", async function () {
      // The whole roster in one job: the same workflow with a matrix of one.
      const single = new ArtifactStore(join(root, "artifacts-single"));
      const one = await job("shard", single, 1, { shard: 1, total: 1 });
      expect(one.failed, output(one)).to.equal(false);
      whole = join(single.root, "kubegrade-shard-1");
      expect(step(one, "Grade the shard")?.all).to.contain("(shard 1/1: 6 of 6)");

      const first = await job("shard", artifacts, 1, { shard: 1, total: 3 });
      const broken = await job("shard", artifacts, 1, { shard: 2, total: 3 }, deadKubeconfig);
      const third = await job("shard", artifacts, 1, { shard: 3, total: 3 });
      for (const ok of [first, third]) expect(ok.failed, output(ok)).to.equal(false);
      // A cluster that never answered: exit 3, what the shard did get is kept, and the class job waits.
      expect(broken.failed).to.equal(true);
      expect(step(broken, "Grade the shard")?.exitCode, output(broken)).to.equal(3);
      expect(step(broken, "Keep the shard's results")?.exitCode, output(broken)).to.equal(0);
      const failedRows = gradebookIn(join(artifacts.root, "kubegrade-shard-2"));
      // Not graded: what was waiting for the cluster — alice, and the git URLs (cloned once there is one).
      expect(failedRows.filter((r) => r.infrastructureError !== undefined).map((r) => r.student).sort()).to.deep.equal(["alice", "judy", "mallory"]);

      // "Re-run failed jobs" (attempt 2): shard 2 on a fresh runner, from what it kept; then the
      // class job, with shards 1 and 3 as attempt 1 uploaded them.
      const rerun = await job("shard", artifacts, 2, { shard: 2, total: 3 });
      expect(rerun.failed, output(rerun)).to.equal(false);
      const grading = step(rerun, "Grade the shard")?.all ?? "";
      expect(grading).to.match(/alice: grading /).and.match(/judy: grading /);
      const klass = await job("class", artifacts, 2);
      expect(klass.failed, output(klass)).to.equal(false);
      merged = join(artifacts.root, "kubegrade-class");

      // Each shard graded its own share; together, the roster once.
      const shares = [1, 2, 3].map((i) => gradebookIn(join(artifacts.root, `kubegrade-shard-${i}`)).map((r) => r.student).sort());
      expect(shares).to.deep.equal([1, 2, 3].map((i) => roster.filter((r) => shardOf(r.student, 3) === i).map((r) => r.student).sort()));

      // The same verdicts as the whole roster in one job, and the same class views.
      const rows = gradebookIn(merged);
      expect(verdicts(rows, workspace())).to.deep.equal(verdicts(gradebookIn(whole), workspace()));
      expect(by0(rows).bob.source).to.equal(join(workspace(), "submissions", "bob"));
      const by = by0(rows);
      expect(by.bob).to.include({ score: 100, passed: true });
      expect(by.alice).to.include({ score: 85, passed: false, refused: false });
      expect(by.carol).to.include({ refused: true });
      for (const s of ["dave", "judy"]) expect(by[s], s).to.include({ score: 100, passed: true, refused: false });
      expect(by.mallory).to.include({ refused: true });
      expect(by.mallory.refusal).to.contain("could not be read");
      for (const r of rows) expect(r.infrastructureError, r.student).to.equal(undefined);
      for (const file of ["similarity.csv", "gradebook-lms.csv", "class-summary.md"]) {
        expect(readFileSync(join(merged, file), "utf8"), file).to.equal(readFileSync(join(whole, file), "utf8"));
      }
      // The copies, graded on two runners, are found alike — and nothing else is.
      const pairs = parseCsv(readFileSync(join(merged, "similarity.csv"), "utf8"), "similarity.csv").slice(1).map((r) => r.fields.slice(0, 2));
      expect(pairs).to.deep.equal([["dave", "judy"]]);

      // One artifact with the class's files and every student's reports; its summary on the run's page.
      const files = await filesBelow(merged);
      for (const f of ["gradebook.json", "gradebook.csv", "gradebook.html", "similarity.csv", "gradebook-lms.csv", "class-summary.md", "bob/report.html", "judy/report.json"]) {
        expect(files, f).to.include(f);
      }
      expect(klass.summary).to.equal(readFileSync(join(merged, "class-summary.md"), "utf8"));
      expect(klass.summary).to.contain("| 6 | 4 | 3 | 1 | 2 | 0 |");
    });

    it("private repositories: cloned with the token, which goes to no other host and is never shown", async function () {
      expect(merged, "the three-shard run failed").to.be.a("string");
      // git asked without credentials, was challenged, and came back with the token.
      expect(repos.requests.filter((r) => r.authorized && r.status === 200), JSON.stringify(repos.requests)).to.not.be.empty;
      // The other host challenged too, and never got it.
      expect(elsewhere.requests.map((r) => r.status)).to.include(401);
      expect(elsewhere.requests.filter((r) => r.authorized)).to.deep.equal([]);
      for (const text of outputs) expect(text.includes(token), "a job's log shows the token").to.equal(false);
      for (const dir of [join(root, "artifacts"), join(root, "artifacts-single"), workspace()]) {
        for (const f of (await filesBelow(dir)).filter((f) => !f.startsWith("node_modules/"))) expect(readFileSync(join(dir, f), "utf8").includes(token), `${f} holds the token`).to.equal(false);
      }
      // Nothing a student wrote became a workflow command (annotations, masks, outputs).
      expect(outputs.flatMap((o) => workflowCommands(o))).to.deep.equal([]);
    });

    it("re-running one shard alone and merging again gives the same gradebook", async function () {
      expect(merged, "the three-shard run failed").to.be.a("string");
      const before = await filesBelow(merged).then((files) => Object.fromEntries(files.filter((f) => !f.includes("/")).map((f) => [f, readFileSync(join(merged, f), "utf8")])));
      // "Re-run job" on shard 1 (attempt 3), then the class job it leads to.
      const again = await job("shard", artifacts, 3, { shard: 1, total: 3 });
      expect(again.failed, output(again)).to.equal(false);
      // Both of its students were kept from the earlier attempt, not graded again.
      const summary = step(again, "Grade the shard")?.all ?? "";
      expect(summary).to.match(/^bob .*\(kept from an earlier run\)$/m).and.match(/^dave .*\(kept from an earlier run\)$/m);
      const klass = await job("class", artifacts, 3);
      expect(klass.failed, output(klass)).to.equal(false);
      for (const [file, text] of Object.entries(before)) expect(readFileSync(join(merged, file), "utf8"), file).to.equal(text);
    });
  });

  describe("GitLab: parallel: 3 with --shard env, then the class job", function () {
    it("gives the same verdicts as the whole roster in one job", async function () {
      expect(whole, "the GitHub test's whole-roster job did not run").to.be.a("string");
      const pipeline = parse(await readFile(join(PROJECT_ROOT, "ci/gitlab/kubegrade-class.gitlab-ci.yml"), "utf8")) as Record<string, GitlabJob>;
      const shard = pipeline["kubegrade-shard"];
      expect(shard.parallel).to.equal(3);
      expect(pipeline["kubegrade-class"].needs).to.deep.equal(["kubegrade-shard"]);
      expect(pipeline[".kubegrade-class"].rules?.map((r) => r.if)).to.deep.equal(['$CI_PIPELINE_SOURCE == "web" || $CI_PIPELINE_SOURCE == "schedule"']);
      const projectDir = join(root, "builds", "course");
      const predefined = { CI_SERVER_URL: repos.url, CI_PIPELINE_SOURCE: "web", STUDENT_REPOS_TOKEN: token };
      const substitutions = { DOCKER_HOST: undefined, DOCKER_TLS_CERTDIR: undefined, KUBEGRADE_PACKAGE: pkg, KUBEGRADE_CLUSTER: "kubeconfig", KUBECONFIG: kubeconfig, GIT_CONFIG_GLOBAL: "/dev/null" };
      const needed: string[] = [];
      try {
        for (let index = 1; index <= 3; index++) {
          const job = await runGitlabJob(pipeline, "kubegrade-shard", { projectDir, checkout, node: { index, total: 3 }, predefined, substitutions });
          needed.push(job.artifacts);
          expect(job.exitCode, job.all).to.equal(0);
          expect(job.all).to.contain(`(shard ${index}/3: `);
          expect(job.all.includes(token)).to.equal(false);
        }
        const klass = await runGitlabJob(pipeline, "kubegrade-class", { projectDir, checkout, needed, predefined, substitutions });
        expect(klass.exitCode, klass.all).to.equal(0);
        const out = join(projectDir, "kubegrade-class");
        expect(existsSync(join(klass.artifacts, "kubegrade-class", "gradebook.html"))).to.equal(true);
        expect(verdicts(gradebookIn(out), projectDir)).to.deep.equal(verdicts(gradebookIn(whole), githubWorkspace));
        expect(readFileSync(join(out, "similarity.csv"), "utf8")).to.equal(readFileSync(join(whole, "similarity.csv"), "utf8"));
        // The class summary in the job's log.
        expect(klass.all).to.contain(readFileSync(join(out, "class-summary.md"), "utf8").trim());
      } finally {
        for (const dir of needed) await rm(dir, { recursive: true, force: true });
      }
    });
  });
});
