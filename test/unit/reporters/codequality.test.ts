import { expect } from "chai";
import type { GradeReport } from "../../../runner/report/model.ts";
import { codeQualityIssues, toCodeQuality } from "../../../runner/report/writers/codequality.ts";
import { FIXTURES, expectGolden, fixture } from "./support.ts";

const SEVERITIES = ["info", "minor", "major", "critical", "blocker"];

/** The fields GitLab's "Code Quality report format" documents, each with its type. */
function expectCodeQuality(issues: unknown): void {
  expect(issues).to.be.an("array");
  for (const issue of issues as Record<string, unknown>[]) {
    expect(issue.description).to.be.a("string").and.not.equal("");
    expect(issue.check_name).to.be.a("string").and.not.equal("");
    expect(issue.fingerprint).to.match(/^[0-9a-f]{64}$/);
    expect(SEVERITIES).to.include(issue.severity);
    const location = issue.location as { path: unknown; lines: { begin: unknown } };
    expect(location.path).to.be.a("string").and.not.match(/^\//);
    expect(location.lines.begin).to.be.a("number").and.to.be.at.least(1);
  }
  const prints = (issues as { fingerprint: string }[]).map((i) => i.fingerprint);
  expect(new Set(prints).size, "fingerprints are unique").to.equal(prints.length);
}

describe("reporters: codequality (GitLab)", () => {
  for (const name of FIXTURES) {
    it(`${name}: the documented fields, unique fingerprints, matching golden/${name}.codequality.json`, () => {
      const text = toCodeQuality(fixture(name));
      expectCodeQuality(JSON.parse(text));
      expectGolden(`${name}.codequality.json`, text);
    });
  }

  it("failed checks with a place are major findings on the student's lines; nothing else from checks", () => {
    const issues = codeQualityIssues(fixture("failing"));
    expect(issues.map((i) => [i.check_name, i.location.path, i.location.lines.begin, i.severity])).to.deep.equal([
      ["kubegrade/headless-service", "manifests/service.yaml", 6, "major"],
      ["kubegrade/ordered-creation", "manifests/statefulset.yaml", 8, "major"],
    ]);
    expect(issues[0]?.description).to.match(/^A headless Service governs the StatefulSet's pods: Service web: spec.clusterIP is "10.43.0.12"/);
  });

  it("refusals are blockers at their place; passing and grader failures have none", () => {
    const issues = codeQualityIssues(fixture("refused"));
    expect(issues).to.have.length(fixture("refused").refusals.length);
    expect(issues[0]).to.deep.include({ severity: "blocker", check_name: "kubegrade/submission-refused", location: { path: "manifests/statefulset.yaml", lines: { begin: 14 } } });
    expect(codeQualityIssues(fixture("passing"))).to.deep.equal([]);
    expect(codeQualityIssues(fixture("infrastructure"))).to.deep.equal([]);
  });

  it("a fingerprint survives the finding moving to another line, and differs between fields", () => {
    const moved: GradeReport = structuredClone(fixture("failing"));
    const service = moved.objects?.[0];
    if (!service) expect.fail("fixture changed");
    service.fields["spec.clusterIP"] = 30;
    const before = codeQualityIssues(fixture("failing"))[0];
    const after = codeQualityIssues(moved)[0];
    expect(after?.location.lines.begin).to.equal(30);
    expect(after?.fingerprint).to.equal(before?.fingerprint);
    expect(codeQualityIssues(fixture("failing"))[1]?.fingerprint).not.to.equal(before?.fingerprint);
  });
});
