import { expect } from "chai";
import { join } from "node:path";
import { UsageError } from "../../../runner/errors.ts";
import type { GradeReport } from "../../../runner/report/model.ts";
import { classroom50Result, toClassroom50, type Classroom50Result } from "../../../runner/report/writers/classroom50.ts";
import { FIXTURES, HERE, HOSTILE, checkOf, expectGolden, expectValid, fixture, schemaValidator, withGraderError } from "./support.ts";

/** What Classroom 50's runner hands autograder.py (wiki "Advanced Autograding", "Contract"). */
const ENV = {
  CLASSROOM: "k8s-fall-2026",
  ASSIGNMENT: "statefulsets",
  SUBMISSION_TAG: "submit/2026-12-01T10-00-00Z-a1b2c3d",
  COMMIT_URL: "https://github.com/k8s-course/k8s-fall-2026-statefulsets-alice/commit/a1b2c3d",
  RELEASE_URL: "https://github.com/k8s-course/k8s-fall-2026-statefulsets-alice/releases/tag/submit%2F2026-12-01T10-00-00Z-a1b2c3d",
  REVIEW_URL: "https://github.com/k8s-course/k8s-fall-2026-statefulsets-alice/compare/0000000...a1b2c3d",
  OWNER: "alice",
  USERNAME: "alice",
  ASSIGNMENT_TYPE: "individual",
  KUBEGRADE_COMMITTED_AT: "1764583200",
};
const NOW = new Date("2026-12-01T10:05:07.891Z");

/** The cross-field rules of the contract that a JSON Schema cannot state (runner.py validate_result). */
function expectContract(result: Classroom50Result): void {
  expect(result.score).to.be.at.most(result["max-score"]);
  expect(result.score).to.equal(result.tests.reduce((s, t) => s + t.score, 0));
  expect(result["max-score"]).to.equal(result.tests.reduce((s, t) => s + t["max-score"], 0));
  for (const t of result.tests) expect(t.score, t["test-name"]).to.be.at.most(t["max-score"]);
}

describe("reporters: classroom50", () => {
  const validate = schemaValidator(join(HERE, "classroom50-result.schema.json"));

  for (const name of FIXTURES) {
    it(`${name}: satisfies classroom50/result/v1 and matches golden/${name}.classroom50.json`, () => {
      const text = toClassroom50(fixture(name), ENV, NOW);
      const result = JSON.parse(text) as Classroom50Result;
      expectValid(validate, result, "result.json");
      expectContract(result);
      expectGolden(`${name}.classroom50.json`, text);
    });
  }

  it("the contract check can fail: a fractional score, a tag that is not submit/…, milliseconds in datetime", () => {
    const result = classroom50Result(fixture("passing"), ENV, NOW) as unknown as Record<string, unknown>;
    expect(validate({ ...result, score: 2.5 })).to.equal(false);
    expect(validate({ ...result, submission: "v1" })).to.equal(false);
    expect(validate({ ...result, datetime: "2026-12-01T10:00:00.000Z" })).to.equal(false);
    expect(validate({ ...result, tests: [{ "test-name": "x", passed: "yes", score: 0, "max-score": 1 }] })).to.equal(false);
  });

  it("identity and links come from the runner's environment; review falls back to the commit", () => {
    const result = classroom50Result(fixture("passing"), { ...ENV, REVIEW_URL: "" }, NOW);
    expect(result).to.include({
      schema: "classroom50/result/v1",
      classroom: "k8s-fall-2026",
      assignment: "statefulsets",
      owner: "alice",
      assignment_type: "individual",
      submission: ENV.SUBMISSION_TAG,
      commit: ENV.COMMIT_URL,
      release: ENV.RELEASE_URL,
      review: ENV.COMMIT_URL,
    });
  });

  it("datetime is the commit's committer date (epoch or ISO), graded_at now, both to the second in UTC", () => {
    expect(classroom50Result(fixture("passing"), ENV, NOW)).to.include({ datetime: "2025-12-01T10:00:00Z", graded_at: "2026-12-01T10:05:07Z" });
    const iso = classroom50Result(fixture("passing"), { ...ENV, KUBEGRADE_COMMITTED_AT: "2026-11-30T23:59:58+01:00" }, NOW);
    expect(iso.datetime).to.equal("2026-11-30T22:59:58Z");
    const without = classroom50Result(fixture("passing"), { ...ENV, KUBEGRADE_COMMITTED_AT: undefined }, NOW);
    expect(without.datetime).to.equal(`${fixture("passing").startedAt.slice(0, 19)}Z`);
  });

  it("one test per check, named by its title, with kubegrade's points, status and feedback", () => {
    const report = fixture("failing");
    const result = classroom50Result(report, ENV, NOW);
    expect(result.tests.map((t) => t["test-name"])).to.deep.equal(report.checks.map((c) => c.title));
    expect(result.tests.map((t) => [t.check, t.status, t.passed])).to.deep.equal(report.checks.map((c) => [c.id, c.status, c.status === "passed"]));
    expect(result.score).to.equal(25);
    expect(result["max-score"]).to.equal(100);
    expect(result.tests[2]?.message).to.equal(checkOf(report, "ordered-creation").feedback[0]);
    expect(result.tests[2]?.message).to.contain(HOSTILE);
    // A skip's own text says "Not run" and why, once.
    expect(result.tests[3]?.message).to.equal("Not run: the pods never all became Ready (see ordered-creation).");
    const dns = classroom50Result(withGraderError(), ENV, NOW).tests[4];
    expect(dns).to.include({ check: "pod-dns", status: "error", passed: false, score: 0 });
    expect(dns?.message.split("\n")[0]).to.equal("The grader could not run this check (not a problem with your submission):");
  });

  it("a refused submission: a failed 'Submission accepted' test, the checks not run, 0 of the exercise's points", () => {
    const report = fixture("refused");
    const result = classroom50Result(report, ENV, NOW);
    // The checks not run carry the exercise's points: the refusal test is worth what they do not.
    expect(result.tests.map((t) => [t["test-name"], t.passed, t.score, t["max-score"]])).to.deep.equal([
      ["Submission accepted", false, 0, 0],
      ...report.checks.map((c) => [c.title, false, 0, c.maxScore]),
    ]);
    expect(result.tests[0]?.message.split("\n").slice(1)).to.deep.equal([
      "web.yaml:32:9 StatefulSet web spec.template.spec.volumes[0].hostPath: volume host is a hostPath volume (a directory of the node); use a volumeClaimTemplate or emptyDir instead",
      "web.yaml:38:11 StatefulSet web spec.template.spec.containers[0].securityContext.privileged: container nginx is privileged; remove securityContext.privileged",
    ]);
    expect(result.score).to.equal(0);
    expect(result["max-score"]).to.equal(report.maxScore);
    // Without checks listed, the refusal test carries the exercise's points itself.
    const alone = classroom50Result({ ...report, checks: [] }, ENV, NOW);
    expect(alone.tests.map((t) => [t["test-name"], t["max-score"]])).to.deep.equal([["Submission accepted", report.maxScore]]);
  });

  it("a grader failure: every check an error, 0 points, the exercise's maximum kept", () => {
    const report = fixture("infrastructure");
    const result = classroom50Result(report, ENV, NOW);
    expect(result.tests.map((t) => t.status)).to.deep.equal(report.checks.map(() => "error"));
    expect(result.score).to.equal(0);
    expect(result["max-score"]).to.equal(report.maxScore);
  });

  it("fractional points are rounded, never above the test's maximum", () => {
    const report: GradeReport = structuredClone(fixture("passing"));
    report.checks[0] = { ...report.checks[0], score: 2.6, maxScore: 2.6 };
    const test = classroom50Result(report, ENV, NOW).tests[0];
    expect(test).to.include({ score: 3, "max-score": 3 });
  });

  it("outside Classroom 50 (no CLASSROOM, …) it refuses, naming what is missing", () => {
    expect(() => classroom50Result(fixture("passing"), { CLASSROOM: "c" }, NOW)).to.throw(UsageError, /ASSIGNMENT, SUBMISSION_TAG, COMMIT_URL, RELEASE_URL/);
  });
});
