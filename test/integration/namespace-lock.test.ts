/**
 * Two `kubegrade grade --namespace SAME` at once, as two CI jobs or two Gradescope containers
 * would run them, with only the documented rights: one grades, the other waits for it (and
 * says whom it waits for), and each gets its own right verdict — neither takes the other's
 * objects for an interrupted grade's remains. The namespace is left empty, its hold let go of.
 * Then the hold's other ends, in-process and in seconds: a live holder elsewhere makes a grade
 * give up at its deadline naming it (exit 2); a holder that stopped renewing is taken over and
 * its remains removed; a hold taken over under a running grade is reported lost.
 */
import { CoreV1Api, KubeConfig, RbacAuthorizationV1Api } from "@kubernetes/client-node";
import { expect } from "chai";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PROJECT_ROOT } from "../../runner/config.ts";
import { loadExercise } from "../../runner/exercise.ts";
import { exitCodeOf } from "../../runner/errors.ts";
import { NamespaceNotUsable, listNamespaceObjects, namespaceContents, usePreCreatedNamespace } from "../../runner/namespace.ts";
import { LOCK, lockNamespace, type LockHolder } from "../../runner/namespace-lock.ts";
import type { GradeReport } from "../../runner/report/model.ts";
import { sharedCluster } from "./hooks.ts";
import { cli, grantDocumentedRights, revokeDocumentedRights, type GraderRights } from "./support.ts";

const fixture = (name: string) => join(PROJECT_ROOT, `fixtures/web/${name}/submission`);

describe("concurrent grades in one pre-created namespace", function () {
  const id = Math.random().toString(36).slice(2, 7);
  const namespace = `kg-lock-${id}`;
  const rights: GraderRights = {
    graderNs: `kg-grader-${id}`,
    namespaces: [{ name: namespace, labels: { "pod-security.kubernetes.io/enforce": "baseline" } }],
    readsName: `kubegrade-grader-cluster-reads-${id}`,
    dnsReadsName: `kubegrade-grader-dns-reads-${id}`,
  };
  let admin: KubeConfig;
  let dir: string;
  let kubeconfig: string;
  let grader: KubeConfig;

  /** A lock as another grader's kubegrade makes it, made here by the administrator. */
  const foreignLock = (holder: Partial<LockHolder>) =>
    admin.makeApiClient(RbacAuthorizationV1Api).createNamespacedRoleBinding({
      namespace,
      body: {
        metadata: {
          name: LOCK,
          annotations: { "kubegrade.dev/holder": JSON.stringify({ host: "elsewhere", pid: 1, token: "f0e1d2c3b4", since: "2026-09-01T10:00:00.000Z", lapseSeconds: 600, ...holder }) },
        },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "edit" },
        subjects: [],
      },
    });
  const bindings = async () => (await admin.makeApiClient(RbacAuthorizationV1Api).listNamespacedRoleBinding({ namespace })).items.map((r) => r.metadata?.name).sort();
  const dropForeignLock = () => admin.makeApiClient(RbacAuthorizationV1Api).deleteNamespacedRoleBinding({ name: LOCK, namespace }).catch(() => {});

  before(async function () {
    this.timeout(120_000);
    admin = sharedCluster().kubeConfig;
    dir = mkdtempSync(join(tmpdir(), "kubegrade-lock-"));
    kubeconfig = join(dir, "grader.kubeconfig");
    const yaml = await grantDocumentedRights(admin, rights);
    writeFileSync(kubeconfig, yaml, { mode: 0o600 });
    grader = new KubeConfig();
    grader.loadFromString(yaml);
  });

  after(async function () {
    this.timeout(120_000);
    if (dir) rmSync(dir, { recursive: true, force: true });
    if (admin) await revokeDocumentedRights(admin, rights);
  });

  it("two grades given the same --namespace at once: one waits for the other, both get their own verdicts, the namespace is left empty", async function () {
    this.timeout(600_000);
    const grade = (submission: string) =>
      cli(["grade", "web", fixture(submission), "--kubeconfig", kubeconfig, "--namespace", namespace, "--report", `json=${join(dir, `${submission}.json`)}`]);
    const [reference, notHeadless] = [grade("reference"), grade("not-headless")];
    const pids = [reference.pid, notHeadless.pid];
    const [a, b] = await Promise.all([reference, notHeadless]);
    const outputs = [String(a.all), String(b.all)];
    const both = outputs.join("\n----\n").slice(-6000);

    expect([a.exitCode, b.exitCode], both).to.deep.equal([0, 1]);
    const web = await loadExercise("web");
    const points = (check: string) => web.checks.find((c) => c.id === check)?.points ?? NaN;
    const report = (name: string) => JSON.parse(readFileSync(join(dir, `${name}.json`), "utf8")) as GradeReport;
    expect(report("reference"), both).to.include({ score: 100, passed: true });
    const wrong = report("not-headless");
    expect(wrong, both).to.include({ score: 100 - points("headless-service") - points("pod-dns"), passed: false });
    expect(Object.fromEntries(wrong.checks.map((c) => [c.id, c.status]))).to.include({ "headless-service": "failed", "pod-dns": "failed", "per-pod-storage": "passed" });
    for (const r of [report("reference"), wrong]) {
      expect(r.infrastructureError, both).to.equal(undefined);
      expect(r.notes.join("\n"), "one took the other's objects for an interrupted grade's").to.not.match(/interrupted grade/);
    }

    // Exactly one waited, and it named the other grade's process.
    const waited = outputs.map((o) => /Waiting for namespace (\S+), held by another grade \(host \S+, pid (\d+)/.exec(o));
    expect(waited.filter(Boolean), both).to.have.length(1);
    const which = waited.findIndex(Boolean);
    expect(waited[which]![1]).to.equal(namespace);
    expect(Number(waited[which]![2]), "the holder named is the other grade").to.equal(pids[1 - which]);

    expect(namespaceContents(await listNamespaceObjects(admin, namespace)).objects, "left in the namespace").to.deep.equal([]);
    expect(await bindings(), "the hold let go of").to.deep.equal(["kubegrade-grader"]);
  });

  it("a namespace a live grade elsewhere holds: waited for until the deadline, then refused naming the holder (exit 2)", async function () {
    this.timeout(60_000);
    await foreignLock({});
    try {
      const web = await loadExercise("web");
      const told: string[] = [];
      const error = await usePreCreatedNamespace(grader, web, {
        name: namespace, deadlineMs: 30_000, cleanupMs: 60_000, wait: { waitMs: 2_000, onWaiting: (holder) => told.push(holder) },
      }).then(() => undefined, (e: unknown) => e);
      expect(error).to.be.instanceOf(NamespaceNotUsable);
      expect(exitCodeOf(error)).to.equal(2);
      expect((error as Error).message).to.match(/^namespace kg-lock-\w+ is held by another grade \(host elsewhere, pid 1, since 2026-09-01T10:00:00.000Z\), still after waiting 2 s/);
      expect(told).to.deep.equal(["host elsewhere, pid 1, since 2026-09-01T10:00:00.000Z"]);
      expect(await bindings(), "a live holder's lock is never taken").to.deep.equal([LOCK, "kubegrade-grader"]);
    } finally {
      await dropForeignLock();
    }
  });

  it("a hold not renewed for its lapse is an interrupted grade's: taken over, its remains removed, let go of after", async function () {
    this.timeout(120_000);
    const core = admin.makeApiClient(CoreV1Api);
    await foreignLock({ lapseSeconds: 2 });
    await core.createNamespacedResourceQuota({ namespace, body: { metadata: { name: "kubegrade" }, spec: { hard: { pods: "10" } } } });
    const web = await loadExercise("web");
    const used = await usePreCreatedNamespace(grader, web, { name: namespace, deadlineMs: 30_000, cleanupMs: 60_000, wait: { waitMs: 30_000 } });
    try {
      expect(used.tookOver).to.match(/^another grade's hold \(host elsewhere, pid 1, since .*\) was taken over: it was not renewed for [2-4] s$/);
      expect(used.cleaned.map((o) => `${o.kind}/${o.name}`)).to.deep.equal(["ResourceQuota/kubegrade"]);
      expect(used.lock?.holder.pid).to.equal(process.pid);
    } finally {
      await used.remove();
    }
    expect(await bindings()).to.deep.equal(["kubegrade-grader"]);
    expect(namespaceContents(await listNamespaceObjects(admin, namespace)).objects).to.deep.equal([]);
  });

  it("a hold taken over while its grade runs is reported lost, and letting go of it leaves the new holder's lock alone", async function () {
    this.timeout(60_000);
    const held = await lockNamespace(grader, namespace, { waitMs: 0 });
    expect(await held.confirm(), "still its own").to.equal(undefined);
    await dropForeignLock(); // the lock is this hold's: removed as a take-over would…
    await foreignLock({}); // …and another grade's made in its place
    try {
      expect(await held.confirm()).to.match(/^another grade \(host elsewhere, pid 1, since .*\) took namespace kg-lock-\w+ over while this grade ran/);
      await held.release();
      expect(await bindings(), "the new holder's lock kept, the lost hold's heartbeat gone").to.deep.equal([LOCK, "kubegrade-grader"]);
    } finally {
      await dropForeignLock();
    }
  });
});
