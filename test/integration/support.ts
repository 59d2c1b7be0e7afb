import { CoreV1Api, type KubeConfig } from "@kubernetes/client-node";
import { execa } from "execa";
import { join } from "node:path";
import { LABELS, PROJECT_ROOT } from "../../runner/config.ts";
import { waitUntil } from "../../runner/util/wait.ts";

/** A namespace for one test file, labelled like the grader's, removed by the returned function. */
export async function freshNamespace(kc: KubeConfig, prefix: string): Promise<{ name: string; remove: () => Promise<void> }> {
  const core = kc.makeApiClient(CoreV1Api);
  const name = `${prefix}-${Math.random().toString(36).slice(2, 8)}`;
  await core.createNamespace({ body: { metadata: { name, labels: { [LABELS.managed]: "true" } } } });
  await waitUntil(`default ServiceAccount in ${name}`, 30_000, async () =>
    (await core.readNamespacedServiceAccount({ name: "default", namespace: name }).catch(() => undefined)) ? true : { pending: "not yet made" },
  );
  return {
    name,
    remove: async () => {
      await core.deleteNamespace({ name, gracePeriodSeconds: 0 }).catch(() => {});
    },
  };
}

/** The kubegrade command line in a child process, as a user runs it (never rejects). */
export function cli(args: string[], env: Record<string, string> = {}) {
  return execa(process.execPath, [join(PROJECT_ROOT, "runner/cli.ts"), ...args], {
    env: { ...process.env, CI: "true", NO_COLOR: "1", ...env },
    reject: false,
    all: true,
  });
}
