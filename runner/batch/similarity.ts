/**
 * Submissions that look alike, for a person to look at (never scored).
 *
 * Every honest solution of an exercise looks like the tutorial's YAML, so comparing whole
 * submissions flags everyone. As MOSS does with base files, what the exercise hands out is
 * taken out first, and only what a student wrote beyond it is compared:
 *
 * 1. manifestLines(): each manifest becomes lines `Kind path: value`, one per scalar, read
 *    from the YAML (or JSON) syntax tree — comments, key order, quoting and whitespace are
 *    gone; list items with a `name` are addressed by it, not by position; fields the API
 *    server fills in or defaults (status, uid, `protocol: TCP`, `imagePullPolicy:
 *    IfNotPresent`, …) are dropped; the names the exercise imposes become `<imposed>`; a
 *    multi-line string (a script) gives one line per line of text.
 * 2. ownLines(): the lines of the exercise's handout files are taken out.
 * 3. similarPairs(): Jaccard similarity of two students' own lines, ignoring lines that many
 *    submissions share (common choices, not copying: more than max(2, 10 % of the class));
 *    pairs at or above the threshold that share at least a few lines are listed, each with
 *    the shared lines and where each student wrote them.
 */
import { LineCounter, isMap, isScalar, isSeq, parseAllDocuments, type Node } from "yaml";

export interface ManifestLine {
  text: string;
  /** Where the student wrote it: file (relative to the submission) and line. */
  file: string;
  line: number;
}

export interface SimilarPair {
  a: string;
  b: string;
  /** Jaccard similarity of their own (uncommon) lines, 0..1. */
  similarity: number;
  /** The shared lines, with where each wrote them ("solution.yaml:12"). */
  shared: { text: string; a: string; b: string }[];
}

export interface SimilarityOptions {
  /** Jaccard similarity at or above which a pair is listed (default 0.6). */
  threshold?: number;
  /** Fewest shared lines for a pair to be listed (default 5). */
  minShared?: number;
}

export const SIMILARITY_DEFAULTS = { threshold: 0.6, minShared: 5 } as const;

/** Fields the API server sets or fills in: never what a student chose. */
const SERVER_SET = /^(metadata\.(uid|resourceVersion|creationTimestamp|generation|managedFields|selfLink|namespace)\b|metadata\.annotations\.kubectl\.kubernetes\.io\/last-applied-configuration$|status\b|apiVersion$)|\.creationTimestamp$/;

/** Field values Kubernetes defaults to: writing them says nothing. */
const DEFAULTS: Record<string, string> = {
  protocol: "TCP",
  imagePullPolicy: "IfNotPresent",
  terminationMessagePath: "/dev/termination-log",
  terminationMessagePolicy: "File",
  dnsPolicy: "ClusterFirst",
  restartPolicy: "Always",
  schedulerName: "default-scheduler",
  terminationGracePeriodSeconds: "30",
  podManagementPolicy: "OrderedReady",
  revisionHistoryLimit: "10",
  sessionAffinity: "None",
  volumeMode: "Filesystem",
  partition: "0",
  persistentVolumeClaimRetentionPolicy: "",
  whenDeleted: "Retain",
  whenScaled: "Retain",
  internalTrafficPolicy: "Cluster",
  ipFamilyPolicy: "SingleStack",
  "updateStrategy.type": "RollingUpdate",
  "spec.type": "ClusterIP",
};

function isDefault(path: string, value: string): boolean {
  const key = path.slice(path.lastIndexOf(".") + 1).replace(/\[.*$/, "");
  if (DEFAULTS[key] === value) return true;
  const two = path.split(".").slice(-2).join(".");
  return DEFAULTS[two] === value;
}

function scalarText(value: unknown): string {
  return value === null || value === undefined ? "" : typeof value === "string" ? value : JSON.stringify(value);
}

/**
 * The lines of one file's manifests (YAML or JSON; `kind: List` items are read as
 * documents). A file that does not parse gives no lines: the grade says what is wrong with it.
 */
export function manifestLines(file: string, text: string, imposed: readonly string[] = []): ManifestLine[] {
  const counter = new LineCounter();
  let docs;
  try {
    docs = parseAllDocuments(text, { lineCounter: counter, uniqueKeys: false });
  } catch {
    return [];
  }
  if (!Array.isArray(docs)) return [];
  const imposedSet = new Set(imposed.filter((n) => n !== ""));
  const out: ManifestLine[] = [];
  const norm = (s: string) => (imposedSet.has(s) ? "<imposed>" : s);
  const lineOf = (node: Node | null | undefined) => (node?.range ? counter.linePos(node.range[0]).line : 0);

  const walk = (kind: string, path: string, node: unknown) => {
    if (isMap(node)) {
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? scalarText(pair.key.value) : String(pair.key);
        walk(kind, path ? `${path}.${key}` : key, pair.value);
      }
      return;
    }
    if (isSeq(node)) {
      node.items.forEach((item, i) => {
        const name = isMap(item) ? item.get("name") : undefined;
        walk(kind, `${path}[${typeof name === "string" || typeof name === "number" ? `name=${norm(String(name))}` : i}]`, item);
      });
      return;
    }
    if (!isScalar(node)) return;
    if (SERVER_SET.test(path)) return;
    const value = scalarText(node.value);
    if (value === "" || isDefault(path, value)) return;
    const line = lineOf(node);
    const values = value.includes("\n") ? value.split("\n").map((l) => l.trim().replace(/\s+/g, " ")).filter(Boolean) : [value.trim()];
    values.forEach((v, i) => out.push({ text: `${kind} ${path}: ${norm(v)}`, file, line: line + (values.length > 1 ? i + 1 : 0) }));
  };

  const document = (kind: string, node: unknown) => {
    if (isMap(node) && node.get("kind") === "List" && isSeq(node.get("items", true))) {
      for (const item of (node.get("items", true) as unknown as { items: unknown[] }).items) document("", item);
      return;
    }
    const k = isMap(node) ? scalarText(node.get("kind")) || kind || "?" : kind || "?";
    if (isMap(node)) {
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? scalarText(pair.key.value) : String(pair.key);
        if (key === "kind") continue;
        walk(k, key, pair.value);
      }
    }
  };
  for (const doc of docs) if (doc.errors.length === 0) document("", doc.contents);
  return out;
}

/** A student's lines minus the handout's (by text), one line per text (the first place written). */
export function ownLines(lines: readonly ManifestLine[], handout: ReadonlySet<string>): ManifestLine[] {
  const seen = new Set<string>();
  const own: ManifestLine[] = [];
  for (const l of lines) {
    if (handout.has(l.text) || seen.has(l.text)) continue;
    seen.add(l.text);
    own.push(l);
  }
  return own;
}

/**
 * Pairs of students whose own lines are alike, most similar first. Lines that more than
 * max(2, 10 % of the class) students have are common choices and count for no one.
 * An inverted index keeps it to the pairs that share something.
 */
export function similarPairs(students: ReadonlyMap<string, readonly ManifestLine[]>, options: SimilarityOptions = {}): SimilarPair[] {
  const threshold = options.threshold ?? SIMILARITY_DEFAULTS.threshold;
  const minShared = options.minShared ?? SIMILARITY_DEFAULTS.minShared;
  const names = [...students.keys()].sort();
  const holders = new Map<string, number[]>();
  names.forEach((name, i) => {
    for (const l of students.get(name) ?? []) {
      const list = holders.get(l.text);
      if (list) list.push(i);
      else holders.set(l.text, [i]);
    }
  });
  const common = Math.max(2, Math.floor(names.length / 10));
  const uncommon = names.map((name) => (students.get(name) ?? []).filter((l) => (holders.get(l.text)?.length ?? 0) <= common).length);
  const sharedCount = new Map<number, number>();
  for (const list of holders.values()) {
    if (list.length < 2 || list.length > common) continue;
    for (let x = 0; x < list.length; x++) {
      for (let y = x + 1; y < list.length; y++) {
        const key = list[x] * names.length + list[y];
        sharedCount.set(key, (sharedCount.get(key) ?? 0) + 1);
      }
    }
  }
  const pairs: SimilarPair[] = [];
  for (const [key, shared] of sharedCount) {
    if (shared < minShared) continue;
    const i = Math.floor(key / names.length);
    const j = key % names.length;
    const similarity = shared / (uncommon[i] + uncommon[j] - shared);
    if (similarity < threshold) continue;
    const b = new Map((students.get(names[j]) ?? []).map((l) => [l.text, l]));
    const sharedLines = (students.get(names[i]) ?? [])
      .filter((l) => b.has(l.text) && (holders.get(l.text)?.length ?? 0) <= common)
      .map((l) => {
        const other = b.get(l.text)!;
        return { text: l.text, a: `${l.file}:${l.line}`, b: `${other.file}:${other.line}` };
      });
    pairs.push({ a: names[i], b: names[j], similarity, shared: sharedLines });
  }
  return pairs.sort((p, q) => q.similarity - p.similarity || (p.a < q.a ? -1 : p.a > q.a ? 1 : p.b < q.b ? -1 : 1));
}

/** similarity.csv: one row per flagged pair, the shared parts side by side (one cell each, a line a part). */
export function similarityCsvRows(pairs: readonly SimilarPair[]): string[][] {
  const header = ["student_a", "student_b", "similarity", "shared_lines", "shared_in_a", "shared_in_b"];
  return [
    header,
    ...pairs.map((p) => [
      p.a,
      p.b,
      p.similarity.toFixed(2),
      String(p.shared.length),
      p.shared.map((s) => `${s.a}  ${s.text}`).join("\n"),
      p.shared.map((s) => `${s.b}  ${s.text}`).join("\n"),
    ]),
  ];
}
