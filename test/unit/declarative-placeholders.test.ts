/**
 * Placeholders in declarative checks: filled in in what a check expects (http path and body,
 * command run and output, object name and field values) as in feedback, escaped inside a
 * regular expression; anything else in braces that looks like one refused at load, in words.
 */
import { expect } from "chai";
import { fill, fillExpected, fillPattern, matches, placeholderProblems } from "../../checks/declarative.ts";

const values = { pod: "web-1", ordinal: "1", service: "nginx", namespace: "kg-a1", statefulset: "web" };

describe("declarative check placeholders", function () {
  it("fills {pod}, {ordinal}, {service}, {namespace} and {statefulset}; leaves the shell's ${VAR} and a regex's {2,3}", function () {
    expect(fill("wget -qO- {pod}.{service}.{namespace}/{ordinal} ${HOSTNAME} {statefulset}", values)).to.equal("wget -qO- web-1.nginx.kg-a1/1 ${HOSTNAME} web");
    expect(fillPattern("^{pod}\\s*$", values)).to.equal("^web-1\\s*$");
    expect(fillPattern("^a{2,3}$", values)).to.equal("^a{2,3}$");
  });

  it("escapes a value inside a regular expression, so that it matches itself", function () {
    const pattern = fillPattern("^{pod}$", { pod: "a.b+c" });
    expect(new RegExp(pattern).test("a.b+c")).to.equal(true);
    expect(new RegExp(pattern).test("aXbbc")).to.equal(false);
  });

  it("a body ^{pod}\\s*$ matches the pod's own name only", function () {
    const body = new RegExp(fillPattern("^{pod}\\s*$", values));
    expect(body.test("web-1\n")).to.equal(true);
    expect(body.test("web-0\n")).to.equal(false);
    expect(body.test("hello\n")).to.equal(false);
  });

  it("fills an object check's expected values: texts, patterns, lists and maps; numbers as they are", function () {
    expect(fillExpected("{service}", values)).to.equal("nginx");
    expect(fillExpected({ pattern: "^{statefulset}-" }, values)).to.deep.equal({ pattern: "^web-" });
    expect(fillExpected({ app: "{statefulset}", n: 3 }, values)).to.deep.equal({ app: "web", n: 3 });
    expect(fillExpected(["{namespace}"], values)).to.deep.equal(["kg-a1"]);
    expect(matches("web", fillExpected("{statefulset}", values))).to.equal(true);
  });

  it("refuses a name that is no placeholder, and {pod} where the check does not run per pod", function () {
    expect(placeholderProblems({ id: "x", http: { body: "^{pd}$", path: "/{ordinal}" } })).to.deep.equal([
      { field: "http.body", name: "pd", allowed: ["service", "namespace", "statefulset", "pod", "ordinal"], notPerPod: false },
    ]);
    expect(placeholderProblems({ id: "x", object: { kind: "Service", name: "{service}", fields: { "metadata.labels": { pod: "{pod}" } } } })).to.deep.equal([
      { field: "object.fields.metadata.labels.pod", name: "pod", allowed: ["service", "namespace", "statefulset"], notPerPod: true },
    ]);
    expect(placeholderProblems({ id: "x", command: { run: ["sh", "-c", "echo {ordinal}"], in: "probe" } })).to.deep.equal([
      { field: "command.run[2]", name: "ordinal", allowed: ["service", "namespace", "statefulset"], notPerPod: true },
    ]);
    expect(placeholderProblems({ id: "x", command: { run: "echo {pod} ${HOME}", output: "^{pod}{1,2}" }, feedback: "{observed} in {pod}, {expcted}" })).to.deep.equal([
      { field: "feedback", name: "expcted", allowed: ["service", "namespace", "statefulset", "pod", "ordinal", "observed", "expected", "field"], notPerPod: false },
    ]);
  });
});
