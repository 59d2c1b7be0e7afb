/** The grader's probe pod (busybox:1.28), from which DNS and HTTP are checked: one per grade. */
import { InfrastructureError } from "../errors.ts";
import { applyObjects } from "../kube/apply.ts";
import { waitForPodsReady } from "../kube/pods.ts";
import type { GradeSession } from "./session.ts";

export const PROBE_POD = "kubegrade-probe";

/**
 * Starts the probe pod without waiting for it, so that it is up by the time the first DNS
 * check needs it (it starts beside the submission's pods, not after them).
 */
export function warmUpProbe(session: GradeSession): void {
  startProbe(session).catch(() => {
    // Reported by the check that needs the probe.
  });
}

/** The probe pod in the grading namespace, Ready; made once per grade. */
export function startProbe(session: GradeSession): Promise<void> {
  session.probe ??= makeProbe(session);
  return session.probe;
}

async function makeProbe(session: GradeSession): Promise<void> {
  const { kc, namespace } = session;
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
}
