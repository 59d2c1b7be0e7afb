/**
 * Declarative checks: what a course writes in exercise.yaml without code, turned into check
 * values on the public API (nothing here reaches past the context). Three shapes:
 *
 *   object:  {kind, name, apiVersion?, fields: {<path>: <value> | {pattern: <regex>}}}
 *            an object's fields, polled until they match or the budget ends
 *   command: {run: [argv…] | "sh -c text", in?: pods | probe, container?, exitCode?: 0,
 *            output?: <regex>, afterRecreate?: bool}
 *            a command in each pod of the StatefulSet (or once in the grader's probe pod)
 *   http:    {port?: 80, path?: "/", status?: 200, body?: <regex>}
 *            GET through each pod's DNS name, <pod>.<service>.<namespace>.svc.cluster.local
 *
 * Placeholders are filled in in what a check expects — http's path and body, command's run
 * and output, object's name and field values — and in `feedback`: {service}, {namespace} and
 * {statefulset} everywhere; {pod} (web-1) and {ordinal} (1) where the check runs per pod (http,
 * and command in pods); `feedback` (what a student reads on a failure) may also name
 * {observed}, {expected} and {field}. In a regular expression (body, output, {pattern}) a value
 * is filled in escaped, so it matches itself. `${NAME}` is the shell's, never a placeholder. Any
 * other {name} is refused when the exercise is loaded (placeholderProblems).
 */
import type { KubernetesObject } from "@kubernetes/client-node";
import { assert } from "chai";
import { assertAnswer, defineCheck, type CheckContext, type CheckDefinition, type CheckTest, type Requirement } from "./api.ts";

export interface DeclarativeEntry {
  id: string;
  title?: string;
  /** What a student reads when the check fails; placeholders are filled in. */
  feedback?: string;
  budgetSeconds?: number;
  object?: { kind: string; name: string; apiVersion?: string; fields: Record<string, unknown> };
  command?: { run: string | string[]; in?: "pods" | "probe"; container?: string; exitCode?: number; output?: string; afterRecreate?: boolean };
  http?: { port?: number; path?: string; status?: number; body?: string; afterRecreate?: boolean };
}

export const DECLARATIVE_SHAPES = ["object", "command", "http"] as const;

/** API versions of the kinds a course most often names; others give apiVersion. */
const API_VERSIONS: Record<string, string> = {
  Service: "v1", ConfigMap: "v1", Secret: "v1", PersistentVolumeClaim: "v1", Pod: "v1", ServiceAccount: "v1",
  StatefulSet: "apps/v1", Deployment: "apps/v1", ReplicaSet: "apps/v1", DaemonSet: "apps/v1",
  PodDisruptionBudget: "policy/v1", Job: "batch/v1", CronJob: "batch/v1", Ingress: "networking.k8s.io/v1",
};

/** The value at a field path such as spec.ports[0].port or metadata.labels["app.kubernetes.io/name"]. */
export function valueAt(object: unknown, path: string): unknown {
  const keys = [...path.matchAll(/([^.[\]]+)|\[(\d+)\]|\["([^"]+)"\]/g)].map((m) => m[1] ?? (m[2] !== undefined ? Number(m[2]) : m[3]));
  let at: unknown = object;
  for (const key of keys) {
    if (at === null || typeof at !== "object") return undefined;
    at = (at as Record<string | number, unknown>)[key as string];
  }
  return at;
}

/** Whether an observed value matches what the course expects: equal, or matching {pattern}. */
export function matches(observed: unknown, expected: unknown): boolean {
  if (expected && typeof expected === "object" && !Array.isArray(expected) && "pattern" in expected) {
    return observed !== undefined && new RegExp(String((expected as { pattern: unknown }).pattern)).test(typeof observed === "string" ? observed : JSON.stringify(observed));
  }
  return JSON.stringify(observed) === JSON.stringify(expected);
}

function show(value: unknown): string {
  if (value === undefined) return "nothing (the field is not set)";
  if (value && typeof value === "object" && "pattern" in value) return `text matching /${String((value as { pattern: unknown }).pattern)}/`;
  return JSON.stringify(value);
}

/** A placeholder: {name}, a letter first (a regular expression's {2,3} is none), not the shell's ${NAME}. */
const PLACEHOLDER = /(?<!\$)\{([A-Za-z_]\w*)\}/g;

/** Fills {name} placeholders; unknown names stay as they are (the loader refuses them first). */
export function fill(text: string, values: Record<string, string | undefined>): string {
  return text.replace(PLACEHOLDER, (whole, name: string) => values[name] ?? whole);
}

/** Fills placeholders in a regular expression: each value escaped, so that it matches itself. */
export function fillPattern(pattern: string, values: Record<string, string | undefined>): string {
  return pattern.replace(PLACEHOLDER, (whole, name: string) => {
    const value = values[name];
    return value === undefined ? whole : value.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  });
}

/** An object check's expected value with its placeholders filled in: strings, {pattern}s, lists and maps. */
export function fillExpected(expected: unknown, values: Record<string, string | undefined>): unknown {
  if (typeof expected === "string") return fill(expected, values);
  if (Array.isArray(expected)) return expected.map((v) => fillExpected(v, values));
  if (expected && typeof expected === "object") {
    if ("pattern" in expected) return { ...expected, pattern: fillPattern(String((expected as { pattern: unknown }).pattern), values) };
    return Object.fromEntries(Object.entries(expected).map(([k, v]) => [k, fillExpected(v, values)]));
  }
  return expected;
}

/** Placeholders every text of a declarative check may name. */
export const PLACEHOLDERS = {
  /** Anywhere: the check's setting. */
  always: ["service", "namespace", "statefulset"],
  /** Where the check runs once per pod (http; command in pods): that pod's name and its ordinal. */
  perPod: ["pod", "ordinal"],
  /** In `feedback` only: what a failure saw and expected. */
  feedback: ["observed", "expected", "field"],
} as const;

/** A placeholder a text of the entry names that has no value there. */
export interface PlaceholderProblem {
  /** Where, as the exercise file spells it: "http.body", "command.run[2]", "object.fields.spec.serviceName", "feedback". */
  field: string;
  name: string;
  /** What that text may name. */
  allowed: readonly string[];
  /** {pod} or {ordinal} in a text of a check that does not run per pod. */
  notPerPod: boolean;
}

/** Every {name} of an entry's texts that is not a placeholder there (pure: the loader words them). */
export function placeholderProblems(entry: DeclarativeEntry): PlaceholderProblem[] {
  const perPod = !!entry.http || (!!entry.command && entry.command.in !== "probe");
  const allowed: readonly string[] = [...PLACEHOLDERS.always, ...(perPod ? PLACEHOLDERS.perPod : [])];
  const texts: [string, string][] = [];
  const walk = (field: string, value: unknown): void => {
    if (typeof value === "string") texts.push([field, value]);
    else if (Array.isArray(value)) value.forEach((v, i) => walk(`${field}[${i}]`, v));
    else if (value && typeof value === "object") for (const [k, v] of Object.entries(value)) walk(`${field}.${k}`, v);
  };
  if (entry.http) {
    walk("http.path", entry.http.path);
    walk("http.body", entry.http.body);
  }
  if (entry.command) {
    walk("command.run", entry.command.run);
    walk("command.output", entry.command.output);
  }
  if (entry.object) {
    walk("object.name", entry.object.name);
    walk("object.fields", entry.object.fields);
  }
  const problems: PlaceholderProblem[] = [];
  const check = (field: string, value: string, may: readonly string[]) => {
    for (const [, name] of value.matchAll(PLACEHOLDER)) {
      if (!may.includes(name)) problems.push({ field, name, allowed: may, notPerPod: !perPod && (PLACEHOLDERS.perPod as readonly string[]).includes(name) });
    }
  };
  for (const [field, value] of texts) check(field, value, allowed);
  if (entry.feedback !== undefined) check("feedback", entry.feedback, [...allowed, ...PLACEHOLDERS.feedback]);
  return problems;
}

interface Place {
  pod?: string;
  service?: string;
}

async function placeholders(ctx: CheckContext, place: Place = {}): Promise<Record<string, string | undefined>> {
  return {
    namespace: ctx.namespace,
    statefulset: String(ctx.params.statefulset ?? ""),
    service: place.service ?? (await ctx.serviceName().catch(() => undefined)),
    pod: place.pod,
    ordinal: place.pod?.slice(place.pod.lastIndexOf("-") + 1),
  };
}

function failure(entry: DeclarativeEntry, fallback: string, values: Record<string, string | undefined>): string {
  return entry.feedback ? fill(entry.feedback, values) : fallback;
}

function objectTests(ctx: CheckContext, entry: DeclarativeEntry & { object: NonNullable<DeclarativeEntry["object"]> }, budgetMs: number): CheckTest[] {
  const { kind, name, fields } = entry.object;
  const apiVersion = entry.object.apiVersion ?? API_VERSIONS[kind];
  return [{
    title: `${kind} ${name}: ${Object.keys(fields).join(", ")}`,
    run: async () => {
      const { KubernetesObjectApi } = await import("@kubernetes/client-node"); // not at load: list and explain need no client
      const client = KubernetesObjectApi.makeApiClient(ctx.kc);
      const values = await placeholders(ctx);
      await ctx.eventually(`${kind} ${name}'s fields`, budgetMs, async () => {
        const found = await client
          .read({ apiVersion, kind, metadata: { name: fill(name, values), namespace: ctx.namespace } } as KubernetesObject & { metadata: { name: string; namespace: string } })
          .catch((error: { code?: number }) => {
            if (error?.code === 404) return undefined;
            throw error;
          });
        assert(found, failure(entry, `Expected a ${kind} named ${fill(name, values)}; there is none in your submission.`, { ...values, observed: "no such object", expected: `${kind} ${name}`, field: "" }));
        for (const [field, asked] of Object.entries(fields)) {
          const expected = fillExpected(asked, values);
          const observed = valueAt(found, field);
          // What the submission wrote is its answer; a status is the cluster's, still moving.
          const check = /^status\b/.test(field) ? assert : (ok: unknown, message: string) => assertAnswer(ok, `${field}=${JSON.stringify(observed)}`, message);
          check(
            matches(observed, expected),
            failure(entry, `${kind} ${fill(name, values)}: ${field} should be ${show(expected)}, found ${show(observed)}.`, {
              ...values, field, expected: show(expected), observed: show(observed),
            }),
          );
        }
      });
    },
  }];
}

function commandTests(ctx: CheckContext, entry: DeclarativeEntry & { command: NonNullable<DeclarativeEntry["command"]> }): CheckTest[] {
  const { command } = entry;
  const argv = (values: Record<string, string | undefined>) =>
    typeof command.run === "string" ? ["sh", "-c", fill(command.run, values)] : command.run.map((a) => fill(a, values));
  const shown = typeof command.run === "string" ? command.run : command.run.join(" ");
  const wantExit = command.exitCode ?? 0;
  const runOnce = async (pod?: string) => {
    const values = await placeholders(ctx, { pod });
    const result = pod ? await ctx.exec(pod, argv(values), command.container ? { container: command.container } : {}) : await ctx.probe(argv(values));
    const where = pod ? `in pod ${pod}` : "in the grader's probe pod";
    const output = `${result.stdout}${result.stderr}`.trim();
    const observed = result.failure ?? (output.slice(0, 300) || "(no output)");
    assert(
      !result.failure && result.exitCode === wantExit,
      failure(entry, `\`${fill(shown, values)}\` ${where} ${result.failure ? `could not run: ${result.failure}` : `exited with ${result.exitCode}, not ${wantExit}: ${observed}`}`, {
        ...values, observed, expected: `exit code ${wantExit}`, field: "",
      }),
    );
    if (command.output !== undefined) {
      const output = fillPattern(command.output, values);
      assert(
        new RegExp(output).test(result.stdout),
        failure(entry, `\`${fill(shown, values)}\` ${where} printed ${JSON.stringify(result.stdout.trim().slice(0, 300))}, which does not match /${output}/.`, {
          ...values, observed: result.stdout.trim().slice(0, 300), expected: `/${output}/`, field: "",
        }),
      );
    }
  };
  const runAll = async () => {
    if (command.in === "probe") return runOnce();
    for (const pod of (await ctx.podsReady()).keys()) await runOnce(pod);
  };
  const tests: CheckTest[] = [{ title: `\`${shown}\` ${command.in === "probe" ? "in the probe pod" : "in each pod"}`, run: runAll }];
  if (command.afterRecreate) {
    tests.push({ title: `\`${shown}\` again after every pod is recreated`, run: async () => {
      await ctx.recreateAllOnce();
      await runAll();
    } });
  }
  return tests;
}

/** busybox wget prints "HTTP/1.1 404 Not Found" (server returned error) on failure; -S shows the status line. */
export function httpStatus(stderr: string): number | undefined {
  const codes = [...stderr.matchAll(/HTTP\/\d(?:\.\d)? (\d{3})/g)].map((m) => Number(m[1]));
  return codes.at(-1);
}

function httpTests(ctx: CheckContext, entry: DeclarativeEntry & { http: NonNullable<DeclarativeEntry["http"]> }): CheckTest[] {
  const { http } = entry;
  const port = http.port ?? 80;
  const path = http.path ?? "/";
  const status = http.status ?? 200;
  const getAll = async () => {
    const service = await ctx.serviceName();
    for (const pod of (await ctx.podsReady()).keys()) {
      const values = await placeholders(ctx, { pod, service });
      const url = `http://${pod}.${service}.${ctx.namespace}.svc.cluster.local${port === 80 ? "" : `:${port}`}${fill(path, values)}`;
      const body = http.body === undefined ? undefined : fillPattern(http.body, values);
      await ctx.eventually(`GET ${url}`, ctx.deadlines.dnsMs, async () => {
        // busybox wget crashes with -T; `timeout` bounds it instead.
        const answer = await ctx.probe(["timeout", "5", "wget", "-S", "-q", "-O", "-", url]);
        const got = httpStatus(answer.stderr);
        // A status is the server's answer (stable once repeated); no status is none yet.
        (got === undefined ? assert : (ok: unknown, message: string) => assertAnswer(ok, `status ${got}`, message))(
          got === status,
          failure(entry, `GET ${url} answered ${got ?? `nothing (${answer.stderr.trim().slice(0, 200) || "no answer"})`}, not ${status}.`, {
            ...values, observed: String(got ?? "no answer"), expected: String(status), field: "",
          }),
        );
        if (body !== undefined) {
          assertAnswer(
            new RegExp(body).test(answer.stdout),
            `body ${answer.stdout}`,
            failure(entry, `GET ${url} returned ${JSON.stringify(answer.stdout.trim().slice(0, 300))}, which does not match /${body}/.`, {
              ...values, observed: answer.stdout.trim().slice(0, 300), expected: `/${body}/`, field: "",
            }),
          );
        }
      });
    }
  };
  const tests: CheckTest[] = [{ title: `GET ${path} on port ${port} through each pod's DNS name answers ${status}`, run: getAll }];
  if (http.afterRecreate) {
    tests.push({ title: `GET ${path} again after every pod is recreated`, run: async () => {
      await ctx.recreateAllOnce();
      await getAll();
    } });
  }
  return tests;
}

/** The check an exercise.yaml entry declares (validated against exercise.schema.json first). */
export function declarativeCheck(entry: DeclarativeEntry): CheckDefinition<Record<string, unknown>> {
  const budgetMs = (entry.budgetSeconds ?? 60) * 1000;
  let requires: Requirement[] = [];
  let destructive = false;
  let title = entry.title;
  if (entry.command) {
    requires = entry.command.in === "probe" ? [] : ["statefulset", "pods-ready"];
    destructive = !!entry.command.afterRecreate;
    title ??= `\`${typeof entry.command.run === "string" ? entry.command.run : entry.command.run.join(" ")}\` succeeds`;
  } else if (entry.http) {
    requires = ["statefulset", "pods-ready", "service"];
    destructive = !!entry.http.afterRecreate;
    title ??= `Each pod answers GET ${entry.http.path ?? "/"} through its DNS name`;
  } else if (entry.object) {
    title ??= `${entry.object.kind} ${entry.object.name} is specified as asked`;
  }
  return defineCheck<Record<string, unknown>>({
    id: entry.id,
    title: title ?? entry.id,
    requires,
    params: { type: "object", properties: {} },
    destructive,
    budgetMs,
    tests: (ctx) => {
      if (entry.object) return objectTests(ctx, { ...entry, object: entry.object }, budgetMs - 5_000);
      if (entry.command) return commandTests(ctx, { ...entry, command: entry.command });
      if (entry.http) return httpTests(ctx, { ...entry, http: entry.http });
      return [];
    },
  });
}
