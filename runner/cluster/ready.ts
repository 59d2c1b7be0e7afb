import { CoreV1Api, DiscoveryV1Api, StorageV1Api, VersionApi, type KubeConfig } from "@kubernetes/client-node";
import { UsageError } from "../errors.ts";
import { waitUntil } from "../util/wait.ts";

export interface ReadyOptions {
  deadlineMs: number;
  onPending?: (observation: string) => void;
  signal?: AbortSignal;
  /**
   * Where to find a `default` ServiceAccount made by the service-account controller
   * (default: the namespace `default`). Grading in pre-created namespaces checks one of them.
   */
  serviceAccountNamespace?: string;
  /**
   * An API server that has not answered once within this long is not coming (an existing
   * cluster): stop there instead of waiting out the whole deadline.
   */
  unansweredMs?: number;
  /**
   * A read the identity is forbidden ends the wait at once with a UsageError naming the
   * right (waiting would not grant it). Used with pre-created namespaces, where the grader
   * holds only the documented rights.
   */
  explainForbidden?: boolean;
}

/**
 * A cluster is ready when it can run a StatefulSet exercise: the API answers, a node is
 * Ready, the cluster DNS Service has a ready endpoint, a default StorageClass exists and
 * the service-account controller has made the `default` ServiceAccount. On time-out the
 * error names the first of these that was missing.
 */
export async function waitForClusterReady(kc: KubeConfig, options: ReadyOptions): Promise<string> {
  const core = kc.makeApiClient(CoreV1Api);
  const discovery = kc.makeApiClient(DiscoveryV1Api);
  const storage = kc.makeApiClient(StorageV1Api);
  const version = kc.makeApiClient(VersionApi);
  const saNamespace = options.serviceAccountNamespace ?? "default";
  /** A failed read as `undefined` (not ready yet) — or, with explainForbidden, a 403 as the right it lacks. */
  const read = <T>(right: string) => (error: unknown): T | undefined => {
    if (options.explainForbidden && (error as { code?: number })?.code === 403) {
      throw new UsageError(
        `the grading identity may not ${right}, which kubegrade reads to know the cluster can run a StatefulSet ` +
          `(see "Rights needed with --kubeconfig" in kubegrade's docs/clusters.md)`,
        { cause: error },
      );
    }
    return undefined;
  };
  const started = performance.now();
  let answered = false;
  return waitUntil(
    "cluster ready to run a StatefulSet",
    options.deadlineMs,
    async () => {
      let gitVersion: string;
      try {
        gitVersion = (await version.getCode()).gitVersion;
        answered = true;
      } catch (error) {
        if (!answered && options.unansweredMs !== undefined && performance.now() - started > options.unansweredMs) {
          throw new Error(`the API server has not answered in ${Math.round(options.unansweredMs / 1000)} s (${short(error)})`);
        }
        return { pending: `API server not answering (${short(error)})` };
      }
      const nodes = await core.listNode().catch(read<Awaited<ReturnType<typeof core.listNode>>>("list nodes"));
      const readyNodes = nodes?.items.filter((n) =>
        n.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True"),
      );
      if (!readyNodes?.length) return { pending: `no node Ready (${nodes?.items.length ?? 0} registered)` };
      const dns = await core
        .listNamespacedService({ namespace: "kube-system", labelSelector: "k8s-app=kube-dns" })
        .catch(read<Awaited<ReturnType<typeof core.listNamespacedService>>>("list services in kube-system"));
      if (!dns?.items.length) return { pending: "no cluster DNS Service (k8s-app=kube-dns) in kube-system" };
      const slices = await discovery
        .listNamespacedEndpointSlice({ namespace: "kube-system", labelSelector: `kubernetes.io/service-name=${dns.items[0].metadata?.name}` })
        .catch(read<Awaited<ReturnType<typeof discovery.listNamespacedEndpointSlice>>>("list discovery.k8s.io/endpointslices in kube-system"));
      const readyEndpoints = slices?.items.flatMap((s) => s.endpoints ?? []).filter((e) => e.conditions?.ready !== false) ?? [];
      if (!readyEndpoints.length) return { pending: "cluster DNS has no ready endpoint" };
      const classes = await storage.listStorageClass().catch(read<Awaited<ReturnType<typeof storage.listStorageClass>>>("list storage.k8s.io/storageclasses"));
      const hasDefault = classes?.items.some(
        (c) => c.metadata?.annotations?.["storageclass.kubernetes.io/is-default-class"] === "true",
      );
      if (!hasDefault) return { pending: "no default StorageClass" };
      const sa = await core
        .readNamespacedServiceAccount({ name: "default", namespace: saNamespace })
        .catch(read<Awaited<ReturnType<typeof core.readNamespacedServiceAccount>>>(`get serviceaccounts in namespace ${saNamespace} (or that namespace does not exist)`));
      if (!sa) return { pending: `service-account controller has not made ${saNamespace}/default yet` };
      return gitVersion;
    },
    { onPending: options.onPending, signal: options.signal, intervalMs: 200, maxIntervalMs: 500 },
  );
}

function short(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split("\n")[0].slice(0, 120);
}
