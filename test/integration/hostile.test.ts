/**
 * Hostile submissions that get past validation (fixtures/hostile/<case>/), graded on the
 * shared cluster in one batch beside the reference solution: a pod asking the kubelet and
 * the API server for what is not its own, a fork bomb, a memory hog, a disk filler, a pod
 * that is never Ready. Each is contained: it gets a normal grade (what it earns, no
 * infrastructure error) within the exercise's budget, its limits hold, and the cluster is
 * unaffected — the reference graded beside them and after them gets full marks, the node
 * stays Ready, nothing outside the grading namespaces changed.
 */
import { CoreV1Api, RbacAuthorizationV1Api, Watch, type V1Pod } from "@kubernetes/client-node";
import { expect } from "chai";
import { execa } from "execa";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { runBatch, type BatchResult } from "../../runner/batch/batch.ts";
import { NODE_TMPFS } from "../../runner/cluster/kit.ts";
import { PROJECT_ROOT } from "../../runner/config.ts";
import { loadExercise } from "../../runner/exercise.ts";
import { exitCodeForReport, grade } from "../../runner/grade/index.ts";
import type { GradeReport } from "../../runner/report/model.ts";
import { createProgress } from "../../runner/util/progress.ts";
import { sharedCluster } from "./hooks.ts";

const REFERENCE = join(PROJECT_ROOT, "fixtures/web/reference/submission");
const hostile = (name: string) => ({ student: name, source: join(PROJECT_ROOT, "fixtures/hostile", name, "submission") });
// The slowest first (never-ready waits out the pod deadline), the reference beside it.
const CLASS = [
  hostile("never-ready"),
  hostile("fork-bomb"),
  { student: "reference", source: REFERENCE },
  hostile("memory-hog"),
  hostile("disk-filler"),
  hostile("api-access"),
];
const BUDGET_MS = (await loadExercise("web")).timeBudgetSeconds * 1000;
const PIDS_LIMIT = 1024;

/** What the hostile pods did, seen from outside while the batch ran. */
interface Evidence {
  spyLine?: string;
  bomb: { pidsMax?: string; pidsPeak: number; samples: number };
  evicted: string[];
  oomKilled: string[];
  nodeNotReady: string[];
  /** Highest use of each bounded node directory, in KiB. */
  tmpfsPeakKiB: Record<string, number>;
}

/** A shell command run in the kit node container (started by this test run's hooks). */
async function inNode(script: string): Promise<string> {
  const id = sharedCluster().containerId;
  if (!id) throw new Error("the shared cluster is not a kit node");
  return (await execa("docker", ["exec", id, "sh", "-c", script], { reject: false })).stdout;
}

function hasContainer(pod: V1Pod, name: string): boolean {
  return pod.spec?.containers.some((c) => c.name === name) ?? false;
}

/** Samples the grading namespaces every 2 s until stopped. */
function observe(evidence: Evidence, signal: AbortSignal): Promise<void> {
  const core = sharedCluster().kubeConfig.makeApiClient(CoreV1Api);
  const sample = async () => {
    const node = (await core.listNode()).items[0];
    const ready = node?.status?.conditions?.find((c) => c.type === "Ready");
    if (ready?.status !== "True") evidence.nodeNotReady.push(`${new Date().toISOString()} ${ready?.reason ?? "no Ready condition"}`);
    const df = await inNode(`df -k ${Object.keys(NODE_TMPFS).join(" ")} | tail -n +2`);
    for (const line of df.split("\n")) {
      const [, , used, , , mount] = line.trim().split(/\s+/);
      if (mount) evidence.tmpfsPeakKiB[mount] = Math.max(evidence.tmpfsPeakKiB[mount] ?? 0, Number(used));
    }
    const pods = (await core.listPodForAllNamespaces({ labelSelector: "app=nginx" })).items;
    for (const pod of pods) {
      if (hasContainer(pod, "spy") && !evidence.spyLine && pod.status?.phase === "Running") {
        const log = await core
          .readNamespacedPodLog({ name: pod.metadata!.name!, namespace: pod.metadata!.namespace!, container: "spy" })
          .catch(() => "");
        evidence.spyLine = String(log).split("\n").find((l) => l.startsWith("spy: "));
      }
      if (hasContainer(pod, "bomb") && pod.status?.phase === "Running") {
        const uid = pod.metadata?.uid ?? "";
        const out = await inNode(
          `own=$(awk -F: '$2 == "pids" {print $3}' /proc/1/cgroup); ` +
            `d=$(find /sys/fs/cgroup/pids$own -maxdepth 5 -type d -name 'pod${uid}' | head -n 1); ` +
            `[ -n "$d" ] && cat "$d/pids.max" "$d/pids.current"`,
        );
        const [max, current] = out.split("\n");
        if (max) {
          evidence.bomb.pidsMax = max.trim();
          evidence.bomb.pidsPeak = Math.max(evidence.bomb.pidsPeak, Number(current));
          evidence.bomb.samples++;
        }
      }
    }
  };
  // Evictions and OOM kills last moments (the StatefulSet replaces an evicted pod at once): a watch sees them.
  const watching = new Watch(sharedCluster().kubeConfig).watch("/api/v1/pods", { labelSelector: "app=nginx" }, (_type: string, pod: V1Pod) => {
    const name = `${pod.metadata?.namespace}/${pod.metadata?.name}`;
    if (pod.status?.reason === "Evicted" && !evidence.evicted.some((e) => e.startsWith(`${name} ${pod.metadata?.uid}`))) {
      evidence.evicted.push(`${name} ${pod.metadata?.uid} ${pod.status.message ?? ""}`);
    }
    for (const s of pod.status?.containerStatuses ?? []) {
      const oom = [s.state?.terminated, s.lastState?.terminated].find((t) => t?.reason === "OOMKilled");
      const key = `${name} ${s.name} ${s.restartCount}`;
      if (oom && !evidence.oomKilled.includes(key)) evidence.oomKilled.push(key);
    }
  }, () => {});
  return (async () => {
    const watch = await watching;
    signal.addEventListener("abort", () => watch.abort(), { once: true });
    while (!signal.aborted) {
      await sample().catch(() => {});
      await delay(2000, undefined, { signal }).catch(() => {});
    }
  })();
}

function studentReport(out: string, student: string): GradeReport {
  return JSON.parse(readFileSync(join(out, student, "report.json"), "utf8")) as GradeReport;
}

const verdicts = (report: GradeReport) => Object.fromEntries(report.checks.map((c) => [c.id, c.status]));
const feedback = (report: GradeReport) => report.checks.flatMap((c) => c.feedback.map((f) => `${c.id}: ${f}`)).join("\n");


/** The verdicts of a web grade whose pods never all start: the objects are right, nothing live can be seen. */
const PODS_NEVER_STARTED = {
  "headless-service": "passed",
  "statefulset-spec": "passed",
  "ordered-creation": "failed",
  "per-pod-storage": "skipped",
  "pod-dns": "skipped",
  "stable-identity": "skipped",
  "data-persistence": "skipped",
};
describe("hostile submissions, contained: graded beside the reference on one cluster", function () {
  const progress = createProgress({ env: { ...process.env, CI: "true" } });
  const evidence: Evidence = { bomb: { pidsPeak: 0, samples: 0 }, evicted: [], oomKilled: [], nodeNotReady: [], tmpfsPeakKiB: {} };
  let out: string;
  let result: BatchResult | undefined;
  let clusterBindingsBefore: string[];
  let kubeSystemBefore: string[];
  const reports: Record<string, GradeReport> = {};

  const report = (student: string): GradeReport => {
    expect(result, "the batch did not run").to.not.equal(undefined);
    return reports[student];
  };
  const summary = (r: GradeReport) => `${r.score}/${r.maxScore}\n${r.checks.map((c) => `${c.id}=${c.status}`).join(" ")}\n${feedback(r)}`;

  before(async () => {
    out = mkdtempSync(join(tmpdir(), "kubegrade-hostile-"));
    const kc = sharedCluster().kubeConfig;
    clusterBindingsBefore = (await kc.makeApiClient(RbacAuthorizationV1Api).listClusterRoleBinding()).items.map((b) => b.metadata?.name ?? "").sort();
    kubeSystemBefore = (await kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: "kube-system" })).items.map((p) => p.metadata?.uid ?? "").sort();
  });
  after(() => rmSync(out, { recursive: true, force: true }));

  it("grades all six, three at a time: each a normal grade within the exercise's budget, the reference 100/100", async function () {
    const stop = new AbortController();
    const observing = observe(evidence, stop.signal);
    const started = performance.now();
    try {
      result = await runBatch({ exercise: "web", submissions: CLASS, out, jobs: 3, cluster: sharedCluster(), progress });
    } finally {
      stop.abort();
      await observing;
    }
    const wall = Math.round((performance.now() - started) / 1000);
    for (const { student } of CLASS) reports[student] = studentReport(out, student);
    const lines = CLASS.map(({ student }) => `${student}: ${summary(reports[student])} (${Math.round(reports[student].durationMs / 1000)} s)`).join("\n\n");
    progress.info(`hostile batch: ${wall} s in all\n${lines}\nevidence: ${JSON.stringify(evidence)}`);

    expect(result.exitCode, lines).to.equal(0);
    for (const { student } of CLASS) {
      const r = reports[student];
      expect(r.infrastructureError, `${student}: infrastructure error`).to.equal(undefined);
      expect(r.refused, `${student} reached the cluster`).to.equal(false);
      expect(r.checks.filter((c) => c.status === "error").map((c) => c.id), `${student}: checks in error (the grader's fault)`).to.deep.equal([]);
      expect(r.durationMs, `${student}: grade within the exercise's budget`).to.be.lessThan(BUDGET_MS);
    }
    expect(reports.reference.score, summary(reports.reference)).to.equal(100);
    expect(exitCodeForReport(reports.reference)).to.equal(0);
  });

  it("a. the kubelet and the API server refuse the pod's requests, outside its namespace and inside it (its own account holds no rights)", function () {
    const r = report("api-access");
    expect(evidence.spyLine, "the spy container's log line").to.be.a("string");
    const got = Object.fromEntries((evidence.spyLine ?? "").replace(/^spy: /, "").split(" ").map((kv) => kv.split("=")));
    expect(got).to.deep.equal({
      "kubelet-anonymous": "401",
      "kubelet-token": "403",
      "kubelet-run": "403",
      "kube-system-secrets": "403",
      "all-pods": "403",
      nodes: "403",
      "cluster-admin-binding": "403",
      "own-pods": "403",
    });
    // It solved the exercise; its spying gained nothing and cost nothing.
    expect([r.score, exitCodeForReport(r)], summary(r)).to.deep.equal([100, 0]);
  });

  it("b. a fork bomb fills its own pod's pids limit and nothing more", function () {
    const r = report("fork-bomb");
    expect(evidence.bomb.samples, "the bomb's pod cgroup was sampled").to.be.greaterThan(0);
    expect(evidence.bomb.pidsMax).to.equal(String(PIDS_LIMIT));
    // A process moved into the cgroup (the runtime's exec) is not refused by the limit: a few over it.
    expect(evidence.bomb.pidsPeak, "the bomb reached its limit and stopped there").to.be.within(PIDS_LIMIT - 64, PIDS_LIMIT + 16);
    // Its pods run and are Ready; a command the grader runs in one may find no room for a
    // process. Whatever that costs, the feedback says why — never a wrong reason.
    const v = verdicts(r);
    expect([v["headless-service"], v["statefulset-spec"], v["ordered-creation"]], summary(r)).to.deep.equal(["passed", "passed", "passed"]);
    for (const c of r.checks.filter((c) => c.status === "failed")) {
      expect(c.feedback.join("\n"), `${c.id} feedback`).to.include("pids limit");
    }
    expect(exitCodeForReport(r)).to.equal(r.score === 100 ? 0 : 1);
  });

  it("c. a memory hog is OOMKilled at its limit, and the grade says so", function () {
    const r = report("memory-hog");
    expect(evidence.oomKilled.some((k) => / hog /.test(k)), JSON.stringify(evidence.oomKilled)).to.equal(true);
    expect(verdicts(r), summary(r)).to.deep.equal(PODS_NEVER_STARTED);
    const said = r.checks.find((c) => c.id === "ordered-creation")?.feedback.join("\n") ?? "";
    expect(said).to.include("container hog was OOMKilled").and.to.include("resources.limits.memory 256Mi");
    expect(exitCodeForReport(r)).to.equal(1);
  });

  it("d. a disk filler is stopped by its ephemeral-storage or memory limit (the node's storage is tmpfs), and the node's tmpfs stays within its ceiling", async function () {
    const inspect = await execa("docker", ["inspect", "--format", "{{json .HostConfig.Tmpfs}}", sharedCluster().containerId ?? ""]);
    const mounts = JSON.parse(inspect.stdout) as Record<string, string>;
    for (const mount of Object.keys(NODE_TMPFS)) expect(mounts[mount], `tmpfs ${mount} of the node`).to.match(/size=\d+[mg]/);
    const r = report("disk-filler");
    expect(verdicts(r), summary(r)).to.deep.equal(PODS_NEVER_STARTED);
    const said = r.checks.find((c) => c.id === "ordered-creation")?.feedback.join("\n") ?? "";
    // The node's storage is tmpfs, whose pages count against the container's memory too: which
    // limit stops the filler first — the kubelet's eviction for ephemeral storage, or the
    // kernel's OOM kill at its memory limit — depends on how fast it writes. Either way it is
    // stopped, and the feedback names the limit that did it.
    const evicted = evidence.evicted.some((e) => /ephemeral local storage/.test(e));
    const oomKilled = evidence.oomKilled.some((k) => / filler /.test(k));
    expect(evicted || oomKilled, `neither evicted nor OOMKilled: ${JSON.stringify(evidence)}`).to.equal(true);
    expect(said).to.match(
      /pod web-0 was Evicted by the kubelet \([^)]*ephemeral local storage[^)]*\).*resources\.limits\.ephemeral-storage|container filler was OOMKilled: .*resources\.limits\.memory/,
    );
    expect(exitCodeForReport(r)).to.equal(1);
    for (const [mount, options] of Object.entries(NODE_TMPFS)) {
      const size = /size=(\d+)([mg])/.exec(options);
      if (!size || evidence.tmpfsPeakKiB[mount] === undefined) continue;
      const ceilingKiB = Number(size[1]) * (size[2] === "g" ? 1024 * 1024 : 1024);
      expect(evidence.tmpfsPeakKiB[mount], `${mount} used`).to.be.at.most(ceilingKiB);
    }
  });

  it("e. a pod that is never Ready ends the grade within its budget, naming the probe's failures", function () {
    const r = report("never-ready");
    expect(verdicts(r), summary(r)).to.deep.equal(PODS_NEVER_STARTED);
    const said = r.checks.find((c) => c.id === "ordered-creation")?.feedback.join("\n") ?? "";
    expect(said).to.include("were not all Ready within 120 s").and.to.include("Probe failures: web-0: Readiness probe failed: cat: can't open '/usr/share/nginx/html/healthz'");
    expect(r.checks.find((c) => c.id === "pod-dns")?.feedback.join("\n")).to.include("never all became Ready");
    expect(exitCodeForReport(r)).to.equal(1);
  });

  it("the cluster is unaffected: node Ready throughout, nothing outside the namespaces changed, the reference graded after them gets 100/100", async function () {
    expect(result, "the batch did not run").to.not.equal(undefined);
    expect(evidence.nodeNotReady, "node Ready at every sample").to.deep.equal([]);
    const kc = sharedCluster().kubeConfig;
    const bindings = (await kc.makeApiClient(RbacAuthorizationV1Api).listClusterRoleBinding()).items.map((b) => b.metadata?.name ?? "").sort();
    expect(bindings).to.deep.equal(clusterBindingsBefore);
    const kubeSystem = (await kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: "kube-system" })).items.map((p) => p.metadata?.uid ?? "").sort();
    expect(kubeSystem).to.deep.equal(kubeSystemBefore);
    const after = await grade({ exercise: "web", submission: REFERENCE, cluster: sharedCluster(), progress: createProgress({ quiet: true }) });
    expect([after.score, after.infrastructureError], summary(after)).to.deep.equal([100, undefined]);
  });
});
