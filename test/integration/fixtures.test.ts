/**
 * Every fixture of every exercise graded on the shared cluster, with exactly the verdicts
 * its expected.yaml gives, a phrase its feedback must contain, and a report that matches
 * the JSON Schema.
 */
import { Ajv2020 } from "ajv/dist/2020.js";
import { expect } from "chai";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { PROJECT_ROOT } from "../../runner/config.ts";
import { chooseJobs, readCapacity, submissionFootprint } from "../../runner/batch/capacity.ts";
import { loadExercise } from "../../runner/exercise.ts";
import { exitCodeForReport, grade } from "../../runner/grade.ts";
import type { GradeReport } from "../../runner/report/model.ts";
import { createProgress } from "../../runner/util/progress.ts";
import { sharedCluster } from "./hooks.ts";

interface Expected {
  description: string;
  exitCode: number;
  refused?: boolean;
  refusals?: string[];
  /** Refused by the API server at apply (after the cluster started), not by the validator. */
  refusedByApiServer?: boolean;
  verdicts?: Record<string, string>;
  feedback?: Record<string, string>;
  /** Phrases the report's notes must contain: what was adapted (a List export, a kustomization, another tag). */
  notes?: string[];
}

const FIXTURES = join(PROJECT_ROOT, "fixtures");
const schema = JSON.parse(readFileSync(join(PROJECT_ROOT, "runner/report/report.schema.json"), "utf8")) as object;
const ajv = new Ajv2020({ allErrors: true });
ajv.addFormat("date-time", (value: string) => !Number.isNaN(Date.parse(value)));
const validateReport = ajv.compile(schema);

function refusalText(report: GradeReport): string {
  return report.refusals
    .map((r) => `${r.file}${r.line ? `:${r.line}` : ""}${r.column ? `:${r.column}` : ""} ${r.object ?? ""} ${r.field ?? ""} ${r.message}`)
    .join("\n");
}

const only = process.env.KUBEGRADE_FIXTURES?.split(",");

/** Runs the given tasks at most `jobs` at a time; each promise settles with its own task. */
function limited<T>(jobs: number, tasks: (() => Promise<T>)[]): Promise<T>[] {
  let free = jobs;
  const waiting: (() => void)[] = [];
  const slot = () => (free > 0 ? (free--, Promise.resolve()) : new Promise<void>((resolve) => waiting.push(resolve)));
  const done = () => (waiting.length ? waiting.shift()!() : free++);
  return tasks.map(async (task) => {
    await slot();
    try {
      return await task();
    } finally {
      done();
    }
  });
}

for (const exercise of readdirSync(FIXTURES).filter((e) => existsSync(join(FIXTURES, e)) && !e.includes("."))) {
  describe(`fixtures: ${exercise}`, function () {
    const cases = readdirSync(join(FIXTURES, exercise))
      .filter((c) => existsSync(join(FIXTURES, exercise, c, "expected.yaml")))
      .filter((c) => !only || only.includes(c));
    // Graded several at a time on the one cluster, as `kubegrade batch` does (as many as its
    // --jobs default fits): each test then awaits its own case's grade.
    const grades = new Map<string, Promise<GradeReport>>();
    before(async function () {
      const capacity = await readCapacity(sharedCluster().kubeConfig);
      const jobs = "unknown" in capacity ? 1 : chooseJobs(capacity, submissionFootprint(await loadExercise(exercise)), exercise).jobs;
      const tasks = cases.map((name) => () => grade({
        exercise,
        submission: join(FIXTURES, exercise, name, "submission"),
        cluster: sharedCluster(),
        progress: createProgress({ quiet: true }),
      }));
      limited(jobs, tasks).forEach((graded, i) => {
        graded.catch(() => {}); // awaited (and reported) by its own test
        grades.set(cases[i], graded);
      });
    });
    for (const name of cases) {
      const dir = join(FIXTURES, exercise, name);
      const expected = parse(readFileSync(join(dir, "expected.yaml"), "utf8")) as Expected;
      it(`${name}: ${expected.description}`, async function () {
        const report = await grades.get(name)!;
        const summary = report.checks.map((c) => `${c.id}=${c.status}${c.feedback.length ? ` (${c.feedback.join(" | ")})` : ""}`).join("\n");
        expect(validateReport(report), JSON.stringify(validateReport.errors)).to.equal(true);
        expect(report.infrastructureError, "infrastructure error").to.equal(undefined);
        expect(exitCodeForReport(report), summary || refusalText(report)).to.equal(expected.exitCode);
        expect(report.refused).to.equal(expected.refused ?? false);
        for (const phrase of expected.notes ?? []) expect(report.notes.join("\n"), "notes").to.include(phrase);
        if (expected.refused) {
          if (!expected.refusedByApiServer) expect(report.cluster, "a refused submission never reaches a cluster").to.equal(null);
          for (const phrase of expected.refusals ?? []) expect(refusalText(report)).to.include(phrase);
          return;
        }
        const verdicts = Object.fromEntries(report.checks.map((c) => [c.id, c.status]));
        expect(verdicts, summary).to.deep.equal(expected.verdicts);
        for (const [id, phrase] of Object.entries(expected.feedback ?? {})) {
          const check = report.checks.find((c) => c.id === id);
          expect(check?.feedback.join("\n"), `${id} feedback`).to.include(phrase);
        }
        const earned = report.checks.filter((c) => c.status === "passed").reduce((s, c) => s + c.maxScore, 0);
        expect(report.score).to.equal(earned);
        expect(report.passed).to.equal(expected.exitCode === 0);
        expect(report.timeline.length, "the timeline recorded the pods").to.be.greaterThan(0);
      });
    }
  });
}
