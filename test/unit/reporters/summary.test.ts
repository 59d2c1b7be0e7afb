import { expect } from "chai";
import type { GradeReport } from "../../../runner/report/model.ts";
import { inline, toStepSummary } from "../../../runner/report/writers/summary.ts";
import { FIXTURES, HOSTILE, checkOf, expectGolden, fixture, withGraderError } from "./support.ts";

/** The Markdown outside code fences: what GitHub renders as Markdown and HTML. */
function outsideFences(md: string): string {
  const out: string[] = [];
  let fence: string | undefined;
  for (const line of md.split("\n")) {
    const open = /^(`{3,})/.exec(line)?.[1];
    if (fence === undefined && open !== undefined) fence = open;
    else if (fence !== undefined && line === fence) fence = undefined;
    else if (fence === undefined) out.push(line);
  }
  expect(fence, "a code fence is never closed").to.equal(undefined);
  return out.join("\n");
}

/** Table rows: lines starting with "| "; cells split on unescaped pipes. */
function tableRows(md: string): string[][] {
  return outsideFences(md)
    .split("\n")
    .filter((l) => l.startsWith("| "))
    .map((l) => l.slice(2, -2).split(/(?<!\\)\|/).map((c) => c.trim()));
}

describe("reporters: summary (GitHub step summary)", () => {
  for (const name of FIXTURES) {
    it(`${name}: matches golden/${name}.summary.md`, () => {
      expectGolden(`${name}.summary.md`, toStepSummary(fixture(name)));
    });
  }

  it("a heading with exercise and score, then check | status | points for every check, then the total", () => {
    const report = fixture("failing");
    const md = toStepSummary(report);
    expect(md.split("\n")[0]).to.equal("## ❌ web: 25/100 points, not passed");
    const rows = tableRows(md);
    expect(rows[0]).to.deep.equal(["Check", "Status", "Points"]);
    const body = rows.slice(2, -1);
    expect(body).to.have.length(report.checks.length);
    for (const row of rows) expect(row, JSON.stringify(row)).to.have.length(3);
    expect(body[0]).to.deep.equal(["A headless Service governs the StatefulSet's pods (headless-service)", "✅ passed", "10/10"]);
    expect(body[2]).to.deep.equal(["Pods are created in order, each after the previous one is Ready (ordered-creation)", "❌ failed", "0/15"]);
    expect(body.slice(3).map((r) => r[1])).to.deep.equal(["⏭️ not run", "⏭️ not run", "⏭️ not run", "⏭️ not run"]);
    expect(rows.at(-1)).to.deep.equal(["**Total**", "", "**25/100**"]);
    expect(tableRows(toStepSummary(withGraderError())).slice(2, -1)[4]?.[1]).to.equal("⚠️ grader error");
  });

  it("feedback follows for every check that did not pass, and only for those", () => {
    const md = toStepSummary(fixture("failing"));
    const headings = md.split("\n").filter((l) => l.startsWith("#### "));
    expect(headings.map((h) => /\(([a-z0-9-]+)\)/.exec(h)?.[1])).to.deep.equal(["ordered-creation", "per-pod-storage", "pod-dns", "stable-identity", "data-persistence"]);
    // A skip's own text says "Not run" and why: no second heading over it.
    expect(md).to.contain("#### ⏭️ Each pod is reachable by its own stable DNS name (pod-dns): not run\n\n```text\nNot run: the pods never all became Ready (see ordered-creation).\n```");
    expect(md).not.to.contain("Not run because");
    expect(toStepSummary(fixture("passing"))).not.to.contain("### Feedback");
  });

  it("feedback sits in a fence no backtick run inside it can close, verbatim", () => {
    const md = toStepSummary(fixture("failing"));
    expect(md).to.contain(`\`\`\`text\npod web-0: container nginx is CrashLoopBackOff`);
    expect(md).to.contain(`Its last log lines: "${HOSTILE}".`);
    // A log line with backticks in it (a container can print anything): a longer fence.
    const fence = fixture("failing");
    const check = checkOf(fence, "ordered-creation");
    check.feedback = check.feedback.map((f) => f.replace(HOSTILE, `${HOSTILE} \`\`\` \`x\``));
    const fenced = toStepSummary(fence);
    expect(fenced).to.contain(`\`\`\`\`text\npod web-0: container nginx is CrashLoopBackOff`);
    expect(fenced).to.contain(`Its last log lines: "${HOSTILE} \`\`\` \`x\`".`);
    outsideFences(fenced); // every fence closes
  });

  it("no student markup reaches Markdown: < > & are entities and | is escaped outside fences", () => {
    for (const name of FIXTURES) {
      const rendered = outsideFences(toStepSummary(fixture(name)));
      expect(rendered, name).not.to.match(/<(?!br>)[a-z/]/i);
    }
    // Outside fences, student text is a submission label (a git URL as typed) and file names.
    const report = fixture("refused");
    report.submission = "https://git.example.edu/alice/lab|8.git#<b>main</b>&x";
    for (const r of report.refusals) r.file = "<b>web</b>.yaml";
    const md = toStepSummary(report);
    expect(outsideFences(md)).not.to.match(/<(?!br>)[a-z/]/i);
    expect(md).to.contain("submission https://git.example.edu/alice/lab\\|8.git\\#&lt;b&gt;main&lt;/b&gt;&amp;x · took");
    expect(tableRows(md)[2]?.[0]).to.equal("&lt;b&gt;web&lt;/b&gt;.yaml:32:9");
  });

  it("| and newlines inside table cells are escaped, keeping one row per line", () => {
    const report: GradeReport = fixture("passing");
    const check = checkOf(report, "headless-service");
    check.title = "pipes | inside\nand a second line";
    const md = toStepSummary(report);
    const line = md.split("\n").find((l) => l.includes("pipes"));
    expect(line).to.equal("| pipes \\| inside<br>and a second line (headless-service) | ✅ passed | 10/10 |");
    expect(tableRows(md)[2]).to.have.length(3);
  });

  it("refusals are a table of where, object, field and problem", () => {
    const rows = tableRows(toStepSummary(fixture("refused")));
    expect(rows[0]).to.deep.equal(["Where", "Object", "Field", "Problem"]);
    expect(rows.slice(2, 4)).to.deep.equal([
      ["web.yaml:32:9", "StatefulSet web", "spec.template.spec.volumes\\[0\\].hostPath", "volume host is a hostPath volume (a directory of the node); use a volumeClaimTemplate or emptyDir instead"],
      ["web.yaml:38:11", "StatefulSet web", "spec.template.spec.containers\\[0\\].securityContext.privileged", "container nginx is privileged; remove securityContext.privileged"],
    ]);
  });

  it("inline() leaves no Markdown or HTML meaning in text", () => {
    expect(inline("**bold** _x_ [link](http://x) `code` <b>&</b> a|b \\")).to.equal(
      "\\*\\*bold\\*\\* \\_x\\_ \\[link\\](http://x) \\`code\\` &lt;b&gt;&amp;&lt;/b&gt; a\\|b \\\\",
    );
  });
});
