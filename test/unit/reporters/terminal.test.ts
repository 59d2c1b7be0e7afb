import { expect } from "chai";
import type { GradeReport } from "../../../runner/report/model.ts";
import { TERMINAL_WIDTH, displayWidth, renderTable, truncate, wrap } from "../../../runner/report/terminal.ts";
import { colourEnabled } from "../../../runner/util/colour.ts";
import { FIXTURES, HOSTILE, checkOf, expectGolden, fixture, withGraderError } from "./support.ts";

const ANSI = /\x1b\[[0-9;]*m/g;
const strip = (s: string) => s.replace(ANSI, "");

/** A report built to break the layout: long titles, unbreakable words, wide characters, escapes. */
function stress(): GradeReport {
  const report: GradeReport = fixture("failing");
  // Feedback is printed for checks that did not pass: ordered-creation failed, the next two were skipped.
  const [a, b, c, d] = ["headless-service", "ordered-creation", "per-pod-storage", "pod-dns"].map((id) => checkOf(report, id));
  if (!a || !b || !c || !d) expect.fail("fixture changed");
  a.title = "A".repeat(200);
  b.feedback = [`x${"y".repeat(300)}z and then some words`, "\tTabbed\tfeedback\twith a very long line that needs wrapping because it goes on and on and on"];
  c.title = "日本語のタイトルはとても長いので切り詰める必要があります日本語のタイトルはとても長いので";
  c.feedback = ["全角の説明文が続きます。".repeat(12), "emoji 🚀🚀🚀 ".repeat(15)];
  d.feedback = ["escape \x1b[2J\x1b[31mred\x1b[0m and bell \x07 and \x1b]0;title\x07 osc"];
  report.exerciseTitle = `${"Very long exercise title ".repeat(6)}end`;
  report.submission = `https://example.edu/${"deep/".repeat(30)}repo.git`;
  return report;
}

const seconds = (report: GradeReport) => `${(report.durationMs / 1000).toFixed(1)} s`;

describe("reporters: terminal table", () => {
  for (const name of FIXTURES) {
    it(`${name}: matches golden/${name}.terminal.txt`, () => {
      expectGolden(`${name}.terminal.txt`, renderTable(fixture(name), { colour: false }));
    });
  }

  for (const colour of [false, true]) {
    it(`every line is at most ${TERMINAL_WIDTH} columns (colour ${colour ? "on" : "off"}), also for long titles, unbreakable words and wide characters`, () => {
      for (const report of [...FIXTURES.map(fixture), stress()]) {
        for (const line of renderTable(report, { colour }).split("\n")) {
          expect(displayWidth(strip(line)), JSON.stringify(strip(line))).to.be.at.most(TERMINAL_WIDTH);
        }
      }
    });
  }

  it("nothing is lost when wrapping: every word of the feedback is printed", () => {
    const text = renderTable(stress(), { colour: false });
    expect(text.replace(/\s+/g, "")).to.contain(`x${"y".repeat(300)}z`);
    expect(text).to.contain("        Tabbed feedback with a very long line"); // a leading tab indents; a reflowed line is single-spaced
  });

  it("a status symbol and points per check, feedback for those that did not pass, then the total", () => {
    const report = fixture("failing");
    const lines = renderTable(report, { colour: false }).trimEnd().split("\n");
    expect(lines[2]).to.equal("  ✓ A headless Service governs the StatefulSet's pods (headless-service)   10/10");
    expect(lines[3]).to.equal("  ✓ The StatefulSet is specified as the exercise asks (statefulset-spec)   15/15");
    expect(lines[4]).to.equal("  ✗ Pods are created in order, each after the previous… (ordered-creation)  0/15");
    expect(lines[5]).to.equal("      pod web-0: container nginx is CrashLoopBackOff (last exit: Error 1):");
    // A skip's own text says "Not run" and why: printed once, under its line.
    const skipped = lines.findIndex((l) => l.startsWith("  -"));
    expect(lines[skipped]).to.equal("  - Each pod has its own persistent volume (per-pod-storage)                0/15");
    expect(lines[skipped + 1]).to.equal("      Not run: the pods never all became Ready (see ordered-creation).");
    expect(lines.filter((l) => l.startsWith("  -"))).to.have.length(4);
    expect(lines.at(-1)).to.equal(`Total: 25/100 points, not passed (${seconds(report)})`);
    const error = renderTable(withGraderError(), { colour: false }).split("\n");
    const at = error.findIndex((l) => l.startsWith("  !"));
    expect(error[at]).to.equal("  ! Each pod is reachable by its own stable DNS name (pod-dns)              0/15");
    expect(error[at + 1]).to.equal("      grader error, not a problem with the submission:");
    const passing = renderTable(fixture("passing"), { colour: false });
    expect(passing.split("\n").filter((l) => l.startsWith("      "))).to.deep.equal([]);
    expect(passing.trimEnd().split("\n").at(-1)).to.equal(`Total: 100/100 points, passed (${seconds(fixture("passing"))})`);
  });

  it("long titles are cut with … and keep the check id", () => {
    const line = renderTable(fixture("passing"), { colour: false })
      .split("\n")
      .find((l) => l.includes("(stable-identity)"));
    expect(line).to.equal("  ✓ Pods keep their names and hostnames when they are r… (stable-identity) 15/15");
    expect(truncate("abcdef", 4)).to.equal("abc…");
    expect(truncate("abcd", 4)).to.equal("abcd");
  });

  it("aligned feedback stays aligned; student markup is printed as text", () => {
    const text = renderTable(fixture("failing"), { colour: false });
    expect(text.replace(/\n {6}/g, " ")).to.contain(`Its last log lines: "${HOSTILE}". Fix the pod template of StatefulSet web`);
    // Feedback of several lines, as a course's own check may write it: the indentation is kept.
    const aligned = fixture("failing");
    checkOf(aligned, "ordered-creation").feedback = ["wget -qO- web-1.nginx returned a page that does not name the pod:\n  expected: web-1\n  found:    " + HOSTILE];
    const alignedText = renderTable(aligned, { colour: false });
    expect(alignedText).to.contain("        expected: web-1\n");
    expect(alignedText).to.contain(`        found:    ${HOSTILE}\n`);
  });

  it("escape sequences and control characters from the report never reach the terminal", () => {
    const text = renderTable(stress(), { colour: false });
    expect(text).not.to.contain("\x1b");
    expect(text).not.to.contain("\x07");
    expect(text).to.contain("escape red and bell  and  osc");
  });

  it("a refused submission lists its refusals, then the checks not run", () => {
    const report = fixture("refused");
    const text = renderTable(report, { colour: false });
    expect(text).to.contain("✗ Submission refused before grading; nothing ran on a cluster:\n");
    expect(text).to.contain(
      "  - web.yaml:38:11 StatefulSet web\n    spec.template.spec.containers[0].securityContext.privileged: container nginx\n    is privileged; remove securityContext.privileged\n",
    );
    expect(text.split("\n").filter((l) => l.startsWith("  - ") && l.endsWith(" 0/15"))).to.have.length(6);
    expect(text.trimEnd().split("\n").at(-1)).to.equal(`Total: 0/100 points, refused (${seconds(report)})`);
  });

  it("a grader failure: every check a grader error, the total says so", () => {
    const report = fixture("infrastructure");
    const lines = renderTable(report, { colour: false }).trimEnd().split("\n");
    expect(lines.filter((l) => l.startsWith("  ! "))).to.have.length(report.checks.length);
    expect(lines.at(-1)).to.equal(`Total: 0/100 points, grader error (${seconds(report)})`);
  });

  it("colour off: no escape codes at all; colour on: the same text, coloured", () => {
    for (const name of FIXTURES) {
      const plain = renderTable(fixture(name), { colour: false });
      const coloured = renderTable(fixture(name), { colour: true });
      expect(plain).not.to.contain("\x1b");
      expect(coloured).to.match(ANSI);
      expect(strip(coloured)).to.equal(plain);
    }
    const coloured = renderTable(fixture("failing"), { colour: true });
    expect(coloured).to.contain("\x1b[32m✓\x1b[39m");
    expect(coloured).to.contain("\x1b[31m✗\x1b[39m");
  });

  it("colourEnabled honours NO_COLOR, then FORCE_COLOR, then TERM=dumb, a terminal or CI", () => {
    expect(colourEnabled({}, true)).to.equal(true);
    expect(colourEnabled({}, false)).to.equal(false);
    expect(colourEnabled({ NO_COLOR: "1" }, true)).to.equal(false);
    expect(colourEnabled({ NO_COLOR: "1", FORCE_COLOR: "1" }, true)).to.equal(false);
    expect(colourEnabled({ NO_COLOR: "" }, true)).to.equal(true);
    expect(colourEnabled({ FORCE_COLOR: "1" }, false)).to.equal(true);
    expect(colourEnabled({ FORCE_COLOR: "0" }, true)).to.equal(true);
    expect(colourEnabled({ FORCE_COLOR: "0" }, false)).to.equal(false);
    expect(colourEnabled({ TERM: "dumb" }, true)).to.equal(false);
    expect(colourEnabled({ CI: "true" }, false)).to.equal(true);
  });

  it("wrap and displayWidth: wide characters count twice, words split only when longer than a line", () => {
    expect(displayWidth("日本")).to.equal(4);
    expect(displayWidth("a🚀b")).to.equal(4);
    expect(displayWidth("\x1b[31mred\x1b[39m")).to.equal(3);
    expect(wrap("aaa bbb ccc", 7, "", "")).to.deep.equal(["aaa bbb", "ccc"]);
    expect(wrap("abcdefghij", 4, "", "")).to.deep.equal(["abcd", "efgh", "ij"]);
    expect(wrap("日本語日本語", 5, "", "")).to.deep.equal(["日本", "語日", "本語"]);
  });
});
