import type { KubeConfig, V1Pod } from "@kubernetes/client-node";
import type { Verdict } from "../../checks/api.ts";
import { isReady } from "./ready.ts";
import { explainStartFailure } from "./probe-advice.ts";
import { waitForObjects } from "./watch.ts";

const HOPELESS_WAITING = new Set([
  "ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull",
  "CrashLoopBackOff", "CreateContainerConfigError", "CreateContainerError", "RunContainerError",
]);

/** How long a pod may wait for CPU or memory to be freed before that counts as its own fault. */
export const UNSCHEDULABLE_GRACE_MS = 45_000;

/**
 * Why a pod will not become Ready without a change to its spec, once that is certain
 * (an image that cannot be pulled, a container that keeps crashing or was OOM-killed, a pod
 * evicted for what it wrote);
 * undefined while it may still come up.
 */
export function podProblem(pod: V1Pod, now = Date.now()): string | undefined {
  const name = pod.metadata?.name;
  // The kubelet evicts a pod that writes more than its ephemeral-storage limits allow; its
  // StatefulSet makes it again, and the same spec is evicted again.
  if (pod.status?.phase === "Failed" && pod.status.reason === "Evicted") {
    const message = (pod.status.message ?? "").trim().replace(/\.$/, "");
    const hint = /ephemeral|storage/i.test(message)
      ? ": its containers wrote more to their own filesystem or to an emptyDir than resources.limits.ephemeral-storage allows " +
        "— keep data on the claimed volume, or raise the limit"
      : "";
    return `pod ${name} was Evicted by the kubelet (${message || "no reason given"})${hint}`;
  }
  const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
  for (const s of statuses) {
    const waiting = s.state?.waiting;
    if (waiting?.reason && HOPELESS_WAITING.has(waiting.reason)) {
      const last = s.lastState?.terminated;
      const lastWords = last ? ` (last exit: ${last.reason ?? "code"} ${last.exitCode})` : "";
      const spec = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].find((c) => c.name === s.name);
      const advice = explainStartFailure(waiting.reason, waiting.message ?? "", last?.exitCode, spec);
      return `pod ${name}: container ${s.name} is ${waiting.reason}${lastWords}: ${(waiting.message ?? "").split("\n")[0].slice(0, 300)}${advice}`;
    }
    const terminated = s.state?.terminated ?? s.lastState?.terminated;
    if (terminated?.reason === "OOMKilled") {
      return `pod ${name}: container ${s.name} was OOMKilled: ${oomDetail(pod, s.name)}`;
    }
  }
  const unschedulable = pod.status?.conditions?.find((c) => c.type === "PodScheduled" && c.reason === "Unschedulable");
  const message = unschedulable?.message ?? "";
  // A selector or taint no node matches will not change; too little free CPU or memory can
  // (another grade's pods may be on their way out), so it counts only once it has lasted.
  const since = unschedulable?.lastTransitionTime ? new Date(unschedulable.lastTransitionTime).getTime() : now;
  if (unschedulable && (/didn't match|untolerated/i.test(message) || (/insufficient/i.test(message) && now - since >= UNSCHEDULABLE_GRACE_MS))) {
    return `pod ${name} cannot be scheduled: ${message}`;
  }
  return undefined;
}

/**
 * Why an OOM kill happened, in the spec's own terms: the memory limit, and the heap a
 * JVM was given through the environment (MAX_HEAP_SIZE, JAVA_OPTS -Xmx…) when there is one.
 */
function oomDetail(pod: V1Pod, container: string): string {
  const spec = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].find((c) => c.name === container);
  const limit = spec?.resources?.limits?.memory;
  const heap = (spec?.env ?? [])
    .filter((e) => e.value && (/HEAP/i.test(e.name) || /-Xmx/.test(e.value)))
    .map((e) => `${e.name}=${e.value}`);
  const used = limit ? `it used more memory than its limit, resources.limits.memory ${limit}` : "it used more memory than its limit";
  if (!heap.length) return used;
  return `${used}, with ${heap.join(", ")}. A JVM needs its whole heap plus off-heap memory (metaspace, threads, buffers) ` +
    "below the limit: lower the heap or raise the limit";
}

/** "web-1 Pending (ContainerCreating)" — what a pod is doing, for wait messages. */
export function describePod(pod: V1Pod): string {
  const name = pod.metadata?.name;
  if (pod.metadata?.deletionTimestamp) return `${name} terminating`;
  const waiting = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])]
    .map((s) => s.state?.waiting?.reason)
    .filter(Boolean);
  const unscheduled = pod.status?.conditions?.find((c) => c.type === "PodScheduled" && c.status === "False");
  const detail = waiting.length ? ` (${waiting.join(", ")})` : unscheduled ? ` (${unscheduled.message ?? "unscheduled"}${volumeNodeNote(unscheduled.message)})` : "";
  return `${name} ${pod.status?.phase ?? "Pending"}${isReady(pod) ? " Ready" : ""}${detail}`;
}

/**
 * On a cluster of several nodes with local volumes (the kit's, k3s's, kind's), a recreated pod
 * can run only on the node its volume was made on; the scheduler says "volume node affinity
 * conflict" for the others. What that means for the exercise, when the scheduler says it.
 */
export function volumeNodeNote(message: string | undefined): string {
  if (!message || !/volume node affinity conflict/i.test(message)) return "";
  return "; its claim's volume is a local volume, pinned to the node where it was first made: " +
    "the pod can only run on that node, and waits for room there — a recreated StatefulSet pod returns to its volume's node";
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
