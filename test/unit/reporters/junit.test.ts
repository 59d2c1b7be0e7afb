import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create } from "xmlbuilder2";
import type { GradeReport } from "../../../runner/report/model.ts";
import { toJunitXml } from "../../../runner/report/writers/junit.ts";
import { FIXTURES, HERE, HOSTILE, REPLICAS_FEEDBACK, checkOf, expectGolden, fixture, isDateTime, withGraderError } from "./support.ts";

const XSD = join(HERE, "junit.xsd");

// ---- a structural validator: the rules of junit.xsd plus what an XSD cannot say (the
// counts must add up), over xmlbuilder2's object form of the parsed document ----------

type Node = Record<string, unknown>;

/** xmlbuilder2's object form: "@x" attributes, "#" text, children by name (an array when repeated). */
function children(node: Node, name: string): Node[] {
  const value = node[name];
  if (value === undefined) return [];
  const list = Array.isArray(value) ? value : [value];
  return list.map((v) => (typeof v === "string" ? { "#": v } : (v as Node)));
}

/** The parsed document in object form. xmlbuilder2's object writer re-escapes text and
 * attribute values, so the five predefined entities are decoded again here. */
function toObject(xml: string): Node {
  const decode = (v: unknown): unknown => {
    if (typeof v === "string") return v.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, "&");
    if (Array.isArray(v)) return v.map(decode);
    if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, decode(x)]));
    return v;
  };
  return decode(create(xml).end({ format: "object" })) as Node;
}

function elementNames(node: Node): string[] {
  return Object.keys(node).filter((k) => !k.startsWith("@") && k !== "#");
}

function validateJunit(xml: string): string[] {
  const problems: string[] = [];
  const doc = toObject(xml);
  const roots = elementNames(doc);
  if (roots.length !== 1 || roots[0] !== "testsuites") return [`root element must be <testsuites>, found ${roots.join(", ")}`];
  const root = children(doc, "testsuites")[0] ?? {};

  const int = (node: Node, attr: string, where: string): number => {
    const v = node[`@${attr}`];
    if (typeof v !== "string" || !/^\d+$/.test(v)) problems.push(`${where}: ${attr}="${String(v)}" is not a count`);
    return Number(v);
  };
  const seconds = (node: Node, where: string) => {
    const v = node["@time"];
    if (typeof v !== "string" || !/^\d+(\.\d+)?$/.test(v)) problems.push(`${where}: time="${String(v)}" is not seconds`);
  };
  const nonEmpty = (node: Node, attr: string, where: string) => {
    const v = node[`@${attr}`];
    if (typeof v !== "string" || v.trim() === "") problems.push(`${where}: ${attr} is missing or empty`);
  };
  const only = (node: Node, allowed: string[], where: string) => {
    for (const name of elementNames(node)) if (!allowed.includes(name)) problems.push(`${where}: unexpected <${name}>`);
  };

  only(root, ["testsuite"], "<testsuites>");
  const suites = children(root, "testsuite");
  if (suites.length === 0) problems.push("<testsuites> has no <testsuite>");
  const total = { tests: 0, failures: 0, errors: 0, skipped: 0 };
  for (const suite of suites) {
    const where = `<testsuite name="${String(suite["@name"])}">`;
    nonEmpty(suite, "name", where);
    seconds(suite, where);
    if (typeof suite["@timestamp"] !== "string" || !isDateTime(suite["@timestamp"])) problems.push(`${where}: timestamp is not a date-time`);
    only(suite, ["properties", "testcase", "system-out", "system-err"], where);
    for (const props of children(suite, "properties")) {
      only(props, ["property"], `${where} <properties>`);
      for (const p of children(props, "property")) {
        nonEmpty(p, "name", `${where} <property>`);
        if (typeof p["@value"] !== "string") problems.push(`${where} <property name="${String(p["@name"])}">: value is missing`);
      }
    }
    const counted = { tests: 0, failures: 0, errors: 0, skipped: 0 };
    for (const tc of children(suite, "testcase")) {
      const tw = `<testcase name="${String(tc["@name"])}">`;
      counted.tests++;
      nonEmpty(tc, "name", tw);
      nonEmpty(tc, "classname", tw);
      seconds(tc, tw);
      if (tc["@line"] !== undefined && !/^[1-9]\d*$/.test(String(tc["@line"]))) problems.push(`${tw}: line is not a positive integer`);
      only(tc, ["failure", "error", "skipped", "system-out", "system-err"], tw);
      const outcomes = [...children(tc, "failure"), ...children(tc, "error"), ...children(tc, "skipped")];
      if (outcomes.length > 1) problems.push(`${tw}: more than one failure/error/skipped`);
      for (const kind of ["failure", "error"] as const) {
        for (const f of children(tc, kind)) {
          if (typeof f["@message"] !== "string") problems.push(`${tw} <${kind}>: message is missing`);
          nonEmpty(f, "type", `${tw} <${kind}>`);
          if (String(f["@message"] ?? "").includes("\n")) problems.push(`${tw} <${kind}>: message spans lines`);
        }
      }
      counted.failures += children(tc, "failure").length;
      counted.errors += children(tc, "error").length;
      counted.skipped += children(tc, "skipped").length;
    }
    for (const key of ["tests", "failures", "errors", "skipped"] as const) {
      const declared = int(suite, key, where);
      if (declared !== counted[key]) problems.push(`${where}: ${key}="${declared}" but it holds ${counted[key]}`);
      total[key] += counted[key];
    }
  }
  seconds(root, "<testsuites>");
  for (const key of ["tests", "failures", "errors", "skipped"] as const) {
    const declared = int(root, key, "<testsuites>");
    if (declared !== total[key]) problems.push(`<testsuites>: ${key}="${declared}" but its suites hold ${total[key]}`);
  }
  return problems;
}

function xmllintAvailable(): boolean {
  return !spawnSync("xmllint", ["--version"]).error;
}

/** Runs `xmllint --schema junit.xsd` on the text; returns its verdict and messages. */
function xmllint(xml: string): { ok: boolean; output: string } {
  const dir = mkdtempSync(join(tmpdir(), "kubegrade-junit-"));
  try {
    const file = join(dir, "report.xml");
    writeFileSync(file, xml);
    const run = spawnSync("xmllint", ["--noout", "--schema", XSD, file], { encoding: "utf8" });
    return { ok: run.status === 0, output: `${run.stdout}${run.stderr}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface Parsed {
  suite: Node;
  cases: Node[];
}

function parse(xml: string): Parsed {
  const doc = toObject(xml);
  const root = children(doc, "testsuites")[0] ?? {};
  const suite = children(root, "testsuite")[0] ?? {};
  return { suite, cases: children(suite, "testcase") };
}

function byName(p: Parsed, name: string): Node {
  const tc = p.cases.find((c) => c["@name"] === name);
  if (tc === undefined) expect.fail(`no testcase ${name}`);
  return tc;
}

// A broken document the validators must reject: proves they can fail.
const BROKEN = `<?xml version="1.0"?>
<testsuites tests="2" failures="1" errors="0" skipped="0" time="1">
  <testsuite name="web" tests="2" failures="1" errors="0" skipped="0" time="1s" timestamp="yesterday">
    <testcase name="a" time="0.1"><failure message="x" type="failed">x</failure><skipped/></testcase>
  </testsuite>
</testsuites>`;

describe("reporters: junit", () => {
  for (const name of FIXTURES) {
    it(`${name}: passes the structural check (junit.xsd's rules and consistent counts) and matches golden/${name}.xml`, () => {
      const xml = toJunitXml(fixture(name));
      expect(validateJunit(xml)).to.deep.equal([]);
      expectGolden(`${name}.xml`, xml);
    });

    it(`${name}: validates against junit.xsd with xmllint --schema (skipped when xmllint is not installed)`, function () {
      if (!xmllintAvailable()) this.skip();
      const result = xmllint(toJunitXml(fixture(name)));
      expect(result.ok, result.output).to.equal(true);
    });
  }

  it("the structural check rejects a broken document", () => {
    const problems = validateJunit(BROKEN);
    expect(problems.join("\n")).to.match(/classname is missing/);
    expect(problems.join("\n")).to.match(/time="1s" is not seconds/);
    expect(problems.join("\n")).to.match(/timestamp is not a date-time/);
    expect(problems.join("\n")).to.match(/more than one failure\/error\/skipped/);
    expect(problems.join("\n")).to.match(/tests="2" but it holds 1/);
  });

  it("junit.xsd rejects a broken document with xmllint (skipped when xmllint is not installed)", function () {
    if (!xmllintAvailable()) this.skip();
    const result = xmllint(BROKEN);
    expect(result.ok).to.equal(false);
    expect(result.output).to.match(/classname/);
  });

  it("one testsuite per report, one testcase per check with classname=exercise, name=check id, time in seconds", () => {
    const report = fixture("failing");
    const p = parse(toJunitXml(report));
    expect(p.suite["@name"]).to.equal("web");
    expect(p.suite["@timestamp"]).to.equal(report.startedAt);
    expect(p.suite["@time"]).to.equal((report.durationMs / 1000).toFixed(3));
    expect(p.cases.map((c) => c["@name"])).to.deep.equal(report.checks.map((c) => c.id));
    expect(p.cases.every((c) => c["@classname"] === "web")).to.equal(true);
    expect(byName(p, "ordered-creation")["@time"]).to.equal((checkOf(report, "ordered-creation").durationMs / 1000).toFixed(3));
    expect(p.suite).to.include({ "@tests": "7", "@failures": "1", "@errors": "0", "@skipped": "4" });
  });

  it("a failed check is <failure type=failed> with the first feedback line as message and all feedback as text, at its place", () => {
    const report = fixture("failing");
    const p = parse(toJunitXml(report));
    const ordered = byName(p, "ordered-creation");
    expect(ordered).to.include({ "@file": "web.yaml", "@line": "15" });
    const failure = children(ordered, "failure")[0] ?? {};
    expect(failure["@type"]).to.equal("failed");
    expect(failure["@message"]).to.equal(checkOf(report, "ordered-creation").feedback[0]);
    expect(failure["#"]).to.contain(`Its last log lines: "${HOSTILE}".`);
    // Feedback of several lines: the message is the first, the text all of them.
    const two = fixture("failing");
    checkOf(two, "ordered-creation").feedback = [REPLICAS_FEEDBACK, HOSTILE];
    const both = children(byName(parse(toJunitXml(two)), "ordered-creation"), "failure")[0] ?? {};
    expect(both["@message"]).to.equal(REPLICAS_FEEDBACK);
    expect(String(both["#"]).split("\n")).to.deep.equal([REPLICAS_FEEDBACK, HOSTILE]);
  });

  it("an error is <error type=infrastructure> without a place, a skipped check <skipped message=reason>, evidence goes to system-out", () => {
    const report = withGraderError();
    const p = parse(toJunitXml(report));
    const dns = byName(p, "pod-dns");
    expect(children(dns, "error")[0]).to.include({ "@type": "infrastructure", "@message": checkOf(report, "pod-dns").feedback[0] });
    expect(children(dns, "failure")).to.have.length(0);
    expect(children(dns, "system-out")[0]?.["#"]).to.contain("at exec (runner/kube/exec.ts");
    expect(p.suite).to.include({ "@tests": "7", "@failures": "1", "@errors": "1", "@skipped": "3" });
    expect(children(byName(p, "per-pod-storage"), "skipped")[0]?.["@message"]).to.equal("Not run: the pods never all became Ready (see ordered-creation).");
    expect(elementNames(byName(p, "statefulset-spec"))).to.deep.equal([]);
    // The real grader errors name "a StatefulSet", and there is one: still no file, it is not the student's line.
    const infrastructure = parse(toJunitXml(fixture("infrastructure")));
    expect(infrastructure.cases.filter((c) => c["@file"] !== undefined || c["@line"] !== undefined)).to.deep.equal([]);
  });

  it("student strings are escaped, never markup: the raw <script> appears only as text", () => {
    const xml = toJunitXml(fixture("failing"));
    expect(xml).not.to.contain("<script>");
    expect(xml).to.contain("&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt; &amp; Tom | Jerry"); // in the message attribute
    expect(xml).to.contain("&lt;script&gt;alert(\"pwned\")&lt;/script&gt; &amp; Tom | Jerry"); // in the element's text
  });

  it("a refused submission is a failing testcase 'submission' listing every refusal, pointing at the first, then the checks not run", () => {
    const report = fixture("refused");
    const p = parse(toJunitXml(report));
    expect(p.cases.map((c) => c["@name"])).to.deep.equal(["submission", ...report.checks.map((c) => c.id)]);
    const tc = byName(p, "submission");
    expect(tc).to.include({ "@classname": "web", "@file": "web.yaml", "@line": "32" });
    const failure = children(tc, "failure")[0] ?? {};
    expect(failure).to.include({ "@message": "submission refused (2 problems)", "@type": "refused" });
    expect(String(failure["#"]).split("\n")).to.deep.equal([
      "web.yaml:32:9 StatefulSet web spec.template.spec.volumes[0].hostPath: volume host is a hostPath volume (a directory of the node); use a volumeClaimTemplate or emptyDir instead",
      "web.yaml:38:11 StatefulSet web spec.template.spec.containers[0].securityContext.privileged: container nginx is privileged; remove securityContext.privileged",
    ]);
    expect(children(byName(p, "pod-dns"), "skipped")[0]?.["@message"]).to.equal("Not run: the submission was refused before grading.");
    expect(p.suite).to.include({ "@tests": "8", "@failures": "1", "@errors": "0", "@skipped": "7" });
    // One refusal (the privileged container alone): the message is that refusal.
    const one = fixture("refused");
    one.refusals = one.refusals.slice(1);
    const single = children(byName(parse(toJunitXml(one)), "submission"), "failure")[0] ?? {};
    expect(single["@message"]).to.equal(
      "submission refused: web.yaml:38:11 StatefulSet web spec.template.spec.containers[0].securityContext.privileged: container nginx is privileged; remove securityContext.privileged",
    );
  });

  it("a grader failure is a testcase 'grader' with <error type=infrastructure>, never a failure; each check is an error too", () => {
    const report = fixture("infrastructure");
    const p = parse(toJunitXml(report));
    const error = children(byName(p, "grader"), "error")[0] ?? {};
    expect(error["@type"]).to.equal("infrastructure");
    expect(error["@message"]).to.equal(report.infrastructureError);
    expect(p.suite).to.include({ "@tests": "8", "@errors": "8", "@failures": "0" });
    // The cause is said once, by the 'grader' testcase; each check says it was not graded.
    expect(children(byName(p, "pod-dns"), "error")[0]?.["@message"]).to.equal("Not graded: the grader or the cluster failed (not your submission's fault).");
    expect(toJunitXml(report).split(report.infrastructureError!).length - 1, "the cause in the XML").to.equal(2); // the error's message attribute and its text
  });

  it("characters XML cannot hold are replaced instead of making the file unreadable", () => {
    const report: GradeReport = fixture("failing");
    checkOf(report, "ordered-creation").feedback = ["bad bytes: \u0000\u001b[31m here"];
    const xml = toJunitXml(report);
    expect(validateJunit(xml)).to.deep.equal([]);
    expect(xml).to.contain("bad bytes: \uFFFD\uFFFD[31m here");
  });
});
