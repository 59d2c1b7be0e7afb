/**
 * A fresh namespace per grade: labelled for cleanup, Pod Security "baseline" enforced,
 * a ResourceQuota and LimitRange sized by the exercise, and a ServiceAccount that may
 * only edit that namespace — the submission is applied as that identity, so the API
 * server itself refuses anything outside it.
 */
import { CoreV1Api, KubeConfig, RbacAuthorizationV1Api } from "@kubernetes/client-node";
import { randomBytes } from "node:crypto";
import { LABELS } from "./config.ts";
import type { ExerciseDefinition } from "./exercise.ts";
import { waitUntil } from "./util/wait.ts";

export const SUBMITTER = "kubegrade-submitter";

export interface GradingNamespace {
  name: string;
  /** Access confined to the namespace (the ClusterRole "edit" bound inside it). */
  submitter: KubeConfig;
  remove(): Promise<void>;
}

export async function createGradingNamespace(
  admin: KubeConfig,
  exercise: ExerciseDefinition,
  options: { deadlineMs: number; name?: string },
): Promise<GradingNamespace> {
  const core = admin.makeApiClient(CoreV1Api);
  const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
  const name = options.name ?? `kg-${exercise.id}-${randomBytes(3).toString("hex")}`;
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
          "pod-security.kubernetes.io/enforce": exercise.allowedCapabilities?.length ? "privileged" : "baseline",
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
    await core.createNamespacedResourceQuota({ namespace: name, body: { metadata: { name: "kubegrade" }, spec: { hard: exercise.quota } } });
    await core.createNamespacedLimitRange({
      namespace: name,
      body: {
        metadata: { name: "kubegrade" },
        spec: {
          limits: [{ type: "Container", defaultRequest: exercise.containerDefaults.requests, _default: exercise.containerDefaults.limits }],
        },
      },
    });
    await core.createNamespacedServiceAccount({ namespace: name, body: { metadata: { name: SUBMITTER } } });
    await rbac.createNamespacedRoleBinding({
      namespace: name,
      body: {
        metadata: { name: SUBMITTER },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "edit" },
        subjects: [{ kind: "ServiceAccount", name: SUBMITTER, namespace: name }],
      },
    });
    // Until the quota controller has filled in the quota's status, admission refuses every
    // pod ("status unknown for quota") and the StatefulSet controller backs off for long.
    await waitUntil(`ResourceQuota kubegrade in ${name} computed`, options.deadlineMs, async () => {
      const quota = await core.readNamespacedResourceQuota({ name: "kubegrade", namespace: name });
      return quota.status?.hard && Object.keys(quota.status.hard).length ? true : { pending: "status.hard not set yet" };
    });
    // Pods cannot be created before the service-account controller has made `default`.
    await waitUntil(`ServiceAccount default in ${name}`, options.deadlineMs, async () =>
      (await core.readNamespacedServiceAccount({ name: "default", namespace: name }).catch(() => undefined)) ? true : { pending: "not made yet" },
    );
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
    return { name, submitter, remove };
  } catch (error) {
    await remove().catch(() => {});
    throw error;
  }
}
