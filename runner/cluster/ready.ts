import { CoreV1Api, DiscoveryV1Api, StorageV1Api, VersionApi, type KubeConfig } from "@kubernetes/client-node";
import { waitUntil } from "../util/wait.ts";

export interface ReadyOptions {
  deadlineMs: number;
  onPending?: (observation: string) => void;
  signal?: AbortSignal;
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
  return waitUntil(
    "cluster ready to run a StatefulSet",
    options.deadlineMs,
    async () => {
      let gitVersion: string;
      try {
        gitVersion = (await version.getCode()).gitVersion;
      } catch (error) {
        return { pending: `API server not answering (${short(error)})` };
      }
      const nodes = await core.listNode().catch(() => undefined);
      const readyNodes = nodes?.items.filter((n) =>
        n.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True"),
      );
      if (!readyNodes?.length) return { pending: `no node Ready (${nodes?.items.length ?? 0} registered)` };
      const dns = await core.listNamespacedService({ namespace: "kube-system", labelSelector: "k8s-app=kube-dns" }).catch(() => undefined);
      if (!dns?.items.length) return { pending: "no cluster DNS Service (k8s-app=kube-dns) in kube-system" };
      const slices = await discovery
        .listNamespacedEndpointSlice({ namespace: "kube-system", labelSelector: `kubernetes.io/service-name=${dns.items[0].metadata?.name}` })
        .catch(() => undefined);
      const readyEndpoints = slices?.items.flatMap((s) => s.endpoints ?? []).filter((e) => e.conditions?.ready !== false) ?? [];
      if (!readyEndpoints.length) return { pending: "cluster DNS has no ready endpoint" };
      const classes = await storage.listStorageClass().catch(() => undefined);
      const hasDefault = classes?.items.some(
        (c) => c.metadata?.annotations?.["storageclass.kubernetes.io/is-default-class"] === "true",
      );
      if (!hasDefault) return { pending: "no default StorageClass" };
      const sa = await core.readNamespacedServiceAccount({ name: "default", namespace: "default" }).catch(() => undefined);
      if (!sa) return { pending: "service-account controller has not made default/default yet" };
      return gitVersion;
    },
    { onPending: options.onPending, signal: options.signal, intervalMs: 200, maxIntervalMs: 500 },
  );
}

function short(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split("\n")[0].slice(0, 120);
}
