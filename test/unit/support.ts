import { expect } from "chai";
import { execa } from "execa";
import { join } from "node:path";
import { PROJECT_ROOT } from "../../runner/config.ts";
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

/**
 * The kubegrade command line in a child process with no Docker to reach (a socket that
 * does not exist): a command that gets as far as starting a cluster fails with exit 3, so
 * an exit 2 proves the refusal came first.
 */
export function kubegradeWithoutDocker(args: string[]) {
  return execa(process.execPath, [join(PROJECT_ROOT, "runner/cli.ts"), ...args], {
    env: { ...process.env, CI: "true", NO_COLOR: "1", DOCKER_HOST: "unix:///nonexistent/docker.sock", KUBEGRADE_CLUSTER: "kit" },
    reject: false,
    all: true,
    timeout: 60_000,
  });
}

/** Output holds no JavaScript stack frame ("    at f (file.ts:1:2)"). */
export function expectNoStackTrace(output: string): void {
  expect(output).not.to.match(/^\s+at .+:\d+:\d+\)?$/m);
}
