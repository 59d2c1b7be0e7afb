#!/usr/bin/env node
/**
 * The installed `kubegrade` command (package.json "bin" → dist/runner/bin.js). It checks
 * the Node version against package.json "engines" before anything else is loaded — the
 * CLI's static imports would run first, and on too old a Node the grader fails later with
 * a stack trace (testcontainers 12 needs Node ≥ 22.22; what else Node 22 lacks, the grader
 * brings: util/disposable-stack.ts) — then runs the CLI, which owns every other exit code.
 * Only Node built-ins and plain syntax here, so old Nodes get as far as the message.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

function minimumNode(): string | undefined {
  // runner/bin.ts from source, dist/runner/bin.js installed: the nearest package.json above.
  for (let dir = dirname(fileURLToPath(import.meta.url)); dirname(dir) !== dir; dir = dirname(dir)) {
    const file = join(dir, "package.json");
    if (!existsSync(file)) continue;
    const range = (JSON.parse(readFileSync(file, "utf8")) as { engines?: { node?: string } }).engines?.node ?? "";
    return /^>=\s*v?(\d+(?:\.\d+){0,2})$/.exec(range.trim())?.[1];
  }
  return undefined;
}

function older(version: string, minimum: string): boolean {
  const have = version.split(".").map(Number);
  const need = minimum.split(".").map(Number);
  for (let i = 0; i < need.length; i++) {
    if ((have[i] ?? 0) !== need[i]) return (have[i] ?? 0) < need[i];
  }
  return false;
}

const minimum = minimumNode();
if (minimum && older(process.versions.node, minimum)) {
  process.stderr.write(
    `kubegrade: Node.js ${process.versions.node} is too old; kubegrade needs Node.js ${minimum} or newer.\n` +
      "  Install a current Node.js (22 or 24 LTS) and run kubegrade again.\n",
  );
  process.exit(3); // EXIT.internal (runner/errors.ts): the environment, not the submission
}

/**
 * A batch runs for hours in one process. V8 lets its young generation grow to 128 MB (two
 * 64 MB semi-spaces) and keeps it committed, which is most of a batch's resident memory
 * beyond the live heap (bench:batch: 315 MB resident at 200 grades, 61 MB live). The limit is
 * fixed when the process starts, so `batch` runs in a child Node with 16 MB semi-spaces;
 * this process waits for it, passing on the signals it is sent, and exits with its code.
 */
const BATCH_NODE_FLAGS = ["--max-semi-space-size=16"];
const argv = process.argv.slice(2);
if (argv[0] === "batch" && !BATCH_NODE_FLAGS.every((f) => process.execArgv.includes(f))) {
  const { spawn } = await import("node:child_process");
  // In a process group of its own, so that the terminal's Ctrl-C reaches it once, from here
  // (the CLI reads a second signal as "exit now, skip the cleanup").
  const child = spawn(process.execPath, [...process.execArgv, ...BATCH_NODE_FLAGS, fileURLToPath(import.meta.url), ...argv], {
    stdio: "inherit",
    detached: true,
  });
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.on(signal, () => {
      if (child.exitCode === null) child.kill(signal);
    });
  }
  child.on("error", (error) => {
    process.stderr.write(`kubegrade: internal error (not your submission's fault): could not start the batch process: ${error.message}\n`);
    process.exit(3);
  });
  child.on("exit", (code, signal) => process.exit(code ?? (signal === "SIGINT" ? 130 : 143)));
} else {
  const { main } = await import("./cli.ts");
  process.exit(await main(argv));
}
