import { expect } from "chai";
import { execa } from "execa";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PROJECT_ROOT } from "../../runner/config.ts";
import { UsageError } from "../../runner/errors.ts";
import { loadExercise, validateCheckParams } from "../../runner/exercise.ts";
import { editDistance, nearest } from "../../runner/util/nearest.ts";

const web = await loadExercise("web");
const refusal = (change: (e: typeof web) => void): UsageError => {
  const copy = { id: web.id, params: structuredClone(web.params), checks: web.checks.map((c) => ({ ...c, params: c.params && structuredClone(c.params) })) };
  change(copy as typeof web);
  try {
    validateCheckParams(copy, "exercise.yaml");
  } catch (error) {
    expect(error).to.be.instanceOf(UsageError);
    return error as UsageError;
  }
  throw new Error("the definition was accepted");
};

describe("exercise parameters, checked against the checks' schemas at load", function () {
  it("a misspelled exercise parameter names the exercise, the field and the nearest valid name", function () {
    const e = refusal((d) => {
      d.params.servce = d.params.service;
      delete d.params.service;
    });
    expect(e.message).to.match(/exercise web: parameter servce is read by none of its checks \(did you mean service\?\)/);
  });
  it("an exercise parameter for a check the exercise does not name says which checks read it", function () {
    const e = refusal((d) => {
      d.params.scaleTo = 3;
    });
    expect(e.message).to.match(/parameter scaleTo is read by none of its checks \(scaling-order reads it\)/);
  });
  it("a misspelled check parameter names the check and what it reads", function () {
    const e = refusal((d) => {
      d.checks.find((c) => c.id === "pod-dns")!.params = { htp: { port: 8080, path: "/" } };
    });
    expect(e.message).to.match(/check pod-dns \(5th\): unknown parameter htp \(did you mean http\?\); it reads statefulset, service, http/);
  });
  it("a parameter of the wrong type names the check and the field", function () {
    const e = refusal((d) => {
      d.params.port = { port: "eighty" };
    });
    expect(e.message).to.match(/check headless-service \(1st\): parameter `port\.port` must be a whole number, not a text \("eighty"\)/);
  });
  it("a missing required parameter is named", function () {
    const e = refusal((d) => {
      delete d.params.dataPath;
    });
    expect(e.message).to.match(/check per-pod-storage \(4th\): parameter dataPath is required/);
  });
  it("an unknown check is named with the nearest one (a course's copy of web with a typo), and kubegrade grade exits 2 before any cluster", async function () {
    this.timeout(60_000); // one CLI process, on a busy machine
    const course = await mkdtemp(join(tmpdir(), "kubegrade-course-"));
    try {
      await mkdir(join(course, "web-typo"));
      const yaml = (await readFile(join(web.dir, "exercise.yaml"), "utf8")).replace("id: web\n", "id: web-typo\n").replace("{id: headless-service,", "{id: headless-servce,");
      await writeFile(join(course, "web-typo", "exercise.yaml"), yaml);
      const error = await loadExercise("web-typo", [course]).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(UsageError);
      expect((error as Error).message).to.match(/exercise web-typo: check headless-servce \(1st\) does not exist \(did you mean headless-service\?\)/);
      const cli = await execa(process.execPath, [join(PROJECT_ROOT, "runner/cli.ts"), "grade", "web-typo", join(PROJECT_ROOT, "fixtures/web/reference/submission"), "--exercises", course], {
        reject: false, env: { ...process.env, KUBEGRADE_CLUSTER: "kubeconfig", KUBECONFIG: "/nonexistent" },
      });
      expect(cli.exitCode, cli.stderr).to.equal(2);
      expect(cli.stderr).to.include("did you mean headless-service?");
    } finally {
      await rm(course, { recursive: true, force: true });
    }
  });
  it("the built-in exercises pass", async function () {
    for (const id of ["web", "demo", "exercise-8", "cassandra"]) await loadExercise(id);
  });
  it("a validation that passed is remembered in the cache; a failing one never is, and fails again with its message", async function () {
    const cache = await mkdtemp(join(tmpdir(), "kubegrade-memo-"));
    const saved = process.env.KUBEGRADE_CACHE;
    process.env.KUBEGRADE_CACHE = cache;
    const remembered = async () => (await readdir(join(cache, "validated")).catch(() => [])).length;
    try {
      await loadExercise("web");
      const passes = await remembered();
      // The definition, and the parameters of web's checks (checks with the same schema and
      // parameters share one entry).
      expect(passes).to.be.within(2, 1 + web.checks.length);
      await loadExercise("web");
      expect(await remembered()).to.equal(passes);
      for (let i = 0; i < 2; i++) {
        const e = refusal((d) => {
          d.params.port = { port: "eighty" };
        });
        expect(e.message).to.match(/check headless-service \(1st\): parameter `port\.port` must be a whole number, not a text \("eighty"\)/);
      }
      expect(await remembered()).to.equal(passes);
    } finally {
      if (saved === undefined) delete process.env.KUBEGRADE_CACHE;
      else process.env.KUBEGRADE_CACHE = saved;
      await rm(cache, { recursive: true, force: true });
    }
  });
});

describe("nearest name", function () {
  it("finds a typo's intended word and nothing for an unrelated one", function () {
    expect(editDistance("servce", "service")).to.equal(1);
    expect(nearest("servce", ["statefulset", "service", "port"])).to.equal("service");
    expect(nearest("zzzzzz", ["statefulset", "service", "port"])).to.equal(undefined);
  });
});
