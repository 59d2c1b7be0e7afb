/**
 * Waits on the student's pods with named deadlines, turning what the pods do into
 * assertions a student can act on: a certain failure as soon as it is certain (the rule:
 * kube/certainty.ts; with a crashed container's last words), or at the deadline what was
 * last seen and why (readiness-probe failures).
 */
import { AppsV1Api, type CoreV1Api, type V1Pod } from "@kubernetes/client-node";
import { AssertionError } from "chai";
import type { Verdict } from "../../checks/api.ts";
import { certainPodFailure, createFailure, NOTHING_OBSERVED } from "../kube/certainty.ts";
import { isReady } from "../kube/ready.ts";
import { describePod } from "../kube/pods.ts";
import { explainProbeFailure } from "../kube/probe-advice.ts";
import { ConditionFailed, waitForObjects } from "../kube/watch.ts";
import { DeadlineError } from "../util/wait.ts";
import { PROBE_POD } from "./probe.ts";
import type { GradeSession } from "./session.ts";

/** What the waits of one check's context work on. */
export interface PodScope {
  session: GradeSession;
  core: CoreV1Api;
  /** The StatefulSet the exercise asks for. */
  stsName: string;
}

const PODS = { apiVersion: "v1", kind: "Pod", plural: "pods" } as const;

/** Which certain failure ended a wait, when its text carries its own fix (certainty.ts). */
interface Ending {
  ownFix: boolean;
}

/** What the waits re-read besides the pods: the namespace's events and claims, as observed now. */
function observing(scope: PodScope, ending: Ending) {
  const { observer } = scope.session;
  return {
    seen: () => observer?.snapshot() ?? NOTHING_OBSERVED,
    wake: observer ? (evaluate: () => void) => observer.onChange(evaluate) : undefined,
    /** A pod's certain failure, noting whether its text carries its own fix. */
    failure: (pod: V1Pod, seen = observer?.snapshot() ?? NOTHING_OBSERVED): string | undefined => {
      const certain = certainPodFailure(pod, seen);
      if (certain) ending.ownFix = certain.ownFix;
      return certain?.problem;
    },
  };
}

/** The StatefulSet the pods belong to, as it is now (its uid tells its events from an earlier one's). */
async function owner(scope: PodScope): Promise<{ name: string; uid?: string } | undefined> {
  const sts = await scope.session.kc.makeApiClient(AppsV1Api)
    .readNamespacedStatefulSet({ name: scope.stsName, namespace: scope.session.namespace })
    .catch(() => undefined);
  return sts ? { name: scope.stsName, uid: sts.metadata?.uid } : undefined;
}

/** Waits for the named pods to be Ready (not one of `notUids`); a student's fault becomes an assertion. */
export async function waitReady(scope: PodScope, names: string[], what: string, notUids: Set<string> = new Set()): Promise<Map<string, V1Pod>> {
  const { session, stsName } = scope;
  const ending: Ending = { ownFix: false };
  const watching = observing(scope, ending);
  try {
    const set = await owner(scope);
    const pods = await waitForObjects<V1Pod>(session.kc, { ...PODS, namespace: session.namespace }, {
      what,
      deadlineMs: session.deadlines.podReadyMs,
      signal: session.signal,
      onPending: (detail) => session.onWait?.(detail),
      wake: watching.wake,
      condition: (all) => {
        const seen = watching.seen();
        return allReady(all, names, notUids, {
          failure: (pod) => watching.failure(pod, seen),
          notMade: (name) => {
            const why = set && createFailure(name, set, seen);
            if (why) ending.ownFix = true;
            return why;
          },
        });
      },
    });
    const ready = new Map(names.map((n) => [n, pods.get(n) as V1Pod]));
    await session.timeline.caughtUp(ready.values());
    return ready;
  } catch (error) {
    throw await waitAssertion(scope, error, {
      failed: () => (ending.ownFix ? "" : ` Fix the pod template of StatefulSet ${stsName} (kubectl describe pod shows the same).`),
      deadline: async (e) =>
        `The pods of StatefulSet ${stsName} were not all Ready within ${Math.round(e.deadlineMs / 1000)} s: ${e.lastObserved}.${await probeFailures(scope, names)}`,
    });
  }
}

function allReady(
  all: Map<string, V1Pod>,
  names: string[],
  notUids: Set<string>,
  certain: { failure: (pod: V1Pod) => string | undefined; notMade: (name: string) => string | undefined },
): Verdict {
  const states: string[] = [];
  let ready = 0;
  for (const name of names) {
    const pod = all.get(name);
    if (!pod || notUids.has(pod.metadata?.uid ?? "")) {
      const why = certain.notMade(name);
      if (why) return { fail: why };
      states.push(`${name} not created yet`);
      continue;
    }
    const problem = certain.failure(pod);
    if (problem) return { fail: problem };
    if (isReady(pod) && !pod.metadata?.deletionTimestamp) ready++;
    else states.push(describePod(pod));
  }
  return ready === names.length ? true : { pending: `${ready}/${names.length} Ready; ${states.join("; ")}` };
}

/** Watches the namespace's pods until `condition` holds; any pod's certain failure ends it as an assertion. */
export async function watchPods(
  scope: PodScope,
  what: string,
  condition: (pods: Map<string, V1Pod>) => Verdict,
  deadlineMs = scope.session.deadlines.podReadyMs,
): Promise<Map<string, V1Pod>> {
  const { session } = scope;
  const watching = observing(scope, { ownFix: false });
  try {
    return await waitForObjects<V1Pod>(session.kc, { ...PODS, namespace: session.namespace }, {
      what,
      deadlineMs,
      signal: session.signal,
      onPending: (detail) => session.onWait?.(detail),
      wake: watching.wake,
      condition: (pods) => {
        const seen = watching.seen();
        for (const pod of pods.values()) {
          if (pod.metadata?.name === PROBE_POD) continue;
          const problem = watching.failure(pod, seen);
          if (problem) return { fail: problem };
        }
        return condition(pods);
      },
    });
  } catch (error) {
    throw await waitAssertion(scope, error, {
      failed: () => "",
      deadline: async (e) => `${what}: not reached within ${Math.round(e.deadlineMs / 1000)} s; last seen: ${e.lastObserved}.`,
    });
  }
}

/**
 * A wait that ended badly, as the student's feedback: a certain failure (with a crashed
 * container's last log lines, which usually say why) or the deadline. Anything else is
 * the grader's own error and is returned unchanged.
 */
async function waitAssertion(
  scope: PodScope,
  error: unknown,
  says: { failed: () => string; deadline: (e: DeadlineError) => Promise<string> },
): Promise<unknown> {
  if (error instanceof ConditionFailed) {
    const problem = error.message.replace(/^[^:]+: /, "");
    return new AssertionError(`${problem.replace(/\.$/, "")}.${await lastWords(scope, problem)}${says.failed()}`);
  }
  if (error instanceof DeadlineError) return new AssertionError(await says.deadline(error));
  return error;
}

/** "Its last log lines: …" for a container that crashed, from its previous run's log. */
async function lastWords(scope: PodScope, problem: string): Promise<string> {
  const crashed = /^pod (\S+): container (\S+) is CrashLoopBackOff/.exec(problem);
  if (!crashed) return "";
  const log = await scope.core
    .readNamespacedPodLog({ name: crashed[1], namespace: scope.session.namespace, container: crashed[2], previous: true, tailLines: 40 })
    .catch(() => "");
  const lines = String(log).split("\n").map((l) => l.trim()).filter(Boolean);
  // A JVM's last lines are often routine; the error that ended it is the line that says so.
  const errors = lines.filter((l) => /\b(ERROR|FATAL)\b|Exception\b/.test(l) && !/^\s*at /.test(l));
  const chosen = (errors.length ? errors.slice(-2) : lines.slice(-4)).map((l) => l.slice(0, 300));
  return chosen.length ? ` Its ${errors.length ? "last error" : "last log lines"}: ${chosen.map((l) => `"${l}"`).join(" ")}.` : "";
}

/** The last readiness-probe failure of each pod, from its events (kubelet reports them nowhere else). */
async function probeFailures(scope: PodScope, names: string[]): Promise<string> {
  const { core } = scope;
  const namespace = scope.session.namespace;
  const events = await core.listNamespacedEvent({ namespace, fieldSelector: "reason=Unhealthy" }).catch(() => undefined);
  // Only the pods as they are now: a pre-created namespace may hold a late event of an earlier grade's pod of the same name.
  const pods = await core.listNamespacedPod({ namespace }).catch(() => undefined);
  const uids = new Map((pods?.items ?? []).map((p) => [p.metadata?.name ?? "", p.metadata?.uid ?? ""]));
  const lines: string[] = [];
  for (const name of names) {
    const last = events?.items.filter((e) => e.involvedObject?.name === name && e.involvedObject?.uid === uids.get(name)).at(-1);
    const advice = last?.message && explainProbeFailure(pods?.items.find((p) => p.metadata?.name === name), last.message);
    if (last?.message) lines.push(` ${name}: ${last.message.split("\n")[0].slice(0, 200)} (${last.count ?? 1} times).${advice ? ` ${advice}` : ""}`);
  }
  return lines.length ? ` Probe failures:${lines.join("")}` : "";
}
