import { expect } from "chai";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UsageError } from "../../../runner/errors.ts";
import { classroomOutput } from "../../../runner/report/writers/classroom.ts";
import { RENDERERS, parseReportSpecs, writeReports } from "../../../runner/report/writers/index.ts";
import { fixture } from "./support.ts";

function parseError(value: string): Error {
  try {
    parseReportSpecs(value);
  } catch (error) {
    expect(error).to.be.instanceOf(UsageError);
    return error as Error;
  }
  return expect.fail(`"${value}" was accepted`);
}

describe("reporters: --report specs and writing", () => {
  describe("parseReportSpecs", () => {
    it("reads a comma list of FORMAT=PATH, in order", () => {
      expect(parseReportSpecs("json=out.json,junit=out/junit.xml,gradescope=results.json,classroom=PATH,summary=s.md,html=report.html")).to.deep.equal([
        { format: "json", path: "out.json" },
        { format: "junit", path: "out/junit.xml" },
        { format: "gradescope", path: "results.json" },
        { format: "classroom", path: "PATH" },
        { format: "summary", path: "s.md" },
        { format: "html", path: "report.html" },
      ]);
    });

    it("classroom and summary may go without a path; spaces around parts are ignored", () => {
      expect(parseReportSpecs(" classroom , summary , json = a.json ")).to.deep.equal([
        { format: "classroom" },
        { format: "summary" },
        { format: "json", path: "a.json" },
      ]);
      expect(parseReportSpecs("summary=")).to.deep.equal([{ format: "summary" }]);
    });

    it("an unknown format names the bad part and the known formats", () => {
      const message = parseError("json=a.json,xml=b.xml").message;
      expect(message).to.contain('unknown report format "xml" in "xml=b.xml"');
      expect(message).to.contain("known formats: json=PATH, junit=PATH, gradescope=PATH, classroom[=PATH], summary[=PATH], html=PATH");
    });

    it("a format that needs a path says so", () => {
      expect(parseError("junit").message).to.contain('"junit": the junit report needs a path (junit=PATH)');
      expect(parseError("html=").message).to.contain("the html report needs a path");
    });

    it("empty entries and empty values are refused", () => {
      expect(parseError("").message).to.contain("no report given");
      expect(parseError("json=a.json,,html=b.html").message).to.contain('empty entry in "json=a.json,,html=b.html"');
      expect(parseError("json=a.json,").message).to.contain("empty entry");
      expect(parseError("=a.json").message).to.contain('unknown report format "" in "=a.json"');
    });

    it("two reports into one file are refused", () => {
      expect(parseError("json=out/r.json,html=out/./r.json").message).to.contain('out/./r.json is already the path of "json=out/r.json"');
    });
  });

  describe("writeReports", () => {
    let dir: string;
    let cwd: string;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), "kubegrade-reports-"));
      cwd = process.cwd();
    });
    afterEach(() => {
      process.chdir(cwd);
      rmSync(dir, { recursive: true, force: true });
    });

    it("writes every format to its path, creating directories, and returns the paths in order", async () => {
      const report = fixture("failing");
      const specs = parseReportSpecs(
        ["json=a/r.json", "junit=b/c/r.xml", "gradescope=r/results.json", "classroom=g/out.txt", "summary=s/sum.md", "html=h/r.html"].map((s) => s.replace("=", `=${dir}/`)).join(","),
      );
      const written = await writeReports(report, specs, {});
      expect(written).to.deep.equal(specs.map((s) => s.path));
      for (const spec of specs) {
        expect(readFileSync(spec.path ?? "", "utf8"), spec.format).to.equal(RENDERERS[spec.format](report));
      }
      expect(readFileSync(join(dir, "g/out.txt"), "utf8")).to.equal(`result=${classroomOutput(report)}\n`);
    });

    it("summary without a path appends to $GITHUB_STEP_SUMMARY; classroom to $GITHUB_OUTPUT", async () => {
      const summaryFile = join(dir, "step_summary");
      const outputFile = join(dir, "output");
      writeFileSync(summaryFile, "# earlier step\n");
      writeFileSync(outputFile, "other=1"); // no final newline: the result must still start a line
      const report = fixture("passing");
      const written = await writeReports(report, parseReportSpecs("summary,classroom"), { GITHUB_STEP_SUMMARY: summaryFile, GITHUB_OUTPUT: outputFile });
      expect(written).to.deep.equal([summaryFile, outputFile]);
      expect(readFileSync(summaryFile, "utf8")).to.equal(`# earlier step\n${RENDERERS.summary(report)}`);
      expect(readFileSync(outputFile, "utf8")).to.equal(`other=1\nresult=${classroomOutput(report)}\n`);
    });

    it("summary given the $GITHUB_STEP_SUMMARY path explicitly still appends; any other file is replaced", async () => {
      const summaryFile = join(dir, "step_summary");
      writeFileSync(summaryFile, "kept\n");
      const other = join(dir, "other.md");
      writeFileSync(other, "replaced\n");
      const report = fixture("passing");
      await writeReports(report, [{ format: "summary", path: summaryFile }, { format: "summary", path: other }], { GITHUB_STEP_SUMMARY: summaryFile });
      expect(readFileSync(summaryFile, "utf8")).to.equal(`kept\n${RENDERERS.summary(report)}`);
      expect(readFileSync(other, "utf8")).to.equal(RENDERERS.summary(report));
    });

    it("outside GitHub Actions, summary and classroom without a path go to summary.md and classroom-result.txt", async () => {
      process.chdir(dir);
      const written = await writeReports(fixture("refused"), parseReportSpecs("summary,classroom"), {});
      expect(written).to.deep.equal(["summary.md", "classroom-result.txt"]);
      expect(readFileSync(join(dir, "summary.md"), "utf8")).to.contain("🚫 demo: 0/10 points, refused");
      expect(readFileSync(join(dir, "classroom-result.txt"), "utf8")).to.match(/^result=[A-Za-z0-9+/]+=*\n$/);
    });

    it("no specs, no files", async () => {
      process.chdir(dir);
      expect(await writeReports(fixture("passing"), [], {})).to.deep.equal([]);
      expect(existsSync(join(dir, "summary.md"))).to.equal(false);
    });
  });
});
