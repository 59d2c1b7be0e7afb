/**
 * A fresh namespace per grade: labelled for cleanup, Pod Security "baseline" enforced,
 * a ResourceQuota and LimitRange sized by the exercise, and a ServiceAccount that may
 * only edit that namespace — the submission is applied as that identity, so the API
 * server itself refuses anything outside it.
 *
 * Or a pre-created namespace (--namespace, --namespaces FILE) on a cluster where the grader
 * may not create namespaces: checked (Pod Security label, empty), furnished the same way,
 * and emptied again at the end — the namespace itself stays.
 */
import { AppsV1Api, AuthorizationV1Api, CoreV1Api, KubeConfig, PolicyV1Api, RbacAuthorizationV1Api } from "@kubernetes/client-node";
import { randomBytes } from "node:crypto";
import { GRADER_NAMES, LABELS, TIMEOUTS } from "./config.ts";
import { UsageError, errorMessage } from "./errors.ts";
import type { ExerciseDefinition } from "./exercise.ts";
import { LOCK, LockWaitExpired, describeHolder, lockNamespace, type HeldLock, type LockTiming } from "./namespace-lock.ts";
import { waitUntil } from "./util/wait.ts";

export const SUBMITTER = GRADER_NAMES.submitter;
/** The ResourceQuota and LimitRange every grade creates. */
export const GRADER_OBJECTS = GRADER_NAMES.limits;
export const POD_SECURITY_ENFORCE = "pod-security.kubernetes.io/enforce";

/** The Pod Security level a grade of this exercise runs under. */
export function podSecurityLevel(exercise: ExerciseDefinition): "baseline" | "privileged" {
  return exercise.allowedCapabilities?.length ? "privileged" : "baseline";
}

export interface GradingNamespace {
  name: string;
  /**
   * Runs `apply` as the submission's identity, kubegrade-submitter, with the ClusterRole "edit"
   * bound inside the namespace — bound only while an apply runs. Between applies no account of
   * the namespace may change anything, so nothing holding that account's rights is left for a
   * submission to reach, and the grader's probe pod (which in a pre-created namespace runs
   * beside the submission's pods) is out of every account's reach.
   */
  asSubmitter<T>(apply: (submitter: KubeConfig) => Promise<T>): Promise<T>;
  remove(): Promise<void>;
  /** A pre-created namespace's hold (namespace-lock.ts): lost() says when another grade took it over. */
  lock?: HeldLock;
}

/** Pods cannot be created in a new namespace before the service-account controller has made `default`. */
async function defaultAccountMade(core: CoreV1Api, namespace: string, deadlineMs: number): Promise<void> {
  await waitUntil(`ServiceAccount default in ${namespace}`, deadlineMs, async () =>
    (await core.readNamespacedServiceAccount({ name: "default", namespace }).catch(() => undefined)) ? true : { pending: "not made yet" },
  );
}

/** A new grading namespace's name: the exercise's, made unique. */
export function gradingNamespaceName(exercise: Pick<ExerciseDefinition, "id">): string {
  return `kg-${exercise.id}-${randomBytes(3).toString("hex")}`;
}

export async function createGradingNamespace(
  admin: KubeConfig,
  exercise: ExerciseDefinition,
  options: { deadlineMs: number; name?: string },
): Promise<GradingNamespace> {
  const core = admin.makeApiClient(CoreV1Api);
  const name = options.name ?? gradingNamespaceName(exercise);
  await core.createNamespace({
    body: {
      metadata: {
        name,
        labels: {
          [LABELS.managed]: "true",
          "kubegrade.dev/exercise": exercise.id,
          // Pod Security "baseline" forbids every added capability; an exercise that needs one
          // (cassandra's IPC_LOCK) is enforced at "privileged" instead, and the submission's
          // validation (runner/submission/validate.ts) refuses every other privileged field
          // — privileged, host namespaces and paths, capabilities beyond the exercise's — before apply.
          [POD_SECURITY_ENFORCE]: podSecurityLevel(exercise),
          "pod-security.kubernetes.io/enforce-version": "latest",
          "pod-security.kubernetes.io/warn": "baseline",
        },
      },
    },
  });
  const remove = async () => {
    await core.deleteNamespace({ name, gracePeriodSeconds: 0, propagationPolicy: "Background" }).catch((error: { code?: number }) => {
      if (error?.code !== 404) throw error;
    });
    // The namespace controller would delete the pods with their own grace period and preStop
    // hooks (the cassandra seed's: 30 minutes and a drain), holding their CPU and memory
    // requests meanwhile — capacity the next grade on this cluster needs. A terminating
    // namespace admits no new pods, so this removes them for good.
    await core.deleteCollectionNamespacedPod({ namespace: name, gracePeriodSeconds: 0 }).catch(() => {});
  };
  try {
    const asSubmitter = await furnishNamespace(admin, exercise, name, options.deadlineMs);
    return { name, asSubmitter, remove };
  } catch (error) {
    await remove().catch(() => {});
    throw error;
  }
}

/**
 * A namespace of the grader's own beside a grading namespace, for what the grader creates to
 * observe (the probe pod): no identity of the submission has any right in it, so no pod of
 * the submission can exec into, delete or replace what measures it. Removed with the grade.
 */
export async function createInstrumentNamespace(admin: KubeConfig, grading: string): Promise<{ name: string; remove: () => Promise<void> }> {
  const core = admin.makeApiClient(CoreV1Api);
  const name = `kg-probe-${randomBytes(4).toString("hex")}`;
  await core.createNamespace({
    body: {
      metadata: {
        name,
        labels: { [LABELS.managed]: "true", "kubegrade.dev/instruments-for": grading, [POD_SECURITY_ENFORCE]: "baseline" },
      },
    },
  });
  const remove = async () => {
    await core.deleteNamespace({ name, gracePeriodSeconds: 0, propagationPolicy: "Background" }).catch((error: { code?: number }) => {
      if (error?.code !== 404) throw error;
    });
  };
  try {
    await defaultAccountMade(core, name, TIMEOUTS.namespaceReadyMs);
  } catch (error) {
    await remove().catch(() => {});
    throw error;
  }
  return { name, remove };
}

/**
 * What every grade puts in its namespace, created or pre-created: the ResourceQuota and
 * LimitRange "kubegrade" from the exercise, the ServiceAccount the submission is applied as
 * and a short-lived token of it; the ClusterRole "edit" is bound to it inside the namespace
 * only while an apply runs (GradingNamespace.asSubmitter).
 */
async function furnishNamespace(
  admin: KubeConfig,
  exercise: ExerciseDefinition,
  name: string,
  deadlineMs: number,
): Promise<GradingNamespace["asSubmitter"]> {
  const core = admin.makeApiClient(CoreV1Api);
  const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
  const options = { deadlineMs };
  await core.createNamespacedResourceQuota({ namespace: name, body: { metadata: { name: GRADER_OBJECTS }, spec: { hard: exercise.quota } } });
  await core.createNamespacedLimitRange({
    namespace: name,
    body: {
      metadata: { name: GRADER_OBJECTS },
      spec: {
        limits: [{ type: "Container", defaultRequest: exercise.containerDefaults.requests, _default: exercise.containerDefaults.limits }],
      },
    },
  });
  // Its token is made for the grader below, never mounted into a pod (validate.ts refuses pods naming it).
  await core.createNamespacedServiceAccount({ namespace: name, body: { metadata: { name: SUBMITTER }, automountServiceAccountToken: false } });
  // Until the quota controller has filled in the quota's status, admission refuses every
  // pod ("status unknown for quota") and the StatefulSet controller backs off for long.
  await waitUntil(`ResourceQuota kubegrade in ${name} computed`, options.deadlineMs, async () => {
    const quota = await core.readNamespacedResourceQuota({ name: "kubegrade", namespace: name });
    return quota.status?.hard && Object.keys(quota.status.hard).length ? true : { pending: "status.hard not set yet" };
  });
  await defaultAccountMade(core, name, options.deadlineMs);
  const token = await core.createNamespacedServiceAccountToken({
    name: SUBMITTER,
    namespace: name,
    body: { spec: { audiences: [], expirationSeconds: 3600 } },
  });
  const cluster = admin.getCurrentCluster();
  if (!cluster) throw new Error("the admin kubeconfig has no current cluster");
  const submitter = new KubeConfig();
  submitter.loadFromOptions({
    clusters: [cluster],
    users: [{ name: SUBMITTER, token: token.status?.token }],
    contexts: [{ name: "submitter", cluster: cluster.name, user: SUBMITTER, namespace: name }],
    currentContext: "submitter",
  });
  return submitterRights(rbac, submitter, name, deadlineMs);
}

/**
 * The "edit" binding of kubegrade-submitter, made for each apply (several at once share it)
 * and removed after: the API server's authorizer has it once the account's own access review
 * (SelfSubjectAccessReview, which every account may ask) says so.
 */
function submitterRights(rbac: RbacAuthorizationV1Api, submitter: KubeConfig, namespace: string, deadlineMs: number): GradingNamespace["asSubmitter"] {
  const self = submitter.makeApiClient(AuthorizationV1Api);
  let holders = 0;
  let granted: Promise<void> | undefined;
  const grant = async () => {
    await rbac.createNamespacedRoleBinding({
      namespace,
      body: {
        metadata: { name: SUBMITTER },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "edit" },
        subjects: [{ kind: "ServiceAccount", name: SUBMITTER, namespace }],
      },
    }).catch((error: unknown) => {
      if (code(error) !== 409) throw error;
    });
    await waitUntil(`the rights of ${SUBMITTER} in ${namespace} in effect`, deadlineMs, async () => {
      const review = await self.createSelfSubjectAccessReview({
        body: { spec: { resourceAttributes: { namespace, verb: "create", group: "apps", resource: "statefulsets" } } },
      });
      return review.status?.allowed ? true : { pending: "not yet" };
    }, { intervalMs: 20, maxIntervalMs: 200 });
  };
  return async (apply) => {
    holders++;
    try {
      granted ??= grant();
      await granted;
      return await apply(submitter);
    } finally {
      if (--holders === 0) {
        granted = undefined;
        await rbac.deleteNamespacedRoleBinding({ name: SUBMITTER, namespace }).catch((error: unknown) => {
          if (code(error) !== 404) throw error;
        });
      }
    }
  };
}

// ---------------------------------------------------------------------------------------
// Pre-created namespaces

/** A pre-created namespace that cannot be graded in: exit 2 before grading, like other usage errors. */
export class NamespaceNotUsable extends UsageError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "NamespaceNotUsable";
  }
}

const RIGHTS = 'see "Rights needed with --kubeconfig" in kubegrade\'s docs/clusters.md';

/**
 * Why a pre-created namespace's Pod Security labels do not fit this exercise, or undefined.
 * Its grades must run exactly as in a namespace kubegrade creates: `baseline` enforced
 * (`restricted` would refuse the root containers of the exercises' images, the reference
 * solution's included), or `privileged` for an exercise that allows a capability baseline
 * forbids (cassandra's IPC_LOCK; the submission's validation refuses every other
 * privileged field before apply).
 */
export function podSecurityProblem(name: string, labels: Record<string, string> | undefined, exercise: ExerciseDefinition): string | undefined {
  const wanted = podSecurityLevel(exercise);
  const level = labels?.[POD_SECURITY_ENFORCE];
  if (level === wanted) return undefined;
  const fix = `kubectl label namespace ${name} --overwrite ${POD_SECURITY_ENFORCE}=${wanted}`;
  if (level === undefined) {
    return `namespace ${name} has no ${POD_SECURITY_ENFORCE} label (the cluster's default would apply, privileged on most clusters); ` +
      `the ${exercise.id} exercise is graded under Pod Security ${wanted}: ${fix}`;
  }
  if (wanted === "privileged") {
    return `namespace ${name} enforces Pod Security ${level}, which refuses the capability the ${exercise.id} exercise allows ` +
      `(${exercise.allowedCapabilities?.join(", ")}); it is graded under privileged (the grader refuses every other privileged field before apply): ${fix}`;
  }
  if (level === "restricted") {
    return `namespace ${name} enforces Pod Security restricted, which refuses containers running as root as the ${exercise.id} exercise's images do ` +
      `(even the reference solution would fail); it is graded under baseline: ${fix}`;
  }
  return `namespace ${name} enforces Pod Security ${JSON.stringify(level)}; kubegrade grades ${exercise.id} only under baseline (it would let a submission run privileged pods): ${fix}`;
}

/** One object found in a pre-created namespace. */
export interface FoundObject {
  kind: string;
  name: string;
  /** Being deleted (a pod's grace period, a claim still in use). */
  terminating?: boolean;
}

const LEFTOVER_MARKS = new Set([
  `ResourceQuota/${GRADER_OBJECTS}`,
  `LimitRange/${GRADER_OBJECTS}`,
  `ServiceAccount/${SUBMITTER}`,
  `RoleBinding/${SUBMITTER}`,
]);

/**
 * What counts in a pre-created namespace: everything listed except what every namespace has
 * (ServiceAccount default, ConfigMap kube-root-ca.crt) and RoleBindings kubegrade did not
 * make (the administrator's, granting the grader its Role). `leftover`: kubegrade's own
 * objects are among them — an interrupted grade, whose remains may be removed.
 */
export function namespaceContents(found: readonly FoundObject[]): { objects: FoundObject[]; leftover: boolean } {
  const objects = found.filter((o) =>
    !(o.kind === "ServiceAccount" && o.name === "default") &&
    !(o.kind === "ConfigMap" && o.name === "kube-root-ca.crt") &&
    !(o.kind === "RoleBinding" && o.name !== SUBMITTER),
  );
  return { objects, leftover: objects.some((o) => LEFTOVER_MARKS.has(`${o.kind}/${o.name}`)) };
}

export function describeObjects(objects: readonly FoundObject[], max = 8): string {
  const names = objects.map((o) => `${o.kind} ${o.name}${o.terminating ? " (terminating)" : ""}`);
  return names.length > max ? `${names.slice(0, max).join(", ")} and ${names.length - max} more` : names.join(", ");
}

function code(error: unknown): number | undefined {
  return (error as { code?: number })?.code;
}

function apiText(error: unknown): string {
  const body = (error as { body?: unknown })?.body;
  if (typeof body === "string") {
    try {
      const message = (JSON.parse(body) as { message?: string }).message;
      if (message) return message;
    } catch {
      // not JSON
    }
  }
  return errorMessage(error).split("\n")[0];
}

/** A 403 as the grader must read it: which right its Role in the namespace lacks. */
function forbidden(error: unknown, namespace: string, right: string): Error {
  if (code(error) !== 403) return error as Error;
  return new NamespaceNotUsable(
    `the grading identity may not ${right} in namespace ${namespace}: ${apiText(error)}. ` +
      `Its Role there must grant what kubegrade needs (${RIGHTS}).`,
    { cause: error },
  );
}

/** Lists what a pre-created namespace holds, of the kinds a grade makes or a submission may. */
export async function listNamespaceObjects(admin: KubeConfig, namespace: string): Promise<FoundObject[]> {
  const core = admin.makeApiClient(CoreV1Api);
  const apps = admin.makeApiClient(AppsV1Api);
  const policy = admin.makeApiClient(PolicyV1Api);
  const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
  type Listed = { items: { metadata?: { name?: string; deletionTimestamp?: Date } }[] };
  const kinds: [string, string, () => Promise<Listed>][] = [
    ["Pod", "pods", () => core.listNamespacedPod({ namespace })],
    ["StatefulSet", "apps/statefulsets", () => apps.listNamespacedStatefulSet({ namespace })],
    ["Deployment", "apps/deployments", () => apps.listNamespacedDeployment({ namespace })],
    ["ReplicaSet", "apps/replicasets", () => apps.listNamespacedReplicaSet({ namespace })],
    ["PersistentVolumeClaim", "persistentvolumeclaims", () => core.listNamespacedPersistentVolumeClaim({ namespace })],
    ["Service", "services", () => core.listNamespacedService({ namespace })],
    ["ConfigMap", "configmaps", () => core.listNamespacedConfigMap({ namespace })],
    ["Secret", "secrets", () => core.listNamespacedSecret({ namespace })],
    ["ServiceAccount", "serviceaccounts", () => core.listNamespacedServiceAccount({ namespace })],
    ["PodDisruptionBudget", "policy/poddisruptionbudgets", () => policy.listNamespacedPodDisruptionBudget({ namespace })],
    ["ResourceQuota", "resourcequotas", () => core.listNamespacedResourceQuota({ namespace })],
    ["LimitRange", "limitranges", () => core.listNamespacedLimitRange({ namespace })],
    ["RoleBinding", "rbac.authorization.k8s.io/rolebindings", () => rbac.listNamespacedRoleBinding({ namespace })],
  ];
  const lists = await Promise.all(kinds.map(async ([kind, resource, list]) => {
    try {
      return (await list()).items.map((item): FoundObject => ({
        kind,
        name: item.metadata?.name ?? "",
        ...(item.metadata?.deletionTimestamp ? { terminating: true } : {}),
      }));
    } catch (error) {
      throw forbidden(error, namespace, `list ${resource}`);
    }
  }));
  return lists.flat();
}

/**
 * Removes everything a grade and its submission made in a pre-created namespace — workloads
 * at once (grace period 0), claims, services, config maps but kube-root-ca.crt, secrets,
 * service accounts but default, the grader's RoleBinding, disruption budgets, events, the
 * quota and LimitRange — and waits until its pods and claims are gone, so the next grade
 * starts clean. The administrator's RoleBindings and Roles stay, and so does the namespace.
 */
export async function emptyNamespace(admin: KubeConfig, namespace: string, deadlineMs: number): Promise<void> {
  const core = admin.makeApiClient(CoreV1Api);
  const apps = admin.makeApiClient(AppsV1Api);
  const policy = admin.makeApiClient(PolicyV1Api);
  const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
  const attempt = async (right: string, run: () => Promise<unknown>) => {
    try {
      await run();
    } catch (error) {
      if (code(error) !== 404) throw forbidden(error, namespace, right);
    }
  };
  const now = { gracePeriodSeconds: 0, propagationPolicy: "Background" };
  const deletePods = () => attempt("deletecollection pods", () => core.deleteCollectionNamespacedPod({ namespace, gracePeriodSeconds: 0 }));
  // Controllers first, or they would make the pods again.
  await attempt("deletecollection apps/statefulsets", () => apps.deleteCollectionNamespacedStatefulSet({ namespace, ...now }));
  await attempt("deletecollection apps/deployments", () => apps.deleteCollectionNamespacedDeployment({ namespace, ...now }));
  await attempt("deletecollection apps/replicasets", () => apps.deleteCollectionNamespacedReplicaSet({ namespace, ...now }));
  await deletePods();
  await attempt("deletecollection persistentvolumeclaims", () => core.deleteCollectionNamespacedPersistentVolumeClaim({ namespace }));
  await attempt("deletecollection services", () => core.deleteCollectionNamespacedService({ namespace }));
  await attempt("deletecollection configmaps", () => core.deleteCollectionNamespacedConfigMap({ namespace, fieldSelector: "metadata.name!=kube-root-ca.crt" }));
  await attempt("deletecollection secrets", () => core.deleteCollectionNamespacedSecret({ namespace }));
  await attempt("deletecollection policy/poddisruptionbudgets", () => policy.deleteCollectionNamespacedPodDisruptionBudget({ namespace }));
  await attempt("deletecollection serviceaccounts", () => core.deleteCollectionNamespacedServiceAccount({ namespace, fieldSelector: "metadata.name!=default" }));
  await attempt(`delete rolebindings (${SUBMITTER})`, () => rbac.deleteNamespacedRoleBinding({ name: SUBMITTER, namespace }));
  await waitUntil(`namespace ${namespace} emptied`, deadlineMs, async () => {
    const { objects } = namespaceContents(await listNamespaceObjects(admin, namespace));
    const left = objects.filter((o) => !(o.kind === "ResourceQuota" || o.kind === "LimitRange"));
    if (!left.length) return true;
    // A pod the StatefulSet controller made just before it saw its set deleted.
    if (left.some((o) => o.kind === "Pod" && !o.terminating)) await deletePods();
    return { pending: `left: ${describeObjects(left)}` };
  }, { intervalMs: 250, maxIntervalMs: 1000 });
  // Events last: the kubelet reports the pods' killing until they are gone.
  await attempt("deletecollection events", () => core.deleteCollectionNamespacedEvent({ namespace }));
  // The quota last: while pods were terminating it still bounded them.
  await attempt("delete resourcequotas", () => core.deleteNamespacedResourceQuota({ name: GRADER_OBJECTS, namespace }));
  await attempt("delete limitranges", () => core.deleteNamespacedLimitRange({ name: GRADER_OBJECTS, namespace }));
}

/** The namespace itself: it exists, is not being deleted, and its Pod Security label fits the exercise. */
async function checkNamespaceItself(admin: KubeConfig, exercise: ExerciseDefinition, name: string): Promise<void> {
  const core = admin.makeApiClient(CoreV1Api);
  let namespace;
  try {
    namespace = await core.readNamespace({ name });
  } catch (error) {
    if (code(error) === 404) throw new NamespaceNotUsable(`namespace ${name} does not exist: with --namespace/--namespaces, an administrator creates the namespaces (${RIGHTS})`);
    if (code(error) === 403) {
      throw new NamespaceNotUsable(
        `the grading identity may not read namespace ${name} (get namespaces is forbidden: ${apiText(error)}): ` +
          `either ${name} does not exist, or the Role bound to the grader in it lacks get on namespaces (${RIGHTS})`,
        { cause: error },
      );
    }
    throw error;
  }
  if (namespace.metadata?.deletionTimestamp || namespace.status?.phase === "Terminating") {
    throw new NamespaceNotUsable(`namespace ${name} is being deleted`);
  }
  const problem = podSecurityProblem(name, namespace.metadata?.labels, exercise);
  if (problem) throw new NamespaceNotUsable(problem);
}

/**
 * Under the namespace's lock: it is empty, or holds only the remains of an interrupted grade
 * of kubegrade's own, which are removed. Anything else is refused, named.
 */
async function clearLeftovers(admin: KubeConfig, name: string, deadlineMs: number): Promise<FoundObject[]> {
  const first = namespaceContents(await listNamespaceObjects(admin, name));
  if (!first.objects.length) return [];
  if (!first.leftover) {
    throw new NamespaceNotUsable(
      `namespace ${name} is not empty: ${describeObjects(first.objects)}. kubegrade grades only in an empty namespace ` +
        `(it removes only the remains of its own interrupted grades, recognised by its ResourceQuota ${GRADER_OBJECTS} or ServiceAccount ${SUBMITTER}); ` +
        "remove these objects or list another namespace",
    );
  }
  try {
    await emptyNamespace(admin, name, deadlineMs);
  } catch (error) {
    if (error instanceof NamespaceNotUsable) throw error;
    throw new NamespaceNotUsable(`namespace ${name} holds the remains of an interrupted grade that could not be removed: ${errorMessage(error)}`, { cause: error });
  }
  return first.objects;
}

/** How a grade waits for a pre-created namespace another grade holds. */
export interface LockWait {
  /** How long to wait for the holder to let go (0: one look); TIMEOUTS.namespaceHeldMs for a grade. */
  waitMs: number;
  signal?: AbortSignal;
  /** Told who holds it, each time that changes. */
  onWaiting?: (holder: string) => void;
  timing?: LockTiming;
}

/** The namespace's lock (namespace-lock.ts); a holder that does not let go in time is a NamespaceNotUsable naming it. */
async function lock(admin: KubeConfig, name: string, wait: LockWait): Promise<HeldLock> {
  try {
    return await lockNamespace(admin, name, {
      waitMs: wait.waitMs,
      ...(wait.signal ? { signal: wait.signal } : {}),
      ...(wait.timing ? { timing: wait.timing } : {}),
      onWaiting: (holder) => wait.onWaiting?.(describeHolder(holder)),
    });
  } catch (error) {
    if (error instanceof LockWaitExpired) {
      throw new NamespaceNotUsable(
        `namespace ${name} is held by another grade (${describeHolder(error.holder)}), still after waiting ${Math.round(error.waitedMs / 1000)} s: ` +
          `grade again once it has ended, or use another namespace (a grade killed without letting go is taken over once it has not renewed its hold, RoleBinding ${LOCK}, for ${TIMEOUTS.namespaceLockLapseMs / 1000} s)`,
        { cause: error },
      );
    }
    throw forbidden(error, name, `create rolebindings (${LOCK}, the hold of a grade on the namespace)`);
  }
}

/**
 * Checks that a pre-created namespace can be graded in: it exists and is not being deleted,
 * its Pod Security label fits the exercise, and it is empty — the remains of an interrupted
 * grade of kubegrade's own are removed first. Throws NamespaceNotUsable saying what is wrong.
 * A namespace another grade holds now is checked only in itself: its contents are that
 * grade's (`heldBy` names it), and are checked when a grade of this run takes it.
 */
export async function checkPreCreatedNamespace(
  admin: KubeConfig,
  exercise: ExerciseDefinition,
  name: string,
  options: { deadlineMs: number },
): Promise<{ cleaned: FoundObject[]; heldBy?: string }> {
  await checkNamespaceItself(admin, exercise, name);
  let held: HeldLock;
  try {
    held = await lock(admin, name, { waitMs: 0 });
  } catch (error) {
    if (error instanceof NamespaceNotUsable && error.cause instanceof LockWaitExpired) return { cleaned: [], heldBy: describeHolder(error.cause.holder) };
    throw error;
  }
  try {
    return { cleaned: await clearLeftovers(admin, name, options.deadlineMs) };
  } finally {
    await held.release().catch(() => {});
  }
}

/**
 * A grade in a pre-created namespace: checked, held (waiting while another grade holds it),
 * cleared of an interrupted grade's remains, furnished exactly as a created one, and emptied
 * by remove() (the namespace itself stays), which then lets go of it.
 */
export async function usePreCreatedNamespace(
  admin: KubeConfig,
  exercise: ExerciseDefinition,
  options: { name: string; deadlineMs: number; cleanupMs: number; wait: LockWait },
): Promise<GradingNamespace & { cleaned: FoundObject[]; tookOver?: string }> {
  const { name } = options;
  await checkNamespaceItself(admin, exercise, name);
  const held = await lock(admin, name, options.wait);
  const cleaned = await clearLeftovers(admin, name, options.cleanupMs).catch(async (error: unknown) => {
    await held.release().catch(() => {});
    throw error;
  });
  const remove = async () => {
    try {
      // A hold lost to another grade: what is in the namespace now is that grade's.
      if (!held.lost()) await emptyNamespace(admin, name, options.cleanupMs);
    } finally {
      await held.release();
    }
  };
  const tookOver = held.tookOver ? `another grade's hold (${describeHolder(held.tookOver.holder)}) was taken over: ${held.tookOver.why}` : undefined;
  try {
    // Events of an earlier grade's pods (same names) would read as this one's probe failures.
    await admin.makeApiClient(CoreV1Api).deleteCollectionNamespacedEvent({ namespace: name }).catch((error: unknown) => {
      throw forbidden(error, name, "deletecollection events");
    });
    const asSubmitter = await furnishNamespace(admin, exercise, name, options.deadlineMs);
    return { name, asSubmitter, remove, cleaned, lock: held, ...(tookOver ? { tookOver } : {}) };
  } catch (error) {
    await remove().catch(() => {});
    throw error instanceof NamespaceNotUsable ? error : forbiddenAnywhere(error, name);
  }
}

/** A 403 while furnishing names the right the Role lacks (the API server's message says which). */
function forbiddenAnywhere(error: unknown, namespace: string): unknown {
  return code(error) === 403 ? forbidden(error, namespace, "do what a grade needs") : error;
}
