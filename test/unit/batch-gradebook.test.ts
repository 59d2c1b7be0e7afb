import { expect } from "chai";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { mergeResults, studentReportSpecs } from "../../runner/batch/batch.ts";
import { parseCsv } from "../../runner/batch/csv.ts";
import {
  GradebookWriter, emptyGradebook, gradebookCsv, mergeGradebooks, parseGradebook, readGradebook, rowFromReport, unreadableRow,
  withRow, writeGradebook,
} from "../../runner/batch/gradebook.ts";
import type { Gradebook, GradebookRow } from "../../runner/batch/gradebook-model.ts";
import { UsageError } from "../../runner/errors.ts";
import { expectNoStackTrace, kubegradeWithoutDocker, usageError } from "./support.ts";
import { fixture } from "./reporters/support.ts";

const CHECKS = ["headless-service", "statefulset-spec", "pod-dns"];

function row(student: string, overrides: Partial<GradebookRow> = {}): GradebookRow {
  return {
    student,
    source: `subs/${student}`,
    score: 25,
    maxScore: 40,
    passed: false,
    refused: false,
    checks: { "headless-service": "passed", "statefulset-spec": "passed", "pod-dns": "failed" },
    durationMs: 61_234,
    key: `key-${student}`,
    gradedAt: "2026-01-01T00:00:00.000Z",
    ...overrides,
  };
}

function book(rows: GradebookRow[], overrides: Partial<Gradebook> = {}): Gradebook {
  return rows.reduce(withRow, { ...emptyGradebook("web", "v1", CHECKS), ...overrides });
}


describe("batch: gradebook rows", () => {
  it("a row from a report: score, verdict, each check's status, commit", () => {
    const report = fixture("failing");
    const r = rowFromReport("o'neil", report.submission, report, "k", new Date("2026-02-03T04:05:06Z"));
    expect(report.passed).to.equal(false);
    expect(r).to.include({ student: "o'neil", score: report.score, maxScore: report.maxScore, passed: false, refused: false, key: "k", gradedAt: "2026-02-03T04:05:06.000Z" });
    expect(r.score).to.be.lessThan(r.maxScore);
    expect(r.checks).to.deep.equal(Object.fromEntries(report.checks.map((c) => [c.id, c.status])));
    expect(r).to.not.have.property("infrastructureError");
    const refused = rowFromReport("r", "x", fixture("refused"), "k", new Date());
    expect(refused.refused).to.equal(true);
    expect(refused.refusal).to.be.a("string").and.not.equal("");
    expect(rowFromReport("i", "x", fixture("infrastructure"), "k", new Date()).infrastructureError).to.be.a("string");
  });

  it("an unreadable submission is a refused row with every check skipped", () => {
    const r = unreadableRow("s", "gone/", "not a directory", [{ id: "a", points: 10 }, { id: "b", points: 5 }], new Date());
    expect(r).to.include({ score: 0, maxScore: 15, passed: false, refused: true, refusal: "could not be read: not a directory" });
    expect(r.checks).to.deep.equal({ a: "skipped", b: "skipped" });
  });

  it("a student's new row replaces the old one; rows stay sorted by student", () => {
    const b = book([row("carol"), row("alice"), row("bob")]);
    const again = withRow(b, row("bob", { score: 40, passed: true }));
    expect(again.rows.map((r) => [r.student, r.score])).to.deep.equal([["alice", 25], ["bob", 40], ["carol", 25]]);
  });
});

describe("batch: gradebook.csv", () => {
  it("a header with one column per check id, in the exercise's order, then one line per student", () => {
    const csv = gradebookCsv(book([row("alice"), row("bob", { refused: true, score: 0, checks: {} })]));
    const [header, alice, bob] = parseCsv(csv, "gradebook.csv").map((r) => r.fields);
    expect(header).to.deep.equal([
      "student", "source", "score", "max", "passed", "refused", "infrastructure_error",
      "headless-service", "statefulset-spec", "pod-dns", "duration_s", "commit",
    ]);
    expect(alice).to.deep.equal(["alice", "subs/alice", "25", "40", "false", "false", "", "passed", "passed", "failed", "61.2", ""]);
    expect(bob.slice(5, 10)).to.deep.equal(["true", "", "", "", ""]);
    expect(csv.endsWith("\r\n")).to.equal(true);
  });

  it("escapes commas, quotes and line breaks so every row has as many fields as the header", () => {
    const nasty = row("o'neil, \"jr\"", { source: 'https://h/x.git?a=1,b="2"', infrastructureError: "line one\nline two, with a comma" });
    const records = parseCsv(gradebookCsv(book([nasty])), "gradebook.csv");
    expect(records).to.have.length(2);
    expect(records[1].fields).to.have.length(records[0].fields.length);
    expect(records[1].fields.slice(0, 2)).to.deep.equal(["o'neil, \"jr\"", 'https://h/x.git?a=1,b="2"']);
    expect(records[1].fields[6]).to.equal("line one\nline two, with a comma");
  });

  it("neutralises text a spreadsheet would run as a formula; the JSON keeps it as it was", () => {
    const b = book([row("=HYPERLINK(\"http://evil\")", { source: "+cmd", commit: "@x" })]);
    const fields = parseCsv(gradebookCsv(b), "g.csv")[1].fields;
    expect(fields[0]).to.equal("'=HYPERLINK(\"http://evil\")");
    expect(fields[1]).to.equal("'+cmd");
    expect(fields.at(-1)).to.equal("'@x");
    expect(b.rows[0].student).to.equal("=HYPERLINK(\"http://evil\")");
  });

  it("keeps columns for checks only older rows have", () => {
    const csv = gradebookCsv(book([row("alice", { checks: { ...row("alice").checks, "retired-check": "passed" } })]));
    expect(parseCsv(csv, "g.csv")[0].fields).to.include("retired-check");
  });
});

describe("batch: gradebook files", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "kubegrade-book-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("writes JSON and CSV (and the class's views), reads the JSON back, leaves no temporary file", async () => {
    const b = book([row("alice"), row("bob")]);
    await writeGradebook(dir, b);
    expect(await readGradebook(dir)).to.deep.equal(b);
    expect(readFileSync(join(dir, "gradebook.csv"), "utf8")).to.equal(gradebookCsv(b));
    expect(readdirSync(dir).sort()).to.deep.equal(["class-summary.md", "gradebook-lms.csv", "gradebook.csv", "gradebook.html", "gradebook.json", "similarity.csv"]);
    expect(await readGradebook(join(dir, "none"))).to.equal(undefined);
  });

  it("rows recorded concurrently all reach the file", async () => {
    const writer = new GradebookWriter(dir, emptyGradebook("web", "v1", CHECKS));
    await Promise.all(["e", "d", "c", "b", "a"].map((s) => writer.record(row(s))));
    expect((await readGradebook(dir))?.rows.map((r) => r.student)).to.deep.equal(["a", "b", "c", "d", "e"]);
  });

  it("a file that is not a gradebook is refused, never overwritten", () => {
    expect(usageError(() => parseGradebook("{", "g.json"))).to.match(/not valid JSON/);
    expect(usageError(() => parseGradebook('{"rows": []}', "g.json"))).to.match(/not a kubegrade gradebook/);
    const broken = JSON.stringify({ ...book([row("a")]), rows: [{ student: 1 }] });
    expect(usageError(() => parseGradebook(broken, "g.json"))).to.match(/row 1/);
  });

  it("report paths stay inside the student's folder; summary gets its default name there; classroom50 is refused", () => {
    expect(studentReportSpecs([{ format: "summary" }, { format: "junit", path: "out/junit.xml" }])).to.deep.equal([
      { format: "summary", path: "summary.md" },
      { format: "junit", path: "out/junit.xml" },
    ]);
    expect(() => studentReportSpecs([{ format: "json", path: "/tmp/r.json" }])).to.throw(UsageError);
    expect(() => studentReportSpecs([{ format: "json", path: "../r.json" }])).to.throw(UsageError);
    expect(() => studentReportSpecs([{ format: "classroom50", path: "result.json" }])).to.throw(UsageError, /not in a batch/);
  });
});

describe("batch: gradebook merge", () => {
  it("joins disjoint shards", () => {
    const { book: merged, rowOrigin } = mergeGradebooks([
      { origin: "s1", book: book([row("bob")]) },
      { origin: "s2", book: book([row("alice"), row("carol")]) },
    ]);
    expect(merged.rows.map((r) => r.student)).to.deep.equal(["alice", "bob", "carol"]);
    expect(rowOrigin.get("bob")).to.equal("s1");
    expect(merged.exercise).to.equal("web");
  });

  it("a student in two shards with the same grade is fine (when and how long do not matter)", () => {
    const { book: merged } = mergeGradebooks([
      { origin: "s1", book: book([row("alice")]) },
      { origin: "s2", book: book([row("alice", { gradedAt: "2026-05-05T00:00:00.000Z", durationMs: 1 })]) },
    ]);
    expect(merged.rows).to.have.length(1);
  });

  it("a student graded differently in two shards is an error naming both", () => {
    const message = usageError(() =>
      mergeGradebooks([
        { origin: "s1", book: book([row("alice"), row("bob")]) },
        { origin: "s2", book: book([row("alice", { score: 40, passed: true })]) },
      ]),
    );
    expect(message).to.contain("alice (in s1 and s2)");
    expect(message).to.not.contain("bob");
  });

  it("refuses gradebooks of different exercises or exercise versions", () => {
    expect(usageError(() => mergeGradebooks([{ origin: "s1", book: book([]) }, { origin: "s2", book: book([], { exercise: "demo" }) }]))).to.match(
      /s2 grades exercise demo but s1 grades web/,
    );
    expect(usageError(() => mergeGradebooks([{ origin: "s1", book: book([]) }, { origin: "s2", book: book([], { exerciseVersion: "v2" }) }]))).to.match(
      /different versions/,
    );
    expect(() => mergeGradebooks([])).to.throw(UsageError);
  });

  it("on disk: writes the merged gradebook and copies each student's reports; refuses to overwrite another gradebook", async () => {
    const root = mkdtempSync(join(tmpdir(), "kubegrade-merge-"));
    try {
      const [s1, s2, into] = ["s1", "s2", "into"].map((d) => join(root, d));
      await writeGradebook(s1, book([row("alice")]));
      await writeGradebook(s2, book([row("bob")]));
      mkdirSync(join(s1, "alice"));
      writeFileSync(join(s1, "alice", "report.json"), "{}");
      const result = await mergeResults({ outs: [s1, s2], into });
      expect(result.gradebook.rows.map((r) => r.student)).to.deep.equal(["alice", "bob"]);
      expect((await readGradebook(into))?.rows).to.have.length(2);
      expect(existsSync(join(into, "alice", "report.json"))).to.equal(true);
      expect(result.copied).to.equal(1);
      let refused: unknown;
      await mergeResults({ outs: [s1], into }).catch((e: unknown) => (refused = e));
      expect(refused).to.be.instanceOf(UsageError);
      await mergeResults({ outs: [into, s2], into }); // into is an input: fine
      let missing: unknown;
      await mergeResults({ outs: [join(root, "nothing")], into: join(root, "x") }).catch((e: unknown) => (missing = e));
      expect(missing).to.be.instanceOf(UsageError);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("the command: --out DIR like batch, --into kept as its older name; neither, or two different, is exit 2; --roster refuses a class with students missing", async () => {
    const root = mkdtempSync(join(tmpdir(), "kubegrade-merge-cli-"));
    try {
      const [s1, s2] = ["s1", "s2"].map((d) => join(root, d));
      await writeGradebook(s1, book([row("alice")]));
      await writeGradebook(s2, book([row("bob")]));
      const out = await kubegradeWithoutDocker(["gradebook", "merge", s1, s2, "--out", join(root, "out")]);
      expect(out.exitCode, out.all).to.equal(0);
      expect(out.stdout).to.contain("Merged 2 gradebook(s) of exercise web: 2 student(s)");
      expect((await readGradebook(join(root, "out")))?.rows.map((r) => r.student)).to.deep.equal(["alice", "bob"]);
      expect(existsSync(join(root, "out", "class-summary.md"))).to.equal(true);

      const into = await kubegradeWithoutDocker(["gradebook", "merge", s1, s2, "--into", join(root, "into")]);
      expect(into.exitCode, into.all).to.equal(0);
      expect(readFileSync(join(root, "into", "gradebook.json"), "utf8")).to.equal(readFileSync(join(root, "out", "gradebook.json"), "utf8"));

      const same = await kubegradeWithoutDocker(["gradebook", "merge", s1, s2, "--out", join(root, "same"), "--into", join(root, "same")]);
      expect(same.exitCode, same.all).to.equal(0);

      const neither = await kubegradeWithoutDocker(["gradebook", "merge", s1, s2]);
      expect(neither.exitCode, neither.all).to.equal(2);
      expect(neither.stderr).to.contain("--out DIR is required");
      const two = await kubegradeWithoutDocker(["gradebook", "merge", s1, s2, "--out", join(root, "a"), "--into", join(root, "b")]);
      expect(two.exitCode, two.all).to.equal(2);
      expect(two.stderr).to.contain("name two directories");
      for (const r of [neither, two]) expectNoStackTrace(r.all);

      // --roster: a class gradebook is complete, or not written at all.
      writeFileSync(join(root, "roster.csv"), "student,source\nalice,subs/alice\nbob,subs/bob\n");
      const complete = await kubegradeWithoutDocker(["gradebook", "merge", s1, s2, "--roster", join(root, "roster.csv"), "--out", join(root, "complete")]);
      expect(complete.exitCode, complete.all).to.equal(0);
      writeFileSync(join(root, "bigger.csv"), "student,source\nalice,subs/alice\nbob,subs/bob\ncarol,subs/carol\n");
      const lacking = await kubegradeWithoutDocker(["gradebook", "merge", s1, "--roster", join(root, "bigger.csv"), "--out", join(root, "lacking")]);
      expect(lacking.exitCode, lacking.all).to.equal(2);
      expect(lacking.stderr).to.contain(`2 of the 3 student(s) of ${join(root, "bigger.csv")} are in none of the gradebooks given (bob, carol)`);
      expect(existsSync(join(root, "lacking")), "nothing written").to.equal(false);
      expectNoStackTrace(lacking.all);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
