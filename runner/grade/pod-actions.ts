/**
 * What destructive checks do to the student's StatefulSet — delete and recreate pods, scale,
 * patch, delete and re-apply it — each marked on the timeline, and each leaving the
 * session's answer about the pods as the pods now are (or why they are not Ready).
 */
import { PatchStrategy, setHeaderOptions, type AppsV1Api, type V1Pod, type V1StatefulSet } from "@kubernetes/client-node";
import { isReady } from "../kube/ready.ts";
import { TIMEOUTS } from "../config.ts";
import { applyObjects } from "../kube/apply.ts";
import { describePod } from "../kube/pods.ts";
import { waitUntil } from "../util/wait.ts";
import { waitReady, watchPods, type PodScope } from "./pod-waits.ts";
import type { Recreation } from "./session.ts";

export interface StatefulSetScope extends PodScope {
  apps: AppsV1Api;
}

/** At most this many ordinals are looked at (a hostile replica count waits for no more). */
export const MAX_PODS = 10;

const mark = (scope: PodScope, label: string) => scope.session.timeline.mark(label);

export async function recreatePods(scope: StatefulSetScope, names: string[], label: string): Promise<Recreation> {
  const { core, session } = scope;
  const { namespace } = session;
  const before = new Map<string, V1Pod>();
  for (const name of names) before.set(name, await core.readNamespacedPod({ name, namespace }));
  mark(scope, label);
  for (const name of names) await core.deleteNamespacedPod({ name, namespace, gracePeriodSeconds: 1 });
  const oldUids = new Set([...before.values()].map((p) => p.metadata?.uid ?? ""));
  // Later checks see the pods as they come back — or, if they do not, why not — never the
  // pods that were just deleted.
  const recreated = waitReady(scope, names, `${names.join(", ")} recreated and Ready`, oldUids);
  recreated.catch(() => {}); // awaited below and by later checks
  session.podsReady = recreated;
  return { before, after: await recreated };
}

export function patchStatefulSet(scope: StatefulSetScope, patch: object, label: string, strategy: "merge" | "strategic" = "merge"): Promise<V1StatefulSet> {
  mark(scope, label);
  return scope.apps.patchNamespacedStatefulSet(
    { name: scope.stsName, namespace: scope.session.namespace, body: patch },
    setHeaderOptions("Content-Type", strategy === "merge" ? PatchStrategy.MergePatch : PatchStrategy.StrategicMergePatch),
  );
}

/** The StatefulSet once its controller has seen its latest generation. */
export async function observed(scope: StatefulSetScope): Promise<V1StatefulSet> {
  let latest: V1StatefulSet | undefined;
  await waitUntil(`StatefulSet ${scope.stsName} observed by its controller`, TIMEOUTS.controllerObservedMs, async () => {
    latest = await scope.apps.readNamespacedStatefulSet({ name: scope.stsName, namespace: scope.session.namespace });
    return (latest.status?.observedGeneration ?? 0) >= (latest.metadata?.generation ?? 0)
      ? true
      : { pending: "status.observedGeneration behind metadata.generation" };
  });
  return latest as V1StatefulSet;
}

const ordinalPods = (scope: PodScope, pods: Map<string, V1Pod>) =>
  [...pods.values()].filter((p) => new RegExp(`^${scope.stsName}-\\d+$`).test(p.metadata?.name ?? ""));

export async function scale(scope: StatefulSetScope, replicas: number): Promise<void> {
  const { stsName, session } = scope;
  await patchStatefulSet(scope, { spec: { replicas } }, `scaled ${stsName} to ${replicas}`);
  const wanted = Array.from({ length: replicas }, (_, i) => `${stsName}-${i}`);
  const scaled = watchPods(scope, `StatefulSet ${stsName} scaled to ${replicas}`, (pods) => {
    const extra = ordinalPods(scope, pods).map((p) => p.metadata?.name ?? "").filter((n) => !wanted.includes(n));
    const notReady = wanted.filter((n) => {
      const pod = pods.get(n);
      return !pod || !isReady(pod) || !!pod.metadata?.deletionTimestamp;
    });
    if (!extra.length && !notReady.length) return true;
    return { pending: [...notReady.map((n) => (pods.get(n) ? describePod(pods.get(n)!) : `${n} not created`)), ...extra.map((n) => `${n} still there`)].join("; ") };
  });
  const ready = scaled.then(async (pods) => {
    const kept = new Map(wanted.map((n) => [n, pods.get(n) as V1Pod]));
    const removed = Array.from({ length: MAX_PODS }, (_, i) => `${stsName}-${i}`).filter((n) => !wanted.includes(n));
    await session.timeline.caughtUp(kept.values(), removed);
    return kept;
  });
  ready.catch(() => {}); // awaited below and by later checks
  session.podsReady = ready;
  await ready;
}

export async function deleteStatefulSet(scope: StatefulSetScope, label: string): Promise<void> {
  const { stsName, session } = scope;
  mark(scope, label);
  await scope.apps.deleteNamespacedStatefulSet({ name: stsName, namespace: session.namespace, propagationPolicy: "Background" });
  await watchPods(scope, `pods of ${stsName} gone after it was deleted`, (pods) => {
    const left = ordinalPods(scope, pods).map((p) => p.metadata?.name ?? "");
    return left.length ? { pending: `${left.join(", ")} still there` } : true;
  });
  session.podsReady = undefined;
}

/** The StatefulSet as submitted, applied again as the student's identity. */
export async function reapplyStatefulSet(scope: StatefulSetScope, label: string): Promise<void> {
  const { stsName, session } = scope;
  const object = session.submission.objects.find((o) => o.kind === "StatefulSet" && o.metadata?.name === stsName);
  if (!object) throw new Error(`the submitted StatefulSet ${stsName} is not known to the grader`);
  mark(scope, label);
  await session.submission.asSubmitter((submitter) => applyObjects(submitter, session.namespace, [object]));
  session.podsReady = undefined;
}

/**
 * Every pod deleted and recreated, once per grade, for all the checks that observe it; what
 * checks asked to do before (beforeRecreateAll: data-persistence writes its file) runs first.
 */
export function recreateAllOnce(scope: StatefulSetScope, podNames: () => Promise<string[]>, podsReady: () => Promise<unknown>): Promise<Recreation> {
  const { session } = scope;
  session.recreateAll ??= (async () => {
    const names = await podNames();
    await podsReady();
    // The hooks' failures are theirs, reported by the check that registered them.
    for (const hook of session.recreationHooks) {
      hook.result = hook.prepare();
      hook.result.catch(() => {});
      await hook.result.catch(() => {});
    }
    return recreatePods(scope, names, `deleted every pod of ${scope.stsName}`);
  })();
  return session.recreateAll;
}

/** Registers what to do before every pod is recreated; the returned function gives its result once it has run. */
export function beforeRecreateAll<T>(scope: PodScope, prepare: () => Promise<T>): () => Promise<T> {
  const hook: { prepare: () => Promise<unknown>; result?: Promise<unknown> } = { prepare };
  scope.session.recreationHooks.push(hook);
  return () => hook.result ? (hook.result as Promise<T>) : Promise.reject(new Error(
    "beforeRecreateAll: the recreation has not happened yet (await ctx.recreateAllOnce() first)",
  ));
}
