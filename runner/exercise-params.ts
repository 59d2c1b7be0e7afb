/**
 * The parameters checks read, in words, from the same JSON Schemas that validate them: for
 * `kubegrade explain` (each parameter's name, type, default, meaning and the value the exercise
 * sets) and for the `params` of exercise.schema.json (every built-in parameter, described).
 * Pure functions (unit-tested in test/unit/explain-params.test.ts).
 */
import { stringify } from "yaml";
import { CONTEXT_PARAMS, type CheckDefinition, type JsonSchema } from "../checks/api.ts";

/** Patterns a reader knows by a name. */
const PATTERN_NAMES: Record<string, string> = {
  "^/": "an absolute path",
  "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$": "a Kubernetes name",
};

function range(schema: JsonSchema): string {
  const { minimum: min, maximum: max } = schema as { minimum?: number; maximum?: number };
  if (min !== undefined && max !== undefined) return ` ${min}–${max}`;
  if (min !== undefined) return ` ≥ ${min}`;
  if (max !== undefined) return ` ≤ ${max}`;
  return "";
}

/** A parameter's type in a few words: "whole number 1–65535", "list of {mountPath: an absolute path, name?: text}". */
export function typeText(schema: JsonSchema): string {
  if (Array.isArray(schema.enum)) return schema.enum.map((v) => JSON.stringify(v)).join(" | ");
  const branches = (schema.oneOf ?? schema.anyOf) as JsonSchema[] | undefined;
  if (Array.isArray(branches)) return branches.map(typeText).join(", or ");
  switch (schema.type) {
    case "string": {
      const pattern = schema.pattern as string | undefined;
      if (pattern !== undefined) return PATTERN_NAMES[pattern] ?? `text matching /${pattern}/`;
      return schema.minLength ? "non-empty text" : "text";
    }
    case "integer":
      return `whole number${range(schema)}`;
    case "number":
      return `number${range(schema)}`;
    case "boolean":
      return "true or false";
    case "array": {
      const min = schema.minItems as number | undefined;
      return `list of ${schema.items ? typeText(schema.items as JsonSchema) : "anything"}${min ? ` (at least ${min})` : ""}`;
    }
    case "object": {
      const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
      const required = (schema.required ?? []) as string[];
      const fields = Object.entries(properties).sort(([a], [b]) => Number(!required.includes(a)) - Number(!required.includes(b)));
      return fields.length ? `{${fields.map(([k, v]) => `${k}${required.includes(k) ? "" : "?"}: ${typeText(v)}`).join(", ")}}` : "map";
    }
    default:
      return "anything";
  }
}

/** A value as an exercise file writes it, on one line: web, 80, {port: 80, named: true}, [2, 3]. */
export function valueText(value: unknown): string {
  return stringify(value, { collectionStyle: "flow", flowCollectionPadding: false, lineWidth: 0 }).trim();
}

/** One parameter a check reads, for explain. */
export interface ParamRow {
  name: string;
  type: string;
  required: boolean;
  /** The schema's `default`: what the check does when the parameter is not set. */
  default?: unknown;
  meaning?: string;
  /** Whether the exercise (or the check's own params) sets it; `value` is what it sets. */
  set: boolean;
  value?: unknown;
}

/** The parameters of a params schema, each with the value `values` gives it. */
export function paramRows(schema: { properties: Record<string, JsonSchema>; required?: string[] }, values: Record<string, unknown>): ParamRow[] {
  return Object.entries(schema.properties).map(([name, property]) => ({
    name,
    type: typeText(property),
    required: schema.required?.includes(name) ?? false,
    ...("default" in property ? { default: property.default } : {}),
    ...(typeof property.description === "string" ? { meaning: property.description } : {}),
    set: values[name] !== undefined,
    ...(values[name] !== undefined ? { value: values[name] } : {}),
  }));
}

/**
 * A parameter as explain prints it: its name and value as the exercise file writes them (or
 * "(not set)"), then its type, whether it is required and its default, then what it means.
 */
export function paramLines(row: ParamRow, indent: string): string[] {
  const value = row.set ? valueText(row.value) : "(not set)";
  const kind = `${row.type}; ${row.required ? "required" : "optional"}${"default" in row ? `, default ${valueText(row.default)}` : ""}`;
  return [`${indent}${row.name}: ${value}`, `${indent}    ${kind}`, ...(row.meaning ? [`${indent}    ${row.meaning}`] : [])];
}

/** The parameters of the context, which every check accepts (`statefulset`, `service`). */
export function contextParamRows(values: Record<string, unknown>): ParamRow[] {
  return paramRows({ properties: { ...CONTEXT_PARAMS } }, values);
}

/**
 * The `params` of exercise.schema.json: the context's parameters and every built-in check's, each
 * described with the checks that read it (a name two checks read with different schemas: anyOf
 * both). Other names stay allowed — a course's check module reads its own — and the loader
 * refuses a name none of the exercise's checks reads, with the nearest one.
 */
export function exerciseParamsSchema(checks: Iterable<CheckDefinition<unknown>>): JsonSchema {
  const readers = new Map<string, { schema: JsonSchema; checks: string[] }[]>();
  const add = (name: string, schema: JsonSchema, check: string) => {
    const { description: _, ...shape } = schema;
    const known = readers.get(name) ?? [];
    const same = known.find((k) => JSON.stringify(k.schema) === JSON.stringify(shape));
    if (same) same.checks.push(check);
    else known.push({ schema: shape, checks: [check] });
    readers.set(name, known);
  };
  const properties: Record<string, JsonSchema> = {};
  for (const [name, schema] of Object.entries(CONTEXT_PARAMS)) properties[name] = { ...schema, description: `${String(schema.description)} Read by every check.` };
  const descriptions = new Map<string, string[]>();
  for (const check of checks) {
    for (const [name, schema] of Object.entries(check.params.properties)) {
      if (name in CONTEXT_PARAMS) continue;
      add(name, schema, check.id);
      if (typeof schema.description === "string") descriptions.set(name, [...(descriptions.get(name) ?? []), `${check.id}: ${schema.description}`]);
    }
  }
  for (const [name, shapes] of [...readers].sort(([a], [b]) => a.localeCompare(b))) {
    const readBy = shapes.flatMap((s) => s.checks);
    const described = descriptions.get(name) ?? [];
    const silent = readBy.filter((id) => !described.some((d) => d.startsWith(`${id}: `)));
    const description = [...described, ...(silent.length ? [`Also read by ${silent.join(", ")}.`] : [])].join(" ");
    properties[name] = shapes.length === 1 ? { ...shapes[0].schema, description } : { anyOf: shapes.map((s) => s.schema), description };
  }
  return {
    type: "object",
    description:
      "Parameters every check of the exercise receives (a check's own `params` override them). Listed: the context's and the built-in checks', for editors " +
      "(kubegrade explain <exercise> shows each check's with its value); a course's check module may read others. When the exercise is loaded, each " +
      "parameter is validated against the schema of each check that reads it, and a name none of its checks reads is refused with the nearest one.",
    properties,
  };
}
