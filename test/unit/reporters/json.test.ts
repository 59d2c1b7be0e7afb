import { expect } from "chai";
import { toJson } from "../../../runner/report/writers/json.ts";
import type { GradeReport } from "../../../runner/report/model.ts";
import { FIXTURES, checkOf, expectGolden, expectValid, fixture, reportSchemaPath, schemaValidator, withGraderError } from "./support.ts";

describe("reporters: json", () => {
  const validate = schemaValidator(reportSchemaPath);

  for (const name of FIXTURES) {
    it(`fixture ${name} is a valid report (report.schema.json)`, () => {
      expectValid(validate, fixture(name), `fixtures/${name}.json`);
    });

    it(`${name}: writes the report itself, valid against report.schema.json, matching golden/${name}.json`, () => {
      const report = fixture(name);
      const text = toJson(report);
      expect(JSON.parse(text)).to.deep.equal(report);
      expectValid(validate, JSON.parse(text), "the JSON report");
      expect(text.endsWith("}\n")).to.equal(true);
      expectGolden(`${name}.json`, text);
    });
  }

  it("the schema check can fail: wrong status, bad time, unknown field", () => {
    const report = fixture("failing") as unknown as Record<string, unknown> & { checks: Record<string, unknown>[] };
    const badStatus = structuredClone(report);
    (badStatus.checks[0] as Record<string, unknown>).status = "ok";
    expect(validate(badStatus)).to.equal(false);

    const badTime = structuredClone(report);
    badTime.startedAt = "yesterday at noon";
    expect(validate(badTime)).to.equal(false);
    expect(validate.errors?.[0]?.keyword).to.equal("format");

    const extra = structuredClone(report);
    extra.grade = "A";
    expect(validate(extra)).to.equal(false);
  });

  it("keeps evidence (the JSON report is where instructors' detail goes)", () => {
    const parsed = JSON.parse(toJson(withGraderError())) as GradeReport;
    expect(checkOf(parsed, "pod-dns").evidence?.[0]).to.contain("at exec (runner/kube/exec.ts");
    expectValid(validate, parsed, "a report with evidence");
  });
});
