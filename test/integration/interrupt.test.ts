/**
 * Ctrl-C during a grade, as a user presses it: the grade stops, removes what it made, and
 * ends with 130 — no score printed, no report file written (a grading system would read it
 * as a result), and no grading namespace left.
 */
import { CoreV1Api } from "@kubernetes/client-node";
import { expect } from "chai";
import { execa } from "execa";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PROJECT_ROOT } from "../../runner/config.ts";
import { sharedCluster } from "./hooks.ts";

async function liveGradingNamespaces(): Promise<string[]> {
  const core = sharedCluster().kubeConfig.makeApiClient(CoreV1Api);
  const list = await core.listNamespace({ labelSelector: "kubegrade.dev/exercise=web" });
  return list.items.filter((n) => !n.metadata?.deletionTimestamp).map((n) => n.metadata?.name ?? "");
}

describe("interrupted grade", function () {
  let dir: string;
  before(async function () {
    dir = await mkdtemp(join(tmpdir(), "kubegrade-interrupt-"));
    await writeFile(join(dir, "kubeconfig"), sharedCluster().kubeConfigYaml, { mode: 0o600 });
  });
  after(async function () {
    await rm(dir, { recursive: true, force: true });
  });

  for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143]] as const) {
    it(`${signal} while the checks run: exit ${code}, no score, no report file, no namespace left`, async function () {
      const before = await liveGradingNamespaces();
      const json = join(dir, `${signal}.json`);
      const junit = join(dir, `${signal}.xml`);
      const child = execa(process.execPath, [
        join(PROJECT_ROOT, "runner/cli.ts"), "grade", "web", join(PROJECT_ROOT, "fixtures/web/reference/submission"),
        "--kubeconfig", join(dir, "kubeconfig"), "--report", `json=${json},junit=${junit}`,
      ], {
        env: { ...process.env, CI: "true", NO_COLOR: "1", KUBEGRADE_CLUSTER: "kubeconfig" },
        reject: false,
        all: true,
        forceKillAfterDelay: false, // the grade's own cleanup is what is tested, not execa's SIGKILL
      });
      // Interrupt once a check is running (the pods of the submission exist by then).
      await new Promise<void>((resolve, reject) => {
        let seen = "";
        child.stderr?.on("data", (chunk: Buffer) => {
          seen += String(chunk);
          if (/ordered-creation/.test(seen)) resolve();
        });
        void child.then((r) => reject(new Error(`the grade ended before a check started: ${String(r.all)}`)));
      });
      const sent = performance.now();
      child.kill(signal);
      const result = await child;
      const took = performance.now() - sent;
      expect(result.exitCode, String(result.all)).to.equal(code);
      expect(String(result.stdout), "no score is printed").not.to.match(/Total|points|\d+\/100/);
      expect(String(result.stderr)).to.include(`interrupted by ${signal}: not graded, no report written`);
      expect(existsSync(json), "no JSON report").to.equal(false);
      expect(existsSync(junit), "no JUnit report").to.equal(false);
      expect(await liveGradingNamespaces(), "the grade's namespace is removed").to.deep.equal(before);
      expect(took, "it stops at once, not after the remaining checks").to.be.below(20_000);
    });
  }
});
