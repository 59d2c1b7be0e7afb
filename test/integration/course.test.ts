/**
 * A course directory, as an instructor uses it, through the command line: the test course
 * (test/course) verified — own-names's http check with body ^{pod}\s*$ passing where each pod
 * serves its own name and failing where all serve one word, a fixture pinning only
 * `fails: [serves-own-name]` —; a misspelled id in an expected.yaml named before any grade; new
 * exercises made from web and from the minimal template, graded and verified.
 */
import { expect } from "chai";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
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

  it("exercise verify passes on the test course: declarative checks (placeholders in their expectations) and a check module, each failing where its fixtures say", async function () {
    const run = await cli(["exercise", "verify", "--exercises", join(PROJECT_ROOT, "test/course"), "--no-reuse"], env);
    expect(run.exitCode, String(run.all)).to.equal(0);
    for (const line of [
      "✓ welcome-page/not-mounted", "✓ welcome-page/port-8080", "✓ welcome-page/wrong-text", "✓ pod-name-env/no-env", "✓ pod-name-env/fixed-value",
      // body ^{pod}\s*$: passes where each pod serves its own name, fails where they all serve "hello" (pinned by fails: alone).
      "✓ own-names/reference  exit 0 expected, passed 100/100", "✓ own-names/same-word  exit 1 expected, not passed",
    ]) {
      expect(String(run.stdout)).to.include(line);
    }
    expect(String(run.stdout)).to.include("9/9 fixture(s) got exactly their verdicts");
  });

  it("a misspelled check id in an expected.yaml says which the exercise has, before any fixture is graded (exit 1)", async function () {
    const course = join(tmp, "typo");
    await cp(join(PROJECT_ROOT, "test/course/own-names"), join(course, "own-names"), { recursive: true });
    const expected = join(course, "own-names/fixtures/same-word/expected.yaml");
    await writeFile(expected, (await readFile(expected, "utf8")).replace("fails: [serves-own-name]", "fails: [serves-own-nam]"));
    const run = await cli(["exercise", "verify", "own-names", "--exercises", course, "--no-reuse"], env);
    expect(run.exitCode, String(run.all)).to.equal(1);
    expect(String(run.stdout)).to.include(
      "✗ own-names: same-word/expected.yaml: `fails` names serves-own-nam, which the exercise does not check (did you mean serves-own-name?)",
    );
    expect(String(run.all)).to.not.include("Verifying own-names"); // refused before any grade
  });

  it("kubegrade explain own-names lists each check's parameters with type and value", async function () {
    const run = await cli(["explain", "own-names", "--exercises", join(PROJECT_ROOT, "test/course")]);
    expect(run.exitCode, String(run.all)).to.equal(0);
    expect(String(run.stdout)).to.include("  statefulset: names\n      a Kubernetes name; required\n");
    expect(String(run.stdout)).to.include("port: {port: 80}\n");
    expect(String(run.stdout)).to.include("{port: whole number 1–65535, name?: text, named?: true or false}; required");
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

  it("exercise new (the minimal template) writes the course's kubegrade.yaml; verify from the course directory, without --exercises, exits 0", async function () {
    const course = join(tmp, "template");
    const made = await cli(["exercise", "new", "first", "--dir", course]);
    expect(made.exitCode, String(made.all)).to.equal(0);
    expect(String(made.stdout)).to.include(`Wrote ${join(course, "kubegrade.yaml")}`);
    // The scaffold's broken fixture pins what it knows: headless-service fails, two-replicas passes, the rest free.
    expect(await readFile(join(course, "first/fixtures/no-service/expected.yaml"), "utf8")).to.match(/fails:\n {2}- headless-service\npasses:\n {2}- two-replicas\n/);
    const verified = await cli(["exercise", "verify", "first", "--no-reuse"], env, { cwd: join(course, "first") });
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
