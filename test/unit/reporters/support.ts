/**
 * Shared by the reporter tests: the report fixtures, golden files (UPDATE_GOLDEN=1 rewrites
 * them), and JSON Schema validation with ajv.
 *
 * The fixtures are real grades of the `web` exercise, each the JSON report `kubegrade grade`
 * wrote (`submission` is "students/alice"); every writer is tested on what it really receives.
 * When the report model changes, make them again on a warm cluster and review the goldens:
 *
 *   node runner/cli.ts cluster start
 *   node test/unit/reporters/regenerate.ts [passing|failing|refused|infrastructure…]
 *   UPDATE_GOLDEN=1 KUBEGRADE_TEST=unit node test/run.ts && git diff test/unit/reporters/golden
 *
 * A property no real grade of the four shows (a grader error beside passed and failed
 * checks, a failure naming a field) is built in the test by a small, documented
 * transformation of one of them (below), never by hand-writing a report.
 */
import { Ajv2020 } from "ajv/dist/2020.js";
import type { ValidateFunction } from "ajv";
import { expect } from "chai";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { CheckResult, GradeReport } from "../../../runner/report/model.ts";

export const HERE = fileURLToPath(new URL(".", import.meta.url));
export const REPO = join(HERE, "..", "..", "..");

/**
 * passing: fixtures/web/reference, every check passed, with its pod timeline and grader steps.
 * failing: fixtures/web/crash-loop with its container printing HOSTILE: ordered-creation failed
 *   (the hostile log line quoted in its feedback, naming StatefulSet web), the four checks that
 *   need Ready pods skipped, two passed.
 * refused: fixtures/web/privileged-hostpath, refused before grading (a hostPath volume at
 *   web.yaml:33, a privileged container at web.yaml:38), every check skipped, no cluster.
 * infrastructure: fixtures/web/reference on a cluster that never answered: infrastructureError,
 *   and every check a grader error.
 */
export const FIXTURES = ["passing", "failing", "refused", "infrastructure"] as const;
export type FixtureName = (typeof FIXTURES)[number];

export function fixture(name: FixtureName): GradeReport {
  return JSON.parse(readFileSync(join(HERE, "fixtures", `${name}.json`), "utf8")) as GradeReport;
}

/** The check `id` of `report`, failing the test when a regenerated fixture no longer has it. */
export function checkOf(report: GradeReport, id: string): CheckResult {
  const check = report.checks.find((c) => c.id === id);
  if (check === undefined) return expect.fail(`the report has no check ${id}; was the fixture regenerated from another exercise?`);
  return check;
}

/**
 * The failing grade with pod-dns as a grader error: no real grade of the four has an `error`
 * beside passed and failed checks. pod-dns gets what run-checks.ts records for a check whose
 * body threw (not an assertion) under --debug: its wording, and the stack as evidence.
 */
export const GRADER_ERROR = "exec in pod web-0: the connection to the API server was reset";
export function withGraderError(): GradeReport {
  const report = fixture("failing");
  Object.assign(checkOf(report, "pod-dns"), {
    status: "error",
    score: 0,
    feedback: [`The grader could not finish this check (not your submission's fault): ${GRADER_ERROR}`],
    evidence: [`Error: ${GRADER_ERROR}\n    at exec (runner/kube/exec.ts:61:11)`],
    durationMs: 5012,
  } satisfies Partial<CheckResult>);
  return report;
}

/**
 * The failing grade with statefulset-spec failed as fixtures/web/two-replicas fails it (its
 * message from checks/statefulset-spec.ts): a failure that names an object and a field,
 * which the four real grades do not have (theirs names only StatefulSet web).
 */
export const REPLICAS_FEEDBACK = "StatefulSet web has spec.replicas: 2; the exercise asks for 3.";
export function withFieldFailure(): GradeReport {
  const report = fixture("failing");
  const check = checkOf(report, "statefulset-spec");
  report.score -= check.score;
  Object.assign(check, { status: "failed", score: 0, feedback: [REPLICAS_FEEDBACK] } satisfies Partial<CheckResult>);
  return report;
}

/**
 * The last log line of the failing fixture's container, quoted in its ordered-creation
 * feedback: student text no writer may pass on raw where it means markup.
 */
export const HOSTILE = '<script>alert("pwned")</script> & Tom | Jerry';

/**
 * Compares `actual` with test/unit/reporters/golden/<file>. With UPDATE_GOLDEN=1 the file
 * is (re)written instead, and the test still checks that what was written reads back.
 */
export function expectGolden(file: string, actual: string): void {
  const path = join(HERE, "golden", file);
  if (process.env.UPDATE_GOLDEN === "1") {
    mkdirSync(join(HERE, "golden"), { recursive: true });
    writeFileSync(path, actual);
  }
  if (!existsSync(path)) expect.fail(`golden file ${path} is missing; run the unit tests with UPDATE_GOLDEN=1 to create it`);
  const expected = readFileSync(path, "utf8");
  // Not chai's deep diff of two huge strings: say where they part, which is what helps.
  if (actual !== expected) {
    const at = firstDifference(actual, expected);
    const line = actual.slice(0, at).split("\n").length;
    expect.fail(
      `output differs from golden/${file} at line ${line}:\n` +
        `  golden: ${JSON.stringify(expected.slice(at, at + 80))}\n` +
        `  actual: ${JSON.stringify(actual.slice(at, at + 80))}\n` +
        "(if the change is intended, rerun with UPDATE_GOLDEN=1 and review the diff)",
    );
  }
}

function firstDifference(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

/** RFC 3339 date-time, as JSON Schema's "date-time" format means it (ajv-formats is not installed). */
export function isDateTime(value: string): boolean {
  return /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/.test(value) && !Number.isNaN(Date.parse(value));
}

export function schemaValidator(schemaPath: string): ValidateFunction {
  const ajv = new Ajv2020({ allErrors: true });
  ajv.addFormat("date-time", isDateTime);
  return ajv.compile(JSON.parse(readFileSync(schemaPath, "utf8")));
}

/** Asserts `value` validates, showing ajv's errors when not. */
export function expectValid(validate: ValidateFunction, value: unknown, what: string): void {
  const ok = validate(value);
  expect(ok, `${what} does not validate:\n${JSON.stringify(validate.errors, null, 2)}`).to.equal(true);
}

export const reportSchemaPath = join(REPO, "runner", "report", "report.schema.json");
