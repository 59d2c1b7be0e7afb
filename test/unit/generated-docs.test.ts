/**
 * What `npm run docs` (docs/generate.ts) makes from the code is what is checked in: the check
 * API reference (docs/check-api.md, TypeDoc from checks/api.ts — which also refuses an
 * undocumented member of the API) and the parameters exercise.schema.json lists. A change to
 * the API or to a check's parameters without `npm run docs` fails here.
 */
import { expect } from "chai";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CHECK_API_REFERENCE, ROOT, exerciseSchema, writeCheckApiReference } from "../../docs/generate.ts";

const REGENERATE = "run `npm run docs` and commit what it writes";

describe("generated docs: the check API reference and the exercise schema's parameters", function () {
  it(`${CHECK_API_REFERENCE} is what TypeDoc makes of checks/api.ts now`, async function () {
    this.timeout(60_000); // TypeDoc compiles checks/api.ts: a few seconds
    const dir = await mkdtemp(join(tmpdir(), "kubegrade-api-"));
    try {
      const fresh = await readFile(await writeCheckApiReference(dir), "utf8");
      const committed = await readFile(join(ROOT, CHECK_API_REFERENCE), "utf8");
      expect(committed === fresh, `${CHECK_API_REFERENCE} differs from checks/api.ts's declarations: ${REGENERATE}`).to.equal(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("the reference documents every member of the check context, with its deadline where it waits", async function () {
    const text = await readFile(join(ROOT, CHECK_API_REFERENCE), "utf8");
    for (const member of ["eventually", "exec", "probe", "serviceName", "statefulSet", "podNames", "podsReady", "recreatePods", "recreateAllOnce",
      "beforeRecreateAll", "scale", "patchStatefulSet", "observed", "waitForPods", "deleteStatefulSet", "reapplyStatefulSet", "step"]) {
      expect(text, member).to.match(new RegExp(`^##### ${member}\\(\\)$`, "m"));
    }
    for (const property of ["kc", "core", "apps", "namespace", "params", "timeline", "deadlines"]) expect(text, property).to.include(`\`${property}\` |`);
    expect(text).to.include("[Deadlines.podReadyMs](#property-podreadyms)");
  });

  it("exercise.schema.json lists the parameters the checks declare", async function () {
    const committed = JSON.parse(await readFile(join(ROOT, "exercises/exercise.schema.json"), "utf8")) as { properties: { params: unknown } };
    expect(committed.properties.params, `exercise.schema.json's params differ from the checks' parameter schemas: ${REGENERATE}`).to.deep.equal(
      exerciseSchema().properties.params,
    );
  });

  it("the instructors' guide links the reference", async function () {
    expect(await readFile(join(ROOT, "docs/instructors.md"), "utf8")).to.include("](check-api.md");
  });
});
