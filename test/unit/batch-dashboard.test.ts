import { expect } from "chai";
import { failureCauses, normaliseFeedback, type StudentFeedback } from "../../runner/batch/causes.ts";
import { lmsCsv, lmsColumn } from "../../runner/batch/class-views.ts";
import { parseCsv } from "../../runner/batch/csv.ts";
import { dashboardHtml, dashboardModel, studentFeedback } from "../../runner/batch/dashboard.ts";
import { emptyGradebook, withRow } from "../../runner/batch/gradebook.ts";
import type { Gradebook, GradebookRow } from "../../runner/batch/gradebook-model.ts";
import { fixture } from "./reporters/support.ts";

const CHECKS = ["headless-service", "ordered-creation", "pod-dns"];

function row(student: string, score: number, overrides: Partial<GradebookRow> = {}): GradebookRow {
  const failed = score < 100;
  return {
    student,
    source: `subs/${student}`,
    score,
    maxScore: 100,
    passed: !failed,
    refused: false,
    checks: { "headless-service": "passed", "ordered-creation": failed ? "failed" : "passed", "pod-dns": failed ? "skipped" : "passed" },
    durationMs: 1000,
    gradedAt: "2026-01-01T00:00:00.000Z",
    ...overrides,
  };
}

function book(rows: GradebookRow[]): Gradebook {
  return rows.reduce(withRow, emptyGradebook("web", "v1", CHECKS));
}

const crash = (ns: string, uid: string, ordinal: number, log: string) =>
  `pod web-${ordinal}: container nginx is CrashLoopBackOff (last exit: Error 1): back-off 10s restarting failed container=nginx pod=web-${ordinal}_${ns}(${uid}). Its last log lines: "${log}". Fix the pod template of StatefulSet web.`;

describe("batch: failure causes", () => {
  it("takes out what differs between students: namespaces, uids, ordinals, durations, quoted logs, IPs, times", () => {
    const a = normaliseFeedback(crash("kg-web-b6a9be", "545aefb1-49de-47c7-9780-304ecb30fdf5", 0, "cannot start"));
    const b = normaliseFeedback(crash("kg-web-0f13c2", "11111111-2222-3333-4444-555555555555", 2, "exec format error"));
    expect(a).to.equal(b);
    expect(a).to.equal(
      'pod web-<n>: container nginx is CrashLoopBackOff (last exit: Error 1): back-off <duration> restarting failed container=nginx pod=web-<n>_<namespace>(<uid>). Its last log lines: "…". Fix the pod template of StatefulSet web.',
    );
    expect(normaliseFeedback("web-1 was created 0.4 s after web-0, before web-0 was Ready (at 2026-12-02T04:23:12.123Z)"))
      .to.equal("web-<n> was created <duration> after web-<n>, before web-<n> was Ready (at <time>)");
    expect(normaliseFeedback("web-0.nginx resolved to 10.244.0.17, expected 10.244.0.9 (fd00::1 too) at 04:23:12"))
      .to.equal("web-<n>.nginx resolved to <ip>, expected <ip> (<ip> too) at <time>");
    expect(normaliseFeedback("pod web-6d4cf56db6-x7k2p of Deployment web", [])).to.equal("pod web-<pod> of Deployment web");
    expect(normaliseFeedback("alice's   claim\nwww-web-1", ["alice"])).to.equal("<name>'s claim www-web-<n>");
  });

  it("keeps apart what is a different mistake: other checks, other objects, other counts", () => {
    expect(normaliseFeedback("StatefulSet web: 2 replicas, expected 3")).to.not.equal(normaliseFeedback("StatefulSet web: 1 replicas, expected 3"));
    expect(normaliseFeedback("Service nginx is not headless")).to.not.equal(normaliseFeedback("StatefulSet web is not headless"));
  });

  it("groups the class's feedback by cause, most frequent first, a student once per cause; 'Not run' lines are no cause", () => {
    const feedback = new Map<string, StudentFeedback>([
      ["alice", { failures: [{ check: "ordered-creation", feedback: [crash("kg-web-aaaaaa", "545aefb1-49de-47c7-9780-304ecb30fdf5", 0, "x")] }], refusals: [] }],
      ["bob", { failures: [{ check: "ordered-creation", feedback: [crash("kg-web-bbbbbb", "11111111-2222-3333-4444-555555555555", 1, "y"), crash("kg-web-bbbbbb", "11111111-2222-3333-4444-555555555555", 2, "y")] }], refusals: [] }],
      ["carol", { failures: [{ check: "headless-service", feedback: ["Service nginx: spec.clusterIP is 10.96.0.12, expected None"] }, { check: "pod-dns", feedback: ["Not run: the pods never all became Ready"] }], refusals: [] }],
      ["dave", { failures: [], refusals: ["Pod evil: spec.hostNetwork: is not allowed"] }],
    ]);
    const causes = failureCauses(feedback);
    expect(causes.map((c) => [c.id, c.check, c.students])).to.deep.equal([
      ["c1", "ordered-creation", ["alice", "bob"]],
      ["c2", "headless-service", ["carol"]],
      ["c3", "refused", ["dave"]],
    ]);
    expect(causes[1].text).to.equal("Service nginx: spec.clusterIP is <ip>, expected None");
  });
});

describe("batch: the class dashboard (model and page)", () => {
  const rows = [
    row("alice", 100),
    row("bob", 85),
    row("carol", 40),
    row("dave", 0, { refused: true, refusal: "hostPath", checks: { "headless-service": "skipped", "ordered-creation": "skipped", "pod-dns": "skipped" } }),
    row("erin", 0, { infrastructureError: "cluster gone", checks: { "headless-service": "error", "ordered-creation": "error", "pod-dns": "error" } }),
    row("<script>", 85),
  ];
  const feedback = new Map<string, StudentFeedback>([
    ["bob", { failures: [{ check: "ordered-creation", feedback: ["web-1 was created 0.0 s after web-0, before web-0 was Ready"] }], refusals: [] }],
    ["carol", { failures: [{ check: "ordered-creation", feedback: ["web-2 was created 0.1 s after web-1, before web-1 was Ready"] }], refusals: [] }],
    ["<script>", { failures: [{ check: "ordered-creation", feedback: ["<img src=x onerror=alert(1)>"] }], refusals: [] }],
    ["zed", { failures: [{ check: "pod-dns", feedback: ["not in the gradebook"] }], refusals: [] }],
  ]);
  const model = dashboardModel({ book: book(rows), feedback, pairs: [{ a: "bob", b: "carol", similarity: 0.9, shared: [{ text: "StatefulSet spec.x: 1", a: "a.yaml:3", b: "b.yaml:7" }] }] });

  it("counts the class: graded, passed, refused, errors, mean of the graded; a histogram of graded scores", () => {
    expect(model).to.include({ students: 6, graded: 4, passed: 1, refused: 1, errors: 1, meanPercent: 77.5 });
    const bins = Object.fromEntries(model.histogram.map((b) => [b.label, b.count]));
    expect(bins).to.deep.include({ "40–49": 1, "80–89": 2, "100": 1, "0–9": 0 });
    expect(model.histogram.reduce((s, b) => s + b.count, 0)).to.equal(4);
  });

  it("every check's pass rate among the graded; causes only of students in the gradebook", () => {
    expect(model.checks.map((c) => [c.id, c.passed, c.failed, c.rate])).to.deep.equal([
      ["headless-service", 4, 0, 1],
      ["ordered-creation", 1, 3, 0.25],
      ["pod-dns", 1, 0, 0.25],
    ]);
    expect(model.causes.map((c) => [c.text, c.students.length])).to.deep.equal([
      ["web-<n> was created <duration> after web-<n>, before web-<n> was Ready", 2],
      ["<img src=x onerror=alert(1)>", 1],
    ]);
    const bob = model.rows.find((r) => r.student === "bob")!;
    expect(bob).to.include({ verdict: "not passed", href: "bob/report.html" });
    expect(bob.failedChecks).to.deep.equal(["ordered-creation"]);
    expect(bob.causes).to.deep.equal(["c1"]);
    expect(model.rows.find((r) => r.student === "erin")!.verdict).to.equal("error");
  });

  it("the page escapes what students wrote, links each report, and reaches nothing outside itself", () => {
    const html = dashboardHtml(model);
    expect(html).to.not.include("<img src=x");
    expect(html).to.include("&lt;img src=x onerror=alert(1)&gt;");
    expect(html).to.include('href="%3Cscript%3E/report.html"');
    expect(html).to.not.match(/<(link|img|iframe)\b|src=["']?http|@import|url\(/i);
    expect(html).to.include("default-src 'none'");
    expect(html.match(/<script>/g)).to.have.length(1);
  });

  it("a report's feedback reduced to what the dashboard needs", () => {
    const report = fixture("failing");
    const f = studentFeedback(report);
    expect(f.failures.map((x) => x.check)).to.deep.equal(report.checks.filter((c) => c.status === "failed" || c.status === "error").map((c) => c.id));
    expect(f.failures.length).to.be.greaterThan(0);
  });
});

describe("batch: the LMS import file", () => {
  it("Canvas's columns and one score column named for the exercise; a refusal scores 0, a grader failure stays empty", () => {
    const text = lmsCsv(book([row("alice", 100), row("=bob", 85), row("dave", 0, { refused: true }), row("erin", 0, { infrastructureError: "x" })]));
    const records = parseCsv(text, "lms.csv").map((r) => r.fields);
    expect(records[0]).to.deep.equal(["Student", "ID", "SIS User ID", "SIS Login ID", "Section", lmsColumn("web")]);
    expect(lmsColumn("web")).to.equal("kubegrade web");
    expect(records.slice(1)).to.deep.equal([
      ["'=bob", "", "'=bob", "'=bob", "", "85"],
      ["alice", "", "alice", "alice", "", "100"],
      ["dave", "", "dave", "dave", "", "0"],
      ["erin", "", "erin", "erin", "", ""],
    ]);
  });
});
