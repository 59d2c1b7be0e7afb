/**
 * A fault of the cluster is never a grade: the grade's own node killed while a check runs
 * (as an out-of-memory kill or a Docker restart would) ends in exit 3, with no score and no
 * "not passed", the cause — the node's container exited, with its exit code — named once,
 * every report saying so in its own way, and nothing left behind.
 */
import { expect } from "chai";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dockerClient } from "../../runner/util/docker.ts";
import { LABELS, PROJECT_ROOT } from "../../runner/config.ts";
import type { GradeReport } from "../../runner/report/model.ts";
import { waitUntil } from "../../runner/util/wait.ts";
import { cli } from "./support.ts";

const REFERENCE = join(PROJECT_ROOT, "fixtures/web/reference/submission");

/** The node containers a process started (its owner label). */
async function containersOf(pid: number): Promise<string[]> {
  const { client } = await dockerClient();
  const list = await client.container.dockerode.listContainers({ all: true, filters: { label: [`${LABELS.ownerPid}=${pid}`] } });
  return list.map((c) => c.Id);
}

/** Runs a grade that starts its own node and does `fault` to that node once `when` shows in its progress. */
async function gradeWithFault(when: RegExp, fault: (containerId: string) => Promise<void>, args: string[]) {
  const child = cli(["grade", "web", REFERENCE, "--cluster", "kit", ...args]);
  const pid = child.pid!;
  let done = false;
  const injected = new Promise<string>((resolve, reject) => {
    let seen = "";
    child.all?.on("data", (chunk: Buffer) => {
      seen += String(chunk);
      if (done || !when.test(seen)) return;
      done = true;
      containersOf(pid).then(async ([id]) => {
        if (!id) throw new Error("the grade's node container is not there");
        await fault(id);
        resolve(id);
      }).catch(reject);
    });
  });
  const result = await child;
  expect(done, `the fault was never injected: ${String(result.all).slice(-2000)}`).to.equal(true);
  return { result, id: await injected, pid };
}

describe("faults of the cluster are never grades", function () {
  let dir: string;
  before(async function () {
    dir = await mkdtemp(join(tmpdir(), "kubegrade-faults-"));
  });
  after(async function () {
    await rm(dir, { recursive: true, force: true });
  });

  it("the node killed while ordered-creation runs: exit 3, no score, the cause named once, every report an error, nothing left", async function () {
    const json = join(dir, "killed.json");
    const junit = join(dir, "killed.xml");
    const gradescope = join(dir, "killed-gradescope.json");
    const { result, pid } = await gradeWithFault(/ordered-creation: Pods are created in order/, async (id) => {
      const { client } = await dockerClient();
      await client.container.dockerode.getContainer(id).kill({ signal: "SIGKILL" });
    }, ["--report", `json=${json},junit=${junit},gradescope=${gradescope}`]);
    const all = String(result.all);
    expect(result.exitCode, all.slice(-3000)).to.equal(3);
    expect(String(result.stdout), "a score was printed").to.not.match(/Total:|points|not passed/);
    expect(String(result.stderr)).to.match(/not graded — the grader or the cluster failed \(not your submission's fault\): the node's container \w+ exited while the grade ran \(exit code 137/);
    expect(all.match(/exited while the grade ran/g), "the cause said more than once").to.have.length(1);
    expect(all, "cleanup problems repeat the cause").to.not.include("Cleanup problems");

    const report = JSON.parse(await readFile(json, "utf8")) as GradeReport;
    expect(report.infrastructureError).to.match(/exited while the grade ran \(exit code 137/);
    expect([report.score, report.passed]).to.deep.equal([0, false]);
    expect(report.checks.every((c) => c.status === "error"), report.checks.map((c) => `${c.id}=${c.status}`).join(" ")).to.equal(true);
    expect(await readFile(junit, "utf8")).to.match(/<error [^>]*type="infrastructure"/);
    const scored = JSON.parse(await readFile(gradescope, "utf8")) as { score?: number; output?: string };
    expect(scored.output).to.include("The grader failed");

    await waitUntil("the killed grade's node container removed", 60_000, async () => {
      const left = await containersOf(pid);
      return left.length ? { pending: `${left.length} container(s) of pid ${pid} still there` } : true;
    });
  });
});
