import { execa } from "execa";
import { join } from "node:path";
import { mkdir } from "node:fs/promises";
import { cacheDir, K3S_IMAGE, KIT_IMAGE } from "../config.ts";
import { UsageError } from "../errors.ts";
import { configuredNodeImage, readyKitNodeImage } from "../images/node-image.ts";
import { buildNodeImage, type BuildResult } from "../node-image/build.ts";
import { interruption } from "../util/interrupt.ts";
import type { Progress } from "../util/progress.ts";
import { ensureDockerEngine } from "./docker-engine.ts";
import { ensureKustomizeTool } from "./kustomize.ts";

export interface SetupOptions {
  progress: Progress;
  /** Rebuild the node image even when its inputs are unchanged. */
  rebuild?: boolean;
  /** Build the kit image even where k3s can be pulled. */
  kit?: boolean;
  env?: NodeJS.ProcessEnv;
}

export interface SetupResult {
  /** The kit image built or checked; undefined when k3s was pulled instead. */
  node?: BuildResult;
  /** Set when rancher/k3s could be pulled and the kit was not needed, or the published kit node image was pulled. */
  pulled?: string;
  durationMs: number;
  logFile: string;
}

/**
 * `kubegrade setup`: a Docker engine that can run the node, and the kit node image with
 * every workload image the exercises use — built here, or pulled from the course's registry
 * when KUBEGRADE_NODE_IMAGE (--node-image) names it. Idempotent: a second run only checks.
 */
export async function setup(options: SetupOptions): Promise<SetupResult> {
  const started = performance.now();
  const published = configuredNodeImage(options.env);
  if (published && (options.kit || options.rebuild)) {
    throw new UsageError(`--kit and --rebuild build the kit node image here, and the node image ${published} is to be pulled instead (KUBEGRADE_NODE_IMAGE or --node-image)`, {
      cause: "unset KUBEGRADE_NODE_IMAGE (and drop --node-image) to build it here, or drop --kit and --rebuild to pull it",
    });
  }
  const cache = cacheDir(options.env);
  await mkdir(join(cache, "logs"), { recursive: true });
  const logFile = join(cache, "logs", `setup-${new Date().toISOString().replace(/[:.]/g, "-")}.log`);
  await ensureDockerEngine(options.progress, join(cache, "build"));
  await ensureKustomizeTool(options.progress, options.env);
  await ensureClientBundle(options.progress, options.env);
  if (published) {
    // Pulled even when present: the course may have pushed the tag again since.
    const image = await readyKitNodeImage({ env: options.env, progress: options.progress, signal: interruption, refresh: true });
    options.progress.info(`✓ ${image} is this kubegrade's kit node image: grades start the kit from it (nothing is built here).`);
    return { pulled: image, durationMs: performance.now() - started, logFile };
  }
  const kitPresent = (await execa("docker", ["image", "inspect", KIT_IMAGE], { reject: false })).exitCode === 0;
  // Where images can be pulled, k3s is all a grade needs: build nothing unless asked (or
  // unless a kit image is already here, which then stays up to date).
  if (!options.kit && !kitPresent && !options.rebuild) {
    const pull = await options.progress.step(`Pulling ${K3S_IMAGE}`, async () =>
      execa("docker", ["pull", "-q", K3S_IMAGE], { reject: false, timeout: 300_000 }),
    ).catch(() => undefined);
    if (pull?.exitCode === 0) {
      options.progress.info(
        `${K3S_IMAGE} pulled: grades run on k3s. The offline kit image is not built (npm run setup -- --kit builds it; the demo exercise's stand-in image exists only there).`,
      );
      return { pulled: K3S_IMAGE, durationMs: performance.now() - started, logFile };
    }
    options.progress.info(`${K3S_IMAGE} cannot be pulled here (${firstLine(pull?.stderr)}): building the offline kit node image.`);
  }
  const node = await buildNodeImage({ cacheDir: cache, progress: options.progress, force: options.rebuild, logFile });
  return { node, durationMs: performance.now() - started, logFile };
}

/** The Kubernetes client bundled into one file (kube/client-bundle.ts): faster to load. */
async function ensureClientBundle(progress: Progress, env?: NodeJS.ProcessEnv): Promise<void> {
  const { buildClientBundle } = await import("../kube/client-bundle.ts");
  await progress.step("The Kubernetes client as one file (esbuild), for a faster first request", async (update) => {
    const result = await buildClientBundle(env);
    update(result === "absent" ? "esbuild is not installed (an optional dependency): the client loads module by module" : `${result.built ? "built" : "cached"}: ${result.path}`);
  });
}

function firstLine(text: string | undefined): string {
  return (text ?? "no answer").trim().split("\n").pop()?.slice(0, 160) ?? "no answer";
}
