/**
 * What `kubegrade watch` counts as a save of the submission (runner/watch.ts submittedFile), and
 * the watcher that tells of saves once a burst is over (runner/util/file-watch.ts), on a real
 * temporary directory.
 */
import { expect } from "chai";
import { mkdtemp, mkdir, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { watchSaves } from "../../runner/util/file-watch.ts";
import { submittedFile } from "../../runner/watch.ts";
import { expectNoStackTrace, kubegradeWithoutDocker } from "./support.ts";

describe("watch: which saves count", function () {
  let dir: string;
  beforeEach(async function () {
    dir = await mkdtemp(join(tmpdir(), "kubegrade-watch-unit-"));
  });
  afterEach(async function () {
    await rm(dir, { recursive: true, force: true });
  });

  it("the files a grade reads: manifests below the directory, not in hidden or tool directories, not an editor's scratch files", function () {
    for (const path of ["web.yaml", "k8s/service.yml", "deep/er/set.json", "WEB.YAML"]) expect(submittedFile(dir, path), path).to.equal(true);
    for (const path of [
      "README.md", "notes.txt", ".git/index.yaml", "node_modules/x/package.json", "kubegrade-results/report.json", ".github/workflows/grade.yml",
      "web.yaml~", ".web.yaml.swp", ".#web.yaml", "#web.yaml#", "4913",
    ]) expect(submittedFile(dir, path), path).to.equal(false);
  });

  it("with a kustomization at the root: any file kustomize may read, hidden ones too, but not in .git or node_modules", async function () {
    expect(submittedFile(dir, "config/app.properties")).to.equal(false);
    await writeFile(join(dir, "kustomization.yaml"), "resources: [web.yaml]\n");
    for (const path of ["config/app.properties", ".env", "patches/replicas.txt"]) expect(submittedFile(dir, path), path).to.equal(true);
    for (const path of [".git/HEAD", "node_modules/a/b.txt", "web.yaml~", ".env.swp"]) expect(submittedFile(dir, path), path).to.equal(false);
  });

  it("a burst of saves (write, rename over, a new subdirectory) is told once, when it is over, with the paths it accepts", async function () {
    const told: string[][] = [];
    let tell = (_paths: string[]) => {};
    const watcher = watchSaves(dir, {
      accept: (path) => submittedFile(dir, path),
      quietMs: 150,
      onSaved: (paths) => {
        told.push(paths);
        tell(paths);
      },
      onError: (error) => expect.fail(error.message),
    });
    try {
      const saved = new Promise<string[]>((resolve, reject) => {
        tell = resolve;
        setTimeout(() => reject(new Error(`no save told within 5 s (told: ${JSON.stringify(told)})`)), 5000).unref();
      });
      await writeFile(join(dir, "web.yaml"), "a: 1\n");
      await writeFile(join(dir, ".web.yaml.swp"), "scratch");
      await writeFile(join(dir, "notes.txt"), "not a manifest");
      await writeFile(join(dir, "service.yaml.tmp"), "b: 2\n");
      await rename(join(dir, "service.yaml.tmp"), join(dir, "service.yaml"));
      await mkdir(join(dir, "k8s"));
      await writeFile(join(dir, "k8s", "set.yaml"), "c: 3\n");
      const paths = await saved;
      expect(paths).to.deep.equal(["k8s/set.yaml", "service.yaml", "web.yaml"]);
      expect(paths.filter((p) => !submittedFile(dir, p)), "only accepted paths").to.deep.equal([]);
      expect(told, "one burst, told once").to.have.length(1);
    } finally {
      watcher.close();
    }
  });
});

describe("watch: refused at the start (exit 2, before any cluster)", function () {
  it("a directory that is not there, or a git URL; grade --watch with a report, --keep or --namespace", async function () {
    this.timeout(60_000);
    const runs = await Promise.all([
      kubegradeWithoutDocker(["watch", "web", "/nonexistent/submission"]),
      kubegradeWithoutDocker(["watch", "web", "https://example.invalid/repo.git"]),
      kubegradeWithoutDocker(["grade", "web", ".", "--watch", "--report", "json=r.json", "--keep"]),
      kubegradeWithoutDocker(["watch", "no-such-exercise", "."]),
    ]);
    for (const run of runs) {
      expect(run.exitCode, run.all).to.equal(2);
      expectNoStackTrace(String(run.all));
    }
    expect(runs[0].stderr).to.include("/nonexistent/submission: not a directory");
    expect(runs[1].stderr).to.include("a git URL cannot be watched");
    expect(runs[2].stderr).to.include("--watch grades again on every save and writes no report; it does not go with --report, --keep");
    expect(runs[3].stderr).to.match(/no-such-exercise/);
  });
});
