/**
 * `kubegrade explain` lists each check's parameters — name, type, default, meaning and the
 * value the exercise sets — from the same JSON Schemas that validate them; couplings are said
 * where the parameter is.
 */
import { expect } from "chai";
import { CONTEXT_PARAMS, type CheckDefinition } from "../../checks/api.ts";
import { CHECKS } from "../../checks/index.ts";
import { explainCommand } from "../../runner/commands.ts";
import { paramLines, paramRows, typeText, valueText } from "../../runner/exercise-params.ts";
import { listExercises } from "../../runner/exercise.ts";

describe("explain: the checks' parameters", function () {
  it("says a schema's type in words", function () {
    expect(typeText({ type: "integer", minimum: 1, maximum: 65535 })).to.equal("whole number 1–65535");
    expect(typeText({ type: "string", pattern: "^/" })).to.equal("an absolute path");
    expect(typeText({ enum: ["OrderedReady", "Parallel"] })).to.equal('"OrderedReady" | "Parallel"');
    expect(typeText({ oneOf: [{ type: "integer" }, { type: "array", items: { type: "integer" } }] })).to.equal("whole number, or list of whole number");
    expect(typeText({ type: "object", required: ["port"], properties: { name: { type: "string" }, port: { type: "integer" } } })).to.equal("{port: whole number, name?: text}");
  });

  it("prints a parameter as the exercise file writes it, then its type, default and meaning", function () {
    expect(valueText({ port: 8080, path: "/api/v1/hello" })).to.equal("{port: 8080, path: /api/v1/hello}");
    const [set, unset] = paramRows(
      { properties: { scaleTo: { type: "integer", description: "Scaled up to this." }, scaleDownTo: { type: "integer", default: 1, description: "Down to this." } }, required: ["scaleTo"] },
      { scaleTo: 3 },
    );
    expect(paramLines(set, "  ")).to.deep.equal(["  scaleTo: 3", "      whole number; required", "      Scaled up to this."]);
    expect(paramLines(unset, "  ")).to.deep.equal(["  scaleDownTo: (not set)", "      whole number; optional, default 1", "      Down to this."]);
  });

  it("every parameter of every built-in check says what it means", function () {
    const undescribed = [...CHECKS.values()].flatMap((check: CheckDefinition<unknown>) =>
      Object.entries({ ...check.params.properties, ...CONTEXT_PARAMS }).filter(([, s]) => typeof s.description !== "string").map(([name]) => `${check.id}.${name}`),
    );
    expect(undescribed).to.deep.equal([]);
  });

  it("demo: pod-dns's http with its value, and the coupling (the answer must contain the pod's own name)", async function () {
    const text = await explainCommand("demo");
    expect(text).to.include("Parameters every check receives:\n  statefulset: demo\n      a Kubernetes name; required\n");
    const podDns = text.slice(text.indexOf(" pod-dns "), text.indexOf(" stable-identity") === -1 ? undefined : text.indexOf(" stable-identity"));
    expect(podDns).to.include("http: {port: 8080, path: /api/v1/hello}");
    expect(podDns).to.include("{port: whole number 1–65535, path: an absolute path}; optional");
    expect(podDns).to.include("must contain the pod's own name");
    expect(podDns).to.include("serviceListsPods: (not set)\n");
    expect(podDns).to.include("true or false; optional, default true");
  });

  it("statefulset-spec's claims say that an emptyDir there fails it", async function () {
    const text = await explainCommand("web");
    const spec = text.slice(text.indexOf(" statefulset-spec "), text.indexOf(" ordered-creation "));
    expect(spec).to.include("claims: [{name: www, mountPath: /usr/share/nginx/html}]");
    expect(spec).to.match(/an emptyDir \(or any other volume\) there fails this check/);
  });

  for (const id of listExercises()) {
    it(`${id}: explain lists every parameter of each check, set or not`, async function () {
      const text = await explainCommand(id);
      const { loadExercise } = await import("../../runner/exercise.ts");
      for (const check of (await loadExercise(id)).checks) {
        const at = text.indexOf(` ${check.id} `);
        const section = text.slice(at, findNextCheck(text, at));
        for (const name of Object.keys(check.definition.params.properties)) expect(section, `${id}: ${check.id}.${name}`).to.match(new RegExp(`\\n {28}${name}: `));
      }
    });
  }
});

/** Where the check after the one at `at` begins (a line of points), or the end of the checks. */
function findNextCheck(text: string, at: number): number | undefined {
  const rest = text.slice(at + 1);
  const next = rest.search(/\n {2,3}\d+ {2}\S/);
  const end = rest.indexOf("\n\nAllowed kinds");
  const stop = next === -1 ? end : Math.min(next, end === -1 ? Infinity : end);
  return stop === -1 ? undefined : at + 1 + stop;
}
