/**
 * kubegrade batch on the shared cluster: a class of three (the reference solution, a
 * submission with two replicas, a hostile one) graded two at a time, each in its own
 * namespace; the gradebook, each student's reports, the same result as a grade alone,
 * and a second run that grades nothing again.
 */
import { expect } from "chai";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runBatch, type BatchResult } from "../../runner/batch/batch.ts";
import { parseCsv } from "../../runner/batch/csv.ts";
import { readGradebook } from "../../runner/batch/gradebook.ts";
import { PROJECT_ROOT } from "../../runner/config.ts";
import { grade } from "../../runner/grade/index.ts";
import type { GradeReport } from "../../runner/report/model.ts";
import { createProgress } from "../../runner/util/progress.ts";
import { sharedCluster } from "./hooks.ts";

const CLASS = [
  { student: "reference", source: join(PROJECT_ROOT, "fixtures/web/reference/submission") },
  { student: "two-replicas", source: join(PROJECT_ROOT, "fixtures/web/two-replicas/submission") },
  { student: "hostile", source: join(PROJECT_ROOT, "fixtures/hostile/privileged-hostpath/submission") },
];

function studentReport(out: string, student: string): GradeReport {
  return JSON.parse(readFileSync(join(out, student, "report.json"), "utf8")) as GradeReport;
}

describe("batch: a class of three on one cluster", function () {
  const progress = createProgress({ env: { ...process.env, CI: "true" } });
  let out: string;
  let first: BatchResult;

  before(() => {
    out = mkdtempSync(join(tmpdir(), "kubegrade-batch-"));
  });
  after(() => rmSync(out, { recursive: true, force: true }));

  it("grades them two at a time into a gradebook: reference 100/100 passed, two-replicas 85/100 not passed, hostile refused", async function () {
    first = await runBatch({
      exercise: "web",
      submissions: CLASS,
      out,
      jobs: 2,
      cluster: sharedCluster(),
      reports: [{ format: "junit", path: "junit.xml" }],
      progress,
    });
    const summary = JSON.stringify(first.outcomes.map((o) => o.row), null, 2);
    expect(first.exitCode, summary).to.equal(0);
    expect(first.jobs?.jobs).to.equal(2);
    expect(first.outcomes.map((o) => [o.student, o.skipped])).to.deep.equal([["reference", false], ["two-replicas", false], ["hostile", false]]);

    const book = await readGradebook(out);
    const rows = Object.fromEntries((book?.rows ?? []).map((r) => [r.student, r]));
    expect(rows.reference, summary).to.include({ score: 100, maxScore: 100, passed: true, refused: false });
    expect(rows["two-replicas"], summary).to.include({ score: 85, maxScore: 100, passed: false, refused: false });
    expect(rows["two-replicas"].checks["statefulset-spec"]).to.equal("failed");
    expect(rows.hostile, summary).to.include({ score: 0, passed: false, refused: true });
    expect(rows.hostile.refusal).to.contain("hostNetwork");
    const refusals = studentReport(out, "hostile").refusals.map((r) => `${r.field ?? ""} ${r.object ?? ""} ${r.message}`).join("\n");
    for (const hostile of ["securityContext.privileged", "hostPath", "hostPID", "ClusterRoleBinding"]) expect(refusals).to.contain(hostile);
    for (const row of Object.values(rows)) expect(row.infrastructureError, row.student).to.equal(undefined);

    // The CSV: one line per student, one column per check.
    const csv = parseCsv(readFileSync(join(out, "gradebook.csv"), "utf8"), "gradebook.csv").map((r) => r.fields);
    const header = csv[0];
    const line = (student: string) => Object.fromEntries(header.map((h, i) => [h, csv.find((r) => r[0] === student)?.[i]]));
    expect(csv).to.have.length(4);
    expect(line("reference")).to.include({ score: "100", max: "100", passed: "true", refused: "false", "pod-dns": "passed" });
    expect(line("two-replicas")).to.include({ score: "85", passed: "false", "statefulset-spec": "failed", "ordered-creation": "passed" });
    expect(line("hostile")).to.include({ refused: "true", "headless-service": "skipped" });

    // Each student's own reports; the hostile one never reached the cluster.
    for (const { student } of CLASS) {
      expect(existsSync(join(out, student, "report.json")), `${student}/report.json`).to.equal(true);
      expect(existsSync(join(out, student, "junit.xml")), `${student}/junit.xml`).to.equal(true);
    }
    expect(studentReport(out, "hostile").cluster).to.equal(null);

    // Two at a time: the two grades that reached the cluster ran side by side.
    const [a, b] = ["reference", "two-replicas"].map((s) => studentReport(out, s)).map((r) => {
      const start = Date.parse(r.startedAt);
      return { start, end: start + r.durationMs };
    });
    expect(a.start < b.end && b.start < a.end, "the two grades overlapped in time").to.equal(true);
  });

  it("grades the reference to the same result as a grade of it alone", async function () {
    const alone = await grade({ exercise: "web", submission: CLASS[0].source, cluster: sharedCluster(), progress: createProgress({ quiet: true }) });
    const inBatch = studentReport(out, "reference");
    const verdicts = (r: GradeReport) => r.checks.map((c) => `${c.id}=${c.status}`);
    expect(verdicts(inBatch)).to.deep.equal(verdicts(alone));
    expect([inBatch.score, inBatch.passed]).to.deep.equal([alone.score, alone.passed]);
  });

  it("run again, it skips all three and keeps their grades", async function () {
    expect(first, "the first run failed").to.not.equal(undefined);
    const before = readFileSync(join(out, "gradebook.json"), "utf8");
    const started = performance.now();
    const again = await runBatch({ exercise: "web", submissions: CLASS, out, jobs: 2, cluster: sharedCluster(), progress });
    expect(again.outcomes.map((o) => [o.student, o.skipped])).to.deep.equal([["reference", true], ["two-replicas", true], ["hostile", true]]);
    expect(again.exitCode).to.equal(0);
    expect(again.jobs, "no grade was started").to.equal(undefined);
    expect(readFileSync(join(out, "gradebook.json"), "utf8")).to.equal(before);
    expect(performance.now() - started).to.be.lessThan(10_000);
  });
});
