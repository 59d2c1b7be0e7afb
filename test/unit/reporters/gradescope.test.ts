import { expect } from "chai";
import { join } from "node:path";
import { gradescopeResults, toGradescope } from "../../../runner/report/writers/gradescope.ts";
import { FIXTURES, HERE, HOSTILE, checkOf, expectGolden, expectValid, fixture, schemaValidator, withGraderError } from "./support.ts";

describe("reporters: gradescope", () => {
  const validate = schemaValidator(join(HERE, "gradescope.schema.json"));

  for (const name of FIXTURES) {
    it(`${name}: valid against gradescope.schema.json and matches golden/${name}.gradescope.json`, () => {
      const text = toGradescope(fixture(name));
      expectValid(validate, JSON.parse(text), "results.json");
      expectGolden(`${name}.gradescope.json`, text);
    });
  }

  it("the schema check can fail: an undocumented field, a status Gradescope does not know", () => {
    const results = gradescopeResults(fixture("failing")) as unknown as Record<string, unknown> & { tests: Record<string, unknown>[] };
    expect(validate({ ...results, grade: "A" })).to.equal(false);
    const badStatus = structuredClone(results);
    (badStatus.tests[0] as Record<string, unknown>).status = "error";
    expect(validate(badStatus)).to.equal(false);
    expect(validate({ output: "no score anywhere" })).to.equal(false);
  });

  it("top-level score, execution time in seconds, and every output declared plain text", () => {
    const r = gradescopeResults(fixture("failing"));
    expect(r.score).to.equal(25);
    expect(r.execution_time).to.equal(Math.round(fixture("failing").durationMs / 1000));
    expect([r.output_format, r.test_output_format, r.test_name_format]).to.deep.equal(["text", "text", "text"]);
    expect(r.visibility).to.equal("visible");
    expect(r.stdout_visibility).to.equal("hidden");
    expect(r.output).to.equal("Web servers with a stable identity: a StatefulSet and its headless Service (web): 25/100 points, not passed.\n2 passed, 1 failed, 0 grader errors, 4 not run.");
    const withError = gradescopeResults(withGraderError());
    expect(withError.output).to.contain("1 grader error, 3 not run");
    expect(withError.output).to.contain("this score is not final");
  });

  it("one test per check: title as name, points, passed/failed, feedback as output; the tests add up to the exercise", () => {
    const report = fixture("failing");
    const r = gradescopeResults(report);
    expect(r.tests.map((t) => t.name)).to.deep.equal(report.checks.map((c) => c.title));
    expect(r.tests.map((t) => t.status)).to.deep.equal(["passed", "passed", "failed", "failed", "failed", "failed", "failed"]);
    expect(r.tests.map((t) => [t.score, t.max_score])).to.deep.equal(report.checks.map((c) => [c.score, c.maxScore]));
    expect(r.tests.reduce((sum, t) => sum + t.max_score, 0)).to.equal(report.maxScore);
    const ordered = r.tests[2];
    expect(ordered?.output).to.equal(checkOf(report, "ordered-creation").feedback[0]);
    expect(ordered?.output).to.contain(HOSTILE);
    expect(ordered?.output_format).to.equal("text");
    expect(ordered?.tags).to.deep.equal(["ordered-creation", "failed"]);
    // A skip says why once: grade()'s text already starts with "Not run".
    expect(r.tests[3]?.output).to.equal("Not run: the pods never all became Ready (see ordered-creation).");
    expect(r.tests[3]?.tags).to.deep.equal(["per-pod-storage", "skipped"]);
    const dns = gradescopeResults(withGraderError()).tests[4];
    expect(dns?.output.split("\n")[0]).to.equal("The grader could not run this check; this is not a problem with your submission.");
    expect(dns?.tags).to.deep.equal(["pod-dns", "error"]);
  });

  it("a refused submission: a failed test listing the refusals, the checks not run, score 0, the tests adding up to the exercise", () => {
    const report = fixture("refused");
    const r = gradescopeResults(report);
    expect(r.score).to.equal(0);
    expect(r.tests.map((t) => t.name)).to.deep.equal(["Submission accepted", ...report.checks.map((c) => c.title)]);
    // The checks carry the exercise's points: the refusal test is worth what they do not.
    expect(r.tests[0]).to.include({ status: "failed", score: 0, max_score: 0 });
    expect(r.tests.reduce((sum, t) => sum + t.max_score, 0)).to.equal(report.maxScore);
    expect(r.tests[0]?.output.split("\n")).to.deep.equal([
      "The submission was refused before grading; nothing was run on a cluster. Fix these and submit again:",
      "- web.yaml:32:9 StatefulSet web spec.template.spec.volumes[0].hostPath: volume host is a hostPath volume (a directory of the node); use a volumeClaimTemplate or emptyDir instead",
      "- web.yaml:38:11 StatefulSet web spec.template.spec.containers[0].securityContext.privileged: container nginx is privileged; remove securityContext.privileged",
    ]);
    expect(r.tests.slice(1).map((t) => t.output)).to.deep.equal(report.checks.map(() => "Not run: the submission was refused before grading."));
    // A refusal with no checks listed carries the exercise's points itself.
    expect(gradescopeResults({ ...report, checks: [] }).tests[0]?.max_score).to.equal(report.maxScore);
  });

  it("a grader failure says it is not the student's fault, in the summary and in every check", () => {
    const report = fixture("infrastructure");
    const r = gradescopeResults(report);
    expect(r.output).to.contain(`The grader failed: ${report.infrastructureError}`);
    expect(r.output).to.contain("This score is not final");
    expect(r.tests[0]).to.include({ name: "Grader", max_score: 0 });
    expect(r.tests[0]?.output).to.contain("not a problem with your submission");
    expect(r.tests.slice(1).map((t) => t.output.split("\n")[0])).to.deep.equal(report.checks.map(() => "The grader could not run this check; this is not a problem with your submission."));
    expect(r.tests.reduce((sum, t) => sum + t.max_score, 0)).to.equal(report.maxScore);
  });
});
