import { execa } from "execa";
import { ensureKustomize } from "../submission/kustomize.ts";
import type { Progress } from "../util/progress.ts";

/**
 * kustomize for submissions with a kustomization (what `kubectl apply -k` builds), built
 * from the Go module proxy and cached by its inputs. Without Go, setup goes on: only such
 * submissions then fail, with the hint to run setup where Go is.
 */
export async function ensureKustomizeTool(progress: Progress, env?: NodeJS.ProcessEnv): Promise<void> {
  if ((await execa("go", ["version"], { reject: false })).exitCode !== 0) {
    progress.info("Go was not found: kustomize is not built, so submissions with a kustomization cannot be graded here.");
    return;
  }
  await progress.step("kustomize (sigs.k8s.io/kustomize/api), for submissions with a kustomization", async (update) => {
    const { path, built } = await ensureKustomize(env, update);
    update(built ? `built: ${path}` : `cached: ${path}`);
  });
}
