/**
 * Reads a submission directory as `kubectl apply` would: the build of the kustomization at its
 * root (`-k`), or else every *.yaml / *.yml / *.json below it (`-f`), parsed into objects that
 * remember the file, line and column they came from. `List`s are unwrapped and fields the API
 * server sets (an export from a cluster) are dropped, with a note. Anything unreadable is a
 * Refusal (file, line, column, message), never a stack trace. Limits keep hostile input bounded.
 */
import { isUtf8 } from "node:buffer";
import { lstat, readdir, readFile, realpath, stat } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { LineCounter, parseAllDocuments, isMap, isScalar, visit, type Document } from "yaml";
import type { Refusal } from "../report/model.ts";
import { dropServerSetFields } from "./exports.ts";
import { buildKustomization, findKustomization, KUSTOMIZATION_NAMES } from "./kustomize.ts";

export const LIMITS = {
  maxFiles: 100,
  maxFileBytes: 1024 * 1024,
  maxTotalBytes: 4 * 1024 * 1024,
  maxObjects: 50,
  /** YAML anchors/aliases: a "billion laughs" document expands far beyond this. */
  maxAliasCount: 100,
  maxDepth: 50,
} as const;

/** What `kubectl apply -f DIR` reads: YAML and JSON files. */
const MANIFEST_NAME = /\.(ya?ml|json)$/i;
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
  /** The kustomization whose build made this object (its file is where kustomize read it). */
  via?: string;
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

/** Whether findManifests reads a file at this "/"-separated relative path, going by its name. */
export function isManifestPath(rel: string): boolean {
  const parts = rel.split("/");
  const name = parts.pop() ?? "";
  return MANIFEST_NAME.test(name) && parts.every((p) => !p.startsWith(".") && !SKIPPED_DIRS.has(p));
}

/**
 * Every *.yaml/*.yml/*.json below root the grader reads, sorted; hidden and tool directories are
 * skipped, linked directories are not followed (with a note), and a linked file that
 * points outside root, or nowhere, becomes a refusal. Shared with the batch's resume key,
 * so that both see the same files.
 */
export async function findManifests(root: string, refusals: Refusal[], notes?: string[]): Promise<string[]> {
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
      if (entry.isSymbolicLink() && !MANIFEST_NAME.test(entry.name) && !entry.name.startsWith(".") && !SKIPPED_DIRS.has(entry.name)) {
        // Linked directories are never followed (they may lead anywhere, or back here).
        const target = notes && (await stat(full).catch(() => undefined))?.isDirectory() ? await realpath(full) : undefined;
        if (target && !(target === rootReal || target.startsWith(rootReal + sep))) {
          notes!.push(`${rel}: a symbolic link to a directory outside the submission was not followed; copy the manifests in instead.`);
        }
        continue;
      }
      if (!MANIFEST_NAME.test(entry.name)) continue;
      if (entry.isSymbolicLink()) {
        const target = await realpath(full).catch((error: NodeJS.ErrnoException) => error);
        if (target instanceof Error) {
          refusals.push({
            file: rel,
            message: target.code === "ELOOP"
              ? "is a symbolic link that leads back to itself (a loop); replace it with the file"
              : "is a symbolic link to a file that does not exist; replace it with the file",
          });
          continue;
        }
        if (!(target === rootReal || target.startsWith(rootReal + sep))) {
          refusals.push({ file: rel, message: "is a symbolic link that points outside the submission; copy the file in instead" });
          continue;
        }
        if (!(await lstat(target)).isFile()) continue;
      } else if (!entry.isFile()) {
        continue;
      }
      found.push(full);
      if (found.length > LIMITS.maxFiles) {
        refusals.push({ file: rel, message: `the submission has more than ${LIMITS.maxFiles} YAML and JSON files` });
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
    refusals.push({ file, ...start, message: unreadable(error as Error) });
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
  // A field is where its key is written (`hostPath:`), not where its value starts (a nested
  // mapping's first key, the line below); an item of a list is where the item starts.
  const position = (path: (string | number)[]) => {
    const parent = path.length ? (doc.getIn(path.slice(0, -1), true) as unknown) : undefined;
    if (isMap(parent)) {
      const last = String(path[path.length - 1]);
      const pair = parent.items.find((p) => String((p.key as { value?: unknown })?.value) === last);
      const range = (pair?.key as { range?: [number, number, number] } | undefined)?.range;
      if (range) return toPosition(counter, range[0]);
    }
    const node = doc.getIn(path, true) as { range?: [number, number, number] } | undefined;
    if (node && typeof node === "object" && node.range) return toPosition(counter, node.range[0]);
    return undefined;
  };
  // kind: List carries its objects in items (what `kubectl get -o yaml` writes); kubectl also
  // unwraps typed lists (ServiceList) the same way.
  if (typeof record.kind === "string" && /List$/.test(record.kind) && Array.isArray(record.items)) {
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
  if (typeof body.apiVersion === "string" && body.apiVersion.startsWith("kustomize.config.k8s.io/") && typeof metadata.name !== "string") {
    refusals.push({ file, ...start, message: `${String(body.kind)} is kustomize's configuration, not an object to apply: kubectl apply -k (and the grader) builds the kustomization named kustomization.yaml, kustomization.yml or Kustomization at the submission's root` });
    return undefined;
  }
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

/** Where a file stops being UTF-8: its first bad line, and a hint for the usual culprit. */
function notUtf8(bytes: Buffer): string {
  const utf16 = (bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff);
  let line = 1;
  for (let start = 0; start < bytes.length; line++) {
    // A newline byte is never part of a multi-byte UTF-8 sequence: lines can be checked alone.
    const end = bytes.indexOf(0x0a, start);
    const stop = end === -1 ? bytes.length : end;
    if (!isUtf8(bytes.subarray(start, stop))) break;
    start = stop + 1;
  }
  return utf16
    ? "is UTF-16 text (as some Windows editors save it), not UTF-8; save it as UTF-8"
    : `is not valid UTF-8 text (line ${line} holds bytes that are not UTF-8, as Latin-1 accents or binary data are); save it as UTF-8`;
}

/** Why a YAML document could not be turned into data, in words a student can act on. */
function unreadable(error: Error): string {
  if (/alias count/i.test(error.message)) {
    return `expands YAML aliases (*name) more than ${LIMITS.maxAliasCount} times, as a "billion laughs" YAML bomb does; write the values out instead of repeating aliases`;
  }
  if (error instanceof RangeError || /call stack|stack overflow/i.test(error.message)) {
    return `nests deeper than ${LIMITS.maxDepth} levels`;
  }
  return `cannot be read: ${error.message}`;
}

/**
 * Keys defined twice in one mapping, found in one pass: the yaml package's own uniqueKeys
 * compares every key with every other, and a mapping of 60 000 keys (a 600 KB file) then
 * takes half a minute.
 */
function duplicateKeys(doc: Document, counter: LineCounter, file: string): Refusal[] {
  const refusals: Refusal[] = [];
  visit(doc, {
    Map(_, map) {
      const seen = new Set<string>();
      for (const pair of map.items) {
        if (!isScalar(pair.key)) continue;
        const key = `${typeof pair.key.value}:${String(pair.key.value)}`;
        if (seen.has(key)) {
          refusals.push({ file, ...toPosition(counter, pair.key.range?.[0]), message: `invalid YAML: the key ${String(pair.key.value)} is defined twice in the same mapping; keep one` });
        }
        seen.add(key);
      }
    },
  });
  return refusals;
}

/** Where JSON.parse stopped: Node says "… (line 3 column 5)" or "… at position 42". */
function jsonErrorPosition(message: string, text: string, offset: number): { line: number; column: number } | undefined {
  const position = /at position (\d+)/.exec(message);
  if (!position) {
    const lineColumn = /\(line (\d+) column (\d+)\)/.exec(message);
    return lineColumn && offset === 0 ? { line: Number(lineColumn[1]), column: Number(lineColumn[2]) } : undefined;
  }
  const before = text.slice(0, offset + Number(position[1]));
  return { line: before.split("\n").length, column: before.length - before.lastIndexOf("\n") };
}

/**
 * The JSON values of a file, as [start, end) offsets: one object, or several one after the
 * other (kubectl reads a stream of JSON objects too). Syntax errors become refusals.
 */
function jsonValues(text: string, file: string, refusals: Refusal[]): [number, number][] | undefined {
  const values: [number, number][] = [];
  let start = text.startsWith("\uFEFF") ? 1 : 0; // a byte-order mark is not an error (Windows editors write one)
  while (start < text.length && text.slice(start).trim() !== "") {
    const rest = text.slice(start);
    try {
      JSON.parse(rest);
      values.push([start, text.length]);
      return values;
    } catch (error) {
      const message = (error as Error).message;
      const after = /^Unexpected non-whitespace character after JSON at position (\d+)/.exec(message);
      if (after && values.length < LIMITS.maxObjects) {
        const end = start + Number(after[1]);
        try {
          JSON.parse(text.slice(start, end));
          values.push([start, end]);
          start = end;
          continue;
        } catch {
          // reported below, as the whole rest failed
        }
      }
      // Without a position in the message, the value that failed is where to look.
      const pos = jsonErrorPosition(message, text, start) ?? jsonErrorPosition("at position 0", text, start);
      refusals.push({ file, ...pos, message: `invalid JSON: ${message.replace(/\s*\(line \d+ column \d+\)/, "").replace(/ in JSON at position \d+/, "").replace(/ at position \d+/, "")}` });
      return undefined;
    }
  }
  return values;
}

/**
 * The objects of one manifest text (a file, or kustomize's output): YAML documents — JSON
 * is YAML's flow style, so a JSON file is read the same way (each value of a JSON stream on
 * its own, at its own place in the file), after a strict JSON check that gives syntax errors
 * the way kubectl sees them.
 */
export function parseManifests(text: string, file: string, refusals: Refusal[], notes: string[], options: { json?: boolean } = {}): SubmittedObject[] {
  if (options.json) {
    const values = jsonValues(text, file, refusals);
    if (!values) return [];
    if (values.length > 1) {
      // Each value alone, preceded by blanks that keep its lines and columns where they are in the file.
      return values.flatMap(([start, end]) => parseManifests(text.slice(0, start).replace(/[^\n]/g, " ") + text.slice(start, end), file, refusals, notes));
    }
  }
  const counter = new LineCounter();
  let docs: ReturnType<typeof parseAllDocuments>;
  try {
    docs = parseAllDocuments(text, { lineCounter: counter, prettyErrors: false, uniqueKeys: false });
  } catch (error) {
    refusals.push({ file, message: unreadable(error as Error) });
    return [];
  }
  if (!Array.isArray(docs)) {
    refusals.push({ file, message: "could not be parsed as YAML" });
    return [];
  }
  const what = options.json ? "JSON" : "YAML";
  let broken = false;
  documents: for (const doc of docs) {
    for (const error of doc.errors) {
      const pos = toPosition(counter, error.pos?.[0]);
      broken = true;
      if (/call stack|stack overflow/i.test(error.message)) {
        // The parser ran out of stack; what it says after that is noise.
        refusals.push({ file, ...pos, message: unreadable(new RangeError(error.message)) });
        break documents;
      }
      refusals.push({ file, ...pos, message: `invalid ${what}: ${error.message.split("\n")[0]}` });
    }
    if (doc.errors.length) continue;
    const duplicates = duplicateKeys(doc, counter, file);
    if (options.json) for (const d of duplicates) d.message = d.message.replace("invalid YAML", "invalid JSON");
    refusals.push(...duplicates);
    broken ||= duplicates.length > 0;
  }
  if (broken) return [];
  return docs.flatMap((doc) => objectsOf(doc, counter, file, refusals, notes));
}

export async function loadSubmission(dir: string, options: { env?: NodeJS.ProcessEnv } = {}): Promise<LoadedSubmission> {
  const kustomization = await findKustomization(dir);
  const loaded = kustomization ? await loadKustomization(dir, kustomization, options.env) : await loadFiles(dir);
  // Exports from a cluster: fields the API server sets are dropped, with one note.
  const cleaned = dropServerSetFields(loaded.objects);
  const own = withoutOwnNamespace(cleaned.objects);
  return { ...loaded, objects: own.objects, notes: [...loaded.notes, ...cleaned.notes, ...own.notes] };
}

/**
 * A Namespace object for the one namespace all the other objects name (a kustomization's
 * namespace.yaml): the grade makes its own namespace, so it is left out with a note.
 * Any other Namespace is refused by validation, as a cluster-wide object.
 */
function withoutOwnNamespace(objects: SubmittedObject[]): { objects: SubmittedObject[]; notes: string[] } {
  const named = new Set(objects.filter((o) => o.kind !== "Namespace" && o.namespace !== undefined).map((o) => o.namespace));
  if (named.size !== 1) return { objects, notes: [] };
  const [namespace] = [...named];
  const own = objects.filter((o) => o.kind === "Namespace" && o.apiVersion === "v1" && o.name === namespace);
  if (!own.length) return { objects, notes: [] };
  return {
    objects: objects.filter((o) => !own.includes(o)),
    notes: [`Namespace ${namespace} (${own[0].file}) was not applied: the grade makes a namespace of its own, and the objects naming ${namespace} are graded there.`],
  };
}

/** `kubectl apply -k DIR`: kustomize's build of the root's kustomization, validated like any manifest. */
async function loadKustomization(dir: string, kustomization: string, env?: NodeJS.ProcessEnv): Promise<LoadedSubmission> {
  const notes: string[] = [];
  const build = await buildKustomization(dir, kustomization, env);
  if (!build.yaml) return { dir, files: [kustomization], objects: [], refusals: build.refusals, notes };
  const refusals: Refusal[] = [];
  const built = parseManifests(build.yaml, kustomization, refusals, notes);
  // Each object names the file it came from (kustomize's origin annotation): messages point there.
  const sources = new Map<string, SubmittedObject[]>();
  const objects: SubmittedObject[] = [];
  for (const object of built) {
    const metadata = object.body.metadata as Record<string, unknown>;
    const annotations = (metadata.annotations ?? {}) as Record<string, string>;
    const origin = /^path: (.+)$/m.exec(annotations[ORIGIN] ?? "")?.[1]?.trim();
    delete annotations[ORIGIN];
    if (!Object.keys(annotations).length) delete metadata.annotations;
    const source = origin && !origin.startsWith("/") && !origin.includes("..") ? await sourceObjects(dir, origin, sources) : [];
    const match = source.find((s) => s.kind === object.kind && s.name === object.name) ??
      source.find((s) => s.kind === object.kind && object.name.includes(s.name));
    objects.push(match
      ? { ...object, file: origin!, via: kustomization, line: match.line, column: match.column, position: match.position }
      : { ...object, file: origin ?? kustomization, via: kustomization, line: 1, column: 1, position: () => undefined });
  }
  if (objects.length > LIMITS.maxObjects) refusals.push({ file: kustomization, message: `builds more than ${LIMITS.maxObjects} objects` });
  if (!objects.length && !refusals.length) refusals.push({ file: kustomization, message: "kustomize built no objects from it: list the manifests under resources" });
  notes.push(`${kustomization} at the root: the submission is what kubectl apply -k builds from it (${objects.length} object${objects.length === 1 ? "" : "s"}, built by kustomize); files it does not list are not applied.`);
  return { dir, files: [kustomization], objects, refusals, notes };
}

const ORIGIN = "config.kubernetes.io/origin";

/** The objects of a source file kustomize read, for their lines (errors ignored: kustomize read it). */
async function sourceObjects(dir: string, file: string, cache: Map<string, SubmittedObject[]>): Promise<SubmittedObject[]> {
  const known = cache.get(file);
  if (known) return known;
  const text = await readFile(join(dir, file), "utf8").catch(() => "");
  const objects = parseManifests(text, file, [], [], { json: /\.json$/i.test(file) });
  cache.set(file, objects);
  return objects;
}

/** `kubectl apply -f DIR` (recursively): every YAML and JSON file. */
async function loadFiles(dir: string): Promise<LoadedSubmission> {
  const refusals: Refusal[] = [];
  const notes: string[] = [];
  const files = await findManifests(dir, refusals, notes);
  const objects: SubmittedObject[] = [];
  let total = 0;
  for (const full of files) {
    const file = relative(dir, full) || full;
    const json = /\.json$/i.test(file);
    const size = (await lstat(await realpath(full))).size;
    if (size > LIMITS.maxFileBytes) {
      if (json) {
        // A tool's JSON (a package-lock.json) is not a manifest; it is left unread.
        notes.push(`${file}: a JSON file over ${LIMITS.maxFileBytes / 1024 / 1024} MiB was not read (not a manifest).`);
        continue;
      }
      refusals.push({
        file,
        message: `is ${(size / 1024 / 1024).toFixed(1)} MiB; manifests over ${LIMITS.maxFileBytes / 1024 / 1024} MiB are refused (a solution needs a few KiB: keep only the manifests)`,
      });
      continue;
    }
    if (!json) total += size;
    if (total > LIMITS.maxTotalBytes) {
      refusals.push({ file, message: `the submission's YAML files add up to more than ${LIMITS.maxTotalBytes / 1024 / 1024} MiB; keep only the manifests` });
      break;
    }
    const bytes = await readFile(full);
    if (!isUtf8(bytes)) {
      refusals.push({ file, message: notUtf8(bytes) });
      continue;
    }
    const text = new TextDecoder("utf-8").decode(bytes);
    const name = file.split(sep).pop() ?? file;
    if (KUSTOMIZATION_NAMES.includes(name)) {
      refusals.push({
        file,
        message: "is a kustomization below the submission's root: kubectl apply -k (and the grader) builds the one at the root. " +
          `Grade that directory instead, or put a ${name} at the root that lists it under resources`,
      });
      continue;
    }
    const fileNotes: string[] = [];
    const found = parseManifests(text, file, refusals, fileNotes, { json });
    if (json && !found.length && fileNotes.length) {
      // JSON that is not a Kubernetes object (package.json, tsconfig.json): not the submission.
      notes.push(`${file}: JSON without apiVersion and kind was ignored (not a Kubernetes object).`);
    } else {
      notes.push(...fileNotes);
      if (json) total += size;
    }
    objects.push(...found);
    if (objects.length > LIMITS.maxObjects) {
      refusals.push({ file, message: `the submission has more than ${LIMITS.maxObjects} objects` });
      break;
    }
  }
  if (!objects.length && !refusals.length) {
    refusals.push({
      file: ".",
      message: files.length ? "no Kubernetes objects were found in the submission's YAML or JSON files" : "no *.yaml, *.yml or *.json files were found in the submission",
    });
  }
  return { dir, files: files.map((f) => relative(dir, f)), objects, refusals, notes };
}
