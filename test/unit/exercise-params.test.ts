import { expect } from "chai";
import { UsageError } from "../../runner/errors.ts";
import { loadExercise, validateCheckParams } from "../../runner/exercise.ts";
import { editDistance, nearest } from "../../runner/util/nearest.ts";

const web = loadExercise("web");
const refusal = (change: (e: typeof web) => void): UsageError => {
  const copy = structuredClone({ id: web.id, params: web.params, checks: web.checks });
  change(copy as typeof web);
  try {
    validateCheckParams(copy, "exercise.yaml");
  } catch (error) {
    expect(error).to.be.instanceOf(UsageError);
    return error as UsageError;
  }
  throw new Error("the definition was accepted");
};

describe("exercise parameters, checked against the checks' schemas at load", function () {
  it("a misspelled exercise parameter names the exercise, the field and the nearest valid name", function () {
    const e = refusal((d) => {
      d.params.servce = d.params.service;
      delete d.params.service;
    });
    expect(e.message).to.match(/exercise web: parameter servce is read by none of its checks \(did you mean service\?\)/);
  });
  it("a misspelled check parameter names the check and what it reads", function () {
    const e = refusal((d) => {
      d.checks.find((c) => c.id === "pod-dns")!.params = { htp: { port: 8080, path: "/" } };
    });
    expect(e.message).to.match(/check pod-dns: unknown parameter htp \(did you mean http\?\); it reads statefulset, service, http/);
  });
  it("a parameter of the wrong type names the check and the field", function () {
    const e = refusal((d) => {
      d.params.port = { port: "eighty" };
    });
    expect(e.message).to.match(/check headless-service: parameter port\.port must be integer/);
  });
  it("a missing required parameter is named", function () {
    const e = refusal((d) => {
      delete d.params.dataPath;
    });
    expect(e.message).to.match(/check per-pod-storage: parameter dataPath is required/);
  });
  it("an unknown check is named with the nearest one", function () {
    const e = refusal((d) => {
      d.checks[0].id = "headless-servce";
    });
    expect(e.message).to.match(/check headless-servce does not exist \(did you mean headless-service\?\)/);
  });
  it("the built-in exercises pass", function () {
    for (const id of ["web", "demo", "exercise-8", "cassandra"]) expect(() => loadExercise(id)).not.to.throw();
  });
});

describe("nearest name", function () {
  it("finds a typo's intended word and nothing for an unrelated one", function () {
    expect(editDistance("servce", "service")).to.equal(1);
    expect(nearest("servce", ["statefulset", "service", "port"])).to.equal("service");
    expect(nearest("zzzzzz", ["statefulset", "service", "port"])).to.equal(undefined);
  });
});
