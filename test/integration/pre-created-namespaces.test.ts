/**
 * Grading in pre-created namespaces with an identity that holds only the rights docs/clusters.md
 * documents (read from that page itself): an administrator makes two namespaces, binds the
 * grader's Role in each and the few cluster reads once; `kubegrade batch --kubeconfig
 * --namespaces` grades a class of three in them, two at a time, and leaves them existing and
 * empty, with nothing created anywhere else. Unusable namespaces are refused with exit 2
 * before any grade, and `kubegrade grade --namespace` grades in one alone.
 */
import { AppsV1Api, CoreV1Api, KubeConfig, PolicyV1Api, RbacAuthorizationV1Api } from "@kubernetes/client-node";
import { expect } from "chai";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readGradebook } from "../../runner/batch/gradebook.ts";
import { PROJECT_ROOT } from "../../runner/config.ts";
import { loadExercise } from "../../runner/exercise.ts";
import { listNamespaceObjects, namespaceContents } from "../../runner/namespace.ts";
import { waitUntil } from "../../runner/util/wait.ts";
import { earlyFixtureNamespace, sharedCluster } from "./hooks.ts";
import { cli, grantDocumentedRights, revokeDocumentedRights, type GraderRights } from "./support.ts";

const SUBMISSIONS = ["reference", "not-headless", "two-replicas"].map((c) => join(PROJECT_ROOT, `fixtures/web/${c}/submission`));

/** Everything of the kinds a grade could make, in every namespace but the ones named: `namespace/Kind/name`. */
async function objectsOutside(admin: KubeConfig, skip: Set<string>): Promise<string[]> {
  const core = admin.makeApiClient(CoreV1Api);
  const apps = admin.makeApiClient(AppsV1Api);
  const policy = admin.makeApiClient(PolicyV1Api);
  const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
  type Item = { metadata?: { name?: string; namespace?: string } };
  const lists: [string, Promise<{ items: Item[] }>][] = [
    ["Namespace", core.listNamespace()],
    ["Pod", core.listPodForAllNamespaces()],
    ["Service", core.listServiceForAllNamespaces()],
    ["PersistentVolumeClaim", core.listPersistentVolumeClaimForAllNamespaces()],
    ["ConfigMap", core.listConfigMapForAllNamespaces()],
    ["Secret", core.listSecretForAllNamespaces()],
    ["ServiceAccount", core.listServiceAccountForAllNamespaces()],
    ["ResourceQuota", core.listResourceQuotaForAllNamespaces()],
    ["LimitRange", core.listLimitRangeForAllNamespaces()],
    ["StatefulSet", apps.listStatefulSetForAllNamespaces()],
    ["Deployment", apps.listDeploymentForAllNamespaces()],
    ["PodDisruptionBudget", policy.listPodDisruptionBudgetForAllNamespaces()],
    ["RoleBinding", rbac.listRoleBindingForAllNamespaces()],
    ["ClusterRoleBinding", rbac.listClusterRoleBinding()],
  ];
  // The probe namespaces of the grades that run beside this test (cassandra's, started first) are theirs.
  const earlyProbes = new Set(
    ((await lists[0][1]).items as { metadata?: { name?: string; labels?: Record<string, string> } }[])
      .filter((n) => earlyFixtureNamespace(n.metadata?.labels?.["kubegrade.dev/instruments-for"] ?? ""))
      .map((n) => n.metadata?.name ?? ""),
  );
  const out: string[] = [];
  for (const [kind, list] of lists) {
    for (const item of (await list).items) {
      const ns = item.metadata?.namespace ?? "";
      const name = kind === "Namespace" ? (item.metadata?.name ?? "") : ns;
      if (skip.has(ns) || skip.has(name) || earlyFixtureNamespace(name) || earlyProbes.has(name)) continue;
      out.push(`${ns}/${kind}/${item.metadata?.name}`);
    }
  }
  return out.sort();
}

describe("pre-created namespaces: a class graded with only the documented rights", function () {
  const id = Math.random().toString(36).slice(2, 7);
  const graderNs = `kg-grader-${id}`;
  const pool = [`kg-pool-${id}-1`, `kg-pool-${id}-2`];
  const unlabelled = `kg-pool-${id}-unlabelled`;
  const occupied = `kg-pool-${id}-occupied`;
  const all = [...pool, unlabelled, occupied];
  const rights: GraderRights = {
    graderNs,
    namespaces: all.map((name) => ({ name, labels: name === unlabelled ? {} : { "pod-security.kubernetes.io/enforce": "baseline" } as Record<string, string> })),
    readsName: `kubegrade-grader-cluster-reads-${id}`,
    dnsReadsName: `kubegrade-grader-dns-reads-${id}`,
  };
  let admin: KubeConfig;
  let dir: string;
  let graderKubeconfig: string;
  let namespacesFile: string;

  before(async function () {
    this.timeout(120_000);
    admin = sharedCluster().kubeConfig;
    dir = mkdtempSync(join(tmpdir(), "kubegrade-precreated-"));
    // The administrator's part, exactly as docs/clusters.md says.
    const yaml = await grantDocumentedRights(admin, rights);
    graderKubeconfig = join(dir, "grader.kubeconfig");
    writeFileSync(graderKubeconfig, yaml, { mode: 0o600 });
    namespacesFile = join(dir, "namespaces.txt");
    writeFileSync(namespacesFile, `# the class's namespaces\n${pool[0]}\n\n${pool[1]}  # second\n`);

    // The identity really is confined: it may not create a namespace.
    const grader = new KubeConfig();
    grader.loadFromString(yaml);
    const denied = await grader.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: `kg-denied-${id}` } } }).then(() => 0, (e: { code?: number }) => e.code);
    expect(denied, "the grader identity may not create namespaces").to.equal(403);
  });

  after(async function () {
    this.timeout(120_000);
    if (dir) rmSync(dir, { recursive: true, force: true });
    if (!admin) return;
    await revokeDocumentedRights(admin, rights);
  });

  it("refuses unusable namespaces with exit 2 before any grade, naming each and what is wrong", async function () {
    this.timeout(180_000);
    const core = admin.makeApiClient(CoreV1Api);
    await core.createNamespacedConfigMap({ namespace: occupied, body: { metadata: { name: "stray" }, data: { a: "b" } } });
    const file = join(dir, "bad-namespaces.txt");
    writeFileSync(file, `${pool[0]}\n${unlabelled}\n${occupied}\nkg-missing-${id}\n`);
    const out = join(dir, "refused-out");
    const run = await cli(["batch", "web", SUBMISSIONS[0], "--kubeconfig", graderKubeconfig, "--namespaces", file, "--out", out]);
    expect(run.exitCode, run.all).to.equal(2);
    expect(run.all).to.contain(`3 of 4 namespace(s) cannot be graded in`);
    expect(run.all).to.contain(`namespace ${unlabelled} has no pod-security.kubernetes.io/enforce label`);
    expect(run.all).to.contain(`namespace ${occupied} is not empty: ConfigMap stray`);
    expect(run.all).to.match(new RegExp(`may not read namespace kg-missing-${id} \\(get namespaces is forbidden.*either kg-missing-${id} does not exist`));
    expect(run.all, "no grade started").to.not.contain("Grading 1 submission");
    const book = await readGradebook(out);
    expect(book?.rows ?? [], "nothing graded").to.have.length(0);
    // A namespace that is not kubegrade's leftover is never touched.
    expect((await core.readNamespacedConfigMap({ name: "stray", namespace: occupied })).data).to.deep.equal({ a: "b" });
  });

  it("grades three submissions two at a time in the two namespaces: right scores, namespaces kept and empty, nothing made elsewhere", async function () {
    this.timeout(600_000);
    const core = admin.makeApiClient(CoreV1Api);
    // The remains of an interrupted grade in the first namespace: removed before the batch starts.
    await core.createNamespacedResourceQuota({ namespace: pool[0], body: { metadata: { name: "kubegrade" }, spec: { hard: { pods: "10" } } } });
    await core.createNamespacedConfigMap({ namespace: pool[0], body: { metadata: { name: "from-an-interrupted-grade" }, data: {} } });
    // Namespaces of earlier tests still being deleted vanish during the batch: not ours to compare.
    const terminating = (await core.listNamespace()).items.filter((n) => n.metadata?.deletionTimestamp).map((n) => n.metadata?.name ?? "");
    const skip = new Set([...all, graderNs, ...terminating]);
    const before = await objectsOutside(admin, skip);
    const volumesBefore = new Set((await core.listPersistentVolume()).items.map((v) => v.metadata?.name));

    const out = join(dir, "out");
    const run = await cli(["batch", "web", ...SUBMISSIONS, "--kubeconfig", graderKubeconfig, "--namespaces", namespacesFile, "--out", out]);
    expect(run.exitCode, run.all).to.equal(0);
    expect(run.all).to.contain(`Removed the remains of an interrupted grade from namespace ${pool[0]}`);
    expect(run.all).to.match(/Grading 3 submission\(s\), 2 at a time \(.*at most 2, one grade per pre-created namespace in --namespaces /);
    expect(run.all).to.contain(`each in one of 2 pre-created namespace(s) (${pool.join(", ")})`);

    const web = await loadExercise("web");
    const points = (check: string) => web.checks.find((c) => c.id === check)?.points ?? NaN;
    const book = await readGradebook(out);
    const rows = Object.fromEntries((book?.rows ?? []).map((r) => [r.student, r]));
    const summary = JSON.stringify(book?.rows, null, 2);
    expect(Object.keys(rows).sort(), summary).to.deep.equal(["not-headless-submission", "reference-submission", "two-replicas-submission"]);
    expect(rows["reference-submission"], summary).to.include({ score: 100, maxScore: 100, passed: true, refused: false });
    expect(rows["not-headless-submission"], summary).to.include({ score: 100 - points("headless-service") - points("pod-dns"), passed: false, refused: false });
    expect(rows["not-headless-submission"].checks).to.include({ "headless-service": "failed", "pod-dns": "failed", "per-pod-storage": "passed" });
    expect(rows["two-replicas-submission"], summary).to.include({ score: 85, passed: false });
    for (const row of Object.values(rows)) expect(row.infrastructureError, row.student).to.equal(undefined);

    // Each grade ran on the existing cluster through the grader's kubeconfig.
    const used = Object.keys(rows).map((s) => JSON.parse(readFileSync(join(out, s, "report.json"), "utf8")) as { cluster: { provider: string } | null });
    for (const r of used) expect(r.cluster?.provider).to.equal("kubeconfig");

    // The namespaces are still there, and empty of everything a grade made.
    for (const name of pool) {
      const ns = await core.readNamespace({ name });
      expect(ns.metadata?.deletionTimestamp, name).to.equal(undefined);
      const left = namespaceContents(await listNamespaceObjects(admin, name)).objects;
      expect(left, `${name} left behind`).to.deep.equal([]);
      // The kubelet may still report stopping a deleted pod's containers ("Killing") after the
      // namespace was emptied; what must not be left is what a later grade reads as its own
      // (probe failures, crashes) — and the grader reads only its own pods' events (by UID) anyway.
      const events = (await core.listNamespacedEvent({ namespace: name })).items.filter(
        (e) => e.involvedObject?.kind === "Pod" && e.reason !== "Killing",
      );
      expect(events.map((e) => `${e.involvedObject?.name} ${e.reason} ${e.lastTimestamp?.toISOString?.() ?? ""}: ${e.message}`), `${name}: pod events`).to.deep.equal([]);
      // The administrator's binding is untouched.
      const bindings = (await admin.makeApiClient(RbacAuthorizationV1Api).listNamespacedRoleBinding({ namespace: name })).items.map((b) => b.metadata?.name);
      expect(bindings, name).to.deep.equal(["kubegrade-grader"]);
    }
    // Nothing was created outside them (no namespace, no object of any kind a grade makes),
    // and the claims' volumes are gone with the claims.
    expect(await objectsOutside(admin, skip)).to.deep.equal(before);
    await waitUntil("the claims' volumes released", 60_000, async () => {
      const extra = (await core.listPersistentVolume()).items.filter(
        (v) => !volumesBefore.has(v.metadata?.name) && !earlyFixtureNamespace(v.spec?.claimRef?.namespace ?? ""),
      );
      return extra.length ? { pending: extra.map((v) => `${v.metadata?.name} (${v.spec?.claimRef?.namespace}/${v.spec?.claimRef?.name})`).join(", ") } : true;
    });
  });

  it("grade --namespace grades in one pre-created namespace alone and empties it", async function () {
    this.timeout(300_000);
    const run = await cli(["grade", "web", SUBMISSIONS[1], "--kubeconfig", graderKubeconfig, "--namespace", pool[1]]);
    expect(run.exitCode, run.all).to.equal(1);
    expect(run.all).to.contain(`Preparing the pre-created namespace ${pool[1]}`);
    expect(run.all).to.match(/✗\s*headless-service/);
    expect(namespaceContents(await listNamespaceObjects(admin, pool[1])).objects).to.deep.equal([]);
    const unusable = await cli(["grade", "web", SUBMISSIONS[0], "--kubeconfig", graderKubeconfig, "--namespace", unlabelled]);
    expect(unusable.exitCode, unusable.all).to.equal(2);
    expect(unusable.all).to.contain(`namespace ${unlabelled} has no pod-security.kubernetes.io/enforce label`);
  });
});
