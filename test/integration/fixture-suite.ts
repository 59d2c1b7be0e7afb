/**
 * The mocha suite of one exercise's fixtures, for fixtures.test.ts and
 * started-early-fixtures.test.ts: every fixture graded on the shared cluster through the
 * same code as `kubegrade exercise verify` (runner/verify.ts), several at a time, each with
 * exactly the verdicts its expected.yaml gives; plus what only a test asserts here — a
 * report that matches the JSON Schema, a score that is the sum of the passed checks, a
 * recorded timeline.
 */
import { Ajv2020 } from "ajv/dist/2020.js";
import { expect } from "chai";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { PROJECT_ROOT } from "../../runner/config.ts";
import { loadExercise } from "../../runner/exercise.ts";
import { fixtureCases, verifyFixtures, type FixtureOutcome } from "../../runner/verify.ts";
import { earlyFixtureRun, fixtureSuiteTitle, fixtureTestTitle, sharedCluster } from "./hooks.ts";

const schema = JSON.parse(readFileSync(join(PROJECT_ROOT, "runner/report/report.schema.json"), "utf8")) as object;
const ajv = new Ajv2020({ allErrors: true });
ajv.addFormat("date-time", (value: string) => !Number.isNaN(Date.parse(value)));
const validateReport = ajv.compile(schema);

export const only = process.env.KUBEGRADE_FIXTURES?.split(",");

export async function describeFixtures(id: string): Promise<void> {
  const exercise = await loadExercise(id);
  const cases = fixtureCases(exercise, only);
  if (!cases.length) return;
  describe(fixtureSuiteTitle(id), function () {
    const outcomes = new Map<string, Promise<FixtureOutcome>>();
    before(async function () {
      // Started with the cluster for a long exercise (hooks.ts), else now.
      const run = await (earlyFixtureRun(id) ?? verifyFixtures({ exercise, cluster: sharedCluster(), only }));
      run.cases.forEach((c, i) => outcomes.set(c.name, run.outcomes[i]));
    });
    for (const c of cases) {
      it(fixtureTestTitle(c), async function () {
        const { report, problems } = await outcomes.get(c.name)!;
        expect(problems, "verdicts against expected.yaml").to.deep.equal([]);
        expect(report).to.not.equal(undefined);
        expect(validateReport(report), JSON.stringify(validateReport.errors)).to.equal(true);
        if (report!.refused) return;
        const earned = report!.checks.filter((check) => check.status === "passed").reduce((s, check) => s + check.maxScore, 0);
        expect(report!.score).to.equal(earned);
        // No pod to record when the StatefulSet could make none (its feedback says why).
        const noneMade = report!.checks.some((check) => check.feedback.some((f) => /StatefulSet \S+ cannot create (pod|claim) \S+-0\b/.test(f)));
        if (!noneMade) expect(report!.timeline.length, "the timeline recorded the pods").to.be.greaterThan(0);
      });
    }
  });
}
