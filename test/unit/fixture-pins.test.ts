/**
 * A fixture's expected.yaml against the grade it got: every check pinned with `verdicts`, or
 * only some with `fails`/`passes` (the others free); its mistakes named before any grade, with
 * the nearest check id. The report is a real grade of web (the reporters' failing fixture:
 * ordered-creation failed, four checks skipped).
 */
import { expect } from "chai";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { PROJECT_ROOT } from "../../runner/config.ts";
import { listExercises, loadExercise } from "../../runner/exercise.ts";
import { compareWithExpected, expectedProblems, fixtureCases, type Expected } from "../../runner/verify.ts";
import { fixture } from "./reporters/support.ts";

const web = await loadExercise("web");
const report = fixture("failing");
const compare = (expected: Partial<Expected>) => compareWithExpected(report, { description: "", exitCode: 1, ...expected }, "broken", web);

describe("fixture pins (expected.yaml)", function () {
  it("fails: [id] pins only that check; the others are free", function () {
    expect(compare({ fails: ["ordered-creation"] })).to.deep.equal([]);
    expect(compare({ fails: ["ordered-creation"], passes: ["headless-service", "statefulset-spec"] })).to.deep.equal([]);
  });

  it("a pinned check that got another verdict is named with what it got", function () {
    expect(compare({ fails: ["headless-service"] })).to.deep.equal(["headless-service: passed, expected failed"]);
    const [problem] = compare({ passes: ["ordered-creation"] });
    expect(problem).to.match(/^ordered-creation: failed, expected passed — /);
  });

  it("verdicts: still pins every check, and names one left out", function () {
    const problems = compare({ verdicts: { "headless-service": "passed", "statefulset-spec": "passed", "ordered-creation": "failed" } });
    expect(problems).to.include("expected.yaml gives no verdict for per-pod-storage (got skipped); pin it, or name only some checks with fails:/passes:");
  });

  it("a misspelled check id says which the exercise has (did you mean)", function () {
    expect(expectedProblems({ description: "", exitCode: 1, fails: ["ordered-creaton"] }, web)).to.deep.equal([
      "expected.yaml: `fails` names ordered-creaton, which the exercise does not check (did you mean ordered-creation?)",
    ]);
    expect(expectedProblems({ description: "", exitCode: 1, feedback: { "pod-dsn": "x" } }, web)).to.deep.equal([
      "expected.yaml: `feedback` names pod-dsn, which the exercise does not check (did you mean pod-dns?)",
    ]);
    expect(compare({ passes: ["headless-servce"] })).to.include(
      "expected.yaml: `passes` names headless-servce, which the exercise does not check (did you mean headless-service?)",
    );
  });

  it("refuses an unknown property, verdicts beside fails, a check in both lists, an unknown status", function () {
    const problems = (expected: object) => expectedProblems({ description: "", exitCode: 1, ...expected } as Expected, web);
    expect(problems({ fail: ["pod-dns"] })).to.deep.equal(["expected.yaml has no property `fail` (did you mean fails?)"]);
    expect(problems({ verdicts: {}, fails: ["pod-dns"] })).to.deep.equal([
      "expected.yaml: give `verdicts` (every check pinned) or `fails`/`passes` (only these pinned, the others free), not both",
    ]);
    expect(problems({ fails: ["pod-dns"], passes: ["pod-dns"] })).to.deep.equal(["expected.yaml: pod-dns is in both `fails` and `passes`"]);
    expect(problems({ fails: "pod-dns" })).to.deep.equal(["expected.yaml: `fails` must be a list of check ids, as in fails: [headless-service]"]);
    expect(problems({ verdicts: { "pod-dns": "fail" } })).to.deep.equal([
      'expected.yaml: `verdicts.pod-dns` is "fail", not one of passed, failed, error, skipped (did you mean failed?)',
    ]);
  });

  it("maxSeconds: a verdict that took longer is named, and the value must be a number of seconds", function () {
    // The failing fixture's grade took its report's durationMs.
    const took = report.durationMs / 1000;
    expect(compare({ fails: ["ordered-creation"], maxSeconds: Math.ceil(took) + 1 })).to.deep.equal([]);
    expect(compare({ fails: ["ordered-creation"], maxSeconds: took / 2 })).to.deep.equal([
      `the verdict took ${took.toFixed(1)} s, more than the ${took / 2} s expected.yaml allows`,
    ]);
    expect(expectedProblems({ description: "", exitCode: 1, maxSeconds: "30" as unknown as number }, web)).to.deep.equal([
      "expected.yaml: `maxSeconds` must be a number of seconds above 0, as in maxSeconds: 30",
    ]);
  });

  it("every expected.yaml of the built-in exercises and of the test course is well formed", async function () {
    const course = join(PROJECT_ROOT, "test/course");
    const ids = listExercises([course]).filter((id) => existsSync(join(PROJECT_ROOT, "fixtures", id)) || readdirSync(course).includes(id));
    const problems: string[] = [];
    for (const id of ids) {
      const exercise = await loadExercise(id, [course]);
      for (const c of fixtureCases(exercise)) problems.push(...expectedProblems(c.expected, exercise).map((p) => `${id}/${c.name}: ${p}`));
    }
    expect(ids.length).to.be.greaterThan(4);
    expect(problems).to.deep.equal([]);
  });
});
