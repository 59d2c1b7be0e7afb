/**
 * `kubegrade images push-node --registry HOST/PATH`: the kit node image built here, pushed to
 * a registry the course owns, so that machines that cannot (or should not) build it — hosted CI
 * runners above all — pull it instead (KUBEGRADE_NODE_IMAGE, --node-image; node-image.ts).
 * Once per term and kubegrade version, from any machine with Docker where `setup --kit` built it.
 *
 * Through the docker command, as `images push` does: the user's `docker login`, credential
 * helpers, TLS and insecure-registries apply as they do to any push. The target tag is removed
 * again at the end (it shares every layer with the image; only the name goes).
 */
import { KIT_IMAGE } from "../config.ts";
import { InfrastructureError, UsageError, errorMessage } from "../errors.ts";
import { AsyncDisposableStack } from "../util/disposable-stack.ts";
import { imagePresent } from "../util/docker.ts";
import type { Progress } from "../util/progress.ts";
import { checkNodeImage, parseNodeImage } from "./node-image.ts";
import { parseImageRegistry, registryReference } from "./names.ts";
import { docker, tagAndPush } from "./push.ts";

/**
 * Where --registry sends the node image: HOST[:PORT][/PATH] gives HOST/PATH/kubegrade/node:<version>
 * (the name rule of `images push`); a whole reference, its last part with a tag
 * (docker.io/course/kubegrade-node:fall), is taken as it is. Exit 2 when it is neither.
 */
export function nodeImageTarget(value: string, source = "--registry "): string {
  const trimmed = value.trim().replace(/\/+$/, "");
  const last = trimmed.slice(trimmed.lastIndexOf("/") + 1);
  if (trimmed.includes("/") && (last.includes(":") || last.includes("@"))) {
    if (trimmed.includes("@")) throw new UsageError(`${source}${value}: a digest names what was pushed; push to a tag (HOST/PATH/NAME:TAG)`);
    return parseNodeImage(trimmed, source);
  }
  return registryReference(KIT_IMAGE, parseImageRegistry(trimmed, source.trim()));
}

export interface PushNodeOptions {
  /** The reference to push to (nodeImageTarget). */
  target: string;
  progress: Progress;
  signal?: AbortSignal;
}

/** Pushes the kit node image built here to `target`; the digest the registry answered, if it did. */
export async function pushNodeImage(options: PushNodeOptions): Promise<{ reference: string; digest?: string }> {
  const { target, progress, signal } = options;
  await docker(["version", "--format", "{{.Server.Version}}"]).catch((error: unknown) => {
    throw new InfrastructureError(`The docker command cannot reach a Docker engine: ${errorMessage(error).split("\n")[0]}`, {
      hint: "images push-node needs the docker command line and a running engine (`npx kubegrade setup` installs and starts one on Debian).",
    });
  });
  if (!(await imagePresent(KIT_IMAGE))) {
    throw new InfrastructureError(`The kit node image ${KIT_IMAGE} is not built here: there is nothing to push.`, {
      hint: "Build it with `npx kubegrade setup --kit` (about 11 minutes the first time), then run this again.",
    });
  }
  // What is pushed must be what this kubegrade would build, or every grade that pulls it refuses it.
  await checkNodeImage(KIT_IMAGE, {
    subject: `The kit node image built here, ${KIT_IMAGE},`,
    hint: "Bring it up to date with `npx kubegrade setup --kit` (it rebuilds what changed), then run this again.",
  });
  await using held = new AsyncDisposableStack();
  held.defer(async () => {
    await docker(["rmi", target]).catch(() => {});
  });
  const digest = await tagAndPush(KIT_IMAGE, target, { progress, registry: target, label: `Pushing ${KIT_IMAGE} → ${target}`, ...(signal ? { signal } : {}) });
  return { reference: target, ...(digest ? { digest } : {}) };
}
