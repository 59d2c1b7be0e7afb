/**
 * A course directory, as an instructor uses it, through the command line: the test course
 * (test/course) verified; a new exercise made from web, graded and verified.
 */
import { expect } from "chai";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PROJECT_ROOT } from "../../runner/config.ts";
import { sharedCluster } from "./hooks.ts";
import { cli } from "./support.ts";

describe("course directories", function () {
  let tmp: string;
  let env: Record<string, string>;
  before(async function () {
    tmp = await mkdtemp(join(tmpdir(), "kubegrade-course-"));
    await writeFile(join(tmp, "kubeconfig"), sharedCluster().kubeConfigYaml, { mode: 0o600 });
    env = { KUBEGRADE_CLUSTER: "kubeconfig", KUBECONFIG: join(tmp, "kubeconfig") };
  });
  after(async function () {
    await rm(tmp, { recursive: true, force: true });
  });

  it("exercise verify passes on the test course: declarative checks and a check module, each failing where its fixtures say", async function () {
    const run = await cli(["exercise", "verify", "--exercises", join(PROJECT_ROOT, "test/course"), "--no-reuse"], env);
    expect(run.exitCode, String(run.all)).to.equal(0);
    for (const line of ["✓ welcome-page/not-mounted", "✓ welcome-page/port-8080", "✓ welcome-page/wrong-text", "✓ pod-name-env/no-env", "✓ pod-name-env/fixed-value"]) {
      expect(String(run.stdout)).to.include(line);
    }
    expect(String(run.stdout)).to.include("7/7 fixture(s) got exactly their verdicts");
  });

  it("exercise new demo2 --from web: graded 100 with web's reference, and verify exits 0", async function () {
    const course = join(tmp, "course");
    const made = await cli(["exercise", "new", "demo2", "--from", "web", "--dir", course]);
    expect(made.exitCode, String(made.all)).to.equal(0);
    const graded = await cli(["grade", "demo2", join(PROJECT_ROOT, "fixtures/web/reference/submission"), "--exercises", course], env);
    expect(graded.exitCode, String(graded.all)).to.equal(0);
    expect(String(graded.stdout)).to.include("Total: 100/100 points, passed");
    const verified = await cli(["exercise", "verify", "demo2", "--exercises", course, "--no-reuse"], env);
    expect(verified.exitCode, String(verified.all)).to.equal(0);
    expect(String(verified.stdout)).to.include("2/2 fixture(s) got exactly their verdicts");
  });

  it("a course exercise with a built-in's id is refused, naming both (exit 2)", async function () {
    const course = join(tmp, "clash");
    await cli(["exercise", "new", "clash-src", "--dir", course]);
    const { rename } = await import("node:fs/promises");
    await rename(join(course, "clash-src"), join(course, "web"));
    const listed = await cli(["list", "--exercises", course]);
    expect(listed.exitCode).to.equal(2);
    expect(String(listed.stderr)).to.include("has the id of kubegrade's built-in exercise web");
  });
});
