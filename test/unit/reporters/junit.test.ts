import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create } from "xmlbuilder2";
import type { GradeReport } from "../../../runner/report/model.ts";
import { toJunitXml } from "../../../runner/report/writers/junit.ts";
import { FIXTURES, HERE, HOSTILE, expectGolden, fixture, isDateTime } from "./support.ts";

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
    expect(p.suite["@name"]).to.equal("exercise-8");
    expect(p.suite["@timestamp"]).to.equal(report.startedAt);
    expect(p.suite["@time"]).to.equal("97.800");
    expect(p.cases.map((c) => c["@name"])).to.deep.equal(report.checks.map((c) => c.id));
    expect(p.cases.every((c) => c["@classname"] === "exercise-8")).to.equal(true);
    expect(byName(p, "per-pod-dns")["@time"]).to.equal("60.020");
    expect(p.suite).to.include({ "@tests": "6", "@failures": "3", "@errors": "1", "@skipped": "1" });
  });

  it("a failed check is <failure type=failed> with the first feedback line as message and all feedback as text", () => {
    const p = parse(toJunitXml(fixture("failing")));
    const failure = children(byName(p, "per-pod-index"), "failure")[0] ?? {};
    expect(failure["@type"]).to.equal("failed");
    expect(failure["@message"]).to.equal("wget -qO- web-1.nginx returned a page that does not name the pod:");
    expect(failure["#"]).to.contain(`found:    ${HOSTILE} & 'Tom | Jerry'`);
    expect(failure["#"]).to.contain("The initContainer must append $(hostname)");
    const headless = children(byName(p, "headless-service"), "failure")[0] ?? {};
    expect(String(headless["#"]).split("\n")).to.have.length(2);
  });

  it("an error is <error type=infrastructure>, a skipped check <skipped message=reason>, evidence goes to system-out", () => {
    const p = parse(toJunitXml(fixture("failing")));
    const dns = byName(p, "per-pod-dns");
    expect(children(dns, "error")[0]).to.include({ "@type": "infrastructure" });
    expect(children(dns, "failure")).to.have.length(0);
    expect(children(dns, "system-out")[0]?.["#"]).to.contain("at waitForPod");
    expect(children(byName(p, "partitioned-rollout"), "skipped")[0]?.["@message"]).to.equal(
      "Needs ordered-creation to pass first: the StatefulSet never had 3 Ready pods in order.",
    );
    expect(elementNames(byName(p, "statefulset-spec"))).to.deep.equal([]);
  });

  it("student strings are escaped, never markup: the raw <script> appears only as text", () => {
    const xml = toJunitXml(fixture("failing"));
    expect(xml).not.to.contain("<script>");
    expect(xml).to.contain("&lt;script&gt;");
  });

  it("a refused submission is one failing testcase 'submission' listing every refusal, pointing at the first", () => {
    const report = fixture("refused");
    const p = parse(toJunitXml(report));
    expect(p.cases).to.have.length(1);
    const tc = byName(p, "submission");
    expect(tc).to.include({ "@classname": "demo", "@file": "manifests/statefulset.yaml", "@line": "14" });
    const failure = children(tc, "failure")[0] ?? {};
    expect(failure["@message"]).to.equal("submission refused (4 problems)");
    const lines = String(failure["#"]).split("\n");
    expect(lines).to.have.length(4);
    expect(lines[0]).to.equal(
      "manifests/statefulset.yaml:14:11 StatefulSet demo spec.template.spec.containers[0].securityContext.privileged: privileged containers are not allowed; remove securityContext.privileged",
    );
    expect(lines[2]).to.equal("manifests/broken.yaml:7:3: YAML: bad indentation of a mapping entry");
    expect(p.suite).to.include({ "@tests": "1", "@failures": "1" });
  });

  it("a grader failure is one testcase 'grader' with <error type=infrastructure>, never a failure", () => {
    const p = parse(toJunitXml(fixture("infrastructure")));
    const error = children(byName(p, "grader"), "error")[0] ?? {};
    expect(error["@type"]).to.equal("infrastructure");
    expect(error["@message"]).to.equal("Docker is not running: connect ENOENT /var/run/docker.sock");
    expect(p.suite).to.include({ "@errors": "1", "@failures": "0" });
  });

  it("characters XML cannot hold are replaced instead of making the file unreadable", () => {
    const report: GradeReport = structuredClone(fixture("failing"));
    const first = report.checks[1];
    if (first === undefined) expect.fail("fixture changed");
    first.feedback = ["bad bytes: \u0000\u001b[31m here"];
    const xml = toJunitXml(report);
    expect(validateJunit(xml)).to.deep.equal([]);
    expect(xml).to.contain("bad bytes: \uFFFD\uFFFD[31m here");
  });
});
