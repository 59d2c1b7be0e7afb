/**
 * One grade in this process, for bench/grade.ts: prints a JSON line with the wall time,
 * the time spent starting or attaching a cluster, the grader's own overhead (time not
 * spent waiting on cluster transitions, from the report's timeline) and peak RSS.
 * Usage: node bench/grade-once.ts <exercise> <dir> [--reuse]
 */
import { grade } from "../runner/grade/index.ts";
import type { GradeReport } from "../runner/report/model.ts";
import type { Progress } from "../runner/util/progress.ts";

const [exercise, dir, ...rest] = process.argv.slice(2);
const stepDurations = new Map<string, number>();
const progress: Progress = {
  info: () => {},
  begin: () => ({ update: () => {}, end: () => {} }),
  async step(title, run) {
    const started = performance.now();
    try {
      return await run(() => {});
    } finally {
      stepDurations.set(title, performance.now() - started);
    }
  },
};

/** Total length of the union of intervals. */
function unionLength(intervals: [number, number][]): number {
  const sorted = intervals.filter(([a, b]) => b > a).sort((x, y) => x[0] - y[0]);
  let total = 0;
  let current: [number, number] | undefined;
  for (const [a, b] of sorted) {
    if (!current || a > current[1]) {
      if (current) total += current[1] - current[0];
      current = [a, b];
    } else current[1] = Math.max(current[1], b);
  }
  if (current) total += current[1] - current[0];
  return total;
}

/** Time the cluster spent in transitions: pods from created to Ready, and from each grader step to the pod deletion it caused. */
export function waitingMs(report: GradeReport): number {
  const t = (iso: string) => Date.parse(iso);
  const intervals: [number, number][] = [];
  const byUid = new Map<string, { created?: number; ready?: number; deleted?: number }>();
  for (const e of report.timeline) {
    const entry = byUid.get(e.uid) ?? {};
    if (e.event === "created") entry.created ??= t(e.at);
    if (e.event === "ready") entry.ready ??= t(e.at);
    if (e.event === "deleted") entry.deleted ??= t(e.at);
    byUid.set(e.uid, entry);
  }
  for (const e of byUid.values()) {
    if (e.created !== undefined) intervals.push([e.created, e.ready ?? e.deleted ?? e.created]);
  }
  const deletions = report.timeline.filter((e) => e.event === "deleted").map((e) => t(e.at)).sort((a, b) => a - b);
  const creations = report.timeline.filter((e) => e.event === "created").map((e) => t(e.at)).sort((a, b) => a - b);
  for (const s of report.steps) {
    const at = t(s.at);
    const next = [...deletions, ...creations].filter((x) => x >= at).sort((a, b) => a - b)[0];
    if (next !== undefined) intervals.push([at, next]);
  }
  return unionLength(intervals);
}

const started = performance.now();
const report = await grade({ exercise, submission: dir, reuse: rest.includes("--reuse"), progress });
const wall = performance.now() - started;
const clusterMs = [...stepDurations.entries()].filter(([k]) => /cluster/i.test(k) && !/namespace/i.test(k)).reduce((s, [, v]) => s + v, 0);
const waiting = waitingMs(report);
process.stdout.write(
  `${JSON.stringify({
    exercise,
    score: report.score,
    maxScore: report.maxScore,
    passed: report.passed,
    wallMs: Math.round(wall),
    clusterMs: Math.round(clusterMs),
    waitingMs: Math.round(waiting),
    overheadMs: Math.round(wall - clusterMs - waiting),
    maxRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    checks: Object.fromEntries(report.checks.map((c) => [c.id, c.status])),
  })}\n`,
);
process.exit(0);
