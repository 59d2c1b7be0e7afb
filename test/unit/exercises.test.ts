import { expect } from "chai";
import { CHECKS } from "../../checks/index.ts";
import { listExercises, loadExercise, maxScore } from "../../runner/exercise.ts";
import { planChecks } from "../../runner/grade/run-checks.ts";
import { WORKLOAD_IMAGES } from "../../runner/workload-images.ts";
import { exactReference } from "../../runner/submission/images.ts";

describe("exercise definitions", function () {
  it("lists web, exercise-8 and demo", function () {
    expect(listExercises()).to.include.members(["web", "exercise-8", "demo"]);
  });
  for (const id of listExercises()) {
    it(`${id}: valid, every check exists, 100 points, every image served by the kit node`, async function () {
      const exercise = await loadExercise(id);
      for (const c of exercise.checks) expect(CHECKS.has(c.id), c.id).to.equal(true);
      expect(maxScore(exercise)).to.equal(100);
      const served = new Set(WORKLOAD_IMAGES.flatMap((w) => w.names).map(exactReference));
      for (const image of exercise.images) expect(served.has(exactReference(image)), image).to.equal(true);
    });
    it(`${id}: destructive checks run after all the others`, async function () {
      const plan = planChecks(await loadExercise(id)).map((p) => p.definition.destructive);
      expect(plan.indexOf(true) === -1 || plan.slice(plan.indexOf(true)).every(Boolean)).to.equal(true);
    });
  }
  it("refuses an unknown exercise with the list of known ones", async function () {
    const error = await loadExercise("nope").catch((e: unknown) => e as Error);
    expect(error).to.be.instanceOf(Error);
    expect((error as Error).message).to.match(/unknown exercise "nope" \(known: .*web/);
  });
});
