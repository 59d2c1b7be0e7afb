/**
 * kubegrade as a student's exercise repository uses it: the packed tarball installed as a
 * dev dependency of an empty project, `npx kubegrade` and the project's `"grade"` script
 * run there. The grade runs the installed package's JavaScript on the shared test cluster
 * (through KUBEGRADE_CLUSTER=kubeconfig), so no second cluster is started. It runs on the
 * Node of the tests (24) and on Node 22, the oldest line kubegrade supports, fetched from the
 * npm registry's `node` package (package-support.ts nodeFromNpm).
 */
import { expect } from "chai";
import { cp, lstat, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { dirname, join, sep } from "node:path";
import { PROJECT_ROOT, packageVersion } from "../../runner/config.ts";
import { sharedCluster } from "./hooks.ts";
import { nodeFromNpm, projectWithKubegrade, run, systemPath, userEnv } from "./package-support.ts";

/** Every file below dir, by path relative to it (with /), as "x" or "-" for its exec bit. */
async function tree(dir: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  if (!existsSync(dir)) return files;
  for (const rel of await readdir(dir, { recursive: true })) {
    const full = join(dir, rel);
    const info = await lstat(full);
    if (info.isFile()) files.set(rel.split(sep).join("/"), info.mode & 0o111 ? "x" : "-");
  }
  return files;
}

/** The first `node` on the machine's PATH older than kubegrade's engines minimum, if any. */
async function oldNode(minimum: string): Promise<{ dir: string; version: string } | undefined> {
  for (const dir of systemPath()) {
    if (!existsSync(join(dir, "node"))) continue;
    const result = await run(join(dir, "node"), ["-p", "process.versions.node"], PROJECT_ROOT, userEnv({}, undefined));
    const version = result.stdout.trim();
    const [have, need] = [version, minimum].map((v) => v.split(".").map(Number));
    const older = need.findIndex((n, i) => (have[i] ?? 0) !== n);
    if (older >= 0 && (have[older] ?? 0) < need[older]) return { dir, version };
  }
  return undefined;
}

/** The Node 22 the package is tested on: the newest 22 at or above the engines minimum. */
const NODE_22 = "^22.22";

describe("package: kubegrade installed from its packed tarball", function () {
  let root: string;
  let project: string;
  const installed = () => join(project, "node_modules", "kubegrade");
  // As a user types it; npm_config_yes=false: never fetch a "kubegrade" from the registry instead.
  const npx = (args: string[], env: Record<string, string> = {}) => run("npx", ["kubegrade", ...args], project, userEnv({ npm_config_yes: "false", ...env }));

  before(async function () {
    this.timeout(10 * 60_000);
    ({ root, project } = await projectWithKubegrade({ grade: "kubegrade grade web ." }));
  });

  after(async function () {
    if (root) await rm(root, { recursive: true, force: true });
  });

  it("ships the compiled CLI, the kit's sources, the exercises and the schemas; not tests, fixtures or bench", async function () {
    expect((await lstat(installed())).isDirectory(), "node_modules/kubegrade is a copy, not a link to this checkout").to.equal(true);
    const shipped = await tree(installed());
    const manifest = JSON.parse(await readFile(join(installed(), "package.json"), "utf8")) as Record<string, unknown>;
    expect(manifest).to.not.have.property("private");
    expect(manifest.engines).to.have.property("node").that.matches(/^>=\s*\d+(\.\d+)*$/);
    expect(shipped.get("dist/runner/bin.js")).to.equal("x");
    for (const file of ["dist/runner/cli.js", "dist/checks/api.js", "dist/checks/api.d.ts", "dist/runner/report/model.d.ts", "runner/report/report.schema.json", "exercises/exercise.schema.json"]) {
      expect(shipped.has(file), file).to.equal(true);
    }
    // What setup and grade read from the package: every non-TypeScript file under runner/
    // and exercises/, and the kit's TypeScript too (the node image's input hash covers it),
    // each with its exec bit.
    for (const dir of ["runner", "exercises"]) {
      for (const [rel, mode] of await tree(join(PROJECT_ROOT, dir))) {
        const path = `${dir}/${rel}`;
        if (path.endsWith(".ts") && !path.startsWith("runner/node-image/")) continue;
        expect(shipped.get(path), `${path} in the package, mode ${mode}`).to.equal(mode);
      }
    }
    // Students install the package: the reference solutions (fixtures/) must not be in it.
    const unwanted = [...shipped.keys()].filter(
      (f) => /^(test|fixtures|bench|ci|\.ci)\//.test(f) || (f.endsWith(".ts") && !f.endsWith(".d.ts") && !f.startsWith("runner/node-image/")),
    );
    expect(unwanted, "files that must not be in the package").to.deep.equal([]);
  });

  it("npx kubegrade --version prints the package's version", async function () {
    const result = await npx(["--version"]);
    expect(result.exitCode, result.all).to.equal(0);
    expect(result.stdout.trim()).to.equal(packageVersion());
  });

  it("on too old a Node, says which Node it needs and exits 3 without a stack trace", async function () {
    const manifest = JSON.parse(await readFile(join(installed(), "package.json"), "utf8")) as { engines: { node: string } };
    const minimum = manifest.engines.node.replace(/^>=\s*/, "");
    const old = await oldNode(minimum);
    if (!old) this.skip(); // every node on this machine's PATH is recent enough: nothing older to try
    // The user's shell: the old node first on PATH, so npx and the bin's `#!/usr/bin/env node` run on it.
    const result = await run("npx", ["kubegrade", "list"], project, userEnv({ npm_config_yes: "false" }, old!.dir));
    expect(result.exitCode, result.all).to.equal(3);
    expect(result.stderr).to.include(`kubegrade: Node.js ${old!.version} is too old; kubegrade needs Node.js ${minimum} or newer.`);
    expect(result.stderr).to.not.match(/^\s+at /m);
  });

  it("exports only the public entry points: the check API and the report model, with types", async function () {
    const script = [
      'const checks = await import("kubegrade/checks");',
      'console.log(typeof checks.defineCheck);',
      'await import("kubegrade/report");',
      'try { await import("kubegrade/dist/runner/cli.js"); console.log("reachable"); } catch (e) { console.log(e.code); }',
    ].join("\n");
    const result = await run("node", ["--input-type=module", "-e", script], project, userEnv());
    expect(result.exitCode, result.all).to.equal(0);
    expect(result.stdout.trim().split("\n")).to.deep.equal(["function", "ERR_PACKAGE_PATH_NOT_EXPORTED"]);

    // An instructor's check module type-checks against the shipped declarations, and misuse
    // is caught (the types are real, not `any`).
    await writeFile(
      join(project, "my-check.ts"),
      [
        'import { defineCheck, type CheckContext, type CheckDefinition } from "kubegrade/checks";',
        'import type { GradeReport } from "kubegrade/report";',
        "export const namespaceOf = (context: CheckContext): string => context.namespace;",
        "export const scoreOf = (report: GradeReport): number => report.score;",
        "export const check: (d: CheckDefinition<{ replicas: number }>) => CheckDefinition<{ replicas: number }> = defineCheck;",
        "export const wrong: number = ({} as CheckContext).namespace;",
      ].join("\n"),
    );
    await writeFile(
      join(project, "tsconfig.json"),
      JSON.stringify({ compilerOptions: { module: "nodenext", target: "es2024", strict: true, noEmit: true, skipLibCheck: true, types: [] }, files: ["my-check.ts"] }),
    );
    const tsc = await run("node", [join(PROJECT_ROOT, "node_modules/typescript/bin/tsc"), "-p", "."], project, userEnv());
    const errors = tsc.stdout.split("\n").filter((l) => l.includes("error TS"));
    expect(errors, tsc.all).to.have.length(1);
    expect(errors[0]).to.match(/^my-check\.ts\(6,14\): error TS2322: Type 'string' is not assignable to type 'number'/);
  });

  it("kubegrade setup finds the kit node image and kustomize already built and builds nothing", async function () {
    // The image's input hash covers runner/node-image: had the package changed a byte or an
    // exec bit there, setup would rebuild the kit for ten minutes. Say so instead.
    const [source, shipped] = await Promise.all([tree(join(PROJECT_ROOT, "runner/node-image")), tree(join(installed(), "runner/node-image"))]);
    expect([...shipped]).to.deep.equal([...source]);
    for (const rel of source.keys()) {
      const [a, b] = await Promise.all([readFile(join(PROJECT_ROOT, "runner/node-image", rel)), readFile(join(installed(), "runner/node-image", rel))]);
      expect(a.equals(b), `runner/node-image/${rel} is shipped as is`).to.equal(true);
    }
    const result = await npx(["setup"]);
    expect(result.exitCode, result.all).to.equal(0);
    expect(result.all).to.match(/Setup done in [\d.]+ s: kubegrade\/node:\S+ already up to date\./);
    // kustomize's step ends at once (a build takes minutes and says "built:").
    expect(result.all).to.match(/✓ kustomize[^\n]*\(\d\.\d s\)/);
    expect(result.all).to.not.match(/kustomize[^\n]*: built/);
  });

  it("npx kubegrade list shows the built-in exercises", async function () {
    const result = await npx(["list"]);
    expect(result.exitCode, result.all).to.equal(0);
    for (const id of ["web", "exercise-8", "demo", "cassandra"]) expect(result.stdout).to.match(new RegExp(`^${id}\\s+\\d+ pts`, "m"));
  });

  it("npx kubegrade list, on Node 22, loads a course's check module written in TypeScript", async function () {
    this.timeout(5 * 60_000);
    const node22 = await nodeFromNpm(NODE_22);
    const result = await run("npx", ["kubegrade", "list", "--exercises", join(PROJECT_ROOT, "test/course")], project, userEnv({ npm_config_yes: "false" }, node22));
    expect(result.exitCode, result.all).to.equal(0);
    // pod-name-env's check is checks/pod-name-env.ts: listed only once it loaded.
    expect(result.stdout).to.match(/^pod-name-env\s+\d+ pts/m);
    expect(result.stderr, "no warning about type stripping, no stack trace").to.not.match(/Warning|^\s+at /m);
  });

  for (const [label, nodeDir] of [
    ["the tests' Node", async () => dirname(process.execPath)],
    ["Node 22", () => nodeFromNpm(NODE_22)],
  ] as const) {
    it(`npm run grade grades the web reference in the project with the installed package, on ${label}`, async function () {
      this.timeout(5 * 60_000);
      const dir = await nodeDir();
      const version = (await run(join(dir, "node"), ["-p", "process.versions.node"], project, userEnv({}, dir))).stdout.trim();
      if (label === "Node 22") expect(version).to.match(/^22\./);
      await cp(join(PROJECT_ROOT, "fixtures/web/reference/submission"), project, { recursive: true });
      const kubeconfig = join(root, "kubeconfig");
      await writeFile(kubeconfig, sharedCluster().kubeConfigYaml, { mode: 0o600 });
      const report = join(root, `report-${version}.json`);
      const env = userEnv({ KUBEGRADE_CLUSTER: "kubeconfig", KUBECONFIG: kubeconfig }, dir);
      const result = await run("npm", ["run", "grade", "--", "--report", `json=${report}`], project, env);
      expect(result.exitCode, result.all).to.equal(0);
      expect(result.all).to.include("> kubegrade grade web .");
      const graded = JSON.parse(await readFile(report, "utf8")) as { exercise: string; score: number; maxScore: number; passed: boolean };
      expect(graded).to.include({ exercise: "web", score: 100, passed: true });
    });
  }
});
