/**
 * Submissions from git: one commit is downloaded (never the history, never submodules),
 * within a time and a size limit, and a local checkout's own git configuration runs
 * nothing. Repositories are made here, in temporary directories, and served over file://
 * or loopback only.
 */
import { expect } from "chai";
import { execa } from "execa";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UsageError } from "../../runner/errors.ts";
import { loadSubmission } from "../../runner/submission/load.ts";
import { GIT_LIMITS, localCommit, resolveSource, type GitLimits, type ResolvedSource } from "../../runner/submission/source.ts";
import { expectNoStackTrace, kubegradeWithoutDocker } from "./support.ts";

const SERVICE = "apiVersion: v1\nkind: Service\nmetadata: {name: nginx}\nspec: {clusterIP: None, selector: {app: nginx}, ports: [{port: 80}]}\n";
/** No system or user git configuration: the tests must not depend on this machine's. */
const GIT_ENV = { GIT_CONFIG_NOSYSTEM: "1", GIT_CONFIG_GLOBAL: "/dev/null" };

function git(cwd: string, args: string[], input?: string) {
  return execa("git", ["-c", "user.email=student@example.invalid", "-c", "user.name=student", "-c", "init.defaultBranch=main", ...args], {
    cwd,
    env: GIT_ENV,
    ...(input === undefined ? {} : { input }),
  });
}

async function repoWith(root: string, name: string, files: Record<string, string | Buffer>): Promise<string> {
  const repo = join(root, name);
  await mkdir(repo, { recursive: true });
  await git(repo, ["init", "-q"]);
  for (const [file, content] of Object.entries(files)) {
    await mkdir(join(repo, file, ".."), { recursive: true });
    await writeFile(join(repo, file), content);
  }
  await git(repo, ["add", "."]);
  await git(repo, ["commit", "-qm", "submission"]);
  return repo;
}

/** Expects run to be refused (a UsageError: exit 2) and returns the message. */
async function refusedWith(run: () => Promise<unknown>): Promise<string> {
  try {
    await run();
  } catch (error) {
    expect(error, String(error)).to.be.instanceOf(UsageError);
    return (error as Error).message;
  }
  return expect.fail("was accepted");
}

describe("submissions from git: bounded and inert", function () {
  this.timeout(60_000);
  let root: string;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), "kubegrade-git-"));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  describe("git repositories", () => {
    it("a long history is not downloaded: one commit, by branch or by an old commit's id", async () => {
      const repo = join(root, "history");
      await mkdir(repo);
      await git(repo, ["init", "-q"]);
      // 2000 commits in one fast-import stream, each rewriting the manifest.
      const stream: string[] = [];
      for (let i = 1; i <= 2000; i++) {
        const content = `${SERVICE}# revision ${i}\n`;
        stream.push("commit refs/heads/main", `committer s <s@example.invalid> ${1_700_000_000 + i} +0000`, "data 1", "x");
        stream.push(`M 100644 inline svc.yaml`, `data ${Buffer.byteLength(content)}`, content);
      }
      await git(repo, ["fast-import", "--quiet"], `${stream.join("\n")}\n`);
      expect((await git(repo, ["rev-list", "--count", "main"])).stdout.trim()).to.equal("2000");
      const old = (await git(repo, ["rev-parse", "main~1500"])).stdout.trim();

      for (const source of [`file://${repo}`, `file://${repo}#main`, `file://${repo}#${old}`]) {
        const resolved = await resolveSource(source);
        try {
          expect((await git(resolved.dir, ["rev-list", "--count", "HEAD"])).stdout.trim(), source).to.equal("1");
          expect(existsSync(join(resolved.dir, ".git", "shallow")), source).to.equal(true);
          expect(resolved.commit).to.equal(source.endsWith(old) ? old : (await git(repo, ["rev-parse", "main"])).stdout.trim());
        } finally {
          await resolved.cleanup();
        }
      }
    });

    it("submodules are not fetched, even when the user's git configuration says to recurse, and the student is told", async () => {
      const inner = await repoWith(root, "inner", { "hidden.yaml": SERVICE.replace("nginx", "from-submodule") });
      const innerCommit = (await git(inner, ["rev-parse", "HEAD"])).stdout.trim();
      const repo = await repoWith(root, "with-submodule", {
        "svc.yaml": SERVICE,
        ".gitmodules": `[submodule "vendor"]\n\tpath = vendor\n\turl = file://${inner}\n`,
      });
      await git(repo, ["update-index", "--add", "--cacheinfo", `160000,${innerCommit},vendor`]);
      await git(repo, ["commit", "-qm", "add a submodule"]);
      const config = join(root, "recursing.gitconfig");
      await writeFile(config, "[submodule]\n\trecurse = true\n[protocol \"file\"]\n\tallow = always\n");
      const saved = process.env.GIT_CONFIG_GLOBAL;
      process.env.GIT_CONFIG_GLOBAL = config;
      let resolved: ResolvedSource;
      try {
        resolved = await resolveSource(`file://${repo}`);
      } finally {
        if (saved === undefined) delete process.env.GIT_CONFIG_GLOBAL;
        else process.env.GIT_CONFIG_GLOBAL = saved;
      }
      try {
        expect(existsSync(join(resolved.dir, "vendor", "hidden.yaml"))).to.equal(false);
        expect(resolved.notes).to.deep.equal([
          "vendor is a git submodule: submodules are not fetched, so nothing in it is graded; put the manifests in the repository itself.",
        ]);
        expect((await loadSubmission(resolved.dir)).objects.map((o) => o.name)).to.deep.equal(["nginx"]);
      } finally {
        await resolved.cleanup();
      }
    });

    it("a commit whose files are too large is refused before they are written; a large download is stopped", async () => {
      const limits: GitLimits = { ...GIT_LIMITS, maxCheckoutBytes: 1024 * 1024, maxDownloadBytes: 1024 * 1024 };
      // 3 MiB of zeros: a tiny pack, a large checkout.
      const zeros = await repoWith(root, "zeros", { "svc.yaml": SERVICE, "data.bin": Buffer.alloc(3 * 1024 * 1024) });
      const message = await refusedWith(() => resolveSource(`file://${zeros}`, limits));
      expect(message).to.contain("the files of the commit add up to 3 MiB, more than 1 MiB").and.contain("holds only the manifests");
      // 3 MiB of random bytes: the pack itself is too large.
      const noise = await repoWith(root, "noise", { "svc.yaml": SERVICE, "data.bin": randomBytes(3 * 1024 * 1024) });
      const stopped = await refusedWith(() => resolveSource(`file://${noise}`, limits));
      expect(stopped).to.contain("the repository is larger than 1 MiB (git clone was stopped)");
    });

    it("a server that never answers is given up after the clone time limit", async () => {
      const sockets: Socket[] = [];
      const server: Server = createServer((socket) => {
        sockets.push(socket); // accepted, never answered
      });
      await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
      const port = (server.address() as { port: number }).port;
      try {
        const started = performance.now();
        const message = await refusedWith(() => resolveSource(`http://127.0.0.1:${port}/student.git`, { ...GIT_LIMITS, cloneTimeoutMs: 1_000 }));
        expect(performance.now() - started).to.be.below(15_000);
        expect(message).to.contain("git clone took longer than 1 s and was stopped").and.contain("reachable");
      } finally {
        for (const s of sockets) s.destroy();
        await new Promise((done) => server.close(done));
      }
    });

    it("a local checkout's own configuration runs nothing (core.fsmonitor, clean filters); its commit is still recorded", async () => {
      const repo = await repoWith(root, "local", { "sub/svc.yaml": SERVICE, ".gitattributes": "*.yaml filter=evil\n", "README.md": "mine" });
      const marker = join(root, "ran");
      await git(repo, ["config", "core.fsmonitor", `touch ${marker}-fsmonitor; false`]);
      await git(repo, ["config", "filter.evil.clean", `sh -c 'touch ${marker}-filter; cat'`]);
      const commit = (await git(repo, ["rev-parse", "HEAD"])).stdout.trim();
      const sub = join(repo, "sub");

      await writeFile(join(repo, "README.md"), "changed, but not graded");
      const recorded = await localCommit(sub);
      expect(existsSync(`${marker}-fsmonitor`), "core.fsmonitor ran").to.equal(false);
      expect(existsSync(`${marker}-filter`), "the clean filter ran").to.equal(false);
      expect(recorded).to.equal(commit);
      expect((await resolveSource(sub)).commit).to.equal(commit);
      await writeFile(join(sub, "svc.yaml"), `${SERVICE}# edited\n`);
      expect(await localCommit(sub)).to.equal(`${commit}-dirty`);
      await writeFile(join(sub, "svc.yaml"), SERVICE);
      expect(await localCommit(repo)).to.equal(commit);
      await rm(join(sub, "svc.yaml"));
      expect(await localCommit(repo)).to.equal(`${commit}-dirty`);
      expect(existsSync(`${marker}-fsmonitor`), "core.fsmonitor ran").to.equal(false);
      expect(existsSync(`${marker}-filter`), "the clean filter ran").to.equal(false);
    });
  });

  describe("the command line", () => {
    it("grade on a git repository too large to check out: exit 2 and why, no stack trace", async () => {
      const repo = await repoWith(root, "too-large", { "svc.yaml": SERVICE, "dump.bin": Buffer.alloc(GIT_LIMITS.maxCheckoutBytes + 1024 * 1024) });
      const result = await kubegradeWithoutDocker(["grade", "web", `file://${repo}`]);
      expect(result.exitCode, result.all).to.equal(2);
      expect(String(result.all)).to.contain("the files of the commit add up to 21 MiB, more than 20 MiB");
      expectNoStackTrace(String(result.all));
    });
  });
});
