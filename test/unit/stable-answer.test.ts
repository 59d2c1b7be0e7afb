/**
 * When ctx.eventually stops retrying before its deadline (runner/grade/check-context.ts): the
 * same wrong answer given in full (checks/api.ts assertAnswer) for 2 s over 3 attempts at
 * least; an answer that changes, or a failure that is no answer (nothing resolved, nothing
 * connected), is retried until the deadline.
 */
import { expect } from "chai";
import { answerOf, assertAnswer } from "../../checks/api.ts";
import { repeated, settled, type SameAnswer } from "../../runner/grade/check-context.ts";

function attempts(answers: (string | undefined)[], everyMs: number): boolean[] {
  let same: SameAnswer | undefined;
  return answers.map((answer, i) => {
    same = repeated(same, answer, i * everyMs);
    return settled(same, i * everyMs);
  });
}

describe("a stable wrong answer ends a retry", function () {
  it("the same answer for 2 s over 3 attempts", function () {
    expect(attempts(["status 404", "status 404", "status 404", "status 404"], 700)).to.deep.equal([false, false, false, true]);
    // Three attempts in a blink are not yet 2 s of the same answer.
    expect(attempts(["status 404", "status 404", "status 404"], 100)).to.deep.equal([false, false, false]);
  });

  it("an answer that changes, or no answer at all, is retried", function () {
    expect(attempts(["body old", "body old", "body new", "body new", "body new"], 700)).to.deep.equal([false, false, false, false, false]);
    expect(attempts([undefined, undefined, undefined, undefined, undefined], 1000)).to.deep.equal([false, false, false, false, false]);
    expect(attempts(["status 403", undefined, "status 403", "status 403"], 1000)).to.deep.equal([false, false, false, false]);
  });

  it("assertAnswer throws chai's assertion with the answer; a plain assertion carries none", function () {
    let thrown: unknown;
    try {
      assertAnswer(false, "status 404", "GET / answered 404");
    } catch (error) {
      thrown = error;
    }
    expect((thrown as Error).message).to.equal("GET / answered 404");
    expect(answerOf(thrown)).to.equal("status 404");
    expect(answerOf(new Error("x"))).to.equal(undefined);
    expect(() => assertAnswer(true, "status 200", "never")).not.to.throw();
  });
});
