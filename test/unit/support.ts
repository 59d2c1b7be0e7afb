import { expect } from "chai";
import { UsageError } from "../../runner/errors.ts";

/** Runs `run`, expects it to throw a UsageError, and returns its message. */
export function usageError(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).to.be.instanceOf(UsageError);
    return (error as Error).message;
  }
  return expect.fail("was accepted");
}
