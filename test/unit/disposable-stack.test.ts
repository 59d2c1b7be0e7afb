/**
 * The AsyncDisposableStack stand-in Node 22 runs on (runner/util/disposable-stack.ts), held to
 * the built-in one of the Node running the tests: the same scenarios, the same outcomes.
 */
import { expect } from "chai";
import { CleanupStack } from "../../runner/util/disposable-stack.ts";

type Make = () => AsyncDisposableStack;

/** What a scenario did, step by step, and how its disposal ended, as plain data. */
async function trace(make: Make, scenario: (stack: AsyncDisposableStack, log: string[]) => void): Promise<unknown> {
  const log: string[] = [];
  const stack = make();
  scenario(stack, log);
  const before = stack.disposed;
  const outcome = await stack.disposeAsync().then(() => "resolved", (error: unknown) => shape(error));
  await stack.disposeAsync(); // a second time: nothing runs again
  return { log, before, after: stack.disposed, outcome };
}

/** An error as data: its name and message, and for a SuppressedError both of its errors. */
function shape(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const suppressed = error as Error & { error?: unknown; suppressed?: unknown };
  return error.name === "SuppressedError" ? { name: error.name, error: shape(suppressed.error), suppressed: shape(suppressed.suppressed) } : { name: error.name, message: error.message };
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

const SCENARIOS: Record<string, (stack: AsyncDisposableStack, log: string[]) => void> = {
  "runs last added first, each awaited before the next": (stack, log) => {
    stack.defer(() => void log.push("first"));
    stack.defer(async () => {
      await tick();
      log.push("second, after a wait");
    });
    stack.adopt("value", async (v) => void log.push(`adopted ${v}`));
    stack.use({ [Symbol.asyncDispose]: async () => void log.push("async disposable") });
    stack.use({ [Symbol.dispose]: () => void log.push("sync disposable") });
    stack.use(null);
    stack.use(undefined);
  },
  "runs every disposer when some fail, then throws the failures nested as SuppressedError": (stack, log) => {
    stack.defer(() => {
      log.push("a");
      throw new Error("a failed");
    });
    stack.defer(() => void log.push("b"));
    stack.defer(async () => {
      log.push("c");
      throw new RangeError("c failed");
    });
    stack.defer(() => {
      log.push("d");
      throw new TypeError("d failed");
    });
  },
  "one failure is thrown as it is": (stack, log) => {
    stack.defer(() => void log.push("ok"));
    stack.defer(() => {
      throw new Error("only this");
    });
  },
};

describe("AsyncDisposableStack on Node 22 (the stand-in, against the built-in)", function () {
  const builtIn = (globalThis as { AsyncDisposableStack?: new () => AsyncDisposableStack }).AsyncDisposableStack;
  before(function () {
    if (!builtIn) this.skip(); // the tests run on Node 24, which has it
  });

  for (const [title, scenario] of Object.entries(SCENARIOS)) {
    it(title, async function () {
      const expected = await trace(() => new builtIn!(), scenario);
      expect(await trace(() => new CleanupStack(), scenario)).to.deep.equal(expected);
    });
  }

  it("refuses what cannot be disposed, and any use once disposed; move() hands the disposers over", async function () {
    for (const make of [() => new builtIn!(), () => new CleanupStack()] as Make[]) {
      const stack = make();
      expect(() => stack.use({} as AsyncDisposable)).to.throw(TypeError);
      const log: string[] = [];
      stack.defer(() => void log.push("moved"));
      const moved = stack.move();
      expect(stack.disposed).to.equal(true);
      expect(() => stack.defer(() => {})).to.throw(ReferenceError);
      await stack.disposeAsync();
      expect(log).to.deep.equal([]);
      await moved[Symbol.asyncDispose]();
      expect(log).to.deep.equal(["moved"]);
      expect(Object.prototype.toString.call(moved)).to.equal("[object AsyncDisposableStack]");
    }
  });
});

describe("the grader's sources name no disposal global Node 22 lacks", function () {
  it("AsyncDisposableStack, DisposableStack and SuppressedError come from runner/util/disposable-stack.ts", async function () {
    const { readdirSync, readFileSync } = await import("node:fs");
    const { join } = await import("node:path");
    const { PROJECT_ROOT } = await import("../../runner/config.ts");
    const offenders: string[] = [];
    for (const dir of ["runner", "checks"]) {
      for (const rel of readdirSync(join(PROJECT_ROOT, dir), { recursive: true, encoding: "utf8" })) {
        if (!rel.endsWith(".ts") || rel.endsWith("disposable-stack.ts")) continue;
        const text = readFileSync(join(PROJECT_ROOT, dir, rel), "utf8").replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, "");
        const imported = /import \{[^}]*\bAsyncDisposableStack\b[^}]*\} from "[./]+util\/disposable-stack\.ts"/.test(text);
        for (const name of ["AsyncDisposableStack", "DisposableStack", "SuppressedError"]) {
          const used = new RegExp(`(?<![\\w.])${name}\\b`).test(text.replace(/import \{[^}]*\} from "[^"]*";/g, ""));
          if (used && !(name === "AsyncDisposableStack" && imported)) offenders.push(`${dir}/${rel}: ${name}`);
        }
      }
    }
    expect(offenders, "Node 22 has none of these: import the stand-in").to.deep.equal([]);
  });
});
