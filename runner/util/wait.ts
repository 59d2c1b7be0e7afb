import { setTimeout as delay } from "node:timers/promises";

/** What a probe reports while the condition is not met yet: shown if the deadline passes. */
export interface Pending {
  pending: string;
}

export class DeadlineError extends Error {
  readonly what: string;
  readonly lastObserved: string;
  readonly deadlineMs: number;
  constructor(what: string, deadlineMs: number, lastObserved: string) {
    super(`${what}: not reached within ${(deadlineMs / 1000).toFixed(0)} s; last seen: ${lastObserved}`);
    this.name = "DeadlineError";
    this.what = what;
    this.lastObserved = lastObserved;
    this.deadlineMs = deadlineMs;
  }
}

export interface WaitOptions {
  /** First interval between probes; grows to maxIntervalMs. */
  intervalMs?: number;
  maxIntervalMs?: number;
  signal?: AbortSignal;
  /** Called with each pending observation (progress display). */
  onPending?: (observation: string) => void;
}

function isPending(value: unknown): value is Pending {
  return typeof value === "object" && value !== null && "pending" in value;
}

/**
 * Polls `probe` until it returns something other than `{ pending }` or `false`, and
 * returns that. At the named deadline it throws a DeadlineError carrying the last
 * observation ("3/4 endpoints ready"), never a bare "timed out". A probe that throws
 * ends the wait with that error: it is for conditions, not for swallowing failures.
 */
export async function waitUntil<T>(
  what: string,
  deadlineMs: number,
  probe: () => Promise<T | Pending | false>,
  options: WaitOptions = {},
): Promise<T> {
  const started = performance.now();
  let interval = options.intervalMs ?? 100;
  const maxInterval = options.maxIntervalMs ?? 1000;
  let last = "nothing observed yet";
  for (;;) {
    options.signal?.throwIfAborted();
    const value = await probe();
    if (value !== false && !isPending(value)) return value as T;
    if (isPending(value)) {
      last = value.pending;
      options.onPending?.(last);
    }
    const remaining = deadlineMs - (performance.now() - started);
    if (remaining <= 0) throw new DeadlineError(what, deadlineMs, last);
    await delay(Math.min(interval, remaining), undefined, { signal: options.signal });
    interval = Math.min(interval * 1.5, maxInterval);
  }
}
