import { expect } from "chai";
import type { GradeReport } from "../../../runner/report/model.ts";
import { annotations, escapeData, escapeProperty, toAnnotations } from "../../../runner/report/writers/annotations.ts";
import { checkPlaces, placesIn } from "../../../runner/report/writers/places.ts";
import { FIXTURES, HOSTILE, REPLICAS_FEEDBACK, checkOf, expectGolden, fixture, withFieldFailure, withGraderError } from "./support.ts";

/** A workflow command as GitHub's runner reads it: ::name prop=v,prop=v::data, one line. */
function parseCommand(line: string): { name: string; props: Record<string, string>; data: string } {
  const m = /^::([a-z-]+)(?: ([^:]*))?::(.*)$/.exec(line);
  if (!m) expect.fail(`not a workflow command: ${line}`);
  const unescape = (s: string) => s.replace(/%3A/g, ":").replace(/%2C/g, ",").replace(/%0D/g, "\r").replace(/%0A/g, "\n").replace(/%25/g, "%");
  const props = Object.fromEntries((m[2] ?? "").split(",").filter(Boolean).map((p) => {
    const eq = p.indexOf("=");
    return [p.slice(0, eq), unescape(p.slice(eq + 1))];
  }));
  return { name: m[1], props, data: unescape(m[3]) };
}

describe("reporters: annotations (GitHub workflow commands)", () => {
  for (const name of FIXTURES) {
    it(`${name}: one command a line, matching golden/${name}.annotations.txt`, () => {
      const text = toAnnotations(fixture(name));
      for (const line of text.split("\n").filter(Boolean)) parseCommand(line);
      expectGolden(`${name}.annotations.txt`, text);
    });
  }

  it("a failure naming an object is an error on that object's first line in the student's file; naming a field, on the field's line", () => {
    const report = fixture("failing");
    const statefulset = report.objects?.find((o) => o.kind === "StatefulSet" && o.name === "web");
    if (statefulset === undefined) expect.fail("the failing fixture has no StatefulSet web in objects");
    // Its feedback names StatefulSet web and no field: the object's own first line.
    const commands = annotations(report).map(parseCommand);
    expect(commands).to.have.length(1);
    expect(commands[0]).to.deep.include({
      name: "error",
      props: { file: statefulset.file, line: String(statefulset.line), title: "kubegrade: Pods are created in order, each after the previous one is Ready (ordered-creation)" },
    });
    expect(commands[0]?.data).to.equal(checkOf(report, "ordered-creation").feedback.join("\n"));
    expect(commands[0]?.data).to.contain(HOSTILE);
    // A field it names: that field's line.
    const replicas = annotations(withFieldFailure()).map(parseCommand).find((c) => c.props.title?.includes("(statefulset-spec)"));
    expect(replicas).to.deep.include({ name: "error", props: { file: "web.yaml", line: String(statefulset.fields["spec.replicas"]), title: "kubegrade: The StatefulSet is specified as the exercise asks (statefulset-spec)" }, data: REPLICAS_FEEDBACK });
  });

  it("failures with no place are errors without a file, after the placed ones; grader errors are warnings; skipped checks say nothing", () => {
    const report = withGraderError();
    const commands = annotations(report).map(parseCommand);
    expect(commands.map((c) => [c.name, c.props.file, /\(([a-z-]+)\)$/.exec(c.props.title ?? "")?.[1]])).to.deep.equal([
      ["error", "web.yaml", "ordered-creation"],
      ["warning", undefined, "pod-dns"],
    ]);
    expect(commands[1]?.data).to.equal(`The grader could not run this check (not a problem with the submission).\n${checkOf(report, "pod-dns").feedback[0]}`);
    // objects is optional (reports written before it; a submission past LOCATION_LIMITS.objects): no place, no file.
    delete report.objects;
    const unplaced = annotations(report).map(parseCommand);
    expect(unplaced.map((c) => [c.name, c.props.file])).to.deep.equal([["error", undefined], ["warning", undefined]]);
    expect(unplaced[0]?.data).to.contain(HOSTILE);
  });

  it("refusals point at their file and line; a grader failure is a warning; passing reports say nothing", () => {
    const report = fixture("refused");
    const refused = annotations(report).map(parseCommand);
    // Only the refusals: the checks a refusal skipped are not annotated.
    expect(refused.map((c) => [c.name, c.props.file, c.props.line, c.props.title])).to.deep.equal(
      report.refusals.map((r) => ["error", r.file, String(r.line), "kubegrade: submission refused"]),
    );
    expect(refused.map((c) => c.props.line)).to.deep.equal(["32", "38"]);
    expect(refused[1]?.data).to.equal("StatefulSet web spec.template.spec.containers[0].securityContext.privileged: container nginx is privileged; remove securityContext.privileged");
    // A grader failure is said once: one warning, not one more for every check it left ungraded.
    const infrastructure = annotations(fixture("infrastructure")).map(parseCommand);
    expect(infrastructure).to.have.length(1);
    expect(infrastructure.every((c) => c.name === "warning" && c.props.file === undefined)).to.equal(true);
    expect(infrastructure.at(-1)).to.deep.include({ props: { title: "kubegrade: the grader failed" } });
    expect(infrastructure.at(-1)?.data).to.equal(`Not a problem with the submission; the score is not final.\n${fixture("infrastructure").infrastructureError}`);
    expect(toAnnotations(fixture("passing"))).to.equal("");
  });

  it("student text cannot start a command: newlines, % and :: stay inside the data", () => {
    // A container's log lines end up in feedback (the failing fixture's does): make them commands.
    const report: GradeReport = fixture("failing");
    checkOf(report, "ordered-creation").feedback = ["StatefulSet web: 100% wrong\n::add-mask::secret\r\n::stop-commands::x"];
    const lines = toAnnotations(report).split("\n").filter(Boolean);
    expect(lines.every((l) => l.startsWith("::error ") || l.startsWith("::warning "))).to.equal(true);
    const ordered = parseCommand(lines.find((l) => l.includes("ordered-creation")) ?? "");
    expect(ordered.data).to.equal("StatefulSet web: 100% wrong\n::add-mask::secret\n::stop-commands::x");
    expect(escapeData("a%b\r\nc")).to.equal("a%25b%0D%0Ac");
    expect(escapeProperty("x: y, z")).to.equal("x%3A y%2C z");
  });

  describe("places (on the objects of the failing fixture: Service nginx, StatefulSet web in web.yaml)", () => {
    const objects = fixture("failing").objects ?? [];
    it("an object named with a field: the field's line, or its longest written prefix", () => {
      expect(placesIn(REPLICAS_FEEDBACK, objects)).to.deep.equal([{ file: "web.yaml", line: 21, object: "StatefulSet web", field: "spec.replicas" }]);
      expect(placesIn('Service nginx: spec.clusterIP is "10.43.0.12", expected "None".', objects)).to.deep.equal([{ file: "web.yaml", line: 11, object: "Service nginx", field: "spec.clusterIP" }]);
      expect(placesIn("StatefulSet web: spec.template.spec.containers[0].resources.limits is missing", objects)[0]).to.include({ line: 31, field: "spec.template.spec.containers[0]" });
    });
    it("an object named with a field it lacks, or with none: the object's first line", () => {
      expect(placesIn("StatefulSet web has no spec.podManagementPolicy.", objects)).to.deep.equal([{ file: "web.yaml", line: 15, object: "StatefulSet web" }]);
      expect(placesIn(checkOf(fixture("failing"), "ordered-creation").feedback[0] ?? "", objects)).to.deep.equal([{ file: "web.yaml", line: 15, object: "StatefulSet web" }]);
    });
    it("a kind without a name means the only object of that kind; names are whole words", () => {
      expect(placesIn("the StatefulSet's spec.serviceName is empty", objects)[0]).to.include({ line: 20 });
      expect(placesIn("StatefulSet web-0 restarted", objects)).to.deep.equal([]);
      expect(placesIn("pod web-1 did not answer", objects)).to.deep.equal([]);
    });
    it("a report without objects (written before they existed) has no places", () => {
      expect(placesIn(REPLICAS_FEEDBACK, [])).to.deep.equal([]);
    });
    it("only a failure has places: a grader error's or a skip's text names objects too, but is not the submission's", () => {
      const infrastructure = fixture("infrastructure");
      // A check that could not finish says why in its own feedback (run-checks.ts):
      // "…cluster ready to run a StatefulSet…" names the kind, and there is one StatefulSet.
      const error = { ...checkOf(infrastructure, "statefulset-spec"), feedback: ["The grader could not finish this check (not your submission's fault): cluster ready to run a StatefulSet: not reached within 120 s"] };
      expect(placesIn(error.feedback[0] ?? "", infrastructure.objects ?? [])).to.have.length(1);
      expect(checkPlaces(infrastructure, error)).to.deep.equal([]);
      const skipped = { ...checkOf(fixture("failing"), "pod-dns"), feedback: ["Not run: StatefulSet web does not exist (see statefulset-spec)."] };
      expect(checkPlaces(fixture("failing"), skipped)).to.deep.equal([]);
      expect(checkPlaces(fixture("failing"), checkOf(fixture("failing"), "ordered-creation"))).to.have.length(1);
    });
  });
});
