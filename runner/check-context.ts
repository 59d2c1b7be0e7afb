/**
 * The context every check receives: the cluster seen from the grading namespace, the
 * recorded timeline, and helpers whose waits have named deadlines and turn what the
 * student's objects do into assertions a student can act on.
 */
import {
  AppsV1Api, CoreV1Api, PatchStrategy, setHeaderOptions,
  type KubeConfig, type KubernetesObject, type V1Pod, type V1StatefulSet,
} from "@kubernetes/client-node";
import { AssertionError } from "chai";
import { setTimeout as delay } from "node:timers/promises";
import type { CheckContext, Deadlines, ExecResult, Verdict } from "../checks/api.ts";
import { TIMEOUTS } from "./config.ts";
import { InfrastructureError } from "./errors.ts";
import { execInPod } from "./kube/exec.ts";
import { isReady } from "./kube/ready.ts";
import { describePod, podProblem, waitForPodsReady } from "./kube/pods.ts";
import { explainProbeFailure } from "./kube/probe-advice.ts";
import { ConditionFailed, waitForObjects } from "./kube/watch.ts";
import { applyObjects } from "./kube/apply.ts";
import { placeKitOnlyParams } from "./images/names.ts";
import type { Recorder } from "./recorder.ts";
import { DeadlineError, waitUntil } from "./util/wait.ts";

export const PROBE_POD = "kubegrade-probe";
const MAX_PODS = 10;

export interface GradeSession {
  kc: KubeConfig;
  namespace: string;
  params: Record<string, unknown>;
  timeline: Recorder;
  deadlines: Deadlines & { execMs: number; probePodMs: number };
  /** Shared between checks: memoized waits and once-per-grade steps. */
  memo: Map<string, Promise<unknown>>;
  /** Registered by checks through beforeRecreateAll; run by the first recreateAllOnce. */
  recreationHooks?: RecreationHook[];
  signal?: AbortSignal;
  /** Told what a long wait is waiting for ("1/3 Ready; cassandra-1 Running"), for progress. */
  onWait?: (detail: string) => void;
  /** The submission as applied, and the namespace-confined identity it was applied as. */
  submission?: { objects: KubernetesObject[]; submitter: KubeConfig };
  /** --image-registry: kit-only images in the checks' parameters run from this registry. */
  imageRegistry?: string;
}

interface RecreationHook {
  prepare: () => Promise<unknown>;
  result?: Promise<unknown>;
}

/** The grade's beforeRecreateAll hooks, in the order checks registered them. */
function recreationHooks(session: GradeSession): RecreationHook[] {
  let hooks = session.recreationHooks;
  if (!hooks) session.recreationHooks = hooks = [];
  return hooks;
}

function once<T>(session: GradeSession, key: string, make: () => Promise<T>): Promise<T> {
  let value = session.memo.get(key) as Promise<T> | undefined;
  if (!value) {
    value = make();
    session.memo.set(key, value);
  }
  return value;
}

/**
 * Starts the grader's probe pod without waiting for it, so that it is up by the time the
 * first DNS check needs it (it starts beside the submission's pods, not after them).
 */
export function warmUpProbe(session: GradeSession): void {
  startProbe(session).catch(() => {
    // Reported by the check that needs the probe.
  });
}

/** The probe pod (busybox:1.28) in the grading namespace, Ready; made once per grade. */
function startProbe(session: GradeSession): Promise<void> {
  const { kc, namespace } = session;
  return once(session, "probe", async () => {
      await applyObjects(kc, namespace, [
        {
          apiVersion: "v1",
          kind: "Pod",
          metadata: { name: PROBE_POD, labels: { "kubegrade.dev/probe": "true" } },
          spec: {
            terminationGracePeriodSeconds: 0,
            automountServiceAccountToken: false,
            containers: [{ name: "probe", image: "busybox:1.28", command: ["sleep", "3600"] }],
          },
        } as never,
      ]);
      try {
        await waitForPodsReady(kc, namespace, [PROBE_POD], { deadlineMs: session.deadlines.probePodMs, what: "the grader's probe pod Ready" });
      } catch (error) {
        throw new InfrastructureError(`The grader's probe pod did not start: ${(error as Error).message}`);
      }
    });
}

export function createCheckContext<P>(session: GradeSession, checkParams: Record<string, unknown> = {}): CheckContext<P> {
  const { kc, namespace } = session;
  const core = kc.makeApiClient(CoreV1Api);
  const apps = kc.makeApiClient(AppsV1Api);
  const merged = { ...session.params, ...checkParams };
  const params = (session.imageRegistry ? placeKitOnlyParams(merged, session.imageRegistry).params : merged) as Record<string, unknown>;
  const stsName = String(params.statefulset ?? "");

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

  /** Waits for the named pods to be Ready; a student's fault becomes an assertion. */
  const waitReady = async (names: string[], what: string, notUids: Set<string> = new Set()): Promise<Map<string, V1Pod>> => {
    try {
      const pods = await waitForObjects<V1Pod>(kc, { apiVersion: "v1", kind: "Pod", plural: "pods", namespace }, {
        what,
        deadlineMs: session.deadlines.podReadyMs,
        signal: session.signal,
        onPending: (detail) => session.onWait?.(detail),
        condition: (all) => {
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
        },
      });
      const ready = new Map(names.map((n) => [n, pods.get(n) as V1Pod]));
      await session.timeline.caughtUp(ready.values());
      return ready;
    } catch (error) {
      throw await waitAssertion(error, {
        failed: ` Fix the pod template of StatefulSet ${stsName} (kubectl describe pod shows the same).`,
        deadline: async (e) =>
          `The pods of StatefulSet ${stsName} were not all Ready within ${Math.round(e.deadlineMs / 1000)} s: ${e.lastObserved}.${await probeFailures(names)}`,
      });
    }
  };

  /**
   * A wait that ended badly, as the student's feedback: a certain failure (with a crashed
   * container's last log lines, which usually say why) or the deadline. Anything else is
   * the grader's own error and is returned unchanged.
   */
  const waitAssertion = async (
    error: unknown,
    says: { failed: string; deadline: (e: DeadlineError) => Promise<string> },
  ): Promise<unknown> => {
    if (error instanceof ConditionFailed) {
      const problem = error.message.replace(/^[^:]+: /, "");
      return new AssertionError(`${problem}.${await lastWords(problem)}${says.failed}`);
    }
    if (error instanceof DeadlineError) return new AssertionError(await says.deadline(error));
    return error;
  };

  /** "Its last log lines: …" for a container that crashed, from its previous run's log. */
  const lastWords = async (problem: string): Promise<string> => {
    const crashed = /^pod (\S+): container (\S+) is CrashLoopBackOff/.exec(problem);
    if (!crashed) return "";
    const log = await core
      .readNamespacedPodLog({ name: crashed[1], namespace, container: crashed[2], previous: true, tailLines: 40 })
      .catch(() => "");
    const lines = String(log).split("\n").map((l) => l.trim()).filter(Boolean);
    // A JVM's last lines are often routine; the error that ended it is the line that says so.
    const errors = lines.filter((l) => /\b(ERROR|FATAL)\b|Exception\b/.test(l) && !/^\s*at /.test(l));
    const chosen = (errors.length ? errors.slice(-2) : lines.slice(-4)).map((l) => l.slice(0, 300));
    return chosen.length ? ` Its ${errors.length ? "last error" : "last log lines"}: ${chosen.map((l) => `"${l}"`).join(" ")}.` : "";
  };

  /** The last readiness-probe failure of each pod, from its events (kubelet reports them nowhere else). */
  const probeFailures = async (names: string[]): Promise<string> => {
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
  };

  const podsReady = () =>
    once(session, "pods-ready", async () => waitReady(await podNames(), `pods of StatefulSet ${stsName} Ready`));

  const step = (label: string) => session.timeline.mark(label);

  const recreatePods = async (names: string[], label: string) => {
    const before = new Map<string, V1Pod>();
    for (const name of names) before.set(name, await core.readNamespacedPod({ name, namespace }));
    step(label);
    for (const name of names) {
      await core.deleteNamespacedPod({ name, namespace, gracePeriodSeconds: 1 });
    }
    const oldUids = new Set([...before.values()].map((p) => p.metadata?.uid ?? ""));
    // Later checks see the pods as they come back — or, if they do not, why not — never the
    // pods that were just deleted.
    const recreated = waitReady(names, `${names.join(", ")} recreated and Ready`, oldUids);
    recreated.catch(() => {}); // awaited below and by later checks
    session.memo.set("pods-ready", recreated);
    const after = await recreated;
    return { before, after };
  };

  const ensureProbe = () => startProbe(session);

  /**
   * A command in one of the student's pods. When the pod cannot run it — the runtime refuses,
   * or the pod has no room left for a process (a fork bomb fills its pids limit) — that is
   * the student's pod's doing and becomes an assertion naming it, not an empty output some
   * check would misread.
   */
  const exec = async (pod: string, command: string[], options: { container?: string } = {}): Promise<ExecResult> => {
    const result = await execInPod(kc, { namespace, pod, container: options.container }, command, { deadlineMs: session.deadlines.execMs });
    if (pod === PROBE_POD) return result;
    const noFork = /can'?t fork|cannot fork|resource temporarily unavailable/i;
    const trouble = result.failure ?? result.stderr.split("\n").find((l) => noFork.test(l))?.trim();
    if (!trouble) return result;
    const what = `Could not run \`${command.join(" ").slice(0, 80)}\` in pod ${pod}`;
    if (noFork.test(trouble)) {
      throw new AssertionError(
        `${what}: the pod has no room for another process (${noFork.exec(trouble)?.[0]}) — its containers already run as many as a ` +
          "pod may (the node's pids limit per pod); a container that keeps starting processes, such as a fork bomb, does that.",
      );
    }
    const runtime = /OCI runtime exec failed: (.*)$/.exec(trouble);
    if (runtime) {
      throw new AssertionError(
        `${what}: the container runtime could not start it (${runtime[1].slice(0, 200)}) — the pod's processes may have reached ` +
          "the pids limit per pod (a container that keeps starting processes, such as a fork bomb, does that), or the container is stopping.",
      );
    }
    throw new AssertionError(`${what}: ${trouble.slice(-300)}.`);
  };

  const podsWatch = async (what: string, condition: (pods: Map<string, V1Pod>) => Verdict, deadlineMs = session.deadlines.podReadyMs) => {
    try {
      return await waitForObjects<V1Pod>(kc, { apiVersion: "v1", kind: "Pod", plural: "pods", namespace }, {
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
      throw await waitAssertion(error, {
        failed: "",
        deadline: async (e) => `${what}: not reached within ${Math.round(e.deadlineMs / 1000)} s; last seen: ${e.lastObserved}.`,
      });
    }
  };

  const observed = async (): Promise<V1StatefulSet> => {
    let latest: V1StatefulSet | undefined;
    await waitUntilObserved(async () => {
      latest = await apps.readNamespacedStatefulSet({ name: stsName, namespace });
      return (latest.status?.observedGeneration ?? 0) >= (latest.metadata?.generation ?? 0);
    });
    return latest as V1StatefulSet;
  };

  const waitUntilObserved = async (probe: () => Promise<boolean>) => {
    await waitUntil(`StatefulSet ${stsName} observed by its controller`, TIMEOUTS.controllerObservedMs, async () =>
      (await probe()) ? true : { pending: "status.observedGeneration behind metadata.generation" },
    );
  };

  const patchStatefulSet = async (patch: object, label: string, strategy: "merge" | "strategic" = "merge") => {
    step(label);
    return apps.patchNamespacedStatefulSet(
      { name: stsName, namespace, body: patch },
      setHeaderOptions("Content-Type", strategy === "merge" ? PatchStrategy.MergePatch : PatchStrategy.StrategicMergePatch),
    );
  };

  const ordinalPods = (pods: Map<string, V1Pod>) =>
    [...pods.values()].filter((p) => new RegExp(`^${stsName}-\\d+$`).test(p.metadata?.name ?? ""));

  const scale = async (replicas: number) => {
    await patchStatefulSet({ spec: { replicas } }, `scaled ${stsName} to ${replicas}`);
    const wanted = Array.from({ length: replicas }, (_, i) => `${stsName}-${i}`);
    const scaled = podsWatch(`StatefulSet ${stsName} scaled to ${replicas}`, (pods) => {
      const extra = ordinalPods(pods).map((p) => p.metadata?.name ?? "").filter((n) => !wanted.includes(n));
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
    session.memo.set("pods-ready", ready);
    await ready;
  };

  const deleteStatefulSet = async (label: string) => {
    step(label);
    await apps.deleteNamespacedStatefulSet({ name: stsName, namespace, propagationPolicy: "Background" });
    await podsWatch(`pods of ${stsName} gone after it was deleted`, (pods) => {
      const left = ordinalPods(pods).map((p) => p.metadata?.name ?? "");
      return left.length ? { pending: `${left.join(", ")} still there` } : true;
    });
    session.memo.delete("pods-ready");
  };

  const reapplyStatefulSet = async (label: string) => {
    const object = session.submission?.objects.find((o) => o.kind === "StatefulSet" && o.metadata?.name === stsName);
    if (!object || !session.submission) throw new Error(`the submitted StatefulSet ${stsName} is not known to the grader`);
    step(label);
    await applyObjects(session.submission.submitter, namespace, [object]);
    session.memo.delete("pods-ready");
  };

  return {
    kc,
    core,
    apps,
    namespace,
    params: params as P,
    timeline: session.timeline,
    deadlines: session.deadlines,
    async eventually<T>(_what: string, deadlineMs: number, attempt: () => Promise<T>): Promise<T> {
      const started = performance.now();
      let wait = 200;
      for (;;) {
        try {
          return await attempt();
        } catch (error) {
          if (!(error instanceof AssertionError)) throw error;
          if (performance.now() - started + wait > deadlineMs) throw error;
          session.signal?.throwIfAborted();
          await delay(wait);
          wait = Math.min(wait * 1.5, 1000);
        }
      }
    },
    exec,
    async probe(command) {
      await ensureProbe();
      return exec(PROBE_POD, command);
    },
    statefulSet,
    serviceName,
    podNames,
    podsReady,
    recreatePods,
    beforeRecreateAll<T>(prepare: () => Promise<T>) {
      const hook: RecreationHook = { prepare };
      recreationHooks(session).push(hook);
      return () => hook.result ? (hook.result as Promise<T>) : Promise.reject(new Error(
        "beforeRecreateAll: the recreation has not happened yet (await ctx.recreateAllOnce() first)",
      ));
    },
    recreateAllOnce: () =>
      once(session, "recreate-all", async () => {
        const names = await podNames();
        await podsReady();
        // What checks asked to do before the pods go (data-persistence writes its file);
        // their failures are theirs, reported by the check that registered them.
        for (const hook of recreationHooks(session)) {
          hook.result = hook.prepare();
          hook.result.catch(() => {});
          await hook.result.catch(() => {});
        }
        return recreatePods(names, `deleted every pod of ${stsName}`);
      }),
    scale,
    patchStatefulSet,
    observed,
    waitForPods: podsWatch,
    deleteStatefulSet,
    reapplyStatefulSet,
    step,
  };
}
