/**
 * The context every check receives (checks/api.ts CheckContext): the cluster seen from the
 * grading namespace, the exercise's parameters, the recorded timeline, and helpers whose
 * waits have named deadlines and turn what the student's objects do into assertions a
 * student can act on (pod-waits.ts, pod-actions.ts, check-exec.ts).
 */
import { AppsV1Api, CoreV1Api, type V1StatefulSet } from "@kubernetes/client-node";
import { AssertionError } from "chai";
import { setTimeout as delay } from "node:timers/promises";
import { answerOf, type CheckContext } from "../../checks/api.ts";
import { TIMEOUTS } from "../config.ts";
import { execInSubmission } from "./check-exec.ts";
import {
  MAX_PODS, beforeRecreateAll, deleteStatefulSet, observed, patchStatefulSet, reapplyStatefulSet, recreateAllOnce, recreatePods, scale,
  type StatefulSetScope,
} from "./pod-actions.ts";
import { waitReady, watchPods } from "./pod-waits.ts";
import { execInProbe } from "./probe.ts";
import type { GradeSession } from "./session.ts";

/** The context of one check: the exercise's parameters, then the check's own (both as placed for this cluster). */
export function createCheckContext<P>(session: GradeSession, checkId?: string): CheckContext<P> {
  const { kc, namespace } = session;
  const params = { ...session.params, ...(checkId ? session.checkParams.get(checkId) : {}) } as Record<string, unknown>;
  const scope: StatefulSetScope = {
    session,
    core: kc.makeApiClient(CoreV1Api),
    apps: kc.makeApiClient(AppsV1Api),
    stsName: String(params.statefulset ?? ""),
  };
  const { core, apps, stsName } = scope;

  const statefulSet = async (): Promise<V1StatefulSet | undefined> =>
    apps.readNamespacedStatefulSet({ name: stsName, namespace }).catch((error: { code?: number }) => {
      if (error?.code === 404) return undefined;
      throw error;
    });

  const serviceName = async (): Promise<string | undefined> => {
    if (typeof params.service === "string" && params.service) return params.service;
    const fromSet = (await statefulSet())?.spec?.serviceName;
    if (fromSet) return fromSet;
    const services = await core.listNamespacedService({ namespace });
    return services.items.length === 1 ? services.items[0].metadata?.name : undefined;
  };

  const podNames = async (): Promise<string[]> => {
    const sts = await statefulSet();
    const replicas = Math.min(Math.max(sts?.spec?.replicas ?? 1, 1), MAX_PODS);
    return Array.from({ length: replicas }, (_, i) => `${stsName}-${i}`);
  };

  const podsReady = () => {
    session.podsReady ??= podNames().then((names) => waitReady(scope, names, `pods of StatefulSet ${stsName} Ready`));
    return session.podsReady;
  };

  return {
    kc,
    core,
    apps,
    namespace,
    params: params as P,
    timeline: session.timeline,
    deadlines: session.deadlines,
    eventually: (_what, deadlineMs, attempt) => eventually(session, deadlineMs, attempt),
    exec: (pod, command, options) => execInSubmission(session, pod, command, options),
    probe: (command) => execInProbe(session, command),
    statefulSet,
    serviceName,
    podNames,
    podsReady,
    recreatePods: (names, label) => recreatePods(scope, names, label),
    beforeRecreateAll: (prepare) => beforeRecreateAll(scope, prepare),
    recreateAllOnce: () => recreateAllOnce(scope, podNames, podsReady),
    scale: (replicas) => scale(scope, replicas),
    patchStatefulSet: (patch, label, strategy) => patchStatefulSet(scope, patch, label, strategy),
    observed: () => observed(scope),
    waitForPods: (what, condition, deadlineMs) => watchPods(scope, what, condition, deadlineMs),
    deleteStatefulSet: (label) => deleteStatefulSet(scope, label),
    reapplyStatefulSet: (label) => reapplyStatefulSet(scope, label),
    step: (label) => session.timeline.mark(label),
  };
}

/** One wrong answer (assertAnswer) given by consecutive attempts of an eventually. */
export interface SameAnswer {
  answer: string;
  /** When it was first given (ms, performance.now()). */
  since: number;
  times: number;
}

/** The run of one answer after another attempt failed with `answer` (undefined: a failure that is no answer). */
export function repeated(same: SameAnswer | undefined, answer: string | undefined, now: number): SameAnswer | undefined {
  if (answer === undefined) return undefined;
  return answer === same?.answer ? { ...same, times: same.times + 1 } : { answer, since: now, times: 1 };
}

/** The same wrong answer long enough, and often enough, to be the answer: retrying stops. */
export function settled(same: SameAnswer | undefined, now: number): boolean {
  return !!same && same.times >= TIMEOUTS.stableAnswerTimes && now - same.since >= TIMEOUTS.stableAnswerMs;
}

/**
 * Retries an attempt whose assertion fails until the deadline, then throws its last failure;
 * at once when the same wrong answer (assertAnswer) has held long enough to be the answer.
 */
async function eventually<T>(session: GradeSession, deadlineMs: number, attempt: () => Promise<T>): Promise<T> {
  const started = performance.now();
  let wait = 200;
  let same: SameAnswer | undefined;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof AssertionError)) throw error;
      const now = performance.now();
      same = repeated(same, answerOf(error), now);
      if (settled(same, now)) throw error;
      if (now - started + wait > deadlineMs) throw error;
      session.signal?.throwIfAborted();
      await delay(wait);
      wait = Math.min(wait * 1.5, 1000);
    }
  }
}
