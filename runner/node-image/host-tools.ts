/**
 * Build tools on the machine that builds the node image (debootstrap, Maven, javac):
 * found on PATH, or installed from Debian's packages when they are missing.
 */
import { execa } from "execa";
import { existsSync } from "node:fs";
import { InfrastructureError } from "../errors.ts";
import type { BuildLog } from "./build-log.ts";

export async function hasCommand(command: string): Promise<boolean> {
  return (await execa("sh", ["-c", `command -v ${command}`], { reject: false })).exitCode === 0;
}

/** Makes sure `command` exists, installing `packages` with apt-get when it does not; `why` completes "… is needed to …". */
export async function ensureCommand(log: BuildLog, command: string, packages: string[], why: string): Promise<void> {
  if (await hasCommand(command)) return;
  if (!existsSync("/usr/bin/apt-get")) {
    throw new InfrastructureError(`${command} is needed to ${why} and this is not a Debian-like system.`);
  }
  const env = { DEBIAN_FRONTEND: "noninteractive" };
  await log.run("apt-get", ["update", "-qq"], { env });
  await log.run("apt-get", ["install", "-y", "-qq", "--no-install-recommends", ...packages], { env });
}

/** The library paths in ldd's output ("libz.so.1 => /lib/x86_64-linux-gnu/libz.so.1 (0x…)"). */
export function lddPaths(output: string): string[] {
  const libs = new Set<string>();
  for (const line of output.split("\n")) {
    const match = /(?:=>\s*)?(\/\S+)\s+\(0x/.exec(line);
    if (match) libs.add(match[1]);
  }
  return [...libs];
}
