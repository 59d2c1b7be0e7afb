/**
 * What is wrong with an exercise file, in the instructor's words: the check by its id and
 * 1-based position, the property as the file spells it, what it must be, what was found, and
 * the nearest valid name ("check id-served (7th): `http` has no property `prot` — did you mean
 * `port`?"). Pure functions over Ajv's errors and the schema they came from (unit-tested in
 * test/unit/exercise-errors.test.ts).
 */
import { nearest } from "./util/nearest.ts";

/** One of Ajv's errors (the fields read here). */
export interface SchemaError {
  instancePath: string;
  schemaPath: string;
  keyword: string;
  params?: Record<string, unknown>;
  message?: string;
}

/** 1st, 2nd, 3rd, 4th, 11th, 12th, 13th, 21st… */
export function ordinal(n: number): string {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? "th" : ({ 1: "st", 2: "nd", 3: "rd" } as Record<number, string>)[n % 10] ?? "th";
  return `${n}${suffix}`;
}

/** "check id-served (7th)", or "the 7th check" when it has no id yet. */
export function checkLabel(id: unknown, index: number): string {
  return typeof id === "string" && id ? `check ${id} (${ordinal(index + 1)})` : `the ${ordinal(index + 1)} check`;
}

/** Where an error is: who it is about ("check x (2nd)", or nothing for the file itself) and the path below it. */
export interface Place {
  subject?: string;
  path: string[];
}

/** The exercise file's places: under checks/N, that check; anything else, the file's own properties. */
export function exercisePlace(data: unknown): (segments: string[]) => Place {
  return (segments) => {
    if (segments[0] === "checks" && segments.length >= 2 && /^\d+$/.test(segments[1])) {
      const index = Number(segments[1]);
      const checks = (data as { checks?: unknown[] } | null)?.checks;
      const id = Array.isArray(checks) ? (checks[index] as { id?: unknown } | null)?.id : undefined;
      return { subject: checkLabel(id, index), path: segments.slice(2) };
    }
    return { path: segments };
  };
}

/** `a.b[0].c` as the file spells it. */
function pathText(path: string[]): string {
  return path.reduce((text, key) => (/^\d+$/.test(key) ? `${text}[${key}]` : text ? `${text}.${key}` : key), "");
}

function valueAt(data: unknown, segments: string[]): unknown {
  let at = data;
  for (const key of segments) {
    if (at === null || typeof at !== "object") return undefined;
    at = (at as Record<string, unknown>)[key];
  }
  return at;
}

/** The subschema a schemaPath ("#/properties/checks/items/…/additionalProperties") points into, less its keyword. */
function schemaAt(schema: unknown, schemaPath: string): Record<string, unknown> | undefined {
  const keys = schemaPath.replace(/^#\/?/, "").split("/").filter(Boolean).slice(0, -1).map((k) => k.replaceAll("~1", "/").replaceAll("~0", "~"));
  let at = schema;
  for (const key of keys) {
    if (at === null || typeof at !== "object") return undefined;
    at = (at as Record<string, unknown>)[key];
  }
  return at && typeof at === "object" ? (at as Record<string, unknown>) : undefined;
}

function shown(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}

const KINDS: Record<string, string> = {
  string: "a text", integer: "a whole number", number: "a number", boolean: "true or false", array: "a list", object: "a map (key: value)", null: "null",
};

function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "number") return Number.isInteger(value) ? "a whole number" : "a number";
  return KINDS[typeof value] ?? typeof value;
}

/** What a schema asks for, in a few words: "a whole number", "a text or a list". */
function expectedKind(schema: Record<string, unknown> | undefined): string {
  if (!schema) return "something else";
  const types = [schema.type].flat().filter((t): t is string => typeof t === "string");
  if (types.length) return types.map((t) => KINDS[t] ?? t).join(" or ");
  if (Array.isArray(schema.enum)) return `one of ${schema.enum.map((v) => JSON.stringify(v)).join(", ")}`;
  const branches = (schema.oneOf ?? schema.anyOf) as Record<string, unknown>[] | undefined;
  if (Array.isArray(branches)) return [...new Set(branches.map(expectedKind))].join(" or ");
  return "something else";
}

/** The sentence for one error about `it` ("check x (2nd): `http`", "check x (2nd)", "`params`", "the exercise"). */
function sentence(error: SchemaError, it: string, value: unknown, schema: unknown): string {
  const params = error.params ?? {};
  const at = schemaAt(schema, error.schemaPath);
  switch (error.keyword) {
    case "additionalProperties": {
      const unknown = String(params.additionalProperty);
      const known = Object.keys((at?.properties as object | undefined) ?? {});
      const guess = unknown.length > 2 ? nearest(unknown, known) : undefined; // "x" is no typo of "in"
      return `${it} has no property \`${unknown}\`${guess ? ` — did you mean \`${guess}\`?` : known.length ? ` (it has ${known.map((k) => `\`${k}\``).join(", ")})` : ""}`;
    }
    case "required":
      return `${it} needs \`${String(params.missingProperty)}\``;
    case "type":
      return `${it} must be ${expectedKind({ type: params.type })}, not ${kindOf(value)} (${shown(value)})`;
    case "enum": {
      const allowed = (params.allowedValues as unknown[] | undefined) ?? [];
      const guess = typeof value === "string" ? nearest(value, allowed.filter((v): v is string => typeof v === "string")) : undefined;
      return `${it} must be one of ${allowed.map((v) => JSON.stringify(v)).join(", ")}, not ${shown(value)}${guess ? ` — did you mean ${JSON.stringify(guess)}?` : ""}`;
    }
    case "oneOf":
    case "anyOf":
      return `${it} must be ${expectedKind(at)}, not ${kindOf(value)} (${shown(value)})`;
    case "pattern":
      return `${it} must match /${String(params.pattern)}/, not ${shown(value)}`;
    case "minimum":
    case "exclusiveMinimum":
      return `${it} must be at least ${String(params.limit)}${error.keyword === "exclusiveMinimum" ? " (exclusive)" : ""}, not ${shown(value)}`;
    case "maximum":
    case "exclusiveMaximum":
      return `${it} must be at most ${String(params.limit)}${error.keyword === "exclusiveMaximum" ? " (exclusive)" : ""}, not ${shown(value)}`;
    case "minItems":
      return `${it} needs at least ${String(params.limit)} item${params.limit === 1 ? "" : "s"}`;
    case "minProperties":
      return `${it} needs at least ${String(params.limit)} entr${params.limit === 1 ? "y" : "ies"}`;
    case "minLength":
      return `${it} must not be empty`;
    default:
      return `${it} ${error.message ?? "is not valid"}`;
  }
}

/**
 * Errors a failed oneOf/anyOf makes redundant. With allErrors, Ajv reports each branch's own
 * failure beside the oneOf's: when exactly one branch is of the value's kind, its failures say
 * what is wrong (a count over the maximum) and the oneOf's is dropped; otherwise the oneOf's
 * alone is kept ("`run` must be a text or a list").
 */
function redundant(errors: readonly SchemaError[]): Set<SchemaError> {
  const dropped = new Set<SchemaError>();
  for (const alternative of errors.filter((e) => e.keyword === "oneOf" || e.keyword === "anyOf")) {
    const base = `${alternative.schemaPath}/`;
    const children = errors.filter((e) => e.schemaPath.startsWith(base) && e.instancePath.startsWith(alternative.instancePath));
    const branches = new Map<string, SchemaError[]>();
    for (const child of children) {
      const branch = child.schemaPath.slice(base.length).split("/")[0];
      branches.set(branch, [...(branches.get(branch) ?? []), child]);
    }
    const sameKind = [...branches.values()].filter((list) => !list.some((e) => e.keyword === "type" && e.instancePath === alternative.instancePath));
    if (sameKind.length === 1) {
      dropped.add(alternative);
      for (const child of children) if (!sameKind[0].includes(child)) dropped.add(child);
    } else for (const child of children) dropped.add(child);
  }
  return dropped;
}

/**
 * Ajv's errors as sentences, each naming its place and property. `prefix` goes before a
 * property's name ("parameter " when the properties are a check's parameters).
 */
export function wordSchemaErrors(
  errors: readonly SchemaError[],
  data: unknown,
  schema: unknown,
  place: (segments: string[]) => Place,
  prefix = "",
): string[] {
  const dropped = redundant(errors);
  const sentences: string[] = [];
  for (const error of errors) {
    if (dropped.has(error)) continue;
    const segments = error.instancePath.split("/").slice(1).map((k) => k.replaceAll("~1", "/").replaceAll("~0", "~"));
    const { subject, path } = place(segments);
    const property = path.length ? `${prefix}\`${pathText(path)}\`` : "";
    const it = property ? (subject ? `${subject}: ${property}` : property) : (subject ?? "the exercise");
    const line = sentence(error, it, valueAt(data, segments), schema);
    if (!sentences.includes(line)) sentences.push(line);
  }
  return sentences;
}
