import { expect } from "chai";
import { join, resolve } from "node:path";
import { parseCsv } from "../../runner/batch/csv.ts";
import { nameSubmissions, parseRoster, studentIdProblem } from "../../runner/batch/roster.ts";
import { usageError } from "./support.ts";


describe("batch: roster CSV", () => {
  it("reads quoted fields with commas, doubled quotes and line breaks", () => {
    const records = parseCsv('id,source\r\n"smith, jo","dir with ""quotes"""\r\n"multi\nline",x\r\n', "r.csv");
    expect(records).to.deep.equal([
      { line: 1, fields: ["id", "source"] },
      { line: 2, fields: ["smith, jo", 'dir with "quotes"'] },
      { line: 3, fields: ["multi\nline", "x"] },
    ]);
  });

  it("ignores a byte-order mark, blank lines and spaces around unquoted fields; LF, CRLF and CR all end a row", () => {
    const text = "\uFEFFstudent,source\n\n  alice , a/dir \r\n\r\nbob,b\rcarol,c";
    const roster = parseRoster(text, "r.csv");
    expect(roster.map((r) => [r.student, r.source, r.origin])).to.deep.equal([
      ["alice", "a/dir", "r.csv:3"],
      ["bob", "b", "r.csv:5"],
      ["carol", "c", "r.csv:6"],
    ]);
  });

  it("numbers lines after a quoted field that spans lines", () => {
    const message = usageError(() => parseRoster('student,source\nalice,"a\nb"\nc,d,e\n', "r.csv"));
    expect(message).to.match(/^r\.csv:4: 3 column\(s\) where the header has 2/);
  });

  it("names the line of each bad row", () => {
    expect(usageError(() => parseRoster("student,source\nalice,a\nbob\n", "r.csv"))).to.match(/^r\.csv:3: 1 column\(s\)/);
    expect(usageError(() => parseRoster('student,source\nalice,"a\n', "r.csv"))).to.match(/^r\.csv:2: a quoted field is never closed/);
    expect(usageError(() => parseRoster('student,source\nalice,"a"b\n', "r.csv"))).to.match(/^r\.csv:2: unexpected text after a closing quote/);
    expect(usageError(() => parseRoster('student,source\nal"ice,a\n', "r.csv"))).to.match(/^r\.csv:2: a quote inside an unquoted field/);
    expect(usageError(() => parseRoster("student,source\n,a\n", "r.csv"))).to.match(/^r\.csv:2: the student id "" is empty/);
    expect(usageError(() => parseRoster("student,source\nalice,\n", "r.csv"))).to.match(/^r\.csv:2: student alice has no source/);
    expect(usageError(() => parseRoster("student,source\n../etc,a\n", "r.csv"))).to.match(/^r\.csv:2: the student id "\.\.\/etc" contains a slash/);
    expect(usageError(() => parseRoster("student,source\nalice,a\n\nalice,b\n", "r.csv"))).to.equal("r.csv:4: student alice is listed twice (also on line 2)");
  });

  it("requires a header row, and at least one student", () => {
    expect(usageError(() => parseRoster("alice,students/alice\nbob,students/bob\n", "r.csv"))).to.match(/^r\.csv:1: the first row must be a header/);
    expect(usageError(() => parseRoster("student,source\n", "r.csv"))).to.match(/lists no student/);
    expect(usageError(() => parseRoster("\n\n", "r.csv"))).to.match(/the roster is empty/);
  });

  it("takes relative directories from the roster's directory, and leaves git URLs alone", () => {
    const roster = parseRoster("student,source\na,subs/a\nb,/abs/b\nc,https://example.org/c.git#main\n", "r.csv", "/class");
    expect(roster.map((r) => r.source)).to.deep.equal(["/class/subs/a", "/abs/b", "https://example.org/c.git#main"]);
  });

  it("refuses student ids that are not safe folder names", () => {
    for (const bad of ["", ".", "..", ".hidden", "a/b", "a\\b", "tab\there", "gradebook.json", "x".repeat(129)]) {
      expect(studentIdProblem(bad), JSON.stringify(bad)).to.be.a("string");
    }
    for (const good of ["alice", "jo.smith@example.org", "Zoë Müller", "s-001"]) expect(studentIdProblem(good), good).to.equal(undefined);
  });
});

describe("batch: names of submissions given as arguments", () => {
  it("a directory's name, a repository's name without .git", () => {
    const named = nameSubmissions(["class/alice", "https://git.example.org/org/bob-hw.git#main", "git@example.org:org/carol.git", "file:///srv/dave/"]);
    expect(named.map((n) => n.student)).to.deep.equal(["alice", "bob-hw", "carol", "dave"]);
  });

  it("prefixes parent directories until names differ", () => {
    const named = nameSubmissions(["fixtures/web/reference/submission", "fixtures/web/two-replicas/submission", "other/alone"]);
    expect(named.map((n) => n.student)).to.deep.equal(["reference-submission", "two-replicas-submission", "alone"]);
    const owners = nameSubmissions(["https://h/x/hw.git", "https://h/y/hw.git"]);
    expect(owners.map((n) => n.student)).to.deep.equal(["x-hw", "y-hw"]);
  });

  it("refuses the same submission twice", () => {
    const here = resolve("some/dir");
    expect(usageError(() => nameSubmissions(["some/dir", join(here, ".")]))).to.match(/given twice/);
  });
});
