/**
 * One cluster for the whole integration run (starting one per test would multiply the
 * suite's wall time). Setup runs first — it only checks when everything is built — so
 * `npm test` works on a fresh machine after `npm ci`.
 */
import type { Cluster } from "../../runner/cluster/index.ts";
import { obtainCluster } from "../../runner/cluster/index.ts";
import { setup } from "../../runner/setup/setup.ts";
import { createProgress } from "../../runner/util/progress.ts";

let shared: Cluster | undefined;
let startError: unknown;

export function sharedCluster(): Cluster {
  if (!shared) throw new Error(`the shared test cluster is not running: ${String(startError)}`);
  return shared;
}

export const mochaHooks = {
  async beforeAll(this: Mocha.Context) {
    this.timeout(30 * 60_000);
    const progress = createProgress({ env: { ...process.env, CI: "true" } });
    try {
      if (process.env.KUBEGRADE_TEST_SKIP_SETUP !== "1") await setup({ progress, kit: true });
      shared = await obtainCluster({ progress, provider: "kit" });
      progress.info(`Integration tests run on ${shared.description}, Kubernetes ${shared.kubernetesVersion}`);
    } catch (error) {
      startError = error;
      throw error;
    }
  },
  async afterAll(this: Mocha.Context) {
    this.timeout(120_000);
    await shared?.stop();
  },
};
