/**
 * A fault of the cluster is never a grade: the grade's own node killed while a check runs
 * (as an out-of-memory kill or a Docker restart would) ends in exit 3, with no score and no
 * "not passed", the cause — the node's container exited, with its exit code — named once,
 * every report saying so in its own way, and nothing left behind; so do a node paused past the
 * grade's budget and a node whose disk filled up. A batch whose node is
 * killed under it starts another and grades again there what the dead one held.
 */
import { expect } from "chai";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readGradebook } from "../../runner/batch/gradebook.ts";
import { loadExercise } from "../../runner/exercise.ts";
import { dockerClient } from "../../runner/util/docker.ts";
import { LABELS, PROJECT_ROOT } from "../../runner/config.ts";
import type { GradeReport } from "../../runner/report/model.ts";
import { waitUntil } from "../../runner/util/wait.ts";
import { cli } from "./support.ts";

const REFERENCE = join(PROJECT_ROOT, "fixtures/web/reference/submission");
const fixture = (name: string) => join(PROJECT_ROOT, `fixtures/web/${name}/submission`);

/** The node containers a process started (its owner label). */
async function containersOf(pid: number): Promise<string[]> {
  const { client } = await dockerClient();
  const list = await client.container.dockerode.listContainers({ all: true, filters: { label: [`${LABELS.ownerPid}=${pid}`] } });
  return list.map((c) => c.Id);
}

async function kill(containerId: string): Promise<void> {
  const { client } = await dockerClient();
  await client.container.dockerode.getContainer(containerId).kill({ signal: "SIGKILL" });
}

/** Runs a command that starts its own node and does `fault` to that node once `when` shows in its progress. */
async function withFault(args: string[], when: RegExp, fault: (containerId: string) => Promise<void>) {
  const child = cli(args);
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

/** Runs a grade that starts its own node and does `fault` to that node once `when` shows in its progress. */
function gradeWithFault(when: RegExp, fault: (containerId: string) => Promise<void>, args: string[]) {
  return withFault(["grade", "web", REFERENCE, "--cluster", "kit", ...args], when, fault);
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
    const { result, pid } = await gradeWithFault(/ordered-creation: Pods are created in order/, kill, ["--report", `json=${json},junit=${junit},gradescope=${gradescope}`]);
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
    expect(JSON.stringify(report).match(/exited while the grade ran/g), "the report says the cause once").to.have.length(1);
    expect(await readFile(junit, "utf8")).to.match(/<error [^>]*type="infrastructure"/);
    const scored = JSON.parse(await readFile(gradescope, "utf8")) as { score?: number; output?: string };
    expect(scored.output).to.include("The grader failed");

    await waitUntil("the killed grade's node container removed", 60_000, async () => {
      const left = await containersOf(pid);
      return left.length ? { pending: `${left.length} container(s) of pid ${pid} still there` } : true;
    });
  });

  it("batch: the node killed under the first grade; another is started, every submission gets its real verdict, nothing left", async function () {
    const out = join(dir, "batch");
    const started = performance.now();
    // Three at once, all on the node that is killed: each of them is graded again on the new one.
    const { result, id: killed, pid } = await withFault(
      ["batch", "web", REFERENCE, fixture("not-headless"), fixture("two-replicas"), "--cluster", "kit", "--jobs", "3", "--out", out, "--debug"],
      /› reference-submission: Applying/,
      kill,
    );
    const tookS = Math.round((performance.now() - started) / 1000);
    process.stdout.write(`      (the batch with a node kill took ${tookS} s)\n`);
    const all = String(result.all);
    const tail = all.slice(-4000);
    expect(result.exitCode, tail).to.equal(0);
    const lines = all.split("\n").filter((l) => /reference-submission|retrying|cluster failed|Grading on/.test(l)).join("\n");
    expect(all, lines).to.match(/reference-submission: retrying once: the node's container \w+ exited while the grade ran \(exit code 137/);
    expect(all.match(/The batch's cluster failed/g), "one replacement, whoever noticed").to.have.length(1);
    const replacement = /Grading on kit node .* in container (\w+)/.exec(all);
    expect(replacement, tail).to.not.equal(null);
    expect(killed.startsWith(replacement![1]), "graded again on the same node").to.equal(false);

    const web = await loadExercise("web");
    const points = (check: string) => web.checks.find((c) => c.id === check)?.points ?? NaN;
    const rows = Object.fromEntries(((await readGradebook(out))?.rows ?? []).map((r) => [r.student, r]));
    const summary = JSON.stringify(rows, null, 2);
    for (const row of Object.values(rows)) expect(row.infrastructureError, `${row.student}: ${summary}`).to.equal(undefined);
    expect(rows["reference-submission"], summary).to.include({ score: 100, passed: true });
    expect(rows["not-headless-submission"], summary).to.include({ score: 100 - points("headless-service") - points("pod-dns"), passed: false });
    expect(rows["two-replicas-submission"], summary).to.include({ score: 85, passed: false });
    const hit = JSON.parse(await readFile(join(out, "reference-submission", "report.json"), "utf8")) as GradeReport;
    expect(hit.notes.join("\n")).to.match(/Graded a second time, on (a new cluster replacing the failed one|the cluster that replaced the failed one): the first attempt was not a grade \(the node's container/);

    const left = await containersOf(pid);
    expect(left, "node containers of the batch left behind").to.deep.equal([]);
  });

  it("the node paused past the grade's budget: exit 3, the pause named, no score, nothing left", async function () {
    const { result, pid, id } = await gradeWithFault(/pod-dns: Each pod is reachable/, async (id) => {
      const { client } = await dockerClient();
      await client.container.dockerode.getContainer(id).pause();
    }, ["--timeout", "40"]);
    try {
      const all = String(result.all);
      expect(result.exitCode, all.slice(-3000)).to.equal(3);
      expect(String(result.stdout), "a score was printed").to.not.match(/Total:|points|not passed/);
      expect(String(result.stderr)).to.match(/not graded — the grader or the cluster failed \(not your submission's fault\): the node's container \w+ was paused while the grade ran/);
      expect(all.match(/was paused while the grade ran/g), "the cause said more than once").to.have.length(1);
      await waitUntil("the paused grade's node container removed", 60_000, async () => {
        const left = await containersOf(pid);
        return left.length ? { pending: `${left.length} container(s) of pid ${pid} still there` } : true;
      });
    } finally {
      // Whatever happened above, no paused node is left to the rest of the run.
      const { client } = await dockerClient();
      await client.container.dockerode.getContainer(id).remove({ force: true }).catch(() => {});
    }
  });

  it("the node's disk filled before the pods are recreated (data-persistence writes then): exit 3, the full disk named once, no score, nothing left", async function () {
    // Everything /tmp (the claims' volumes) has left, taken from outside the submission.
    const fill = async (id: string) => {
      const { client } = await dockerClient();
      const result = await client.container.exec(client.container.getById(id), [
        // All but 4 MiB at once, then the rest until "no space left" (df's figure moves while pods write).
        "sh", "-c", "fallocate -l $(( ($(df -k --output=avail /tmp | tail -n 1) - 4096) * 1024 )) /tmp/kubegrade-fault-fill " +
          "&& { dd if=/dev/zero of=/tmp/kubegrade-fault-fill-rest bs=64k 2>/dev/null; true; }",
      ]);
      if (result.exitCode !== 0) throw new Error(`filling /tmp failed: ${result.output}`);
    };
    const json = join(dir, "disk-full.json");
    const { result, pid } = await gradeWithFault(/pod-dns: Each pod is reachable/, fill, ["--report", `json=${json}`]);
    const all = String(result.all);
    expect(result.exitCode, all.slice(-3000)).to.equal(3);
    expect(String(result.stdout), "a score was printed").to.not.match(/Total:|points|not passed/);
    expect(String(result.stderr)).to.match(/not graded — the grader or the cluster failed \(not your submission's fault\): the node's disk is full in container \w+: \/tmp \(the claims' volumes: 100% of 2\.0 GiB used\)/);
    expect(all.match(/the node's disk is full/g), "the cause said more than once").to.have.length(1);
    const report = JSON.parse(await readFile(json, "utf8")) as GradeReport;
    expect(report.infrastructureError).to.match(/the node's disk is full/);
    await waitUntil("the full node's container removed", 60_000, async () => {
      const left = await containersOf(pid);
      return left.length ? { pending: `${left.length} container(s) of pid ${pid} still there` } : true;
    });
  });
});
