import { join } from "node:path";
import { mkdir } from "node:fs/promises";
import { cacheDir } from "../config.ts";
import { buildNodeImage, type BuildResult } from "../node-image/build.ts";
import type { Progress } from "../util/progress.ts";
import { ensureDockerEngine } from "./docker-engine.ts";

export interface SetupOptions {
  progress: Progress;
  /** Rebuild the node image even when its inputs are unchanged. */
  rebuild?: boolean;
  /** Build the kit image even where k3s could be pulled (always, on this project's machines). */
  env?: NodeJS.ProcessEnv;
}

export interface SetupResult {
  node: BuildResult;
  durationMs: number;
  logFile: string;
}

/**
 * `kubegrade setup`: a Docker engine that can run the node, and the kit node image with
 * every workload image the exercises use. Idempotent: a second run only checks.
 */
export async function setup(options: SetupOptions): Promise<SetupResult> {
  const started = performance.now();
  const cache = cacheDir(options.env);
  await mkdir(join(cache, "logs"), { recursive: true });
  const logFile = join(cache, "logs", `setup-${new Date().toISOString().replace(/[:.]/g, "-")}.log`);
  await ensureDockerEngine(options.progress, join(cache, "build"));
  const node = await buildNodeImage({ cacheDir: cache, progress: options.progress, force: options.rebuild, logFile });
  return { node, durationMs: performance.now() - started, logFile };
}
