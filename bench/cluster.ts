/**
 * npm run bench:cluster [-- --cold] [-- --runs N]
 *
 * Prints: setup time (cached; cold with --cold, which builds everything from empty
 * caches in temporary Go caches, ~10 min), node start → API ready → node Ready → DNS
 * ready → first pod Ready, pod start (create → Ready, 5 pods one after the other), the node container's memory (idle and peak, pods included:
 * their cgroups nest in the node's), and the image size. Targets (2 cores): DNS ready
 * ≤ 15 s, idle memory ≤ 1 GiB, image ≤ 500 MB, cold setup ≤ 15 min, cached ≤ 30 s.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { KIT_IMAGE } from "../runner/config.ts";
import { startKitCluster } from "../runner/cluster/kit.ts";
import { applyObjects } from "../runner/kube/apply.ts";
import { waitForPodsReady } from "../runner/kube/pods.ts";
import { setup } from "../runner/setup/setup.ts";
import { createProgress } from "../runner/util/progress.ts";
import { waitUntil } from "../runner/util/wait.ts";
import { CoreV1Api } from "@kubernetes/client-node";

const args = process.argv.slice(2);
const cold = args.includes("--cold");
const runs = Number(args[args.indexOf("--runs") + 1]) || 3;
const quiet = createProgress({ quiet: true });

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}
const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;

async function memory(containerId: string): Promise<{ usage: number; peak: number; cache: number }> {
  const base = `/sys/fs/cgroup/memory/docker/${containerId}`;
  const read = async (f: string) => Number((await readFile(join(base, f), "utf8")).trim());
  const stat = await readFile(join(base, "memory.stat"), "utf8");
  const cache = Number(/^total_inactive_file (\d+)/m.exec(stat)?.[1] ?? 0);
  return { usage: await read("memory.usage_in_bytes"), peak: await read("memory.max_usage_in_bytes"), cache };
}

if (cold) {
  const caches = await mkdtemp(join(tmpdir(), "kubegrade-bench-cold-"));
  process.env.KUBEGRADE_CACHE = join(caches, "kubegrade");
  process.env.GOMODCACHE = join(caches, "gomod");
  process.env.GOCACHE = join(caches, "gobuild");
  await execa("docker", ["rmi", "-f", KIT_IMAGE], { reject: false });
  const started = performance.now();
  await setup({ progress: createProgress(), kit: true });
  console.log(`cold setup (empty Go module and build caches): ${s(performance.now() - started)}`);
  await execa("chmod", ["-R", "u+w", caches], { reject: false });
  await rm(caches, { recursive: true, force: true });
  delete process.env.KUBEGRADE_CACHE;
}
{
  const started = performance.now();
  await setup({ progress: quiet, kit: true });
  console.log(`cached setup: ${s(performance.now() - started)}`);
}

const phases: Record<string, number[]> = { "API ready": [], "node Ready": [], "DNS ready": [], "first pod Ready": [], "start() returned": [] };
const idle: number[] = [];
const peak: number[] = [];
const podStarts: number[] = [];
for (let run = 1; run <= runs; run++) {
  const marks: Record<string, number> = {};
  const t0 = performance.now();
  const cluster = await startKitCluster({
    onLog: (line) => {
      const m = /^kubegrade-node: \[([\d.]+)s\] (.*)$/.exec(line);
      if (!m) return;
      const at = Number(m[1]) * 1000;
      if (m[2] === "API server ready") marks["API ready"] = at;
      if (m[2].startsWith("DNS ready")) marks["DNS ready"] = at;
      if (/^node \S+ Ready$/.test(m[2])) marks["node Ready"] = at;
    },
  });
  const startReturned = performance.now() - t0;
  const id = cluster.containerId!;
  const inspect = await execa("docker", ["inspect", "--format", "{{.State.StartedAt}}", id]);
  const containerStart = Date.parse(inspect.stdout.trim());
  const core = cluster.kubeConfig.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: "bench" } } });
  await waitUntil("ServiceAccount bench/default", 30_000, async () =>
    (await core.readNamespacedServiceAccount({ name: "default", namespace: "bench" }).catch(() => undefined)) ? true : { pending: "not made yet" },
  );
  await applyObjects(cluster.kubeConfig, "bench", [
    { apiVersion: "v1", kind: "Pod", metadata: { name: "first" }, spec: { containers: [{ name: "c", image: "busybox:1.28", command: ["sleep", "3600"] }] } } as never,
  ]);
  await waitForPodsReady(cluster.kubeConfig, "bench", ["first"], { deadlineMs: 60_000 });
  marks["first pod Ready"] = Date.now() - containerStart;
  marks["start() returned"] = startReturned;
  // Pod start on a running node, as an exercise sees it: from the create request to Ready
  // (image present, no probe), one pod after the other as a StatefulSet starts them.
  for (let i = 0; i < 5; i++) {
    const began = performance.now();
    await applyObjects(cluster.kubeConfig, "bench", [
      { apiVersion: "v1", kind: "Pod", metadata: { name: `start-${i}` }, spec: { containers: [{ name: "c", image: "busybox:1.28", command: ["sleep", "3600"] }] } } as never,
    ]);
    await waitForPodsReady(cluster.kubeConfig, "bench", [`start-${i}`], { deadlineMs: 60_000 });
    podStarts.push(performance.now() - began);
  }
  for (const [k, v] of Object.entries(marks)) phases[k]?.push(v);
  const m = await memory(id);
  idle.push(m.usage - m.cache);
  peak.push(m.peak);
  await cluster.stop();
  console.log(`run ${run}: ${Object.entries(marks).map(([k, v]) => `${k} ${s(v)}`).join(", ")}; memory ${mb(m.usage - m.cache)} (peak ${mb(m.peak)})`);
}
const size = Number((await execa("docker", ["image", "inspect", "--format", "{{.Size}}", KIT_IMAGE])).stdout.trim());
console.log(`\nmedians over ${runs} runs (times from the node container's start):`);
for (const [k, v] of Object.entries(phases)) if (v.length) console.log(`  ${k.padEnd(18)} ${s(median(v))}`);
console.log(`  pod start          ${s(median(podStarts))} from create to Ready, median of ${podStarts.length} (target < 0.5 s; min ${s(Math.min(...podStarts))}, max ${s(Math.max(...podStarts))})`);
console.log(`  idle memory        ${mb(median(idle))} (node container incl. its pods, page cache excluded)`);
console.log(`  peak memory        ${mb(Math.max(...peak))}`);
console.log(`  image size         ${(size / 1e6).toFixed(0)} MB (${KIT_IMAGE})`);
