/**
 * `kubegrade watch` as a student runs it, on the suite's cluster: the first grade, a file broken
 * and saved (the changed verdicts printed first, then the feedback), a refusal shown without the
 * cluster, a save during a grade (that grade stopped, a new one started), and Ctrl-C during a
 * grade: exit 130 and no grading or probe namespace left. Every wait is on the command's output.
 */
import { CoreV1Api } from "@kubernetes/client-node";
import { expect } from "chai";
import { execa } from "execa";
import { appendFile, cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import type { Readable } from "node:stream";
import { join } from "node:path";
import { PROJECT_ROOT } from "../../runner/config.ts";
import { earlyFixtureNamespace, sharedCluster } from "./hooks.ts";

/** The cluster's kg-* namespaces (grading and probe) not being deleted, but those of fixtures graded beside this test. */
async function liveKubegradeNamespaces(): Promise<string[]> {
  const core = sharedCluster().kubeConfig.makeApiClient(CoreV1Api);
  const list = await core.listNamespace();
  return list.items
    .filter((n) => !n.metadata?.deletionTimestamp)
    .map((n) => n.metadata?.name ?? "")
    .filter((name) => name.startsWith("kg-") && !earlyFixtureNamespace(name))
    .sort();
}

/** What the watch has printed (stdout and stderr, as they came), and waits on it with a named deadline. */
function outputOf(child: { all: Readable } & PromiseLike<unknown>) {
  let seen = "";
  let exitCode: string | undefined;
  const listeners = new Set<() => void>();
  child.all.on("data", (chunk: Buffer) => {
    seen += String(chunk);
    for (const listener of listeners) listener();
  });
  const exited = Promise.resolve(child).then(
    (r) => void (exitCode = String((r as { exitCode?: number }).exitCode)),
    () => void (exitCode = "failed"),
  );
  return {
    get text() {
      return seen;
    },
    get running() {
      return exitCode === undefined;
    },
    /** Where `pattern` next matches at or after `from` (the index just past the match). */
    async waitFor(what: string, pattern: RegExp, from: number, deadlineMs = 180_000): Promise<number> {
      const started = performance.now();
      for (;;) {
        const match = pattern.exec(seen.slice(from));
        if (match) return from + match.index + match[0].length;
        if (exitCode !== undefined) throw new Error(`watch exited (${exitCode}) before ${what}:\n${seen}`);
        const left = deadlineMs - (performance.now() - started);
        if (left <= 0) throw new Error(`no ${what} within ${deadlineMs / 1000} s; the output so far:\n${seen}`);
        let timer: NodeJS.Timeout | undefined;
        let listener = () => {};
        await Promise.race([exited, new Promise<void>((resolve) => ((listener = resolve), listeners.add(listener))), new Promise<void>((resolve) => (timer = setTimeout(resolve, left)))]);
        listeners.delete(listener);
        clearTimeout(timer);
      }
    },
  };
}

describe("watch", function () {
  let dir: string;
  before(async function () {
    dir = await mkdtemp(join(tmpdir(), "kubegrade-watch-"));
    await writeFile(join(dir, "kubeconfig"), sharedCluster().kubeConfigYaml, { mode: 0o600 });
    await cp(join(PROJECT_ROOT, "fixtures/web/reference/submission"), join(dir, "submission"), { recursive: true });
  });
  after(async function () {
    await rm(dir, { recursive: true, force: true });
  });

  it("grades on every save, the changes first; a refusal without the cluster; a save mid-grade restarts it; Ctrl-C: 130, nothing left", async function () {
    this.timeout(10 * 60_000);
    const before = await liveKubegradeNamespaces();
    const manifest = join(dir, "submission", "web.yaml");
    const reference = await readFile(manifest, "utf8");
    const child = execa(process.execPath, [join(PROJECT_ROOT, "runner/cli.ts"), "watch", "web", join(dir, "submission"), "--kubeconfig", join(dir, "kubeconfig")], {
      env: { ...process.env, CI: "true", NO_COLOR: "1", KUBEGRADE_CLUSTER: "kubeconfig" },
      reject: false,
      all: true,
      forceKillAfterDelay: false, // the watch's own cleanup is what is tested
    });
    const out = outputOf(child);
    try {
      let at = await out.waitFor("the first verdict", /^Grade 1 \(\d\d:\d\d:\d\d\): 100\/100, passed\n/m, 0);

      // Broken: 2 replicas. The verdict line with the score's move, the check that turned, then its feedback.
      await writeFile(manifest, reference.replace("replicas: 3", "replicas: 2"));
      const broken = await out.waitFor("the broken file's verdict", /^Grade 2 \(web\.yaml saved, [\d:]+\): 85\/100, not passed \(−15: was 100\/100, passed\)\n/m, at);
      at = await out.waitFor("its feedback", /^ {6}.*spec\.replicas: 2.*\n/m, broken);
      const block = out.text.slice(broken, at).split("\n");
      expect(block.slice(0, 2), "the changes come first").to.deep.equal(["  ✗ statefulset-spec  passed → failed −15", "  6 checks unchanged"]);
      expect(block[2], "then the feedback").to.match(/^ {2}✗ statefulset-spec \(0\/15\): \S/);

      // Invalid YAML: refused from phase 1, nothing made on the cluster for it.
      await writeFile(manifest, `${reference}  stray: [\n`);
      const refused = await out.waitFor("the refusal", /^Grade 3 \(web\.yaml saved, [\d:]+\): refused before grading \(nothing ran on the cluster\):\n {4}- web\.yaml:\d+:\d+: invalid YAML/m, at);
      expect(out.text.slice(at, refused), "no namespace made for a refused submission").to.not.include("Creating the grading namespace");
      at = refused;

      // Fixed, and saved again while that grade runs: it is stopped, and the next compares with grade 2.
      await writeFile(manifest, reference);
      at = await out.waitFor("grade 4's checks running", /› ordered-creation/, at);
      await appendFile(manifest, "# saved during grade 4\n");
      at = await out.waitFor("grade 4 stopped", /^Grade 4 stopped: web\.yaml saved during the grade; grading again\.\n/m, at);
      const fixed = await out.waitFor("grade 5's verdict", /^Grade 5 \(web\.yaml saved, [\d:]+\): 100\/100, passed \(\+15: was 85\/100, not passed\)\n/m, at);
      expect(out.text.slice(fixed).split("\n").slice(0, 2)).to.deep.equal(["  ✓ statefulset-spec  failed → passed +15", "  6 checks unchanged"]);
      at = fixed;

      // Ctrl-C during grade 6.
      await appendFile(manifest, "# grade 6\n");
      await out.waitFor("grade 6's checks running", /› ordered-creation/, at);
      const sent = performance.now();
      child.kill("SIGINT");
      const result = await child;
      const took = performance.now() - sent;
      expect(result.exitCode, out.text).to.equal(130);
      expect(out.text).to.include("kubegrade: watch ended by SIGINT; what its grades made was removed.");
      expect(out.text, "a grade ended by Ctrl-C prints no result").to.not.match(/^Grade 6/m);
      expect(took, "Ctrl-C ends the watch at once, not after the grade").to.be.below(30_000);
      // Namespaces other tests' grades were removing when the watch began may be gone by now: only new ones count.
      const left = (await liveKubegradeNamespaces()).filter((n) => !before.includes(n));
      expect(left, "no grading or probe namespace of the watch is left").to.deep.equal([]);
    } finally {
      // A test that failed half-way: the watch still removes what it made.
      if (out.running) {
        child.kill("SIGINT");
        await child;
      }
    }
  });
});
