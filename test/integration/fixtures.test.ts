/**
 * Every fixture of every built-in exercise graded on the shared cluster through the same
 * code as `kubegrade exercise verify` (runner/verify.ts): several at a time, each with
 * exactly the verdicts its expected.yaml gives; plus what only a test asserts here — a
 * report that matches the JSON Schema, a score that is the sum of the passed checks, a
 * recorded timeline.
 */
import { Ajv2020 } from "ajv/dist/2020.js";
import { expect } from "chai";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { PROJECT_ROOT } from "../../runner/config.ts";
import { submissionFootprint } from "../../runner/batch/capacity.ts";
import { listExercises, loadExercise, type ExerciseDefinition } from "../../runner/exercise.ts";
import { fixtureCases, verifyFixtures, type FixtureCase, type FixtureOutcome } from "../../runner/verify.ts";
import { sharedCluster } from "./hooks.ts";

const schema = JSON.parse(readFileSync(join(PROJECT_ROOT, "runner/report/report.schema.json"), "utf8")) as object;
const ajv = new Ajv2020({ allErrors: true });
ajv.addFormat("date-time", (value: string) => !Number.isNaN(Date.parse(value)));
const validateReport = ajv.compile(schema);

const only = process.env.KUBEGRADE_FIXTURES?.split(",");

/** Each exercise's run, started once: by its own describe, or earlier in the background. */
const runs = new Map<string, ReturnType<typeof verifyFixtures>>();
const start = (exercise: ExerciseDefinition) => {
  let run = runs.get(exercise.id);
  if (!run) {
    run = verifyFixtures({ exercise, cluster: sharedCluster(), only });
    runs.set(exercise.id, run);
  }
  return run;
};

/** Pods that request a whole CPU or more (cassandra): graded one at a time, in the background. */
const heavy = (exercise: ExerciseDefinition) => submissionFootprint(exercise).requests.cpu >= 1;

const exercises: { exercise: ExerciseDefinition; cases: FixtureCase[] }[] = [];
for (const id of listExercises()) {
  const exercise = await loadExercise(id);
  const cases = fixtureCases(exercise, only);
  if (cases.length) exercises.push({ exercise, cases });
}
// The heavy ones' tests come last, so the others' run while they are still grading.
exercises.sort((a, b) => Number(heavy(a.exercise)) - Number(heavy(b.exercise)));

// An exercise whose pods take most of the node (cassandra: 1.5 CPU requested, one grade at a
// time, ~6 min a fixture) starts grading as soon as the shared cluster is up, beside the
// other test files, instead of holding the whole run for half an hour at its turn. Its
// tests below then wait for their own results. (Only in a full run: a narrowed one starts
// nothing it may not run.)
if (!process.env.KUBEGRADE_TEST_GREP) {
  before(function () {
    for (const { exercise } of exercises) if (heavy(exercise)) void start(exercise);
  });
}

for (const { exercise, cases } of exercises) {
  describe(`fixtures: ${exercise.id}`, function () {
    const outcomes = new Map<string, Promise<FixtureOutcome>>();
    before(async function () {
      const run = await start(exercise);
      run.cases.forEach((c, i) => outcomes.set(c.name, run.outcomes[i]));
    });
    for (const c of cases) {
      it(`${c.name}: ${c.expected.description}`, async function () {
        const { report, problems } = await outcomes.get(c.name)!;
        expect(problems, "verdicts against expected.yaml").to.deep.equal([]);
        expect(report).to.not.equal(undefined);
        expect(validateReport(report), JSON.stringify(validateReport.errors)).to.equal(true);
        if (report!.refused) return;
        const earned = report!.checks.filter((check) => check.status === "passed").reduce((s, check) => s + check.maxScore, 0);
        expect(report!.score).to.equal(earned);
        expect(report!.timeline.length, "the timeline recorded the pods").to.be.greaterThan(0);
      });
    }
  });
}
