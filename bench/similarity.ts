/**
 * npm run bench:similarity [-- --count N]
 *
 * Similarity for a class of N synthetic `web` submissions (default 400): each is the
 * exercise's handout with additions drawn from a pool of probes, resources, env variables,
 * labels and annotations (common choices many students make, and unique ones), with one
 * in twenty submissions a reformatted copy of another (key order, flow style, comments).
 * Prints the time to read them into lines, to compare the whole class once, and what a
 * batch spends in all: it rebuilds similarity.csv and gradebook.html after every one of the
 * N submissions (N comparisons of a growing class, plus the page). Also checks the copies
 * were found.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { manifestLines, ownLines, similarPairs, type ManifestLine } from "../runner/batch/similarity.ts";
import { imposedNames } from "../runner/batch/submission-lines.ts";
import { dashboardHtml, dashboardModel } from "../runner/batch/dashboard.ts";
import { emptyGradebook } from "../runner/batch/gradebook.ts";
import type { GradebookRow } from "../runner/batch/gradebook-model.ts";
import { loadExercise } from "../runner/exercise.ts";

const args = process.argv.slice(2);
const count = Number(args.includes("--count") ? args[args.indexOf("--count") + 1] : 400);

const exercise = await loadExercise("web");
const imposed = imposedNames(exercise);
const handoutText = readFileSync(join(exercise.dir, "handout/web.yaml"), "utf8");
const handout = new Set(manifestLines("web.yaml", handoutText, imposed).map((l) => l.text));

/** A small deterministic generator, so every run compares the same class. */
let seed = 42;
const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)];

const COMMON = [
  "        readinessProbe:\n          httpGet: {path: /, port: 80}\n",
  "        resources:\n          requests: {cpu: 10m, memory: 16Mi}\n",
  "        resources:\n          limits: {memory: 128Mi}\n",
  "        livenessProbe:\n          tcpSocket: {port: 80}\n",
];

function submission(i: number): string {
  const extras: string[] = [];
  if (random() < 0.6) extras.push(pick(COMMON));
  const own = 2 + Math.floor(random() * 6);
  extras.push("        env:\n");
  for (let k = 0; k < own; k++) extras.push(`        - name: VAR_${i}_${k}\n          value: "student ${i} value ${Math.floor(random() * 1e6)}"\n`);
  if (random() < 0.3) extras.push(`        args: ["-c", "echo student ${i}"]\n`);
  return handoutText.replace("        ports:\n", `${extras.join("")}        ports:\n`);
}

/** A copy, reformatted: the same content in flow style with a comment, another key order. */
function reformat(text: string): string {
  return `# my own work\n${text.replace(/\n {8}- name: (\S+)\n {10}value: (".*")/g, "\n        - {value: $2, name: $1}")}`;
}

const texts: string[] = [];
const copies: [number, number][] = [];
for (let i = 0; i < count; i++) {
  if (i % 20 === 19) {
    const of = i - 1 - Math.floor(random() * 10);
    texts.push(reformat(texts[of]));
    copies.push([of, i]);
  } else {
    texts.push(submission(i));
  }
}
const name = (i: number) => `student-${String(i + 1).padStart(3, "0")}`;
const ms = (x: number) => `${x.toFixed(0)} ms`;

let t = performance.now();
const lines = new Map<string, ManifestLine[]>(texts.map((text, i) => [name(i), ownLines(manifestLines("web.yaml", text, imposed), handout)]));
const readMs = performance.now() - t;

t = performance.now();
const pairs = similarPairs(lines);
const onceMs = performance.now() - t;

// What a batch does: after every submission, compare the class so far and render the page.
const rows: GradebookRow[] = texts.map((_, i) => ({
  student: name(i), source: `class/${name(i)}`, score: 100, maxScore: 100, passed: true, refused: false,
  checks: Object.fromEntries(exercise.checks.map((c) => [c.id, "passed" as const])), durationMs: 10_000, gradedAt: new Date(0).toISOString(),
}));
t = performance.now();
let growing = new Map<string, ManifestLine[]>();
for (let i = 0; i < count; i++) {
  growing = new Map(growing).set(name(i), lines.get(name(i))!);
  const p = similarPairs(growing);
  dashboardHtml(dashboardModel({ book: { ...emptyGradebook("web", "v", exercise.checks.map((c) => c.id)), rows: rows.slice(0, i + 1) }, feedback: new Map(), pairs: p }));
}
const batchMs = performance.now() - t;

const found = copies.filter(([a, b]) => pairs.some((p) => p.a === name(a) && p.b === name(b))).length;
const others = pairs.filter((p) => !copies.some(([a, b]) => p.a === name(a) && p.b === name(b))).length;
process.stdout.write(
  `${count} submissions: read into lines ${ms(readMs)}; the class compared once ${ms(onceMs)}; ` +
    `rebuilt after each submission as a batch does (similarity + dashboard, ${count} times) ${ms(batchMs)} in all, ${ms(batchMs / count)} a submission\n` +
    `${found} of ${copies.length} planted copies flagged; ${others} other pair(s) flagged\n`,
);
process.exitCode = found === copies.length && others === 0 ? 0 : 1;
