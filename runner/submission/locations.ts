/**
 * Where each submitted object (and each field written in it) sits in the student's
 * files, for the report's optional `objects`: reporters that point at the student's own
 * lines (GitHub annotations, GitLab's JUnit `file` and Code Quality) read it, never the
 * YAML itself, so they stay pure functions of the report.
 */
import type { SubmittedObject } from "./load.ts";
import type { ObjectLocation } from "../report/model.ts";

/** Bounds on what a hostile submission can make the report carry. */
export const LOCATION_LIMITS = { objects: 200, fieldsPerObject: 400, depth: 12 } as const;

/** The same notation as a Refusal's field: spec.template.spec.containers[0].image */
export function fieldPath(path: readonly (string | number)[]): string {
  return path.reduce<string>((acc, key) => (typeof key === "number" ? `${acc}[${key}]` : acc ? `${acc}.${key}` : key), "");
}

export function objectLocations(objects: readonly SubmittedObject[]): ObjectLocation[] {
  return objects.slice(0, LOCATION_LIMITS.objects).map((object) => {
    const fields: Record<string, number> = {};
    let count = 0;
    const walk = (value: unknown, path: (string | number)[]): void => {
      if (path.length > LOCATION_LIMITS.depth) return;
      const entries: [string | number, unknown][] = Array.isArray(value)
        ? value.map((v, i) => [i, v])
        : value !== null && typeof value === "object"
          ? Object.entries(value as Record<string, unknown>)
          : [];
      for (const [key, child] of entries) {
        if (count >= LOCATION_LIMITS.fieldsPerObject) return;
        const childPath = [...path, key];
        const line = object.position(childPath)?.line;
        if (line !== undefined) {
          fields[fieldPath(childPath)] = line;
          count++;
        }
        walk(child, childPath);
      }
    };
    walk(object.body, []);
    return { kind: object.kind, name: object.name, file: object.file, line: object.line, column: object.column, fields };
  });
}
