import { expect } from "chai";
import type { GradeReport } from "../../../runner/report/model.ts";
import { TERMINAL_WIDTH, displayWidth, renderTable, truncate, wrap } from "../../../runner/report/terminal.ts";
import { colourEnabled } from "../../../runner/util/colour.ts";
import { FIXTURES, HOSTILE, expectGolden, fixture } from "./support.ts";

const ANSI = /\x1b\[[0-9;]*m/g;
const strip = (s: string) => s.replace(ANSI, "");

/** A report built to break the layout: long titles, unbreakable words, wide characters, escapes. */
function stress(): GradeReport {
  const report: GradeReport = structuredClone(fixture("failing"));
  const [a, b, c, d] = report.checks;
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
    const lines = renderTable(fixture("failing"), { colour: false }).trimEnd().split("\n");
    expect(lines[2]).to.equal("  ✓ The StatefulSet is specified as the exercise asks (statefulset-spec)     2/2");
    expect(lines[3]).to.equal("  ✗ A headless Service governs the StatefulSet's pods (headless-service)     0/2");
    expect(lines[4]).to.equal('      Service web: spec.clusterIP is "10.43.0.12", expected "None" (a headless');
    expect(lines.find((l) => l.startsWith("  !"))).to.match(/^ {2}! Each pod resolves by its own DNS name \(per-pod-dns\) +0\/3$/);
    expect(lines.find((l) => l.startsWith("  -"))).to.match(/\(partitioned-rollout\) 0\/3$/);
    expect(lines.at(-1)).to.equal("Total: 2/16 points, not passed (97.8 s)");
    const passing = renderTable(fixture("passing"), { colour: false });
    expect(passing.split("\n").filter((l) => l.startsWith("      "))).to.deep.equal([]);
  });

  it("long titles are cut with … and keep the check id", () => {
    const line = renderTable(fixture("failing"), { colour: false })
      .split("\n")
      .find((l) => l.includes("(ordered-creation)"));
    expect(line).to.equal("  ✗ Pods are created in order, each one only after the p… (ordered-creation) 0/3");
    expect(truncate("abcdef", 4)).to.equal("abc…");
    expect(truncate("abcd", 4)).to.equal("abcd");
  });

  it("aligned feedback stays aligned; student markup is printed as text", () => {
    const text = renderTable(fixture("failing"), { colour: false });
    expect(text).to.contain("        expected: web-1\n");
    expect(text).to.contain(`        found:    ${HOSTILE} & 'Tom | Jerry'`);
  });

  it("escape sequences and control characters from the report never reach the terminal", () => {
    const text = renderTable(stress(), { colour: false });
    expect(text).not.to.contain("\x1b");
    expect(text).not.to.contain("\x07");
    expect(text).to.contain("escape red and bell  and  osc");
  });

  it("a refused submission lists its refusals", () => {
    const text = renderTable(fixture("refused"), { colour: false });
    expect(text).to.contain("✗ Submission refused before grading; nothing ran on a cluster:\n");
    expect(text).to.contain("  - manifests/broken.yaml:7:3: YAML: bad indentation of a mapping entry\n");
    expect(text.trimEnd().split("\n").at(-1)).to.equal("Total: 0/10 points, refused (0.1 s)");
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
