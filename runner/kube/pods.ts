import type { KubeConfig, V1Pod } from "@kubernetes/client-node";
import { waitForObjects, type Verdict } from "./watch.ts";

export function isReady(pod: V1Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;
}

const HOPELESS_WAITING = new Set([
  "ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull",
  "CrashLoopBackOff", "CreateContainerConfigError", "CreateContainerError", "RunContainerError",
]);

/**
 * Why a pod will not become Ready without a change to its spec, once that is certain
 * (an image that cannot be pulled, a container that keeps crashing or was OOM-killed);
 * undefined while it may still come up.
 */
export function podProblem(pod: V1Pod): string | undefined {
  const name = pod.metadata?.name;
  const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
  for (const s of statuses) {
    const waiting = s.state?.waiting;
    if (waiting?.reason && HOPELESS_WAITING.has(waiting.reason)) {
      const last = s.lastState?.terminated;
      const lastWords = last ? ` (last exit: ${last.reason ?? "code"} ${last.exitCode})` : "";
      return `pod ${name}: container ${s.name} is ${waiting.reason}${lastWords}: ${(waiting.message ?? "").split("\n")[0].slice(0, 300)}`;
    }
    const terminated = s.state?.terminated ?? s.lastState?.terminated;
    if (terminated?.reason === "OOMKilled") {
      return `pod ${name}: container ${s.name} was OOMKilled (it used more memory than its limit)`;
    }
  }
  const unschedulable = pod.status?.conditions?.find((c) => c.type === "PodScheduled" && c.reason === "Unschedulable");
  if (unschedulable && /insufficient|didn't match|untolerated/i.test(unschedulable.message ?? "")) {
    return `pod ${name} cannot be scheduled: ${unschedulable.message}`;
  }
  return undefined;
}

/** "web-1 Pending (ContainerCreating)" — what a pod is doing, for wait messages. */
export function describePod(pod: V1Pod): string {
  const name = pod.metadata?.name;
  if (pod.metadata?.deletionTimestamp) return `${name} terminating`;
  const waiting = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])]
    .map((s) => s.state?.waiting?.reason)
    .filter(Boolean);
  const unscheduled = pod.status?.conditions?.find((c) => c.type === "PodScheduled" && c.status === "False");
  const detail = waiting.length ? ` (${waiting.join(", ")})` : unscheduled ? ` (${unscheduled.message ?? "unscheduled"})` : "";
  return `${name} ${pod.status?.phase ?? "Pending"}${isReady(pod) ? " Ready" : ""}${detail}`;
}

/** Waits until the named pods all exist and are Ready; fails early when one cannot be. */
export async function waitForPodsReady(
  kc: KubeConfig,
  namespace: string,
  names: string[],
  options: { deadlineMs: number; what?: string; signal?: AbortSignal },
): Promise<Map<string, V1Pod>> {
  return waitForObjects<V1Pod>(kc, { apiVersion: "v1", kind: "Pod", plural: "pods", namespace }, {
    what: options.what ?? `pods ${names.join(", ")} Ready`,
    deadlineMs: options.deadlineMs,
    signal: options.signal,
    condition: (pods): Verdict => {
      const missing = names.filter((n) => !pods.has(n));
      for (const n of names) {
        const pod = pods.get(n);
        const problem = pod && podProblem(pod);
        if (problem) return { fail: problem };
      }
      const notReady = names.map((n) => pods.get(n)).filter((p): p is V1Pod => !!p && (!isReady(p) || !!p.metadata?.deletionTimestamp));
      if (!missing.length && !notReady.length) return true;
      const parts = [...missing.map((m) => `${m} not created`), ...notReady.map(describePod)];
      return { pending: parts.join("; ") };
    },
  });
}
