import { expect } from "chai";
import type { Requirement } from "../../checks/api.ts";
import { loadExercise } from "../../runner/exercise.ts";
import { planChecks, skipText } from "../../runner/grade/run-checks.ts";

const notReady = { reason: "the pods never all became Ready", detail: "web-0 CrashLoopBackOff: exit code 1" };

describe("skip text", function () {
  it("points to the exercise's check that proves the prerequisite, without repeating its message", async function () {
    const plan = planChecks(await loadExercise("web"));
    const text = skipText("pods-ready", notReady, plan, "pod-dns", new Map());
    expect(text).to.equal("the pods never all became Ready (see ordered-creation).");
  });
  it("in an exercise without that check (demo has no ordered-creation), the first skip carries the detail and the others point to it", async function () {
    const plan = planChecks(await loadExercise("demo"));
    const first = new Map<Requirement, string>();
    const texts = ["per-pod-storage", "pod-dns", "stable-identity"].map((id) => skipText("pods-ready", notReady, plan, id, first));
    expect(texts[0]).to.equal("the pods never all became Ready: web-0 CrashLoopBackOff: exit code 1");
    expect(texts.slice(1)).to.deep.equal(["the pods never all became Ready (see per-pod-storage).", "the pods never all became Ready (see per-pod-storage)."]);
    for (const t of texts) expect(t).not.to.include("ordered-creation");
  });
  it("a missing StatefulSet points to statefulset-spec when the exercise has it", async function () {
    const plan = planChecks(await loadExercise("demo"));
    expect(skipText("statefulset", { reason: "StatefulSet demo does not exist" }, plan, "pod-dns", new Map())).to.equal("StatefulSet demo does not exist (see statefulset-spec).");
  });
});
