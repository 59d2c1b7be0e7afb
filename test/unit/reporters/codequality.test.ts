import { expect } from "chai";
import { codeQualityIssues, toCodeQuality } from "../../../runner/report/writers/codequality.ts";
import { FIXTURES, HOSTILE, expectGolden, fixture, withFieldFailure, withGraderError } from "./support.ts";

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
    expect(issues.map((i) => [i.check_name, i.location.path, i.location.lines.begin, i.severity])).to.deep.equal([["kubegrade/ordered-creation", "web.yaml", 15, "major"]]);
    expect(issues[0]?.description).to.match(/^Pods are created in order, each after the previous one is Ready: pod web-0: container nginx is CrashLoopBackOff/);
    expect(issues[0]?.description).to.contain(HOSTILE); // JSON, shown as text by GitLab
    // A failure naming a field is on that field's line; a grader error is no finding.
    expect(codeQualityIssues(withFieldFailure()).map((i) => [i.check_name, i.location.lines.begin])).to.deep.equal([
      ["kubegrade/statefulset-spec", 21],
      ["kubegrade/ordered-creation", 15],
    ]);
    expect(codeQualityIssues(withGraderError()).map((i) => i.check_name)).to.deep.equal(["kubegrade/ordered-creation"]);
  });

  it("refusals are blockers at their place; passing and grader failures have none", () => {
    const report = fixture("refused");
    const issues = codeQualityIssues(report);
    expect(issues.map((i) => [i.severity, i.check_name, i.location.path, i.location.lines.begin])).to.deep.equal(
      report.refusals.map((r) => ["blocker", "kubegrade/submission-refused", r.file, r.line]),
    );
    expect(issues.map((i) => i.location.lines.begin)).to.deep.equal([32, 38]);
    expect(issues[1]?.description).to.equal("Submission refused: StatefulSet web spec.template.spec.containers[0].securityContext.privileged: container nginx is privileged; remove securityContext.privileged");
    expect(codeQualityIssues(fixture("passing"))).to.deep.equal([]);
    expect(codeQualityIssues(fixture("infrastructure"))).to.deep.equal([]);
  });

  it("a fingerprint survives the finding moving to another line, and differs between findings", () => {
    const moved = withFieldFailure();
    const statefulset = moved.objects?.find((o) => o.kind === "StatefulSet");
    if (!statefulset) expect.fail("the failing fixture has no StatefulSet in objects");
    statefulset.fields["spec.replicas"] = 30;
    const [before, other] = codeQualityIssues(withFieldFailure());
    const after = codeQualityIssues(moved)[0];
    expect(after?.location.lines.begin).to.equal(30);
    expect(after?.fingerprint).to.equal(before?.fingerprint);
    expect(other?.fingerprint).not.to.equal(before?.fingerprint);
  });
});
