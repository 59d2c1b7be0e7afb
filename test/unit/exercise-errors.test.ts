/**
 * Mistakes in an exercise file, as the instructor reads them: the check by id and 1-based
 * position, the property as the file spells it, what it must be and what was found, and the
 * nearest valid name. Each exercise is a copy of the test course's welcome-page with one
 * mistake, loaded as `kubegrade` loads it (no cluster).
 */
import { expect } from "chai";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { PROJECT_ROOT } from "../../runner/config.ts";
import { ordinal } from "../../runner/exercise-errors.ts";
import { loadExercise } from "../../runner/exercise.ts";

type Definition = Record<string, unknown> & { checks: Record<string, unknown>[] };

describe("exercise file errors in the instructor's words", function () {
  let course: string;
  let base: Definition;
  let saved: string | undefined;
  before(async function () {
    course = await mkdtemp(join(tmpdir(), "kubegrade-errors-"));
    base = parse(await readFile(join(PROJECT_ROOT, "test/course/welcome-page/exercise.yaml"), "utf8")) as Definition;
    saved = process.env.KUBEGRADE_VALIDATION_MEMO;
    process.env.KUBEGRADE_VALIDATION_MEMO = "0";
  });
  after(async function () {
    if (saved === undefined) delete process.env.KUBEGRADE_VALIDATION_MEMO;
    else process.env.KUBEGRADE_VALIDATION_MEMO = saved;
    await rm(course, { recursive: true, force: true });
  });
  let n = 0;
  /** The message loading a changed copy of welcome-page gives. */
  const refusal = async (change: (d: Definition) => void): Promise<string> => {
    const id = `mistake-${++n}`;
    const definition = structuredClone({ ...base, id });
    change(definition);
    await mkdir(join(course, id));
    await writeFile(join(course, id, "exercise.yaml"), stringify(definition));
    const error = await loadExercise(id, [course]).then(() => undefined, (e: unknown) => e as Error);
    expect(error, "the definition was accepted").to.be.instanceOf(Error);
    return error!.message;
  };

  it("counts positions as people do", function () {
    expect([1, 2, 3, 4, 11, 12, 13, 21, 22, 103].map(ordinal)).to.deep.equal(["1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "103rd"]);
  });

  it("an unknown property of a check's http: the check's id, its position, the property and the nearest name", async function () {
    const message = await refusal((d) => {
      d.checks.push({ id: "a5", points: 1, http: {} }, { id: "a6", points: 1, http: {} }, { id: "id-served", points: 1, http: { prot: 80 } });
    });
    expect(message).to.include("check id-served (7th): `http` has no property `prot` — did you mean `port`?");
    expect(message).to.not.match(/\.checks\.6|additional properties/);
  });

  it("a check's own property, a wrong type, a value out of its list, a missing property", async function () {
    expect(await refusal((d) => {
      d.checks[0].parms = {};
    })).to.include("check service-port (1st) has no property `parms` — did you mean `params`?");
    expect(await refusal((d) => {
      d.checks[1].points = "20";
    })).to.include('check content (2nd): `points` must be a number, not a text ("20")');
    expect(await refusal((d) => {
      d.checks[2].command = { run: "true", in: "pod" };
    })).to.include('check mounted (3rd): `command.in` must be one of "pods", "probe", not "pod" — did you mean "pods"?');
    expect(await refusal((d) => {
      delete d.checks[3].points;
    })).to.include("check served (4th) needs `points`");
    expect(await refusal((d) => {
      d.titel = d.title;
    })).to.include("the exercise has no property `titel` — did you mean `title`?");
  });

  it("a value that may be of two kinds: the branch of the value's kind says what is wrong", async function () {
    expect(await refusal((d) => {
      d.checks[2].command = { run: "" };
    })).to.include("check mounted (3rd): `command.run` must not be empty");
    expect(await refusal((d) => {
      d.checks[2].command = { run: 3 };
    })).to.include("check mounted (3rd): `command.run` must be a text or a list, not a whole number (3)");
  });

  it("a built-in check's parameter: the same words, the parameter named", async function () {
    const message = await refusal((d) => {
      d.checks.push({ id: "statefulset-spec", points: 1, params: { replicas: 11 } });
    });
    expect(message).to.include("check statefulset-spec (5th): parameter `replicas` must be at most 10, not 11");
    expect(await refusal((d) => {
      d.params = { ...(d.params as object), port: { port: 80 } };
      d.checks.push({ id: "headless-service", points: 1, params: { port: { prot: 80 } } });
    })).to.include("check headless-service (5th): parameter `port` has no property `prot` — did you mean `port`?");
  });

  it("a placeholder that is none, or that has no value where it is", async function () {
    expect(await refusal((d) => {
      d.checks[3].http = { body: "^{pd}\\s*$" };
    })).to.include("check served (4th): `http.body` names {pd}, which is not a placeholder (did you mean {pod}?); it may name {service}, {namespace}, {statefulset}, {pod}, {ordinal}");
    expect(await refusal((d) => {
      (d.checks[0].object as { name: string }).name = "{pod}";
    })).to.include("check service-port (1st): `object.name` names {pod}, which has no value there: an object check runs once, not per pod");
  });

  it("two checks with one id: the second is named with the first's position", async function () {
    expect(await refusal((d) => {
      d.checks.push({ ...d.checks[1] });
    })).to.include("check content (5th) has the id of the 2nd: each check needs an id of its own");
  });
});
