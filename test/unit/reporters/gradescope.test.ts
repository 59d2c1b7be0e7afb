import { expect } from "chai";
import { join } from "node:path";
import { gradescopeResults, toGradescope } from "../../../runner/report/writers/gradescope.ts";
import { FIXTURES, HERE, HOSTILE, expectGolden, expectValid, fixture, schemaValidator } from "./support.ts";

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
    expect(r.score).to.equal(2);
    expect(r.execution_time).to.equal(98);
    expect([r.output_format, r.test_output_format, r.test_name_format]).to.deep.equal(["text", "text", "text"]);
    expect(r.visibility).to.equal("visible");
    expect(r.stdout_visibility).to.equal("hidden");
    expect(r.output).to.contain("2/16 points, not passed");
    expect(r.output).to.contain("this score is not final");
  });

  it("one test per check: title as name, points, passed/failed, feedback as output", () => {
    const report = fixture("failing");
    const r = gradescopeResults(report);
    expect(r.tests.map((t) => t.name)).to.deep.equal(report.checks.map((c) => c.title));
    expect(r.tests.map((t) => t.status)).to.deep.equal(["passed", "failed", "failed", "failed", "failed", "failed"]);
    expect(r.tests.map((t) => [t.score, t.max_score])).to.deep.equal([
      [2, 2],
      [0, 2],
      [0, 3],
      [0, 3],
      [0, 3],
      [0, 3],
    ]);
    const index = r.tests[3];
    expect(index?.output).to.contain(`found:    ${HOSTILE}`);
    expect(index?.output_format).to.equal("text");
    const dns = r.tests[4];
    expect(dns?.output.split("\n")[0]).to.equal("The grader could not run this check; this is not a problem with your submission.");
    expect(dns?.tags).to.deep.equal(["per-pod-dns", "error"]);
    expect(r.tests[5]?.output).to.match(/^Not run:\nNeeds ordered-creation/);
  });

  it("a refused submission is one failed test listing the refusals, score 0", () => {
    const r = gradescopeResults(fixture("refused"));
    expect(r.score).to.equal(0);
    expect(r.tests).to.have.length(1);
    expect(r.tests[0]).to.include({ name: "Submission accepted", status: "failed", score: 0, max_score: 10 });
    expect(r.tests[0]?.output).to.contain("- manifests/broken.yaml:7:3: YAML: bad indentation of a mapping entry");
  });

  it("a grader failure says it is not the student's fault", () => {
    const r = gradescopeResults(fixture("infrastructure"));
    expect(r.output).to.contain("The grader failed: Docker is not running");
    expect(r.tests[0]?.output).to.contain("not a problem with your submission");
  });
});
