/**
 * npm run bench [-- --runs N] [-- --exercises web,exercise-8,demo,cassandra]
 *
 * Grades each exercise's reference solution cold (a fresh cluster each time) and warm
 * (on a warm cluster kept by `cluster start`), N times each (default 3), each grade in
 * its own process, and prints medians: wall time, the grader's own overhead (time not
 * spent starting the cluster or waiting on pods to be created, Ready or deleted) and
 * the grader's peak RSS. Targets (2 cores): web cold ≤ 30 s, warm ≤ 12 s, overhead ≤ 2 s,
 * RSS ≤ 300 MB; exercise-8 warm ≤ 60 s; cassandra cold ≤ 8 min. Cassandra runs once
 * unless --runs is given (one grade takes about 4.5 minutes).
 */
import { execa } from "execa";
import { join } from "node:path";
import { PROJECT_ROOT } from "../runner/config.ts";
import { startWarmCluster, stopWarmCluster } from "../runner/cluster/index.ts";
import { listManaged } from "../runner/cluster/sweep.ts";
import { createProgress } from "../runner/util/progress.ts";

const args = process.argv.slice(2);
const flag = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const runsFlag = Number(flag("--runs"));
const exercises = (flag("--exercises") ?? "web,exercise-8,demo,cassandra").split(",");
const HEAVY = new Set(["cassandra"]);
const runsOf = (exercise: string) => runsFlag || (HEAVY.has(exercise) ? 1 : 3);

interface Result {
  wallMs: number;
  clusterMs: number;
  overheadMs: number;
  maxRssMB: number;
  passed: boolean;
  score: number;
  maxScore: number;
}

async function once(exercise: string, reuse: boolean): Promise<Result> {
  const dir = join(PROJECT_ROOT, "fixtures", exercise, "reference", "submission");
  const result = await execa(process.execPath, [join(PROJECT_ROOT, "bench/grade-once.ts"), exercise, dir, ...(reuse ? ["--reuse"] : [])], {
    reject: false,
  });
  const line = result.stdout.trim().split("\n").pop() ?? "";
  if (result.exitCode !== 0 || !line.startsWith("{")) throw new Error(`grade of ${exercise} failed: ${result.stderr || result.stdout}`);
  return JSON.parse(line) as Result;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

function summary(label: string, results: Result[]): string {
  const passed = results.filter((r) => r.passed).length;
  return `${label.padEnd(22)} median ${s(median(results.map((r) => r.wallMs))).padStart(7)}` +
    ` (cluster ${s(median(results.map((r) => r.clusterMs)))}, overhead ${s(median(results.map((r) => r.overheadMs)))})` +
    `  peak RSS ${Math.max(...results.map((r) => r.maxRssMB))} MB  full marks ${passed}/${results.length}`;
}

const hadWarm = (await listManaged()).some((c) => c.warm && c.state === "running");
const lines: string[] = [];
for (const exercise of exercises) {
  const cold: Result[] = [];
  for (let i = 0; i < runsOf(exercise); i++) {
    cold.push(await once(exercise, false));
    console.log(`${exercise} cold run ${i + 1}: ${s(cold.at(-1)!.wallMs)}`);
  }
  lines.push(summary(`${exercise} cold`, cold));
}
await startWarmCluster(createProgress({ quiet: true }));
for (const exercise of exercises) {
  const warm: Result[] = [];
  for (let i = 0; i < runsOf(exercise); i++) {
    warm.push(await once(exercise, true));
    console.log(`${exercise} warm run ${i + 1}: ${s(warm.at(-1)!.wallMs)}`);
  }
  lines.push(summary(`${exercise} warm`, warm));
}
if (!hadWarm) await stopWarmCluster();
console.log(`\nmedians over ${exercises.map((e) => `${e} ${runsOf(e)}`).join(", ")} run(s):`);
for (const l of lines) console.log(`  ${l}`);
