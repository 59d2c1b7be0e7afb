import { CoreV1Api, KubeConfig, RbacAuthorizationV1Api, type KubernetesObject, type V1PolicyRule } from "@kubernetes/client-node";
import { execa } from "execa";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { objectsFromYaml } from "../../runner/kube/apply.ts";
import { LABELS, PROJECT_ROOT } from "../../runner/config.ts";
import { waitUntil } from "../../runner/util/wait.ts";
import { evaluate } from "./ci-support.ts";

/** A namespace for one test file, labelled like the grader's, removed by the returned function. */
export async function freshNamespace(kc: KubeConfig, prefix: string): Promise<{ name: string; remove: () => Promise<void> }> {
  const core = kc.makeApiClient(CoreV1Api);
  const name = `${prefix}-${Math.random().toString(36).slice(2, 8)}`;
  await core.createNamespace({ body: { metadata: { name, labels: { [LABELS.managed]: "true" } } } });
  await waitUntil(`default ServiceAccount in ${name}`, 30_000, async () =>
    (await core.readNamespacedServiceAccount({ name: "default", namespace: name }).catch(() => undefined)) ? true : { pending: "not yet made" },
  );
  return {
    name,
    remove: async () => {
      await core.deleteNamespace({ name, gracePeriodSeconds: 0 }).catch(() => {});
    },
  };
}

/** The kubegrade command line in a child process, as a user runs it (never rejects). */
export function cli(args: string[], env: Record<string, string> = {}, options: { cwd?: string } = {}) {
  return execa(process.execPath, [join(PROJECT_ROOT, "runner/cli.ts"), ...args], {
    ...options,
    env: { ...process.env, CI: "true", NO_COLOR: "1", ...env },
    reject: false,
    all: true,
  });
}

/** The clusters page's pre-created-namespaces YAML (kubegrade's documented rights), as objects. */
function documentedObjects(): KubernetesObject[] {
  const readme = readFileSync(join(PROJECT_ROOT, "docs", "clusters.md"), "utf8");
  const start = readme.indexOf("#### Pre-created namespaces");
  if (start === -1) throw new Error("docs/clusters.md no longer documents pre-created namespaces");
  const section = readme.slice(start, readme.indexOf("\n## ", start));
  return [...section.matchAll(/```yaml\n([\s\S]*?)```/g)].flatMap((m) => objectsFromYaml(m[1]));
}

/** The rules of a Role or ClusterRole exactly as docs/clusters.md gives them. */
export function documentedRules(kind: string, name: string): V1PolicyRule[] {
  const found = documentedObjects().find((o) => o.kind === kind && o.metadata?.name === name) as { rules?: V1PolicyRule[] } | undefined;
  if (!found?.rules?.length) throw new Error(`docs/clusters.md: no ${kind} ${name} with rules`);
  return found.rules;
}

export interface GraderRights {
  /** The grading identity's namespace (its ServiceAccount `grader`). */
  graderNs: string;
  /** Pre-created namespaces, with their labels. */
  namespaces: { name: string; labels: Record<string, string> }[];
  /** Names of the cluster-wide reads and of the DNS reads in kube-system. */
  readsName: string;
  dnsReadsName: string;
}

/**
 * What docs/clusters.md tells an administrator to apply, applied: a ServiceAccount `grader`, the
 * namespaces with the Role and its binding in each, the cluster reads and the DNS reads.
 * Returns a kubeconfig holding only that ServiceAccount's token.
 */
export async function grantDocumentedRights(admin: KubeConfig, rights: GraderRights): Promise<string> {
  const core = admin.makeApiClient(CoreV1Api);
  const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
  const { graderNs, readsName, dnsReadsName } = rights;
  const subject = { kind: "ServiceAccount", name: "grader", namespace: graderNs };
  const bind = (kind: "Role" | "ClusterRole", name: string) => ({ metadata: { name }, roleRef: { apiGroup: "rbac.authorization.k8s.io", kind, name }, subjects: [subject] });
  await core.createNamespace({ body: { metadata: { name: graderNs } } });
  await waitUntil("ServiceAccount default made", 30_000, async () =>
    (await core.readNamespacedServiceAccount({ name: "default", namespace: graderNs }).catch(() => undefined)) ? true : { pending: "not yet" });
  await core.createNamespacedServiceAccount({ namespace: graderNs, body: { metadata: { name: "grader" } } });
  const role = documentedRules("Role", "kubegrade-grader");
  for (const { name, labels } of rights.namespaces) {
    await core.createNamespace({ body: { metadata: { name, labels } } });
    await rbac.createNamespacedRole({ namespace: name, body: { metadata: { name: "kubegrade-grader" }, rules: role } });
    await rbac.createNamespacedRoleBinding({ namespace: name, body: bind("Role", "kubegrade-grader") });
  }
  await rbac.createClusterRole({ body: { metadata: { name: readsName }, rules: documentedRules("ClusterRole", "kubegrade-grader-cluster-reads") } });
  await rbac.createClusterRoleBinding({ body: bind("ClusterRole", readsName) });
  await rbac.createNamespacedRole({ namespace: "kube-system", body: { metadata: { name: dnsReadsName }, rules: documentedRules("Role", "kubegrade-grader-dns-reads") } });
  await rbac.createNamespacedRoleBinding({ namespace: "kube-system", body: bind("Role", dnsReadsName) });
  const token = await core.createNamespacedServiceAccountToken({ name: "grader", namespace: graderNs, body: { spec: { audiences: [], expirationSeconds: 7200 } } });
  const cluster = admin.getCurrentCluster();
  if (!cluster) throw new Error("no current cluster");
  const grader = new KubeConfig();
  grader.loadFromOptions({
    clusters: [cluster],
    users: [{ name: "grader", token: token.status?.token }],
    contexts: [{ name: "grader", cluster: cluster.name, user: "grader" }],
    currentContext: "grader",
  });
  return grader.exportConfig();
}

/** Removes what grantDocumentedRights made (NotFound ignored). */
export async function revokeDocumentedRights(admin: KubeConfig, rights: GraderRights): Promise<void> {
  const core = admin.makeApiClient(CoreV1Api);
  const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
  for (const name of [...rights.namespaces.map((n) => n.name), rights.graderNs]) await core.deleteNamespace({ name, gracePeriodSeconds: 0 }).catch(() => {});
  await rbac.deleteClusterRoleBinding({ name: rights.readsName }).catch(() => {});
  await rbac.deleteClusterRole({ name: rights.readsName }).catch(() => {});
  await rbac.deleteNamespacedRoleBinding({ name: rights.dnsReadsName, namespace: "kube-system" }).catch(() => {});
  await rbac.deleteNamespacedRole({ name: rights.dnsReadsName, namespace: "kube-system" }).catch(() => {});
}

/** The reference solution with what one student wrote beyond the handout (a probe, resources, env). */
export function withExtras(reference: string, style: "block" | "flow"): string {
  const extras = style === "block"
    ? `        readinessProbe:
          tcpSocket:
            port: 80
          periodSeconds: 3
          failureThreshold: 5
        resources:
          requests:
            cpu: 15m
            memory: 20Mi
          limits:
            memory: 120Mi
        env:
        - name: GREETING
          value: "copied, comma and all"
        - name: MODE
          value: curious
`
    : `        # my own probe!
        env: [{value: 'copied, comma and all', name: GREETING}, {name: MODE, value: curious}]
        resources: {limits: {memory: 120Mi}, requests: {memory: 20Mi, cpu: 15m}}
        readinessProbe: {failureThreshold: 5, periodSeconds: 3, tcpSocket: {port: 80}}
`;
  const at = reference.indexOf("        ports:");
  if (at < 0) throw new Error("the reference solution has no container ports to put the extras before");
  return reference.slice(0, at) + extras + reference.slice(at);
}

/**
 * A workflow's `env` as GitHub evaluates it (ci-support.ts's emulation), with these repository
 * or organization variables set (`${{ vars.NAME }}`; unset ones are empty).
 */
export function githubEnv(env: Record<string, unknown>, vars: Record<string, string> = {}): Record<string, string> {
  const contexts = { github: { token: "", run_id: "1", run_attempt: 1 }, secrets: {}, vars };
  return Object.fromEntries(Object.entries(env).map(([key, value]) => [key, evaluate(value, contexts)]));
}
