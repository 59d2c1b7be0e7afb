import { expect } from "chai";
import type { StudentFeedback } from "../../runner/batch/causes.ts";
import { classSummaryMarkdown } from "../../runner/batch/class-summary.ts";
import { dashboardModel } from "../../runner/batch/dashboard.ts";
import { emptyGradebook, withRow } from "../../runner/batch/gradebook.ts";
import type { GradebookRow } from "../../runner/batch/gradebook-model.ts";
import type { SimilarPair } from "../../runner/batch/similarity.ts";

const CHECKS = ["headless-service", "ordered-creation"];

function row(student: string, score: number, overrides: Partial<GradebookRow> = {}): GradebookRow {
  const passed = score === 100;
  return {
    student,
    source: `subs/${student}`,
    score,
    maxScore: 100,
    passed,
    refused: false,
    checks: { "headless-service": "passed", "ordered-creation": passed ? "passed" : "failed" },
    durationMs: 1234,
    gradedAt: "2026-01-01T00:00:00.000Z",
    ...overrides,
  };
}

const ROWS = [
  row("alice", 100),
  row("bob", 85),
  row("carol|<b>x</b>", 85),
  row("dave", 0, { refused: true, refusal: "hostPath", checks: { "headless-service": "skipped", "ordered-creation": "skipped" } }),
  row("erin", 0, { infrastructureError: "cluster gone", checks: { "headless-service": "error", "ordered-creation": "error" } }),
];

const FEEDBACK = new Map<string, StudentFeedback>([
  ["bob", { failures: [{ check: "ordered-creation", feedback: ["web-1 was created 0.4 s after web-0, before web-0 was Ready"] }], refusals: [] }],
  ["carol|<b>x</b>", { failures: [{ check: "ordered-creation", feedback: ["web-2 was created 1 s after web-1, before web-1 was Ready"] }], refusals: [] }],
  ["dave", { failures: [], refusals: ["StatefulSet web: spec.template.spec.volumes[0].hostPath: **not** allowed | [x](http://evil)"] }],
]);

const PAIR: SimilarPair = { a: "bob", b: "carol|<b>x</b>", similarity: 0.875, shared: Array.from({ length: 7 }, (_, i) => ({ text: `line ${i}`, a: "web.yaml:1", b: "web.yaml:2" })) };

function summary(rows: GradebookRow[] = ROWS, pairs: SimilarPair[] = [PAIR]): string {
  const book = rows.reduce(withRow, emptyGradebook("web", "v1", CHECKS));
  return classSummaryMarkdown(dashboardModel({ book, feedback: FEEDBACK, pairs }));
}

describe("batch: the class summary (class-summary.md)", () => {
  it("the class's figures, each check's pass rate, the causes, the pairs and every student", () => {
    const md = summary();
    expect(md).to.match(/^## kubegrade web: the class\n/);
    expect(md).to.contain("| 5 | 3 | 1 | 2 | 1 | 1 | 90% |");
    expect(md).to.contain("| `headless-service` | 100% | 3 | 0 | 0 | 0 |");
    expect(md).to.contain("| `ordered-creation` | 33% | 1 | 2 | 0 | 0 |");
    // Two students' feedback is one cause once what differs between them is taken out.
    expect(md).to.match(/\| 2 \| `ordered-creation` \| web-&lt;n&gt; was created &lt;duration&gt; after web-&lt;n&gt;, before web-&lt;n&gt; was Ready \|/);
    expect(md).to.contain("| bob | carol\\|&lt;b&gt;x&lt;/b&gt; | 88% | 7 |");
    expect(md).to.contain("| alice | 100/100 | ✅ passed |  |");
    expect(md).to.contain("| bob | 85/100 | ❌ not passed | `ordered-creation` |");
    expect(md).to.contain("| dave | – | 🚫 refused |  |");
    expect(md).to.contain("| erin | – | ⚠️ grader error |  |");
    expect(md).to.contain("1 submission(s) were not graded because the grader or the cluster failed");
  });

  it("a student's or a manifest's text cannot add HTML, links, emphasis or table cells", () => {
    const md = summary();
    expect(md).to.not.contain("<b>");
    expect(md).to.contain("\\[x\\](http://evil)");
    expect(md).to.not.match(/[^\\]\]\(http/);
    expect(md).to.not.match(/[^\\]\*\*not\*\*/);
    // Every table line has the number of cells of its header.
    const tables = md.split("\n\n").filter((block) => block.startsWith("|"));
    for (const table of tables) {
      const lines = table.split("\n");
      const cells = (line: string) => line.replace(/\\\|/g, "").split("|").length;
      for (const line of lines) expect(cells(line), line).to.equal(cells(lines[0]));
    }
  });

  it("holds no time or duration: the same verdicts graded again give the same summary", () => {
    const again = ROWS.map((r) => ({ ...r, durationMs: r.durationMs * 3, gradedAt: "2026-02-02T10:00:00.000Z" }));
    expect(summary(again)).to.equal(summary());
  });

  it("no pair, no error: says so, without the warning", () => {
    const md = summary(ROWS.filter((r) => r.student !== "erin"), []);
    expect(md).to.contain("### Similar submissions\n\nNone.");
    expect(md).to.not.contain("were not graded");
  });
});
