/**
 * Shared by the reporter tests: the hand-written report fixtures, golden files
 * (UPDATE_GOLDEN=1 rewrites them), and JSON Schema validation with ajv.
 */
import { Ajv2020 } from "ajv/dist/2020.js";
import type { ValidateFunction } from "ajv";
import { expect } from "chai";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { GradeReport } from "../../../runner/report/model.ts";

export const HERE = fileURLToPath(new URL(".", import.meta.url));
export const REPO = join(HERE, "..", "..", "..");

/** passing: all checks pass; failing: failed, error and skipped checks with hostile student strings;
 * refused: refused before grading; infrastructure: the grader failed. */
export const FIXTURES = ["passing", "failing", "refused", "infrastructure"] as const;
export type FixtureName = (typeof FIXTURES)[number];

export function fixture(name: FixtureName): GradeReport {
  return JSON.parse(readFileSync(join(HERE, "fixtures", `${name}.json`), "utf8")) as GradeReport;
}

/** What the failing fixture's student strings contain; no writer may pass them on raw where they mean markup. */
export const HOSTILE = '<script>alert("pwned")</script>';

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
