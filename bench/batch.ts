/**
 * npm run bench:batch [-- --count N] [--jobs N] [--fresh] [--heap-snapshots DIR] [--cases a,b,…]
 *
 * Grades a class of N `web` submissions (default 20: the reference and the broken fixtures
 * mixed; --cases: only these fixtures) in ONE batch, in this one process, as a term-long batch does: on the warm kit
 * cluster (`kubegrade cluster start`; started when missing, left running), or on a fresh kit
 * cluster of its own with --fresh. After every finished grade it samples the grader's
 * resident memory and its live heap after a full garbage collection, and prints:
 *
 *   - the total time, the per-submission median, false failures (a submission whose verdicts
 *     differ from its fixture's expected.yaml);
 *   - the median time to a verdict of the passing submissions next to that of the broken ones
 *     (a certain failure must not be waited out to a deadline), and each broken case's own;
 *   - resident memory at the first grade, the peak (the process's own maxRSS) and at the end;
 *     the live heap's growth per grade (a least-squares slope over the second half of the
 *     batch, after caches have warmed), which is what a leak looks like;
 *   - the node container's peak memory.
 *
 * Target (2 cores): peak ≤ 300 MB however many grades, a heap slope near 0, 0 false failures.
 * --heap-snapshots DIR writes a V8 heap snapshot after the first few grades and at the end,
 * to compare in Chrome's DevTools (Memory → Comparison) when the slope is not flat.
 */
import { cp, mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getHeapSpaceStatistics, setFlagsFromString, writeHeapSnapshot } from "node:v8";
import { runInNewContext } from "node:vm";
import { parse } from "yaml";
import { PROJECT_ROOT } from "../runner/config.ts";
import { startKitCluster } from "../runner/cluster/providers/kit.ts";
import { warmCluster } from "../runner/cluster/index.ts";
import { runBatch } from "../runner/batch/batch.ts";
import { createProgress, type Progress } from "../runner/util/progress.ts";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

const args = process.argv.slice(2);
const flag = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const count = Number(flag("--count") ?? flag("--size") ?? 20);
const jobs = flag("--jobs") === undefined ? undefined : Number(flag("--jobs"));
const snapshots = flag("--heap-snapshots");
const only = flag("--cases")?.split(",");
if (!Number.isInteger(count) || count < 1) throw new Error(`--count ${flag("--count")}: a whole number of at least 1 is expected`);

const fixtures = join(PROJECT_ROOT, "fixtures/web");
const cases: { name: string; verdicts?: Record<string, string>; refused: boolean; passes: boolean }[] = [];
for (const name of (await readdir(fixtures)).sort()) {
  if (!existsSync(join(fixtures, name, "expected.yaml")) || (only && name !== "reference" && !only.includes(name))) continue;
  const expected = parse(await readFile(join(fixtures, name, "expected.yaml"), "utf8")) as { verdicts?: Record<string, string>; refused?: boolean; exitCode: number };
  cases.push({ name, verdicts: expected.verdicts, refused: !!expected.refused, passes: expected.exitCode === 0 });
}
// Half reference solutions, half the other cases in turn (refused ones reach no cluster, so they are few).
const graded = cases.filter((c) => c.name !== "reference" && !c.refused);
const refused = cases.filter((c) => c.refused);
const reference = cases.find((c) => c.name === "reference")!;
const plan = Array.from({ length: count }, (_, i) =>
  i % 2 === 0 ? reference : i % 10 === 9 && refused.length ? refused[Math.floor(i / 10) % refused.length] : graded[Math.floor(i / 2) % graded.length]);

async function nodeMemoryPeak(containerId: string | undefined): Promise<number> {
  if (!containerId) return 0;
  const text = await readFile(`/sys/fs/cgroup/memory/docker/${containerId}/memory.max_usage_in_bytes`, "utf8").catch(() => "0");
  return Number(text.trim());
}

const MB = 1024 * 1024;
const mb = (bytes: number) => `${Math.round(bytes / MB)} MB`;
const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** Least-squares slope of y over x. */
function slope(points: [number, number][]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((a, [x]) => a + x, 0) / n;
  const my = points.reduce((a, [, y]) => a + y, 0) / n;
  const num = points.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0);
  const den = points.reduce((a, [x]) => a + (x - mx) ** 2, 0);
  return den === 0 ? 0 : num / den;
}

interface Sample { done: number; rss: number; heap: number }
const samples: Sample[] = [];
let done = 0;
/** A grade finished (batch prints one line per finished submission, with its verdict or a skip). */
const finishedLine = /^\[\d+\/\d+ done/;
const progress: Progress = {
  ...createProgress({ quiet: true }),
  info(message) {
    if (!finishedLine.test(message) || /: grading /.test(message)) return;
    done++;
    gc();
    const usage = process.memoryUsage();
    const sample = { done, rss: usage.rss, heap: usage.heapUsed };
    samples.push(sample);
    if (done % 10 === 0 || done === count) {
      process.stdout.write(
        `  ${done}/${count} graded: RSS ${mb(sample.rss)}, live heap ${mb(sample.heap)} of ${mb(usage.heapTotal)} ` +
          `(${getHeapSpaceStatistics().filter((x) => x.space_size > MB).map((x) => `${x.space_name.replace(/_space$/, "")} ${mb(x.space_used_size)}/${mb(x.space_size)}`).join(", ")}), ` +
          `external ${mb(usage.external)} (array buffers ${mb(usage.arrayBuffers)})\n`,
      );
    }
    if (snapshots && (done === 4 || done === count)) process.stdout.write(`  heap snapshot: ${writeHeapSnapshot(join(snapshots, `batch-${done}.heapsnapshot`))}\n`);
  },
};

const fresh = args.includes("--fresh");
const cluster = fresh ? await startKitCluster() : await warmCluster(createProgress({ quiet: true }), { startIfMissing: true });
const root = await mkdtemp(join(tmpdir(), "kubegrade-bench-batch-"));
try {
  const submissions: { student: string; source: string }[] = [];
  for (const [i, c] of plan.entries()) {
    const student = `student-${String(i + 1).padStart(3, "0")}`;
    const dir = join(root, "class", `${student}-${c.name}`);
    await cp(join(fixtures, c.name, "submission"), dir, { recursive: true });
    submissions.push({ student, source: dir });
  }
  process.stdout.write(`Grading ${count} web submissions in one batch on ${fresh ? "a fresh" : "the warm"} kit cluster (${cluster.description})\n`);
  gc();
  const before = process.memoryUsage.rss();
  const started = performance.now();
  const result = await runBatch({ exercise: "web", submissions, out: join(root, "out"), jobs, cluster, progress });
  const total = performance.now() - started;

  const durations = result.gradebook.rows.filter((r) => !r.refused).map((r) => r.durationMs).sort((a, b) => a - b);
  let falseFailures = 0;
  for (const [i, c] of plan.entries()) {
    const row = result.gradebook.rows.find((r) => r.student === submissions[i].student);
    if (!row) { falseFailures++; continue; }
    if (c.refused) { if (!row.refused) falseFailures++; continue; }
    const differs = Object.entries(c.verdicts ?? {}).some(([id, v]) => row.checks[id] !== v);
    if (differs || row.infrastructureError) falseFailures++;
  }
  // Time to a verdict: passing submissions next to broken ones, and each broken case's own.
  const took = (passes: boolean) => plan.flatMap((c, i) => {
    const row = result.gradebook.rows.find((r) => r.student === submissions[i].student);
    return !c.refused && c.passes === passes && row ? [{ name: c.name, ms: row.durationMs }] : [];
  });
  const medianOf = (xs: { ms: number }[]) => xs.map((x) => x.ms).sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
  const [passing, broken] = [took(true), took(false)];
  process.stdout.write(
    `time to verdict: passing median ${s(medianOf(passing))} (${passing.length}), broken median ${s(medianOf(broken))} (${broken.length}), broken slowest ${s(Math.max(0, ...broken.map((b) => b.ms)))}\n` +
      `  broken: ${[...new Map(broken.map((b) => [b.name, b.ms])).entries()].sort((a, b) => b[1] - a[1]).map(([name, ms]) => `${name} ${s(ms)}`).join(", ")}\n`,
  );
  const secondHalf = samples.slice(Math.floor(samples.length / 2));
  const heapSlope = slope(secondHalf.map((x) => [x.done, x.heap]));
  const rssSlope = slope(secondHalf.map((x) => [x.done, x.rss]));
  const peak = process.resourceUsage().maxRSS * 1024;
  process.stdout.write(
    `${count} submissions in ${s(total)} (jobs ${result.jobs?.jobs ?? jobs ?? "?"}); per graded submission median ${s(durations[Math.floor(durations.length / 2)] ?? 0)}; false failures ${falseFailures}\n` +
      `grader memory: RSS ${mb(before)} before the batch, ${mb(samples[0]?.rss ?? 0)} after the first grade, ${mb(samples.at(-1)?.rss ?? 0)} after the last; peak RSS ${mb(peak)}\n` +
      `growth per grade over the second half: live heap ${(heapSlope / 1024).toFixed(1)} KB, RSS ${(rssSlope / 1024).toFixed(1)} KB\n` +
      `node container peak ${mb(await nodeMemoryPeak(cluster.containerId))}\n` +
      `${peak <= 300 * MB ? "peak RSS within 300 MB" : "peak RSS ABOVE 300 MB"}; ` +
      `${heapSlope < 100 * 1024 ? "live heap flat (under 100 KB a grade)" : "live heap GROWS: something of each grade is kept (--heap-snapshots DIR to see what)"}\n`,
  );
  process.exitCode = falseFailures > 0 || peak > 300 * MB || heapSlope >= 100 * 1024 ? 1 : 0;
} finally {
  await rm(root, { recursive: true, force: true });
  await cluster.stop();
}
