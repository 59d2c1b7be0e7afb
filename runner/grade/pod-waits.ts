/**
 * Waits on the student's pods with named deadlines, turning what the pods do into
 * assertions a student can act on: a certain failure at once (with a crashed container's
 * last words), or at the deadline what was last seen and why (readiness-probe failures).
 */
import type { CoreV1Api, V1Pod } from "@kubernetes/client-node";
import { AssertionError } from "chai";
import type { Verdict } from "../../checks/api.ts";
import { isReady } from "../kube/ready.ts";
import { describePod, podProblem } from "../kube/pods.ts";
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

/** Waits for the named pods to be Ready (not one of `notUids`); a student's fault becomes an assertion. */
export async function waitReady(scope: PodScope, names: string[], what: string, notUids: Set<string> = new Set()): Promise<Map<string, V1Pod>> {
  const { session, stsName } = scope;
  try {
    const pods = await waitForObjects<V1Pod>(session.kc, { ...PODS, namespace: session.namespace }, {
      what,
      deadlineMs: session.deadlines.podReadyMs,
      signal: session.signal,
      onPending: (detail) => session.onWait?.(detail),
      condition: (all) => allReady(all, names, notUids),
    });
    const ready = new Map(names.map((n) => [n, pods.get(n) as V1Pod]));
    await session.timeline.caughtUp(ready.values());
    return ready;
  } catch (error) {
    throw await waitAssertion(scope, error, {
      failed: ` Fix the pod template of StatefulSet ${stsName} (kubectl describe pod shows the same).`,
      deadline: async (e) =>
        `The pods of StatefulSet ${stsName} were not all Ready within ${Math.round(e.deadlineMs / 1000)} s: ${e.lastObserved}.${await probeFailures(scope, names)}`,
    });
  }
}

function allReady(all: Map<string, V1Pod>, names: string[], notUids: Set<string>): Verdict {
  const states: string[] = [];
  let ready = 0;
  for (const name of names) {
    const pod = all.get(name);
    if (!pod || notUids.has(pod.metadata?.uid ?? "")) {
      states.push(`${name} not created yet`);
      continue;
    }
    const problem = podProblem(pod);
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
  try {
    return await waitForObjects<V1Pod>(session.kc, { ...PODS, namespace: session.namespace }, {
      what,
      deadlineMs,
      signal: session.signal,
      onPending: (detail) => session.onWait?.(detail),
      condition: (pods) => {
        for (const pod of pods.values()) {
          if (pod.metadata?.name === PROBE_POD) continue;
          const problem = podProblem(pod);
          if (problem) return { fail: problem };
        }
        return condition(pods);
      },
    });
  } catch (error) {
    throw await waitAssertion(scope, error, {
      failed: "",
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
  says: { failed: string; deadline: (e: DeadlineError) => Promise<string> },
): Promise<unknown> {
  if (error instanceof ConditionFailed) {
    const problem = error.message.replace(/^[^:]+: /, "");
    return new AssertionError(`${problem}.${await lastWords(scope, problem)}${says.failed}`);
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
