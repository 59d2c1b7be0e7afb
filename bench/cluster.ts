/**
 * npm run bench:cluster [-- --cold] [-- --runs N] [-- --also IMAGE] [-- --nodes N]
 *
 * Prints: setup time (cached; cold with --cold, which builds everything from empty
 * caches in temporary Go caches, ~10 min), node start → API ready → node Ready → DNS
 * ready → first pod Ready, pod start (create → Ready, 5 pods one after the other), the node container's memory (idle and peak, pods included:
 * their cgroups nest in the node's), the idle node's CPU, and the image size. `--also IMAGE`
 * measures a second node image in alternate runs and prints both side by side (an
 * earlier build kept under another tag, say). `--nodes N` measures a kit cluster of N nodes
 * beside the one-node cluster, the same way (its memory and CPU: every node's container; its
 * "node Ready": the last node's). Targets (2 cores): DNS ready
 * ≤ 15 s, idle memory ≤ 1 GiB, image ≤ 500 MB, cold setup ≤ 15 min, cached ≤ 30 s.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { KIT_IMAGE } from "../runner/config.ts";
import { startKitCluster } from "../runner/cluster/providers/kit.ts";
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
const ms2 = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;

/** Memory of every node container together (a node's pods are in its cgroup). */
async function memoryOf(ids: readonly string[]): Promise<{ usage: number; peak: number; cache: number }> {
  const each = await Promise.all(ids.map(memory));
  return { usage: sum(each.map((m) => m.usage)), peak: sum(each.map((m) => m.peak)), cache: sum(each.map((m) => m.cache)) };
}
const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

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

interface Figures {
  phases: Record<string, number[]>;
  idle: number[];
  peak: number[];
  podStarts: number[];
  /** CPU the idle node uses (all its components, cores busy), sampled over 10 s. */
  idleCpu: number[];
}
interface Variant {
  image: string;
  nodes: number;
}
const nodesArg = args.includes("--nodes") ? Number(args[args.indexOf("--nodes") + 1]) : undefined;
const variants = new Map<string, Variant>([
  [KIT_IMAGE, { image: KIT_IMAGE, nodes: 1 }],
  ...(args.includes("--also") ? [[args[args.indexOf("--also") + 1], { image: args[args.indexOf("--also") + 1], nodes: 1 }] as [string, Variant]] : []),
  ...(nodesArg && nodesArg > 1 ? [[`${nodesArg} nodes`, { image: KIT_IMAGE, nodes: nodesArg }] as [string, Variant]] : []),
]);
const images = [...variants.keys()];
const figures = new Map<string, Figures>(
  images.map((image) => [
    image,
    { phases: { "API ready": [], "node Ready": [], "DNS ready": [], "first pod Ready": [], "start() returned": [] }, idle: [], peak: [], podStarts: [], idleCpu: [] },
  ]),
);

async function cpuSeconds(containerId: string): Promise<number> {
  return Number((await readFile(`/sys/fs/cgroup/cpuacct/docker/${containerId}/cpuacct.usage`, "utf8")).trim()) / 1e9;
}

async function measure(label: string, run: number): Promise<void> {
  const f = figures.get(label)!;
  const { image, nodes } = variants.get(label)!;
  const marks: Record<string, number> = {};
  const t0 = performance.now();
  const cluster = await startKitCluster({
    image,
    nodes,
    onLog: (line) => {
      const m = /^kubegrade-node: \[([\d.]+)s\] (?:kubegrade-worker-\d+: )?(.*)$/.exec(line);
      if (!m) return;
      const at = Number(m[1]) * 1000;
      if (m[2] === "API server ready") marks["API ready"] = at;
      if (m[2].startsWith("DNS ready")) marks["DNS ready"] = at;
      // Several nodes: the last one's.
      if (/^node \S+ Ready$/.test(m[2])) marks["node Ready"] = Math.max(marks["node Ready"] ?? 0, at);
    },
  });
  const startReturned = performance.now() - t0;
  const id = cluster.containerId!;
  const ids = cluster.nodeContainerIds ?? [id];
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
    f.podStarts.push(performance.now() - began);
  }
  // The idle node with its 7 pods: how much CPU it keeps busy (a measuring window, not a wait).
  const cpu = async () => sum(await Promise.all(ids.map(cpuSeconds)));
  const cpuBefore = await cpu();
  const windowStart = performance.now();
  await new Promise((resolve) => setTimeout(resolve, 10_000));
  f.idleCpu.push(((await cpu()) - cpuBefore) / ((performance.now() - windowStart) / 1000));
  for (const [k, v] of Object.entries(marks)) f.phases[k]?.push(v);
  const m = await memoryOf(ids);
  f.idle.push(m.usage - m.cache);
  f.peak.push(m.peak);
  await cluster.stop();
  console.log(`${label} run ${run}: ${Object.entries(marks).map(([k, v]) => `${k} ${s(v)}`).join(", ")}; memory ${mb(m.usage - m.cache)} (peak ${mb(m.peak)})`);
}

// With --also IMAGE the two images alternate run by run, so both see the same machine.
for (let run = 1; run <= runs; run++) for (const image of images) await measure(image, run);

const column = (image: string, pick: (f: Figures) => string) => pick(figures.get(image)!).padEnd(24);
console.log(`\nmedians over ${runs} runs (times from the node container's start):`);
console.log(`  ${"".padEnd(18)} ${images.map((image) => image.padEnd(24)).join(" ")}`);
for (const k of Object.keys(figures.get(KIT_IMAGE)!.phases)) {
  console.log(`  ${k.padEnd(18)} ${images.map((image) => column(image, (f) => (f.phases[k].length ? s(median(f.phases[k])) : "-"))).join(" ")}`);
}
console.log(
  `  pod start          ${images.map((image) => column(image, (f) => `${ms2(median(f.podStarts))} (${ms2(Math.min(...f.podStarts))}–${ms2(Math.max(...f.podStarts))})`)).join(" ")} create → Ready, median (min–max) of ${runs * 5}; target < 0.5 s`,
);
console.log(`  idle node CPU      ${images.map((image) => column(image, (f) => `${(median(f.idleCpu) * 100).toFixed(1)} % of a core`)).join(" ")}`);
console.log(`  idle memory        ${images.map((image) => column(image, (f) => mb(median(f.idle)))).join(" ")} node container incl. its pods, page cache excluded`);
console.log(`  peak memory        ${images.map((image) => column(image, (f) => mb(Math.max(...f.peak)))).join(" ")}`);
for (const image of new Set([...variants.values()].map((v) => v.image))) {
  const size = Number((await execa("docker", ["image", "inspect", "--format", "{{.Size}}", image])).stdout.trim());
  console.log(`  image size         ${(size / 1e6).toFixed(0)} MB (${image})`);
}
