import { Exec, type KubeConfig, type V1Status } from "@kubernetes/client-node";
import { PassThrough } from "node:stream";
import type { ExecResult } from "../../checks/api.ts";
import { DeadlineError } from "../util/wait.ts";


/** Runs a command in a pod's container and collects its output and exit code. */
export async function execInPod(
  kc: KubeConfig,
  target: { namespace: string; pod: string; container?: string },
  command: string[],
  options: { deadlineMs: number; stdin?: string },
): Promise<ExecResult> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on("data", (c: Buffer) => out.push(c));
  stderr.on("data", (c: Buffer) => err.push(c));
  let stdin: PassThrough | null = null;
  if (options.stdin !== undefined) {
    stdin = new PassThrough();
    stdin.end(options.stdin);
  }
  let container = target.container;
  if (!container) {
    const { CoreV1Api } = await import("@kubernetes/client-node");
    const pod = await kc.makeApiClient(CoreV1Api).readNamespacedPod({ name: target.pod, namespace: target.namespace });
    container = pod.spec?.containers[0]?.name ?? "";
  }
  return new Promise<ExecResult>((resolve, reject) => {
    let settled = false;
    const finish = (status: V1Status | undefined, error?: unknown) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) return reject(error);
      resolve({
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
        exitCode: exitCodeOf(status),
        ...(status?.status === "Failure" && !status.details?.causes?.some((c) => c.reason === "ExitCode")
          ? { failure: (status.message ?? status.reason ?? "exec failed").split("\n")[0].slice(0, 2000) }
          : {}),
      });
    };
    const timer = setTimeout(() => {
      socketPromise.then((ws) => ws.close()).catch(() => {});
      finish(undefined, new DeadlineError(`exec ${command.join(" ")} in ${target.pod}`, options.deadlineMs, `output so far: ${Buffer.concat(out).toString("utf8").slice(-200) || "(none)"}`));
    }, options.deadlineMs);
    const socketPromise = new Exec(kc).exec(
      target.namespace,
      target.pod,
      container ?? "",
      command,
      stdout,
      stderr,
      stdin,
      false,
      (status) => {
        // The status arrives before the last output frames may have been written.
        setImmediate(() => finish(status));
      },
    );
    socketPromise
      .then((ws) => {
        ws.on("close", () => setImmediate(() => finish({ status: "Success" } as V1Status)));
        ws.on("error", (e: Error) => finish(undefined, e));
      })
      .catch((e: unknown) => finish(undefined, e));
  });
}

function exitCodeOf(status: V1Status | undefined): number {
  if (!status || status.status === "Success") return 0;
  const cause = status.details?.causes?.find((c) => c.reason === "ExitCode");
  if (cause?.message) return Number(cause.message);
  return 1;
}
