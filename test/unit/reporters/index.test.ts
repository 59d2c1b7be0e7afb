import { expect } from "chai";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UsageError } from "../../../runner/errors.ts";
import { RENDERERS, parseReportSpecs, writeReports, type RenderContext } from "../../../runner/report/writers/index.ts";

const NOW = new Date("2026-12-01T10:05:07Z");
const CONTEXT: RenderContext = { env: {}, now: NOW };
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
      expect(parseReportSpecs("json=out.json,junit=out/junit.xml,gradescope=results.json,classroom50=result.json,annotations=a.txt,codequality=cq.json,summary=s.md,html=report.html")).to.deep.equal([
        { format: "json", path: "out.json" },
        { format: "junit", path: "out/junit.xml" },
        { format: "gradescope", path: "results.json" },
        { format: "classroom50", path: "result.json" },
        { format: "annotations", path: "a.txt" },
        { format: "codequality", path: "cq.json" },
        { format: "summary", path: "s.md" },
        { format: "html", path: "report.html" },
      ]);
    });

    it("summary may go without a path; spaces around parts are ignored", () => {
      expect(parseReportSpecs(" summary , json = a.json ")).to.deep.equal([
        { format: "summary" },
        { format: "json", path: "a.json" },
      ]);
      expect(parseReportSpecs("summary=")).to.deep.equal([{ format: "summary" }]);
    });

    it("an unknown format names the bad part and the known formats", () => {
      const message = parseError("json=a.json,xml=b.xml").message;
      expect(message).to.contain('unknown report format "xml" in "xml=b.xml"');
      expect(message).to.contain("known formats: json=PATH, junit=PATH, gradescope=PATH, classroom50=PATH, annotations=PATH, codequality=PATH, summary[=PATH], html=PATH");
    });

    it("a format that needs a path says so", () => {
      expect(parseError("junit").message).to.contain('"junit": the junit report needs a path (junit=PATH)');
      expect(parseError("html=").message).to.contain("the html report needs a path");
      expect(parseError("classroom50").message).to.contain("the classroom50 report needs a path");
      expect(parseError("classroom=x").message).to.contain('unknown report format "classroom"');
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
      const env = { CLASSROOM: "c", ASSIGNMENT: "a", SUBMISSION_TAG: "submit/x", COMMIT_URL: "https://c", RELEASE_URL: "https://r" };
      const specs = parseReportSpecs(
        ["json=a/r.json", "junit=b/c/r.xml", "gradescope=r/results.json", "classroom50=c/result.json", "annotations=g/a.txt", "codequality=q/cq.json", "summary=s/sum.md", "html=h/r.html"]
          .map((s) => s.replace("=", `=${dir}/`))
          .join(","),
      );
      const written = await writeReports(report, specs, env, NOW);
      expect(written).to.deep.equal(specs.map((s) => s.path));
      for (const spec of specs) {
        expect(readFileSync(spec.path ?? "", "utf8"), spec.format).to.equal(RENDERERS[spec.format](report, { env, now: NOW }));
      }
      expect(readdirSync(join(dir, "c")), "no temporary file is left beside a report").to.deep.equal(["result.json"]);
    });

    it("a format that cannot be written stops every report before the first file is written", async () => {
      const specs = parseReportSpecs(`json=${dir}/r.json,classroom50=${dir}/result.json`);
      let error: unknown;
      await writeReports(fixture("passing"), specs, {}, NOW).catch((e: unknown) => (error = e));
      expect(error).to.be.instanceOf(UsageError);
      expect(readdirSync(dir)).to.deep.equal([]);
    });

    it("a report replaces the file whole", async () => {
      const path = join(dir, "r.json");
      writeFileSync(path, "x".repeat(100_000));
      await writeReports(fixture("passing"), [{ format: "json", path }], {}, NOW);
      expect(readFileSync(path, "utf8")).to.equal(RENDERERS.json(fixture("passing"), CONTEXT));
    });

    it("summary without a path appends to $GITHUB_STEP_SUMMARY, starting a line of its own", async () => {
      const summaryFile = join(dir, "step_summary");
      writeFileSync(summaryFile, "# earlier step"); // no final newline: the summary must still start a line
      const report = fixture("passing");
      const written = await writeReports(report, parseReportSpecs("summary"), { GITHUB_STEP_SUMMARY: summaryFile });
      expect(written).to.deep.equal([summaryFile]);
      expect(readFileSync(summaryFile, "utf8")).to.equal(`# earlier step\n${RENDERERS.summary(report, CONTEXT)}`);
    });

    it("summary given the $GITHUB_STEP_SUMMARY path explicitly still appends; any other file is replaced", async () => {
      const summaryFile = join(dir, "step_summary");
      writeFileSync(summaryFile, "kept\n");
      const other = join(dir, "other.md");
      writeFileSync(other, "replaced\n");
      const report = fixture("passing");
      await writeReports(report, [{ format: "summary", path: summaryFile }, { format: "summary", path: other }], { GITHUB_STEP_SUMMARY: summaryFile });
      expect(readFileSync(summaryFile, "utf8")).to.equal(`kept\n${RENDERERS.summary(report, CONTEXT)}`);
      expect(readFileSync(other, "utf8")).to.equal(RENDERERS.summary(report, CONTEXT));
    });

    it("outside GitHub Actions, summary without a path goes to summary.md", async () => {
      process.chdir(dir);
      const written = await writeReports(fixture("refused"), parseReportSpecs("summary"), {});
      expect(written).to.deep.equal(["summary.md"]);
      expect(readFileSync(join(dir, "summary.md"), "utf8")).to.contain("## 🚫 web: 0/100 points, refused");
    });

    it("no specs, no files", async () => {
      process.chdir(dir);
      expect(await writeReports(fixture("passing"), [], {})).to.deep.equal([]);
      expect(existsSync(join(dir, "summary.md"))).to.equal(false);
    });
  });
});
