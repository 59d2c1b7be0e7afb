/**
 * What `kubegrade watch` prints first after each grade: the changes since the previous one
 * (runner/report/diff.ts), on the reporters' real grades of `web` (passing: every check
 * passed; failing: ordered-creation failed, four checks skipped for it, two passed).
 */
import { expect } from "chai";
import { diffReports, renderChanges, standingLine } from "../../runner/report/diff.ts";
import { displayWidth, TERMINAL_WIDTH } from "../../runner/report/terminal.ts";
import { HOSTILE, checkOf, fixture } from "./reporters/support.ts";

const plain = (lines: string[]) => lines.join("\n");

describe("watch: what changed between two grades", function () {
  it("from passing to failing: the checks that turned, their points, and the score's move", function () {
    const changes = diffReports(fixture("passing"), fixture("failing"));
    expect(changes.before).to.deep.equal({ score: 100, maxScore: 100, passed: true });
    expect(changes.after).to.deep.equal({ score: 25, maxScore: 100, passed: false });
    expect(changes.changed.map((c) => [c.id, c.before, c.after, c.points])).to.deep.equal([
      ["ordered-creation", "passed", "failed", -15],
      ["per-pod-storage", "passed", "skipped", -15],
      ["pod-dns", "passed", "skipped", -15],
      ["stable-identity", "passed", "skipped", -15],
      ["data-persistence", "passed", "skipped", -15],
    ]);
    expect(changes.unchanged).to.equal(2);
    expect(standingLine(changes)).to.equal("25/100, not passed (−75: was 100/100, passed)");
  });

  it("back from failing to passing: the same checks turn ✓, each with the points it won", function () {
    const changes = diffReports(fixture("failing"), fixture("passing"));
    expect(changes.changed.map((c) => `${c.id} ${c.before}→${c.after} ${c.points}`)).to.deep.equal([
      "ordered-creation failed→passed 15",
      "per-pod-storage skipped→passed 15",
      "pod-dns skipped→passed 15",
      "stable-identity skipped→passed 15",
      "data-persistence skipped→passed 15",
    ]);
    expect(standingLine(changes)).to.equal("100/100, passed (+75: was 25/100, not passed)");
    expect(plain(renderChanges(changes, fixture("passing"), { colour: false }))).to.equal(
      [
        "  ✓ ordered-creation  failed → passed +15",
        "  ✓ per-pod-storage   not run → passed +15",
        "  ✓ pod-dns           not run → passed +15",
        "  ✓ stable-identity   not run → passed +15",
        "  ✓ data-persistence  not run → passed +15",
        "  2 checks unchanged",
      ].join("\n"),
    );
  });

  it("the same grade again: no check changed, the score did not move", function () {
    const changes = diffReports(fixture("failing"), fixture("failing"));
    expect(changes.changed).to.deep.equal([]);
    expect(changes.unchanged).to.equal(7);
    expect(standingLine(changes)).to.equal("25/100, not passed (no change)");
    const lines = renderChanges(changes, fixture("failing"), { colour: false });
    expect(lines[0]).to.equal("  no check changed its verdict");
  });

  it("a score that moves without changing the verdict says only the move", function () {
    const better = fixture("failing");
    Object.assign(checkOf(better, "ordered-creation"), { status: "passed", score: 15, feedback: [] });
    better.score = 40;
    expect(standingLine(diffReports(fixture("failing"), better))).to.equal("40/100, not passed (+15: was 25/100)");
  });

  it("the first grade lists every check's verdict, as changes from nothing", function () {
    const changes = diffReports(undefined, fixture("failing"));
    expect(changes.before).to.equal(undefined);
    expect(changes.changed.map((c) => `${c.id} ${c.before ?? "-"}→${c.after}`)).to.have.length(7);
    expect(standingLine(changes)).to.equal("25/100, not passed");
    const lines = renderChanges(changes, fixture("failing"), { colour: false });
    expect(lines.slice(0, 3)).to.deep.equal(["  ✓ headless-service  passed", "  ✓ statefulset-spec  passed", "  ✗ ordered-creation  failed"]);
    expect(lines).to.not.include.members(["  0 checks unchanged"]);
  });

  it("a check the previous grade did not have counts as changed, without points moved", function () {
    const previous = fixture("failing");
    previous.checks = previous.checks.filter((c) => c.id !== "headless-service");
    const changes = diffReports(previous, fixture("failing"));
    expect(changes.changed.map((c) => [c.id, c.before, c.after])).to.deep.equal([["headless-service", undefined, "passed"]]);
    expect(renderChanges(changes, fixture("failing"), { colour: false })[0]).to.equal("  ✓ headless-service  passed");
  });

  it("after the changes: the feedback of every check not passed, cleaned and within 80 columns", function () {
    const lines = renderChanges(diffReports(fixture("passing"), fixture("failing")), fixture("failing"), { colour: false });
    const firstFeedback = lines.findIndex((l) => l.startsWith("  ✗ ordered-creation (0/15): "));
    expect(firstFeedback, lines.join("\n")).to.equal(6); // five changes and the unchanged count come first
    const failing = fixture("failing");
    const text = lines.slice(firstFeedback).join("\n");
    expect(text).to.include("StatefulSet web");
    for (const id of ["per-pod-storage", "pod-dns", "stable-identity", "data-persistence"]) {
      expect(text).to.include(`  – ${id} (0/15): ${checkOf(failing, id).title.slice(0, 20)}`);
      expect(text).to.include(checkOf(failing, id).feedback[0].slice(0, 30));
    }
    expect(text, "only checks not passed have feedback").to.not.include("headless-service (");
    expect(text, "the crashing container's hostile log line is quoted").to.include(HOSTILE.slice(0, 8));
    for (const line of lines) expect(displayWidth(line), line).to.be.at.most(TERMINAL_WIDTH);
    const coloured = renderChanges(diffReports(fixture("passing"), fixture("failing")), fixture("failing"), { colour: true });
    expect(coloured.join("\n").replace(/\x1b\[[0-9;]*m/g, "")).to.equal(lines.join("\n"));
  });
});
