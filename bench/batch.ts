/**
 * npm run bench:batch [-- --reps N] [-- --jobs N] [-- --size N]
 *
 * Grades a class of N `web` submissions (default 20: the reference and the broken
 * fixtures mixed) on one
 * kit cluster, in namespaces of their own, R times (default 3; a fresh results directory
 * each time, so nothing is skipped as already graded), and prints the total time,
 * the per-submission median, peak memory of the grader and of the node container, and
 * false failures (a submission whose verdicts differ from its fixture's expected.yaml).
 * Target (2 cores): ≤ 3 minutes for 20 submissions, grader ≤ 300 MB, 0 false failures.
 */
import { cp, mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { PROJECT_ROOT } from "../runner/config.ts";
import { startKitCluster } from "../runner/cluster/kit.ts";
import { runBatch } from "../runner/batch/batch.ts";
import { createProgress } from "../runner/util/progress.ts";

const args = process.argv.slice(2);
const flag = (name: string) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : undefined);
const reps = flag("--reps") ?? 3;
const size = flag("--size") ?? 20;
const jobs = flag("--jobs");

const fixtures = join(PROJECT_ROOT, "fixtures/web");
const cases: { name: string; verdicts?: Record<string, string>; refused: boolean }[] = [];
for (const name of (await readdir(fixtures)).sort()) {
  if (!existsSync(join(fixtures, name, "expected.yaml"))) continue;
  const expected = parse(await readFile(join(fixtures, name, "expected.yaml"), "utf8")) as { verdicts?: Record<string, string>; refused?: boolean };
  cases.push({ name, verdicts: expected.verdicts, refused: !!expected.refused });
}
// Half reference solutions, half the other cases in turn.
const others = cases.filter((c) => c.name !== "reference");
const plan = Array.from({ length: size }, (_, i) => (i % 2 === 0 ? cases.find((c) => c.name === "reference")! : others[Math.floor(i / 2) % others.length]));

async function nodeMemoryPeak(containerId: string): Promise<number> {
  const text = await readFile(`/sys/fs/cgroup/memory/docker/${containerId}/memory.max_usage_in_bytes`, "utf8").catch(() => "0");
  return Number(text.trim());
}

const cluster = await startKitCluster();
const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
try {
  for (let rep = 1; rep <= reps; rep++) {
    const root = await mkdtemp(join(tmpdir(), "kubegrade-bench-batch-"));
    const submissions: { student: string; source: string }[] = [];
    for (const [i, c] of plan.entries()) {
      const dir = join(root, "class", `student-${String(i + 1).padStart(2, "0")}-${c.name}`);
      await cp(join(fixtures, c.name, "submission"), dir, { recursive: true });
      submissions.push({ student: `student-${String(i + 1).padStart(2, "0")}`, source: dir });
    }
    const started = performance.now();
    const result = await runBatch({
      exercise: "web",
      submissions,
      out: join(root, "out"),
      jobs,
      cluster,
      progress: createProgress({ quiet: true }),
    });
    const total = performance.now() - started;
    const durations = result.gradebook.rows.map((r) => r.durationMs).sort((a, b) => a - b);
    let falseFailures = 0;
    for (const [i, c] of plan.entries()) {
      const row = result.gradebook.rows.find((r) => r.student === submissions[i].student);
      if (!row) { falseFailures++; continue; }
      if (c.refused) { if (!row.refused) falseFailures++; continue; }
      const differs = Object.entries(c.verdicts ?? {}).some(([id, v]) => row.checks[id] !== v);
      if (differs || row.infrastructureError) falseFailures++;
    }
    console.log(
      `rep ${rep}: ${size} submissions in ${s(total)} (jobs ${result.jobs?.jobs ?? jobs ?? "?"}); per submission median ${s(durations[Math.floor(durations.length / 2)])}; ` +
        `grader peak RSS ${Math.round(process.resourceUsage().maxRSS / 1024)} MB; node container peak ${Math.round((await nodeMemoryPeak(cluster.containerId!)) / 1024 / 1024)} MiB; ` +
        `false failures ${falseFailures}`,
    );
    await rm(root, { recursive: true, force: true });
  }
} finally {
  await cluster.stop();
}
