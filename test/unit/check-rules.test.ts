/**
 * Which rules a check grades follows from the exercise's parameters alone (issue 30), and
 * `kubegrade explain` lists exactly those: the rules a check states are the titles of the tests
 * it builds for the same parameters. Pure logic: tests are built, never run.
 */
import { expect } from "chai";
import type { CheckContext, CheckDefinition } from "../../checks/api.ts";
import { CHECKS } from "../../checks/index.ts";
import { explainCommand } from "../../runner/commands.ts";
import { checkParams, loadExercise } from "../../runner/exercise.ts";

const check = (id: string) => CHECKS.get(id) as CheckDefinition<unknown>;
const rules = (id: string, params: Record<string, unknown>) => check(id).rules?.(params) ?? [];

/** A context that gives tests(ctx) its parameters and nothing a test reads only when it runs. */
function buildingContext(params: Record<string, unknown>): CheckContext<unknown> {
  const given: Record<string, unknown> = { params, beforeRecreateAll: () => () => Promise.reject(new Error("not run here")) };
  return new Proxy(given, {
    get: (target, key) => {
      if (typeof key === "string" && key in target) return target[key];
      throw new Error(`tests(ctx) read ctx.${String(key)} while building its tests`);
    },
  }) as unknown as CheckContext<unknown>;
}

const ORDERED = "pods are managed OrderedReady (one at a time, in order)";
const demoParams = { statefulset: "demo", service: "demo", replicas: 2, claims: [{ mountPath: "/mnt/vol1" }] };

describe("the rules a check grades, selected by the exercise's parameters", function () {
  it("statefulset-spec asks for ordered start-up only where podManagementPolicy is set", function () {
    expect(rules("statefulset-spec", demoParams)).to.deep.equal([
      "a StatefulSet named demo exists",
      "spec.serviceName names the Service demo",
      "its selector matches its pod template",
      "it asks for 2 replicas",
      "a volumeClaimTemplate is mounted at /mnt/vol1",
    ]);
    expect(rules("statefulset-spec", { ...demoParams, podManagementPolicy: "OrderedReady" })).to.include(ORDERED);
    const parallel = rules("statefulset-spec", { ...demoParams, podManagementPolicy: "Parallel" });
    expect(parallel).to.include("pods are managed Parallel (all at once)");
    expect(parallel).to.not.include(ORDERED);
  });

  it("statefulset-spec: each value rule only with its parameter; the governing Service unless turned off", function () {
    expect(rules("statefulset-spec", { statefulset: "db", governingService: false })).to.deep.equal([
      "a StatefulSet named db exists",
      "its selector matches its pod template",
    ]);
    expect(rules("statefulset-spec", { statefulset: "web", replicas: [2, 3], claims: [{ mountPath: "/a" }, { name: "logs", mountPath: "/b" }] })).to.deep.equal([
      "a StatefulSet named web exists",
      "spec.serviceName names an existing Service",
      "its selector matches its pod template",
      "it asks for 2 or 3 replicas",
      "a volumeClaimTemplate is mounted at /a",
      "a volumeClaimTemplate is mounted at /b",
    ]);
    expect(check("statefulset-spec").peakReplicas?.({ statefulset: "db" })).to.equal(undefined);
    expect(check("statefulset-spec").peakReplicas?.({ statefulset: "web", replicas: [2, 3] })).to.equal(3);
  });

  it("pod-dns: the Service's own name listing the pods unless serviceListsPods is false; HTTP only with http", function () {
    const listed = "the Service's name lists every Ready pod";
    expect(rules("pod-dns", { statefulset: "web" })).to.include(listed);
    expect(rules("pod-dns", { statefulset: "web", serviceListsPods: false })).to.not.include(listed);
    expect(rules("pod-dns", { statefulset: "web" }).some((r) => r.startsWith("GET"))).to.equal(false);
    expect(rules("pod-dns", { statefulset: "demo", http: { port: 8080, path: "/api/v1/hello" } }))
      .to.include("GET /api/v1/hello on port 8080 of each pod's DNS name answers from that pod");
  });

  it("partitioned-rollout: the submitted updateStrategy only where requireRollingUpdate is set", function () {
    const params = { statefulset: "web", rolloutReplicas: 3, partition: 2, newImage: "nginx:1.13.12" };
    const strategy = "spec.updateStrategy allows a rolling update";
    expect(rules("partitioned-rollout", params)).to.not.include(strategy);
    expect(rules("partitioned-rollout", { ...params, requireRollingUpdate: true })[0]).to.equal(strategy);
    expect(rules("partitioned-rollout", params)[0]).to.equal("with partition 2, only web-2 gets the new image; the others keep their image and UID");
  });

  for (const id of ["web", "exercise-8", "demo", "cassandra"]) {
    it(`${id}: every check states its rules, and they are the titles of the tests it grades`, async function () {
      const exercise = await loadExercise(id);
      for (const config of exercise.checks) {
        const params = checkParams(exercise, config);
        const stated = config.definition.rules?.(params);
        expect(stated, `${config.id} states no rules`).to.be.an("array").that.is.not.empty;
        const graded = config.definition.tests(buildingContext(params)).map((t) => t.title);
        expect(stated, config.id).to.deep.equal(graded);
      }
    });
  }
});

describe("explain lists the rules that apply", function () {
  /** The rule lines explain prints under one check. */
  async function explained(exercise: string, checkId: string): Promise<string[]> {
    const lines = (await explainCommand(exercise)).split("\n");
    const at = lines.findIndex((l) => new RegExp(`^\\s+\\d+\\s+${checkId}\\s`).test(l));
    expect(at, `${checkId} in explain ${exercise}`).to.be.greaterThan(-1);
    const after = lines.slice(at + 1);
    const end = after.findIndex((l) => !/^\s+- /.test(l));
    return after.slice(0, end === -1 ? after.length : end).map((l) => l.replace(/^\s+- /, ""));
  }

  it("demo: no ordered start-up rule (Parallel earns full marks); web, exercise-8 and cassandra: ordered start-up", async function () {
    const demo = await explained("demo", "statefulset-spec");
    expect(demo).to.include("it asks for 2 replicas");
    expect(demo).to.not.include(ORDERED);
    for (const id of ["web", "exercise-8", "cassandra"]) expect(await explained(id, "statefulset-spec"), id).to.include(ORDERED);
    // No rule of demo asks for it (its parameters' descriptions may still name the policy).
    const rules = (await explainCommand("demo")).split("\n").filter((l) => /^\s+- /.test(l)).join("\n");
    expect(rules).to.include("it asks for 2 replicas");
    expect(rules).to.not.match(/OrderedReady|one at a time|created only after/);
  });

  it("exercise-8: pod-dns without the Service's own name, partitioned-rollout without the submitted strategy", async function () {
    expect(await explained("exercise-8", "pod-dns")).to.deep.equal([
      "<pod>.<service> resolves to each pod's IP",
      "after every pod is recreated, the names resolve to the new IPs",
    ]);
    expect(await explained("web", "pod-dns")).to.include("the Service's name lists every Ready pod");
    expect((await explained("exercise-8", "partitioned-rollout")).join("\n")).to.not.include("updateStrategy");
  });
});
