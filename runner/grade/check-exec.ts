/** Commands in the student's pods, as a check's context runs them (the probe's: probe.ts). */
import { AssertionError } from "chai";
import type { ExecResult } from "../../checks/api.ts";
import { execInPod } from "../kube/exec.ts";
import type { GradeSession } from "./session.ts";

const NO_FORK = /can'?t fork|cannot fork|resource temporarily unavailable/i;

/**
 * A command in one of the student's pods. When the pod cannot run it — the runtime refuses,
 * or the pod has no room left for a process (a fork bomb fills its pids limit) — that is
 * the student's pod's doing and becomes an assertion naming it, not an empty output some
 * check would misread.
 */
export async function execInSubmission(
  session: GradeSession,
  pod: string,
  command: string[],
  options: { container?: string } = {},
): Promise<ExecResult> {
  const { kc, namespace } = session;
  const result = await execInPod(kc, { namespace, pod, container: options.container }, command, { deadlineMs: session.deadlines.execMs });
  const trouble = result.failure ?? result.stderr.split("\n").find((l) => NO_FORK.test(l))?.trim();
  if (!trouble) return result;
  const what = `Could not run \`${command.join(" ").slice(0, 80)}\` in pod ${pod}`;
  if (NO_FORK.test(trouble)) {
    throw new AssertionError(
      `${what}: the pod has no room for another process (${NO_FORK.exec(trouble)?.[0]}) — its containers already run as many as a ` +
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
}
