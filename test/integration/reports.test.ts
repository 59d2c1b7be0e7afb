/**
 * The command line end to end on the shared cluster: a passing and a failing submission,
 * one of them from a git repository, graded with every report format at once; exit codes,
 * the files written, and the commit recorded.
 */
import { expect } from "chai";
import { execa } from "execa";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PROJECT_ROOT } from "../../runner/config.ts";
import { sharedCluster } from "./hooks.ts";
import { cli } from "./support.ts";

const FORMATS = ["json", "junit", "gradescope", "html", "summary", "codequality", "annotations"] as const;


describe("grade command with every report format", function () {
  let root: string;
  let env: Record<string, string>;

  before(async function () {
    root = await mkdtemp(join(tmpdir(), "kubegrade-reports-"));
    const kubeconfig = join(root, "kubeconfig");
    await writeFile(kubeconfig, sharedCluster().kubeConfigYaml, { mode: 0o600 });
    env = { KUBEGRADE_CLUSTER: "kubeconfig", KUBECONFIG: kubeconfig, CI: "true", NO_COLOR: "1" };
  });
  after(async function () {
    await rm(root, { recursive: true, force: true });
  });

  const reportOption = (dir: string) =>
    FORMATS.map((f) => `${f}=${join(dir, { json: "report.json", junit: "junit.xml", gradescope: "results.json", html: "report.html", summary: "summary.md", codequality: "codequality.json", annotations: "annotations.txt" }[f])}`).join(",");

  it("the reference solution: exit 0, every file written, full marks everywhere", async function () {
    const out = join(root, "pass");
    const result = await cli(["grade", "web", join(PROJECT_ROOT, "fixtures/web/reference/submission"), "--report", reportOption(out)], env);
    expect(result.exitCode, String(result.all)).to.equal(0);
    expect(String(result.stdout)).to.include("Total: 100/100 points, passed");
    const report = JSON.parse(await readFile(join(out, "report.json"), "utf8")) as { score: number; cluster: { provider: string } };
    expect(report.score).to.equal(100);
    expect(report.cluster.provider).to.equal("kubeconfig");
    const gradescope = JSON.parse(await readFile(join(out, "results.json"), "utf8")) as { score: number; tests: unknown[] };
    expect(gradescope.score).to.equal(100);
    expect(gradescope.tests).to.have.length(7);
    expect(await readFile(join(out, "junit.xml"), "utf8")).to.match(/failures="0"/);
    expect(await readFile(join(out, "report.html"), "utf8")).to.include("<svg");
    expect(await readFile(join(out, "summary.md"), "utf8")).to.include("100");
    expect(JSON.parse(await readFile(join(out, "codequality.json"), "utf8"))).to.deep.equal([]);
    expect(await readFile(join(out, "annotations.txt"), "utf8")).to.equal("");
  });

  it("a failing submission from a git repository (#ref): exit 1, the commit recorded, the failure in every format", async function () {
    const repo = join(root, "repo");
    await cp(join(PROJECT_ROOT, "fixtures/web/two-replicas/submission"), repo, { recursive: true });
    const git = (args: string[]) => execa("git", ["-C", repo, ...args], { env: { GIT_CONFIG_NOSYSTEM: "1" } });
    await git(["init", "-q", "-b", "main"]);
    await git(["add", "."]);
    await git(["-c", "user.email=student@example.invalid", "-c", "user.name=student", "commit", "-qm", "my StatefulSet"]);
    const commit = (await git(["rev-parse", "HEAD"])).stdout.trim();

    const out = join(root, "fail");
    const result = await cli(["grade", "web", `file://${repo}#main`, "--report", reportOption(out)], env);
    expect(result.exitCode, String(result.all)).to.equal(1);
    const report = JSON.parse(await readFile(join(out, "report.json"), "utf8")) as { score: number; commit: string; submission: string };
    expect(report.score).to.equal(85);
    expect(report.commit).to.equal(commit);
    expect(report.submission).to.equal(`file://${repo}#main`);
    expect(await readFile(join(out, "junit.xml"), "utf8")).to.include("spec.replicas: 2");
    expect(await readFile(join(out, "summary.md"), "utf8")).to.include("spec.replicas: 2");
    expect(await readFile(join(out, "report.html"), "utf8")).to.include("spec.replicas: 2");
    const gradescope = JSON.parse(await readFile(join(out, "results.json"), "utf8")) as { score: number };
    expect(gradescope.score).to.equal(85);
    expect(await readFile(join(out, "codequality.json"), "utf8")).to.include("spec.replicas: 2");
    expect(await readFile(join(out, "annotations.txt"), "utf8")).to.match(/^::error file=web\.yaml,line=21,/m);
    for (const f of ["report.json", "junit.xml", "results.json", "report.html", "summary.md", "codequality.json", "annotations.txt"]) {
      expect(existsSync(join(out, f)), f).to.equal(true);
    }
  });
});
