import { expect } from "chai";
import type { GradeReport } from "../../../runner/report/model.ts";
import { inline, toStepSummary } from "../../../runner/report/writers/summary.ts";
import { FIXTURES, HOSTILE, expectGolden, fixture } from "./support.ts";

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
    expect(md.split("\n")[0]).to.equal("## ❌ exercise-8: 2/16 points, not passed");
    const rows = tableRows(md);
    expect(rows[0]).to.deep.equal(["Check", "Status", "Points"]);
    const body = rows.slice(2, -1);
    expect(body).to.have.length(report.checks.length);
    for (const row of rows) expect(row, JSON.stringify(row)).to.have.length(3);
    expect(body[1]).to.deep.equal(["A headless Service governs the StatefulSet's pods (headless-service)", "❌ failed", "0/2"]);
    expect(body[4]?.[1]).to.equal("⚠️ grader error");
    expect(body[5]?.[1]).to.equal("⏭️ not run");
    expect(rows.at(-1)).to.deep.equal(["**Total**", "", "**2/16**"]);
  });

  it("feedback follows for every check that did not pass, and only for those", () => {
    const md = toStepSummary(fixture("failing"));
    const headings = md.split("\n").filter((l) => l.startsWith("#### "));
    expect(headings.map((h) => /\(([a-z0-9-]+)\)/.exec(h)?.[1])).to.deep.equal([
      "headless-service",
      "ordered-creation",
      "per-pod-index",
      "per-pod-dns",
      "partitioned-rollout",
    ]);
    expect(toStepSummary(fixture("passing"))).not.to.contain("### Feedback");
  });

  it("feedback sits in a fence no backtick run inside it can close, verbatim", () => {
    const md = toStepSummary(fixture("failing"));
    expect(md).to.contain(`\`\`\`\`text\nwget -qO- web-1.nginx`);
    expect(md).to.contain(`  found:    ${HOSTILE} & 'Tom | Jerry' \`\`\` \`x\`\n`);
    outsideFences(md); // every fence closes
  });

  it("no student markup reaches Markdown: < > & are entities and | is escaped outside fences", () => {
    for (const name of FIXTURES) {
      const rendered = outsideFences(toStepSummary(fixture(name)));
      expect(rendered, name).not.to.match(/<(?!br>)[a-z/]/i);
    }
    const md = toStepSummary(fixture("failing"));
    expect(md).to.contain('metadata.namespace "&lt;b&gt;team\\|a&lt;/b&gt;" in web.yaml');
    expect(toStepSummary(fixture("refused"))).to.contain("manifests/&lt;script&gt;x.yaml");
  });

  it("| and newlines inside table cells are escaped, keeping one row per line", () => {
    const report: GradeReport = structuredClone(fixture("passing"));
    const check = report.checks[0];
    if (check === undefined) expect.fail("fixture changed");
    check.title = "pipes | inside\nand a second line";
    const md = toStepSummary(report);
    const line = md.split("\n").find((l) => l.includes("pipes"));
    expect(line).to.equal("| pipes \\| inside<br>and a second line (statefulset-spec) | ✅ passed | 2/2 |");
    expect(tableRows(md)[2]).to.have.length(3);
  });

  it("refusals are a table of where, object, field and problem", () => {
    const rows = tableRows(toStepSummary(fixture("refused")));
    expect(rows[0]).to.deep.equal(["Where", "Object", "Field", "Problem"]);
    expect(rows[2]).to.deep.equal([
      "manifests/statefulset.yaml:14:11",
      "StatefulSet demo",
      "spec.template.spec.containers\\[0\\].securityContext.privileged",
      "privileged containers are not allowed; remove securityContext.privileged",
    ]);
    expect(rows[5]?.[3]).to.equal('file is larger than 1 MiB &amp; was not read \\| "quoted" \'single\'');
  });

  it("inline() leaves no Markdown or HTML meaning in text", () => {
    expect(inline("**bold** _x_ [link](http://x) `code` <b>&</b> a|b \\")).to.equal(
      "\\*\\*bold\\*\\* \\_x\\_ \\[link\\](http://x) \\`code\\` &lt;b&gt;&amp;&lt;/b&gt; a\\|b \\\\",
    );
  });
});
