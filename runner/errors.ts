/**
 * Expected failures carry the exit code the CLI ends with (see README, "Exit codes").
 * Anything else that escapes is an internal error: exit 3, stack trace only under --debug.
 */
export const EXIT = {
  passed: 0,
  notPassed: 1,
  usage: 2,
  internal: 3,
  /** Interrupted by Ctrl-C (SIGINT): no result. */
  interrupted: 130,
  /** Interrupted by SIGTERM or SIGHUP: no result. */
  terminated: 143,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** Bad command line, unknown exercise, unreadable or refused submission: exit 2. */
export class UsageError extends Error {
  readonly exitCode: ExitCode = EXIT.usage;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "UsageError";
  }
}

/** The grader, Docker or the cluster failed; never the student's fault: exit 3. */
export class InfrastructureError extends Error {
  readonly exitCode: ExitCode = EXIT.internal;
  /** What the user can do about it, printed under the message. */
  readonly hint?: string;
  constructor(message: string, options?: { cause?: unknown; hint?: string }) {
    super(message, options);
    this.name = "InfrastructureError";
    this.hint = options?.hint;
  }
}

export function exitCodeOf(error: unknown): ExitCode {
  if (error instanceof UsageError || error instanceof InfrastructureError) return error.exitCode;
  return EXIT.internal;
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
