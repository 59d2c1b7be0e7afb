/**
 * Reads a submission directory: every *.yaml / *.yml below it, parsed into objects that
 * remember the file, line and column they came from. Anything unreadable is a Refusal
 * (file, line, column, message), never a stack trace. Limits keep hostile input bounded.
 */
import { lstat, readdir, readFile, realpath } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { LineCounter, parseAllDocuments, isMap, isSeq, type Document } from "yaml";
import type { Refusal } from "../report/model.ts";

export const LIMITS = {
  maxFiles: 100,
  maxFileBytes: 1024 * 1024,
  maxTotalBytes: 4 * 1024 * 1024,
  maxObjects: 50,
  /** YAML anchors/aliases: a "billion laughs" document expands far beyond this. */
  maxAliasCount: 100,
  maxDepth: 50,
} as const;

const SKIPPED_DIRS = new Set(["node_modules", ".git", ".github", ".gitlab", "kubegrade-results"]);

export interface SubmittedObject {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
  /** The object as written (plain JSON). */
  body: Record<string, unknown>;
  file: string;
  line: number;
  column: number;
  /** Line and column of a field path ("spec.template.spec.hostNetwork"), when it exists. */
  position(path: (string | number)[]): { line: number; column: number } | undefined;
}

export interface LoadedSubmission {
  dir: string;
  files: string[];
  objects: SubmittedObject[];
  refusals: Refusal[];
  /** Files skipped because they hold no Kubernetes object (CI configs, docs front matter). */
  notes: string[];
}

/**
 * Every *.yaml/*.yml below root the grader reads, sorted; hidden and tool directories are
 * skipped and a symbolic link pointing outside root becomes a refusal. Shared with the
 * batch's resume key, so that both see the same files.
 */
export async function findManifests(root: string, refusals: Refusal[]): Promise<string[]> {
  const rootReal = await realpath(root);
  const found: string[] = [];
  const walk = async (dir: string) => {
    const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
    for (const entry of entries) {
      const full = join(dir, entry.name);
      const rel = relative(root, full);
      if (entry.isDirectory()) {
        if (SKIPPED_DIRS.has(entry.name) || entry.name.startsWith(".")) continue;
        await walk(full);
        continue;
      }
      if (!/\.ya?ml$/i.test(entry.name)) continue;
      if (entry.isSymbolicLink()) {
        const target = await realpath(full).catch(() => undefined);
        if (!target || !(target === rootReal || target.startsWith(rootReal + sep))) {
          refusals.push({ file: rel, message: "is a symbolic link that points outside the submission; copy the file in instead" });
          continue;
        }
        if (!(await lstat(target)).isFile()) continue;
      } else if (!entry.isFile()) {
        continue;
      }
      found.push(full);
      if (found.length > LIMITS.maxFiles) {
        refusals.push({ file: rel, message: `the submission has more than ${LIMITS.maxFiles} YAML files` });
        return;
      }
    }
  };
  await walk(root);
  return found;
}

function toPosition(counter: LineCounter, offset: number | undefined): { line: number; column: number } {
  const pos = counter.linePos(offset ?? 0);
  return { line: pos.line, column: pos.col };
}

function depthOf(value: unknown, depth = 0): number {
  if (depth > LIMITS.maxDepth) return depth;
  if (Array.isArray(value)) return Math.max(depth, ...value.map((v) => depthOf(v, depth + 1)));
  if (value && typeof value === "object") return Math.max(depth, ...Object.values(value).map((v) => depthOf(v, depth + 1)));
  return depth;
}

function objectsOf(doc: Document, counter: LineCounter, file: string, refusals: Refusal[], notes: string[]): SubmittedObject[] {
  const start = toPosition(counter, doc.contents?.range?.[0]);
  let body: unknown;
  try {
    body = doc.toJS({ maxAliasCount: LIMITS.maxAliasCount });
  } catch (error) {
    refusals.push({ file, ...start, message: `cannot be read: ${(error as Error).message}` });
    return [];
  }
  if (body === null || body === undefined) return [];
  if (depthOf(body) > LIMITS.maxDepth) {
    refusals.push({ file, ...start, message: `nests deeper than ${LIMITS.maxDepth} levels` });
    return [];
  }
  if (typeof body !== "object" || Array.isArray(body)) {
    refusals.push({ file, ...start, message: "each YAML document must be a Kubernetes object (a mapping with apiVersion, kind and metadata)" });
    return [];
  }
  const record = body as Record<string, unknown>;
  if (!("apiVersion" in record) && !("kind" in record)) {
    // Not a Kubernetes object at all (a CI configuration, a compose file): not the submission.
    notes.push(`${file}:${start.line}: a YAML document without apiVersion and kind was ignored (not a Kubernetes object).`);
    return [];
  }
  const position = (path: (string | number)[]) => {
    const node = doc.getIn(path, true) as { range?: [number, number, number] } | undefined;
    if (node && typeof node === "object" && node.range) return toPosition(counter, node.range[0]);
    // A scalar value: getIn returns it unwrapped; find the pair's key instead.
    const parent = path.length ? (doc.getIn(path.slice(0, -1), true) as unknown) : doc.contents;
    if (isMap(parent)) {
      const pair = parent.items.find((p) => (p.key as { value?: unknown })?.value === path[path.length - 1]);
      const range = (pair?.key as { range?: [number, number, number] } | undefined)?.range;
      if (range) return toPosition(counter, range[0]);
    }
    if (isSeq(parent)) return undefined;
    return undefined;
  };
  // kind: List carries its objects in items (what `kubectl get -o yaml` writes).
  if (record.kind === "List" && Array.isArray(record.items)) {
    return (record.items as unknown[]).flatMap((item, index) => {
      if (!item || typeof item !== "object") return [];
      const itemPosition = (path: (string | number)[]) => position(["items", index, ...path]);
      return [makeObject(item as Record<string, unknown>, file, itemPosition(["kind"]) ?? start, itemPosition, refusals)].filter(
        (o): o is SubmittedObject => !!o,
      );
    });
  }
  const made = makeObject(record, file, start, position, refusals);
  return made ? [made] : [];
}

function makeObject(
  body: Record<string, unknown>,
  file: string,
  start: { line: number; column: number },
  position: SubmittedObject["position"],
  refusals: Refusal[],
): SubmittedObject | undefined {
  const metadata = (body.metadata ?? {}) as Record<string, unknown>;
  const missing = ["apiVersion", "kind"].filter((k) => typeof body[k] !== "string" || body[k] === "");
  if (typeof metadata.name !== "string" || metadata.name === "") missing.push("metadata.name");
  if (missing.length) {
    refusals.push({ file, ...start, message: `a document is missing ${missing.join(", ")}: every object needs apiVersion, kind and metadata.name` });
    return undefined;
  }
  return {
    apiVersion: body.apiVersion as string,
    kind: body.kind as string,
    name: metadata.name as string,
    namespace: typeof metadata.namespace === "string" ? metadata.namespace : undefined,
    body,
    file,
    line: start.line,
    column: start.column,
    position,
  };
}

export async function loadSubmission(dir: string): Promise<LoadedSubmission> {
  const refusals: Refusal[] = [];
  const notes: string[] = [];
  const files = await findManifests(dir, refusals);
  const objects: SubmittedObject[] = [];
  let total = 0;
  for (const full of files) {
    const file = relative(dir, full) || full;
    const size = (await lstat(await realpath(full))).size;
    total += size;
    if (size > LIMITS.maxFileBytes) {
      refusals.push({ file, message: `is ${(size / 1024 / 1024).toFixed(1)} MiB; manifests over ${LIMITS.maxFileBytes / 1024 / 1024} MiB are refused` });
      continue;
    }
    if (total > LIMITS.maxTotalBytes) {
      refusals.push({ file, message: `the submission's YAML files add up to more than ${LIMITS.maxTotalBytes / 1024 / 1024} MiB` });
      break;
    }
    const bytes = await readFile(full);
    let text: string;
    try {
      text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    } catch {
      refusals.push({ file, message: "is not valid UTF-8 text; save it as UTF-8" });
      continue;
    }
    const counter = new LineCounter();
    const docs = parseAllDocuments(text, { lineCounter: counter, prettyErrors: false, uniqueKeys: true });
    if (!Array.isArray(docs)) {
      refusals.push({ file, message: "could not be parsed as YAML" });
      continue;
    }
    let broken = false;
    for (const doc of docs) {
      for (const error of doc.errors) {
        const pos = toPosition(counter, error.pos?.[0]);
        refusals.push({ file, ...pos, message: `invalid YAML: ${error.message.split("\n")[0]}` });
        broken = true;
      }
    }
    if (broken) continue;
    for (const doc of docs) objects.push(...objectsOf(doc, counter, file, refusals, notes));
    if (objects.length > LIMITS.maxObjects) {
      refusals.push({ file, message: `the submission has more than ${LIMITS.maxObjects} objects` });
      break;
    }
  }
  if (!objects.length && !refusals.length) {
    refusals.push({
      file: ".",
      message: files.length ? "no Kubernetes objects were found in the submission's YAML files" : "no *.yaml or *.yml files were found in the submission",
    });
  }
  return { dir, files: files.map((f) => relative(dir, f)), objects, refusals, notes };
}
