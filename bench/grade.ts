/**
 * npm run bench [-- --runs N] [-- --exercises web,exercise-8,demo,cassandra] [-- --warm-only | --save-only]
 *
 * Grades each exercise's reference solution cold (a fresh cluster each time) and warm
 * (on a warm cluster kept by `cluster start`), N times each (default 3), each grade in
 * its own process, and prints medians: wall time, the grader's own overhead (time not
 * spent starting the cluster or waiting on pods to be created, Ready or deleted) and
 * the grader's peak RSS. Targets (2 cores): web cold ≤ 30 s, warm ≤ 12 s, overhead ≤ 2 s,
 * RSS ≤ 300 MB; exercise-8 warm ≤ 60 s; cassandra cold ≤ 8 min. Cassandra runs once
 * unless --runs is given (one grade takes about 4.5 minutes).
 *
 * Then, on the same warm cluster, each exercise that has a kubectl verify script of our own
 * (bench/verify/<exercise>.sh: what its checks prove, proven the way an instructor's script
 * would) runs that script and, right after it, `kubegrade grade <exercise> --reuse` as a
 * user runs it (its own process, from start to exit), alternately, N times each; it prints
 * both medians and their ratio, and how long kubegrade took from start to its first request
 * to the cluster. Targets: web and exercise-8 ≤ 0.7× their script; first request ≤ 0.4 s.
 * The script's kubectl: $KUBECTL, else kubectl on PATH, else the kit's own multi-call binary.
 *
 * Last, save → verdict under `kubegrade watch` (web and exercise-8, when asked for): the watch
 * runs on a copy of the reference solution on the warm cluster, as a student leaves it running;
 * a file is saved N times (a comment added: the same verdicts), and each time from the write to
 * the verdict line on the watch's output is measured. Target: web ≤ 6 s.
 * `--save-only` runs only this part.
 */
import { execa } from "execa";
import { existsSync } from "node:fs";
import { appendFile, cp, mkdtemp, readdir, rm, stat, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PROJECT_ROOT } from "../runner/config.ts";
import { startWarmCluster, stopWarmCluster, warmKubeconfigPath } from "../runner/cluster/index.ts";
import { cacheDir } from "../runner/config.ts";
import { listManaged } from "../runner/cluster/sweep.ts";
import { createProgress } from "../runner/util/progress.ts";

const args = process.argv.slice(2);
const flag = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const runsFlag = Number(flag("--runs"));
const exercises = (flag("--exercises") ?? "web,exercise-8,demo,cassandra").split(",");
const warmOnly = args.includes("--warm-only");
const saveOnly = args.includes("--save-only");
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
for (const exercise of warmOnly || saveOnly ? [] : exercises) {
  const cold: Result[] = [];
  for (let i = 0; i < runsOf(exercise); i++) {
    cold.push(await once(exercise, false));
    console.log(`${exercise} cold run ${i + 1}: ${s(cold.at(-1)!.wallMs)}`);
  }
  lines.push(summary(`${exercise} cold`, cold));
}
await startWarmCluster(createProgress({ quiet: true }));
for (const exercise of saveOnly ? [] : exercises) {
  const warm: Result[] = [];
  for (let i = 0; i < runsOf(exercise); i++) {
    warm.push(await once(exercise, true));
    console.log(`${exercise} warm run ${i + 1}: ${s(warm.at(-1)!.wallMs)}`);
  }
  lines.push(summary(`${exercise} warm`, warm));
}

/** The exercises whose save → verdict is measured, with their target (none: measured only). */
const SAVE_TARGETS_MS: Record<string, number | null> = { web: 6_000, "exercise-8": null };

/**
 * `kubegrade watch` on a copy of the reference on the warm cluster: after its first grade,
 * `runs` saves of a file (a comment added), each timed from the write to its verdict line.
 */
async function saveToVerdict(exercise: string, runs: number): Promise<number[]> {
  const dir = await mkdtemp(join(tmpdir(), `kubegrade-bench-watch-${exercise}-`));
  await cp(join(PROJECT_ROOT, "fixtures", exercise, "reference", "submission"), dir, { recursive: true });
  const file = join(dir, (await readdir(dir)).filter((f) => /\.ya?ml$/.test(f)).sort()[0]);
  const child = execa(process.execPath, [join(PROJECT_ROOT, "runner/cli.ts"), "watch", exercise, dir], {
    reject: false,
    all: true,
    env: { CI: "true", NO_COLOR: "1" },
  });
  let seen = "";
  let wake = () => {};
  child.all.on("data", (chunk: Buffer) => {
    seen += String(chunk);
    wake();
  });
  let exited = false;
  const ended = child.then(() => void (exited = true), () => void (exited = true));
  const verdict = async (n: number): Promise<number> => {
    const line = new RegExp(`^Grade ${n} \\(.*\\): (.*)$`, "m");
    for (let match = line.exec(seen); ; match = line.exec(seen)) {
      if (match) {
        if (!/^\d+\/\d+, passed/.test(match[1])) throw new Error(`watch of ${exercise}: grade ${n} was not full marks:\n${seen}`);
        return Date.now();
      }
      if (exited) throw new Error(`watch of ${exercise} ended before grade ${n}:\n${seen}`);
      await Promise.race([ended, new Promise<void>((resolve) => (wake = resolve))]);
    }
  };
  const times: number[] = [];
  try {
    await verdict(1);
    for (let i = 0; i < runs; i++) {
      const saved = Date.now();
      await appendFile(file, `# saved by the bench, ${i + 1}\n`);
      times.push((await verdict(i + 2)) - saved);
      console.log(`${exercise} save → verdict ${i + 1}: ${s(times.at(-1)!)}`);
    }
  } finally {
    child.kill("SIGINT");
    const result = await child;
    await rm(dir, { recursive: true, force: true });
    if (result.exitCode !== 130) throw new Error(`watch of ${exercise} did not end with 130 on Ctrl-C (${result.exitCode}):\n${seen}`);
  }
  return times;
}

/** kubectl for the scripts: $KUBECTL, kubectl on PATH, or the kit binary under that name. */
async function kubectl(): Promise<{ path: string; what: string }> {
  if (process.env.KUBECTL) return { path: process.env.KUBECTL, what: process.env.KUBECTL };
  const onPath = await execa("kubectl", ["version", "--client"], { reject: false });
  if (onPath.exitCode === 0) return { path: "kubectl", what: `kubectl on PATH (${onPath.stdout.split("\n")[0]})` };
  const kits = join(cacheDir(), "kit");
  const builds = existsSync(kits) ? await readdir(kits) : [];
  const dated = await Promise.all(builds.map(async (b) => ({ b, at: (await stat(join(kits, b, "kit")).catch(() => undefined))?.mtimeMs ?? 0 })));
  const newest = dated.filter((d) => d.at).sort((a, b) => b.at - a.at)[0];
  if (!newest) throw new Error("no kubectl: set KUBECTL, put kubectl on PATH, or run `npm run setup` (the kit binary is one)");
  const dir = await mkdtemp(join(tmpdir(), "kubegrade-bench-"));
  await symlink(join(kits, newest.b, "kit"), join(dir, "kubectl"));
  return { path: join(dir, "kubectl"), what: "the kit's kubectl (its multi-call binary)" };
}

/** The CLI as a user runs it; wall time to exit, and to the first request to the cluster. */
async function cliGrade(exercise: string): Promise<{ wallMs: number; firstRequestMs: number; passed: boolean }> {
  const dir = join(PROJECT_ROOT, "fixtures", exercise, "reference", "submission");
  const started = Date.now();
  const result = await execa(process.execPath, [join(PROJECT_ROOT, "runner/cli.ts"), "grade", exercise, dir, "--reuse"], {
    reject: false,
    env: { KUBEGRADE_PROGRESS: "plain", NO_COLOR: "1" },
  });
  const wallMs = Date.now() - started;
  // The plain progress lines carry their time: the warm cluster's step is the first request.
  const line = result.stderr.split("\n").find((l) => /› Using the warm cluster/.test(l));
  const firstRequestMs = line ? Date.parse(line.split(" ")[0]) - started : NaN;
  return { wallMs, firstRequestMs, passed: result.exitCode === 0 };
}

async function script(exercise: string, path: string, kubectlPath: string, run: number): Promise<number> {
  const dir = join(PROJECT_ROOT, "fixtures", exercise, "reference", "submission");
  const started = Date.now();
  const result = await execa("bash", [path, `bench-${exercise}-${process.pid}-${run}`, dir], {
    reject: false,
    env: { KUBECONFIG: warmKubeconfigPath(), KUBECTL: kubectlPath },
  });
  if (result.exitCode !== 0) throw new Error(`the kubectl script for ${exercise} failed: ${result.stderr || result.stdout}`);
  return Date.now() - started;
}

const scripted = saveOnly ? [] : exercises.filter((e) => existsSync(join(PROJECT_ROOT, "bench/verify", `${e}.sh`)));
const ratios: string[] = [];
if (scripted.length) {
  const k = await kubectl();
  console.log(`\nkubectl scripts with ${k.what}, on the warm cluster, alternating with kubegrade grade --reuse:`);
  for (const exercise of scripted) {
    const scriptMs: number[] = [];
    const kg: Awaited<ReturnType<typeof cliGrade>>[] = [];
    for (let i = 0; i < runsOf(exercise); i++) {
      scriptMs.push(await script(exercise, join(PROJECT_ROOT, "bench/verify", `${exercise}.sh`), k.path, i));
      kg.push(await cliGrade(exercise));
      console.log(`${exercise} run ${i + 1}: script ${s(scriptMs.at(-1)!)}, kubegrade ${s(kg.at(-1)!.wallMs)}${kg.at(-1)!.passed ? "" : " (not full marks!)"}`);
    }
    const a = median(kg.map((r) => r.wallMs));
    const b = median(scriptMs);
    ratios.push(
      `${`${exercise} warm vs script`.padEnd(22)} kubegrade ${s(a)} / kubectl script ${s(b)} = ${(a / b).toFixed(2)}× (target ≤ 0.70×)` +
        `  first cluster request ${(median(kg.map((r) => r.firstRequestMs)) / 1000).toFixed(2)} s after start (target ≤ 0.40 s)`,
    );
  }
}
const saves: string[] = [];
for (const exercise of exercises.filter((e) => SAVE_TARGETS_MS[e] !== undefined)) {
  const times = await saveToVerdict(exercise, runsOf(exercise));
  saves.push(
    `${`${exercise} save → verdict`.padEnd(22)} median ${s(median(times))} (${times.map(s).join(", ")})` +
      (SAVE_TARGETS_MS[exercise] ? ` (target ≤ ${s(SAVE_TARGETS_MS[exercise]!)})` : ""),
  );
}
if (!hadWarm) await stopWarmCluster();
console.log(`\nmedians over ${exercises.map((e) => `${e} ${runsOf(e)}`).join(", ")} run(s):`);
for (const l of [...lines, ...ratios, ...saves]) console.log(`  ${l}`);
