/**
 * `--report json=PATH`: the report as it is (report.schema.json documents it), for
 * instructors' tooling and gradebooks. Evidence stays in: this is the format for detail.
 */
import type { GradeReport } from "../model.ts";

export function toJson(report: GradeReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
