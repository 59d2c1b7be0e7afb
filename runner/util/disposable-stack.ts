/**
 * AsyncDisposableStack, the grader's one cleanup mechanism (util/interrupt.ts): the built-in
 * one where Node has it (24 and newer), else this small stand-in for Node 22, which lacks it.
 * It follows the proposal's semantics for what the grader uses: disposers run last added first,
 * each awaited, every one of them even when some fail; a failure is thrown after all ran, one
 * that happened after another wrapping it as a SuppressedError (error, suppressed), as the
 * built-in does. A polyfill package (es-shims' `disposablestack`) would do the same at the cost
 * of some ninety dependencies in every student's install, for a class Node 24 already has.
 * (`await using` itself needs nothing: tsc compiles it for the npm package, with helpers of its
 * own, and the sources run on Node 24.)
 */

type Disposer = () => PromiseLike<void> | void;

/** The built-in SuppressedError, else one with the same fields (Node 22 has none). */
const Suppressed: new (error: unknown, suppressed: unknown, message?: string) => Error =
  (globalThis as { SuppressedError?: SuppressedErrorConstructor }).SuppressedError ??
  class SuppressedError extends Error {
    readonly error: unknown;
    readonly suppressed: unknown;
    constructor(error: unknown, suppressed: unknown, message = "An error was suppressed during disposal.") {
      super(message);
      this.name = "SuppressedError";
      this.error = error;
      this.suppressed = suppressed;
    }
  };

/** The stand-in (exported for its unit test, which holds it to the built-in's behaviour). */
export class CleanupStack implements AsyncDisposableStack {
  #disposers: Disposer[] | undefined = [];
  readonly [Symbol.toStringTag] = "AsyncDisposableStack";

  get disposed(): boolean {
    return this.#disposers === undefined;
  }

  #open(): Disposer[] {
    if (!this.#disposers) throw new ReferenceError("AsyncDisposableStack already disposed");
    return this.#disposers;
  }

  use<T extends AsyncDisposable | Disposable | null | undefined>(value: T): T {
    const disposers = this.#open();
    if (value === null || value === undefined) return value;
    const dispose = (value as Partial<AsyncDisposable>)[Symbol.asyncDispose] ?? (value as Partial<Disposable>)[Symbol.dispose];
    if (typeof dispose !== "function") throw new TypeError("AsyncDisposableStack.use: the value is neither AsyncDisposable nor Disposable");
    disposers.push(() => dispose.call(value));
    return value;
  }

  adopt<T>(value: T, onDisposeAsync: (value: T) => PromiseLike<void> | void): T {
    this.#open().push(() => onDisposeAsync(value));
    return value;
  }

  defer(onDisposeAsync: () => PromiseLike<void> | void): void {
    this.#open().push(onDisposeAsync);
  }

  move(): AsyncDisposableStack {
    const moved = new CleanupStack();
    moved.#disposers = this.#open();
    this.#disposers = undefined;
    return moved;
  }

  async disposeAsync(): Promise<void> {
    const disposers = this.#disposers;
    if (!disposers) return;
    this.#disposers = undefined;
    let failure: { error: unknown } | undefined;
    for (const dispose of disposers.reverse()) {
      try {
        await dispose();
      } catch (error) {
        failure = { error: failure ? new Suppressed(error, failure.error) : error };
      }
    }
    if (failure) throw failure.error;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.disposeAsync();
  }
}

/** The built-in where there is one, else the stand-in. */
export const AsyncDisposableStack: AsyncDisposableStackConstructor =
  (globalThis as { AsyncDisposableStack?: AsyncDisposableStackConstructor }).AsyncDisposableStack ?? CleanupStack;
