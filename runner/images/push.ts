/**
 * `kubegrade images push --registry HOST/PATH`: copies the images only the kit builds (or,
 * with --all, every workload image of the kit) into a registry a cluster's nodes pull from.
 *
 * How: the kit's registry is served from a throwaway container (kit-registry.ts), and each
 * image goes through the Docker engine — `docker pull` from it, `docker tag` to the target
 * name (names.ts), `docker push`. The engine and its command line already do everything a
 * push to someone's registry needs: the user's `docker login` credentials and credential
 * helpers, token authentication, TLS and the engine's insecure-registries, retries and
 * cross-repository blob mounts; copying blobs over the registry API ourselves would mean
 * doing all of that again. The cost is a temporary copy in the engine's image store (about
 * 290 MB with cassandra's), removed at the end with the temporary tags and the container —
 * also after an error or Ctrl-C.
 */
import { execa } from "execa";
import { InfrastructureError, errorMessage } from "../errors.ts";
import { AsyncDisposableStack } from "../util/disposable-stack.ts";
import { interruptedBy } from "../util/interrupt.ts";
import type { Progress } from "../util/progress.ts";
import { startKitRegistry } from "./kit-registry.ts";
import { pushPlan } from "./names.ts";

export interface PushOptions {
  /** HOST[:PORT][/PATH], already checked (names.ts parseImageRegistry). */
  registry: string;
  all?: boolean;
  progress: Progress;
  signal?: AbortSignal;
  /** Names the kit node image to read the images from (KUBEGRADE_NODE_IMAGE: node-image.ts). */
  env?: NodeJS.ProcessEnv;
}

export interface Pushed {
  /** The name manifests write: kubegrade/hello-api:1.0 */
  name: string;
  /** Its name in the registry. */
  target: string;
  /** The manifest digest the registry answered. */
  digest?: string;
}

/** What to do about a failed push, from Docker's words. */
export function pushAdvice(output: string, registry: string): string {
  const host = registry.split("/")[0];
  if (/server gave HTTP response to HTTPS client/i.test(output)) {
    return `${host} speaks plain HTTP: list it in Docker's "insecure-registries" (/etc/docker/daemon.json) and restart Docker, or serve it over TLS (127.0.0.1 and localhost need neither).`;
  }
  if (/denied|unauthorized|authentication required|forbidden/i.test(output)) {
    return `The registry refused the push: \`docker login ${host}\` as an account that may push to ${registry}, then run this again.`;
  }
  if (/no such host|connection refused|i\/o timeout|no route to host|network is unreachable/i.test(output)) {
    return `Docker cannot reach ${host} from this machine: check the address and that the registry is running.`;
  }
  return "Run again with --debug for Docker's whole output.";
}

/** Runs the docker command (the user's `docker login` applies); its output, or an error carrying it. */
export async function docker(args: string[], signal?: AbortSignal): Promise<string> {
  const result = await execa("docker", args, { all: true, reject: false, stdin: "ignore", ...(signal ? { cancelSignal: signal } : {}) });
  if (signal?.aborted) throw interruptedBy(undefined, signal) ?? signal.reason;
  if (result.failed) {
    const output = String(result.all ?? result.message ?? "").trim();
    throw Object.assign(new Error(`docker ${args[0]} ${args.at(-1)} failed (exit ${result.exitCode ?? "?"}): ${output.split("\n").slice(-6).join("\n")}`), { output });
  }
  return String(result.stdout ?? "");
}

/**
 * Tags `source` as `target` and pushes it; the digest the registry answered, if it gave one. A
 * failure is an infrastructure error with what to do about it (pushAdvice).
 */
export async function tagAndPush(
  source: string,
  target: string,
  options: { progress: Progress; registry: string; label: string; signal?: AbortSignal },
): Promise<string | undefined> {
  const { signal } = options;
  const out = await options.progress.step(options.label, async () => {
    await docker(["tag", source, target], signal);
    return docker(["push", target], signal);
  }).catch((error: unknown) => {
    if (signal && interruptedBy(error, signal)) throw error;
    const output = String((error as { output?: string }).output ?? errorMessage(error));
    throw new InfrastructureError(`Pushing ${target} failed: ${output.split("\n").filter(Boolean).slice(-3).join(" / ")}`, {
      cause: error,
      hint: pushAdvice(output, options.registry),
    });
  });
  return /digest: (sha256:[0-9a-f]{64})/.exec(out)?.[1];
}

export async function pushImages(options: PushOptions): Promise<Pushed[]> {
  const { registry, progress, signal } = options;
  await docker(["version", "--format", "{{.Server.Version}}"]).catch((error: unknown) => {
    throw new InfrastructureError(`The docker command cannot reach a Docker engine: ${errorMessage(error).split("\n")[0]}`, {
      hint: "images push needs the docker command line and a running engine (`npx kubegrade setup` installs and starts one on Debian).",
    });
  });
  await using held = new AsyncDisposableStack();
  const kit = await progress.step("Serving the kit's registry from its node image", () => startKitRegistry({ signal, env: options.env }));
  held.use(kit);
  const pushed: Pushed[] = [];
  const plan = pushPlan(registry, options.all ?? false);
  for (const item of plan) {
    const source = `${kit.address}/${item.source}`;
    // Deferred before the pull starts: an interrupted pull may still have tagged the image.
    held.defer(async () => {
      await docker(["rmi", source]).catch(() => {});
    });
    await progress.step(`Reading ${item.names[0].name} from the kit`, () => docker(["pull", "-q", source], signal)).catch((error: unknown) => {
      if (signal && interruptedBy(error, signal)) throw error;
      throw new InfrastructureError(`Could not read ${item.names[0].name} from the kit's registry: ${errorMessage(error)}`, {
        hint: "The kit node image may be incomplete: rebuild it with `npx kubegrade setup --kit --rebuild`.",
      });
    });
    for (const { name, target } of item.names) {
      held.defer(async () => {
        await docker(["rmi", target]).catch(() => {});
      });
      const digest = await tagAndPush(source, target, { progress, registry, label: `Pushing ${name} → ${target}`, ...(signal ? { signal } : {}) });
      pushed.push({ name, target, ...(digest ? { digest } : {}) });
      progress.info(`pushed ${name} as ${target}${digest ? ` (${digest})` : ""}`);
    }
  }
  await progress.step("Removing the temporary copies", () => held.disposeAsync());
  return pushed;
}
