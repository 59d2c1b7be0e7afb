import { expect } from "chai";
import { join } from "node:path";
import { UsageError } from "../../../runner/errors.ts";
import type { GradeReport } from "../../../runner/report/model.ts";
import { classroom50Result, toClassroom50, type Classroom50Result } from "../../../runner/report/writers/classroom50.ts";
import { FIXTURES, HERE, HOSTILE, expectGolden, expectValid, fixture, schemaValidator } from "./support.ts";

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
    expect(result.tests.map((t) => t.passed)).to.deep.equal([true, false, false, false, false, false]);
    expect(result.score).to.equal(2);
    expect(result["max-score"]).to.equal(16);
    expect(result.tests[3]?.message).to.contain(`found:    ${HOSTILE}`);
    expect(result.tests[4]).to.include({ check: "per-pod-dns", status: "error" });
    expect(result.tests[4]?.message.split("\n")[0]).to.equal("The grader could not run this check (not a problem with your submission):");
  });

  it("a refused submission: a failed 'Submission accepted' test, the checks not run, 0 of the exercise's points", () => {
    const result = classroom50Result(fixture("refused"), ENV, NOW);
    expect(result.tests[0]).to.include({ "test-name": "Submission accepted", passed: false, score: 0 });
    const withChecks: GradeReport = structuredClone(fixture("refused"));
    withChecks.checks = [{ id: "statefulset-spec", title: "The StatefulSet", status: "skipped", score: 0, maxScore: 10, feedback: ["Not run: the submission was refused before grading."], durationMs: 0 }];
    const both = classroom50Result(withChecks, ENV, NOW);
    expect(both.tests.map((t) => [t["test-name"], t["max-score"]])).to.deep.equal([["Submission accepted", 0], ["The StatefulSet", 10]]);
    expect(both["max-score"]).to.equal(10);
    expect(result.tests[0]?.message).to.contain("manifests/statefulset.yaml:14:11");
    expect(result.score).to.equal(0);
    expect(result["max-score"]).to.equal(fixture("refused").maxScore);
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
