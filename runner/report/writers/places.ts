/**
 * The places in the student's own files that a check's feedback is about, found from the
 * report alone (its optional `objects`): the writers that point at lines — GitHub
 * annotations, GitLab's JUnit `file` and Code Quality — share this.
 *
 * Feedback names objects as "<Kind> <name>" ("StatefulSet web has spec.replicas: 2") and
 * fields as paths ("spec.podManagementPolicy"). A place is the line of the longest part of
 * a named field that the object has (below its top level: "spec:" alone says nothing),
 * else the object's first line. A kind written without
 * a name ("the StatefulSet's spec.serviceName") names the only object of that kind, when
 * there is exactly one. Feedback that names nothing submitted has no place.
 */
import type { CheckResult, GradeReport, ObjectLocation } from "../model.ts";

export interface Place {
  /** Relative to the submission directory. */
  file: string;
  line: number;
  /** "StatefulSet web" */
  object: string;
  /** The field the line is on, when the feedback names one the object has. */
  field?: string;
}

/** spec.template.spec.containers[0].image, metadata.name, … */
const FIELD = /\b(?:spec|metadata|data|stringData)(?:\.[A-Za-z0-9_-]+|\[\d+\])+/g;

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** "StatefulSet web" as whole words: not "StatefulSet web-0", and "web." ending a sentence is fine. */
function namesObject(text: string, o: ObjectLocation): boolean {
  return new RegExp(`(?<![A-Za-z0-9])${escapeRegExp(o.kind)} ${escapeRegExp(o.name)}(?![A-Za-z0-9_-])(?!\\.[A-Za-z0-9])`).test(text);
}

/** The kind as a word not followed by a name ("the StatefulSet's spec.serviceName", not "StatefulSet web-0"). */
function namesKind(text: string, kind: string): boolean {
  return new RegExp(`(?<![A-Za-z0-9])${escapeRegExp(kind)}(?![A-Za-z0-9])(?! [a-z0-9])`).test(text);
}

/** The line of `field` in the object, or of its longest written prefix below the top level (not just "spec:"). */
function fieldLine(o: ObjectLocation, field: string): { field: string; line: number } | undefined {
  let path = field;
  while (/[.[]/.test(path)) {
    const line = o.fields[path];
    if (line !== undefined) return { field: path, line };
    const cut = Math.max(path.lastIndexOf("."), path.lastIndexOf("["));
    path = cut > 0 ? path.slice(0, cut) : "";
  }
  return undefined;
}

/** Places named by one piece of text, in the order found, without duplicates. */
export function placesIn(text: string, objects: readonly ObjectLocation[]): Place[] {
  const named = objects.filter((o) => namesObject(text, o));
  if (named.length === 0) {
    // "the StatefulSet's spec.serviceName": the only StatefulSet, if there is one.
    const kinds = [...new Set(objects.map((o) => o.kind))].filter((k) => namesKind(text, k));
    for (const kind of kinds) {
      const ofKind = objects.filter((o) => o.kind === kind);
      if (ofKind.length === 1) named.push(ofKind[0]);
    }
  }
  const fields = [...new Set(text.match(FIELD) ?? [])];
  const places: Place[] = [];
  for (const o of named) {
    const object = `${o.kind} ${o.name}`;
    const found = fields.map((f) => fieldLine(o, f)).filter((f): f is { field: string; line: number } => f !== undefined);
    // A field at the object's own first line (kind:) says no more than the object.
    const specific = found.filter((f) => f.line !== o.line);
    if (specific.length > 0) for (const f of specific) places.push({ file: o.file, line: f.line, object, field: f.field });
    else places.push({ file: o.file, line: o.line, object });
  }
  return dedupe(places);
}

/**
 * Where a failed check points, over all its feedback. Only a failure is the submission's:
 * a grader error's text ("the cluster is not ready to run a StatefulSet") or a skip's names
 * objects too, and must not be pinned on the student's line.
 */
export function checkPlaces(report: GradeReport, check: CheckResult): Place[] {
  const objects = report.objects ?? [];
  if (objects.length === 0 || check.status !== "failed") return [];
  return dedupe(check.feedback.flatMap((text) => placesIn(text, objects)));
}

function dedupe(places: Place[]): Place[] {
  const seen = new Set<string>();
  return places.filter((p) => {
    const key = `${p.file}\0${p.line}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
