/**
 * The grader's probe pod (busybox:1.28), from which DNS and HTTP are checked: one per grade,
 * in a namespace of the grader's own (session.probeNamespace) that no identity of the
 * submission can reach. It resolves names as a pod of the grading namespace does (that
 * namespace's search domain is added to its own), and every command first makes sure it is
 * still the pod the grader made: an instrument deleted or replaced is the grader's failure,
 * never a verdict.
 */
import { CoreV1Api } from "@kubernetes/client-node";
import type { ExecResult } from "../../checks/api.ts";
import { GRADER_NAMES } from "../config.ts";
import { InfrastructureError } from "../errors.ts";
import { applyObjects } from "../kube/apply.ts";
import { execInPod } from "../kube/exec.ts";
import { waitForPodsReady } from "../kube/pods.ts";
import type { GradeSession } from "./session.ts";

export const PROBE_POD = GRADER_NAMES.probe;

/**
 * Starts the probe pod without waiting for it, so that it is up by the time the first DNS
 * check needs it (it starts beside the submission's pods, not after them).
 */
export function warmUpProbe(session: GradeSession): void {
  startProbe(session).catch(() => {
    // Reported by the check that needs the probe.
  });
}

/** The probe pod, Ready; made once per grade. Resolves to its uid. */
export function startProbe(session: GradeSession): Promise<string> {
  session.probe ??= makeProbe(session);
  return session.probe;
}

async function makeProbe(session: GradeSession): Promise<string> {
  const { kc, probeNamespace } = session;
  await applyObjects(kc, probeNamespace, [
    {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: PROBE_POD, labels: { "kubegrade.dev/probe": "true" } },
      spec: {
        terminationGracePeriodSeconds: 0,
        automountServiceAccountToken: false,
        // Short names resolve as from a pod of the grading namespace (the probe's own namespace holds no Service).
        ...(probeNamespace !== session.namespace ? { dnsConfig: { searches: [`${session.namespace}.svc.cluster.local`] } } : {}),
        containers: [{ name: "probe", image: "busybox:1.28", command: ["sleep", "3600"] }],
      },
    } as never,
  ]);
  try {
    const ready = await waitForPodsReady(kc, probeNamespace, [PROBE_POD], { deadlineMs: session.deadlines.probePodMs, what: "the grader's probe pod Ready" });
    return ready.get(PROBE_POD)?.metadata?.uid ?? "";
  } catch (error) {
    throw new InfrastructureError(`The grader's probe pod did not start: ${(error as Error).message}`);
  }
}

/** A command in the probe pod; the pod disturbed, or unable to run it, is the grader's failure. */
export async function execInProbe(session: GradeSession, command: string[]): Promise<ExecResult> {
  const uid = await startProbe(session);
  const now = await session.kc.makeApiClient(CoreV1Api).readNamespacedPod({ name: PROBE_POD, namespace: session.probeNamespace }).catch(() => undefined);
  if (now?.metadata?.uid !== uid || now.metadata?.deletionTimestamp) {
    throw new InfrastructureError(
      `the grader's probe pod ${session.probeNamespace}/${PROBE_POD} was ${now ? "replaced or is being deleted" : "deleted"} during the grade — ` +
        "something other than the grader changed its instrument, so no verdict that depends on it can be trusted",
    );
  }
  const result = await execInPod(session.kc, { namespace: session.probeNamespace, pod: PROBE_POD }, command, { deadlineMs: session.deadlines.execMs });
  if (result.failure) throw new InfrastructureError(`the grader's probe pod could not run \`${command.join(" ").slice(0, 80)}\`: ${result.failure}`);
  return result;
}
