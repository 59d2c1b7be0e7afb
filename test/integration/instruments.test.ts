/**
 * The grader's instruments are out of the submission's reach: while a grade runs, no account
 * of the grading namespace — the namespace's default one, the submission's own, nor the
 * grader's own kubegrade-submitter — may exec into, delete, replace or create the probe pod
 * (asked of the API server as `kubectl auth can-i --as` asks it: a SubjectAccessReview), and
 * the accounts a submission's pods can run as may change nothing through the API at all. The
 * same in a pre-created namespace, where the probe runs beside the submission's pods:
 * kubegrade-submitter holds its rights only while an apply runs.
 */
import { AuthorizationV1Api, CoreV1Api, type V1ResourceAttributes } from "@kubernetes/client-node";
import { expect } from "chai";
import { join } from "node:path";
import { PROJECT_ROOT } from "../../runner/config.ts";
import { grade } from "../../runner/grade/index.ts";
import { createProgress } from "../../runner/util/progress.ts";
import { sharedCluster } from "./hooks.ts";

/** What each account is asked for: `[namespace, verb, resource, subresource?, name?]`. */
type Ask = [string, string, string, string?, string?];

async function allowed(account: { namespace: string; name: string }, asks: Ask[]): Promise<string[]> {
  const authz = sharedCluster().kubeConfig.makeApiClient(AuthorizationV1Api);
  const user = `system:serviceaccount:${account.namespace}:${account.name}`;
  const groups = ["system:serviceaccounts", `system:serviceaccounts:${account.namespace}`, "system:authenticated"];
  const granted: string[] = [];
  for (const [namespace, verb, resource, subresource, name] of asks) {
    const resourceAttributes: V1ResourceAttributes = { namespace, verb, resource, ...(subresource ? { subresource } : {}), ...(name ? { name } : {}) };
    const review = await authz.createSubjectAccessReview({ body: { spec: { user, groups, resourceAttributes } } });
    if (review.status?.allowed) granted.push(`${user} may ${verb} ${resource}${subresource ? `/${subresource}` : ""}${name ? ` ${name}` : ""} in ${namespace}`);
  }
  return granted;
}

interface Audit {
  probeNamespace: string;
  grading: string;
  accounts: string[];
  probe: string[];
  workloads: string[];
}

/** Grades own-service-account (in `precreated`, when given) and audits every account once the DNS checks run. */
async function gradeAndAudit(precreated?: string): Promise<{ report: Awaited<ReturnType<typeof grade>>; audit: Audit | undefined }> {
  const core = sharedCluster().kubeConfig.makeApiClient(CoreV1Api);
  let audit: Promise<Audit> | undefined;
  let grading = "";
  const report = await grade({
    exercise: "web",
    submission: join(PROJECT_ROOT, "fixtures/web/own-service-account/submission"),
    cluster: sharedCluster(),
    progress: createProgress({ quiet: true }),
    ...(precreated ? { namespaces: { names: [precreated], acquire: async () => precreated, release() {}, retire() {} } } : {}),
    onNamespace: ({ namespace }) => (grading = namespace),
    checkProgress: {
      started: (check) => {
        // The pods and the probe exist once the DNS checks run.
        if (check.id !== "pod-dns" || audit) return;
        audit = (async () => {
          const [probeNs] = (await core.listNamespace({ labelSelector: `kubegrade.dev/instruments-for=${grading}` })).items;
          const probeNamespace = precreated ?? probeNs?.metadata?.name ?? "";
          const accounts = (await core.listNamespacedServiceAccount({ namespace: grading })).items.map((a) => a.metadata?.name ?? "");
          const onProbe: Ask[] = [
            [probeNamespace, "create", "pods", "exec", "kubegrade-probe"],
            [probeNamespace, "delete", "pods", undefined, "kubegrade-probe"],
            [probeNamespace, "update", "pods", undefined, "kubegrade-probe"],
            [probeNamespace, "patch", "pods", undefined, "kubegrade-probe"],
            [probeNamespace, "create", "pods"],
            [probeNamespace, "get", "secrets"],
          ];
          const changes: Ask[] = ["pods", "services", "statefulsets", "persistentvolumeclaims", "configmaps", "endpoints"].flatMap((r) =>
            ["create", "delete", "patch"].map((verb): Ask => [grading, verb, r]),
          ).concat([[grading, "create", "pods", "exec"], [grading, "get", "secrets"]]);
          const probe: string[] = [];
          const workloads: string[] = [];
          for (const name of accounts) {
            probe.push(...(await allowed({ namespace: grading, name }, onProbe)));
            // Between applies, kubegrade-submitter holds no rights either.
            workloads.push(...(await allowed({ namespace: grading, name }, changes)));
          }
          return { probeNamespace, grading, accounts, probe, workloads };
        })();
      },
      finished: () => {},
    },
  });
  return { report, audit: await audit };
}

describe("the grader's instruments and identities are out of the submission's reach", function () {
  it("no account of the grading namespace may touch the probe pod; the submission's pods' accounts may change nothing", async function () {
    const { report, audit } = await gradeAndAudit();
    expect([report.score, report.infrastructureError]).to.deep.equal([100, undefined]);
    expect(audit, "pod-dns never started").to.not.equal(undefined);
    expect(audit!.probeNamespace, "the probe runs in a namespace of the grader's own").to.match(/^kg-probe-/);
    expect(audit!.accounts).to.include.members(["default", "kubegrade-submitter", "web"]);
    expect(audit!.probe, "rights over the grader's probe").to.deep.equal([]);
    expect(audit!.workloads, "rights of the accounts of the grading namespace").to.deep.equal([]);
  });

  it("in a pre-created namespace, where the probe runs beside the submission, no account of it may touch the probe either", async function () {
    const core = sharedCluster().kubeConfig.makeApiClient(CoreV1Api);
    const precreated = `kg-precreated-${Math.random().toString(36).slice(2, 7)}`;
    await core.createNamespace({ body: { metadata: { name: precreated, labels: { "pod-security.kubernetes.io/enforce": "baseline" } } } });
    try {
      const { report, audit } = await gradeAndAudit(precreated);
      expect([report.score, report.infrastructureError]).to.deep.equal([100, undefined]);
      expect(audit, "pod-dns never started").to.not.equal(undefined);
      expect(audit!.accounts).to.include.members(["default", "kubegrade-submitter", "web"]);
      expect(audit!.probe, "rights over the grader's probe").to.deep.equal([]);
      expect(audit!.workloads, "rights of the accounts of the grading namespace").to.deep.equal([]);
    } finally {
      await core.deleteNamespace({ name: precreated }).catch(() => {});
    }
  });
});
