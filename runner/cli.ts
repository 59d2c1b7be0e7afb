#!/usr/bin/env node
/**
 * kubegrade's command line: `node runner/cli.ts …` (npm run grade, setup, …) and, through
 * runner/bin.ts, the installed `kubegrade`. It turns on V8's code cache on disk before
 * anything else loads, then runs the program (runner/program.ts): every module after this
 * one — the program's own (their types stripped once), the Kubernetes client, mocha,
 * testcontainers — is then read from that cache on later runs (`kubegrade --version`: 0.33 s
 * with the cache turned on inside the program, 0.12 s from here). KUBEGRADE_COMPILE_CACHE=0
 * turns it off; NODE_COMPILE_CACHE, Node's own switch, takes precedence.
 */
import { enableCompileCache } from "node:module";
import { join } from "node:path";
import { cacheDir } from "./config.ts";
import type { ExitCode } from "./errors.ts";

export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<ExitCode> {
  if (!env.NODE_COMPILE_CACHE && env.KUBEGRADE_COMPILE_CACHE !== "0") enableCompileCache(join(cacheDir(env), "node-compile-cache"));
  const program = await import("./program.ts");
  return program.main(argv, env);
}

if (import.meta.main) {
  const code = await main(process.argv.slice(2));
  process.exit(code);
}
