/**
 * Ctrl-C and SIGTERM. The first signal aborts `interruption`; whatever is running sees it
 * (every wait takes a signal), unwinds, and releases what it holds through its own
 * AsyncDisposableStack / `await using` — the one cleanup mechanism, the same on success,
 * failure and signals. The command then ends with 130 (SIGINT) or 143 (SIGTERM, SIGHUP).
 * A second signal, or a command still running past TIMEOUTS.interruptGraceMs, ends the
 * process at once; containers it leaves are swept on the next start (sweep.ts).
 */
import { TIMEOUTS } from "../config.ts";
import { EXIT } from "../errors.ts";

export type InterruptSignal = "SIGINT" | "SIGTERM" | "SIGHUP";

/** The run was interrupted by a signal: not a result, nothing to score. */
export class Interrupted extends Error {
  readonly signal: InterruptSignal;
  readonly exitCode: typeof EXIT.interrupted | typeof EXIT.terminated;
  constructor(signal: InterruptSignal) {
    super(`interrupted by ${signal}`);
    this.name = "Interrupted";
    this.signal = signal;
    this.exitCode = signal === "SIGINT" ? EXIT.interrupted : EXIT.terminated;
  }
}

const controller = new AbortController();

/** Aborted (with an Interrupted reason) by the first signal, once handlers are installed. */
export const interruption: AbortSignal = controller.signal;

/** The Interrupted reason when `error` is (or `signal` was aborted by) an interruption. */
export function interruptedBy(error: unknown, signal: AbortSignal = interruption): Interrupted | undefined {
  if (error instanceof Interrupted) return error;
  return signal.aborted && signal.reason instanceof Interrupted ? signal.reason : undefined;
}

let installed = false;

/** Installs the handlers (the CLI's entry point does, once). */
export function handleInterrupts(write: (text: string) => void = (t) => process.stderr.write(t)): void {
  if (installed) return;
  installed = true;
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.on(signal, () => {
      const reason = new Interrupted(signal);
      if (controller.signal.aborted) {
        write(`\nkubegrade: ${signal} again, exiting without finishing cleanup (leftovers are swept on the next start)\n`);
        process.exit(reason.exitCode);
      }
      write(`\nkubegrade: ${signal} received, stopping and removing what this run started…\n`);
      controller.abort(reason);
      setTimeout(() => {
        write(`kubegrade: still cleaning up after ${TIMEOUTS.interruptGraceMs / 1000} s, exiting (leftovers are swept on the next start)\n`);
        process.exit(reason.exitCode);
      }, TIMEOUTS.interruptGraceMs).unref();
    });
  }
}
