import { expect } from "chai";
import type { GradeReport } from "../../../runner/report/model.ts";
import { annotations, escapeData, escapeProperty, toAnnotations } from "../../../runner/report/writers/annotations.ts";
import { placesIn } from "../../../runner/report/writers/places.ts";
import { FIXTURES, HOSTILE, expectGolden, fixture } from "./support.ts";

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

  it("a failure naming an object and a field is an error on that field's line in the student's file", () => {
    const commands = annotations(fixture("failing")).map(parseCommand);
    const service = commands.find((c) => c.props.title?.includes("(headless-service)"));
    expect(service).to.deep.include({ name: "error", props: { file: "manifests/service.yaml", line: "6", title: "kubegrade: A headless Service governs the StatefulSet's pods (headless-service)" } });
    expect(service?.data.split("\n")[0]).to.equal('Service web: spec.clusterIP is "10.43.0.12", expected "None" (a headless Service).');
    const ordered = commands.find((c) => c.props.title?.includes("(ordered-creation)"));
    expect(ordered?.props).to.include({ file: "manifests/statefulset.yaml", line: "8" });
  });

  it("failures with no place are errors without a file, after the placed ones; grader errors are warnings", () => {
    const commands = annotations(fixture("failing")).map(parseCommand);
    const placed = commands.findIndex((c) => c.props.file === undefined);
    expect(commands.slice(placed).every((c) => c.props.file === undefined)).to.equal(true);
    const index = commands.find((c) => c.props.title?.includes("(per-pod-index)"));
    expect(index?.name).to.equal("error");
    expect(index?.data).to.contain(HOSTILE);
    expect(commands.find((c) => c.props.title?.includes("(per-pod-dns)"))?.name).to.equal("warning");
    expect(commands.some((c) => c.props.title?.includes("(partitioned-rollout)"))).to.equal(false);
  });

  it("refusals point at their file and line; a grader failure is a warning; passing reports say nothing", () => {
    const refused = annotations(fixture("refused")).map(parseCommand);
    expect(refused[0]).to.deep.include({ name: "error", props: { file: "manifests/statefulset.yaml", line: "14", title: "kubegrade: submission refused" } });
    expect(annotations(fixture("infrastructure")).map(parseCommand).map((c) => c.name)).to.include("warning");
    expect(toAnnotations(fixture("passing"))).to.equal("");
  });

  it("student text cannot start a command: newlines, % and :: stay inside the data", () => {
    const report: GradeReport = structuredClone(fixture("failing"));
    report.checks[1] = { ...report.checks[1], feedback: ["Service web: 100% wrong\n::add-mask::secret\r\n::stop-commands::x"] };
    const lines = toAnnotations(report).split("\n").filter(Boolean);
    expect(lines.every((l) => l.startsWith("::error ") || l.startsWith("::warning "))).to.equal(true);
    const service = parseCommand(lines.find((l) => l.includes("headless-service")) ?? "");
    expect(service.data).to.equal("Service web: 100% wrong\n::add-mask::secret\n::stop-commands::x");
    expect(escapeData("a%b\r\nc")).to.equal("a%25b%0D%0Ac");
    expect(escapeProperty("x: y, z")).to.equal("x%3A y%2C z");
  });

  describe("places", () => {
    const objects = fixture("failing").objects ?? [];
    it("an object named with a field: the field's line, or its longest written prefix", () => {
      expect(placesIn("StatefulSet web has spec.replicas: 2", objects)).to.deep.equal([{ file: "manifests/statefulset.yaml", line: 7, object: "StatefulSet web", field: "spec.replicas" }]);
      expect(placesIn("StatefulSet web: spec.template.spec.containers[0].image is wrong", objects)[0]).to.include({ line: 24, field: "spec.template.spec.containers" });
    });
    it("an object named with a field it lacks, or with none: the object's first line", () => {
      expect(placesIn("StatefulSet web has no spec.volumeClaimTemplates.", objects)).to.deep.equal([{ file: "manifests/statefulset.yaml", line: 2, object: "StatefulSet web" }]);
    });
    it("a kind without a name means the only object of that kind; names are whole words", () => {
      expect(placesIn("the StatefulSet's spec.serviceName is empty", objects)[0]).to.include({ line: 6 });
      expect(placesIn("StatefulSet web-0 restarted", objects)).to.deep.equal([]);
      expect(placesIn("pod web-1 did not answer", objects)).to.deep.equal([]);
    });
    it("a report without objects (written before they existed) has no places", () => {
      expect(placesIn("StatefulSet web has spec.replicas: 2", [])).to.deep.equal([]);
    });
  });
});
