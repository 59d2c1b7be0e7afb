import { expect } from "chai";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { GradeReport } from "../../../runner/report/model.ts";
import { classroomOutput, classroomResult, writeClassroom } from "../../../runner/report/writers/classroom.ts";
import { FIXTURES, HERE, HOSTILE, expectGolden, expectValid, fixture, schemaValidator } from "./support.ts";

function decode(base64: string): unknown {
  return JSON.parse(Buffer.from(base64, "base64").toString("utf8"));
}

describe("reporters: classroom", () => {
  const validate = schemaValidator(join(HERE, "classroom.schema.json"));

  for (const name of FIXTURES) {
    it(`${name}: has the shape the grading reporter reads and matches golden/${name}.classroom.json`, () => {
      const result = classroomResult(fixture(name));
      expectValid(validate, result, "the classroom result");
      expectGolden(`${name}.classroom.json`, `${JSON.stringify(result, null, 2)}\n`);
    });

    it(`${name}: the output is one line of base64 that decodes to the result`, () => {
      const out = classroomOutput(fixture(name));
      expect(out).to.match(/^[A-Za-z0-9+/]+=*$/);
      expect(decode(out)).to.deep.equal(classroomResult(fixture(name)));
    });
  }

  it("the shape check can fail", () => {
    expect(validate({ version: 1, status: "passed", max_score: 1, tests: [{ name: "x", status: "pass", score: 1, message: "" }] })).to.equal(false);
    expect(validate({ version: 1, status: "pass", max_score: 1, tests: [{ name: "x", status: "pass", message: "" }] })).to.equal(false);
  });

  it("points: max_score is the exercise's, test scores add up to the report's score", () => {
    for (const name of FIXTURES) {
      const report = fixture(name);
      const result = classroomResult(report);
      expect(result.max_score).to.equal(report.maxScore);
      expect(result.tests.reduce((sum, t) => sum + t.score, 0)).to.equal(report.score);
    }
  });

  it("status: pass when passed, fail when not, error when the grader failed anywhere", () => {
    expect(classroomResult(fixture("passing")).status).to.equal("pass");
    expect(classroomResult(fixture("failing")).status).to.equal("error");
    const withoutError: GradeReport = structuredClone(fixture("failing"));
    withoutError.checks = withoutError.checks.filter((c) => c.status !== "error");
    expect(classroomResult(withoutError).status).to.equal("fail");
    expect(classroomResult(fixture("refused")).status).to.equal("fail");
    expect(classroomResult(fixture("infrastructure")).status).to.equal("error");
  });

  it("tests: check titles, pass/fail/error per check, feedback as message, duration in ms", () => {
    const result = classroomResult(fixture("failing"));
    expect(result.tests.map((t) => t.status)).to.deep.equal(["pass", "fail", "fail", "fail", "error", "fail"]);
    expect(result.tests[0]).to.include({ name: "The StatefulSet is specified as the exercise asks", score: 2, message: "" });
    expect(result.tests[3]?.message).to.contain(`found:    ${HOSTILE}`);
    expect(result.tests[4]?.message.split("\n")[0]).to.equal("The grader could not run this check (not a problem with your submission):");
    expect(result.tests[4]?.duration).to.equal(60020);
    expect(result.tests[5]?.message).to.match(/^Not run:\n/);
  });

  it("a refused submission is one failing test 'submission' pointing at the first refusal", () => {
    const result = classroomResult(fixture("refused"));
    expect(result.tests).to.have.length(1);
    expect(result.tests[0]).to.include({ name: "submission", status: "fail", score: 0, filename: "manifests/statefulset.yaml", line_no: 14 });
    expect(result.tests[0]?.message.split("\n")).to.have.length(5);
  });

  describe("writeClassroom", () => {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), "kubegrade-classroom-"));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it("without a path, appends result=<base64> to $GITHUB_OUTPUT, keeping what was there", async () => {
      const out = join(dir, "github_output");
      writeFileSync(out, "earlier=1\n");
      const written = await writeClassroom(fixture("passing"), undefined, { GITHUB_OUTPUT: out });
      expect(written).to.equal(out);
      const lines = readFileSync(out, "utf8").split("\n");
      expect(lines[0]).to.equal("earlier=1");
      expect(lines[1]).to.equal(`result=${classroomOutput(fixture("passing"))}`);
      expect(decode((lines[1] ?? "").slice("result=".length))).to.deep.equal(classroomResult(fixture("passing")));
    });

    it("without a path or $GITHUB_OUTPUT, writes classroom-result.txt in the working directory", async () => {
      const cwd = process.cwd();
      process.chdir(dir);
      try {
        const written = await writeClassroom(fixture("failing"), undefined, { GITHUB_OUTPUT: "" });
        expect(written).to.equal("classroom-result.txt");
        expect(readFileSync(join(dir, "classroom-result.txt"), "utf8")).to.equal(`result=${classroomOutput(fixture("failing"))}\n`);
      } finally {
        process.chdir(cwd);
      }
    });

    it("with a path, replaces that file (creating its directory)", async () => {
      const path = join(dir, "out", "classroom.txt");
      await writeClassroom(fixture("failing"), path, {});
      await writeClassroom(fixture("passing"), path, {});
      expect(readFileSync(path, "utf8")).to.equal(`result=${classroomOutput(fixture("passing"))}\n`);
    });
  });
});
