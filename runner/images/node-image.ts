/**
 * The kit node image a run uses: `kubegrade/node:<version>` as `setup` builds it here, or a
 * course's published copy named by KUBEGRADE_NODE_IMAGE (the commands' --node-image sets it),
 * pushed once by `kubegrade images push-node` and pulled instead of built — where building
 * takes ~11 minutes and Go, as on hosted CI runners.
 *
 * A pulled image is checked before anything starts from it: its labels must say it is a kit
 * node image (title `kubegrade node`) of this kubegrade's Kubernetes version, built from the
 * very node-image sources this kubegrade ships (`kubegrade.dev/recipe`, a hash of them that
 * any machine can compute from the package: unlike the build's `kubegrade.dev/inputs`, it
 * leaves out the toolchain that built it). Anything else — another image retagged, a kit of
 * another kubegrade version — is an infrastructure error (exit 3) saying what to do.
 */
import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { KIT_IMAGE, KIT_IMAGE_TITLE, KUBERNETES_VERSION, LABELS, PROJECT_ROOT, packageVersion } from "../config.ts";
import { InfrastructureError, UsageError, errorMessage } from "../errors.ts";
import { WORKLOAD_IMAGES } from "../workload-images.ts";
import { interruptedBy } from "../util/interrupt.ts";
import type { Progress } from "../util/progress.ts";

// The container library loads only when an image is looked at or pulled: the command line
// reads KUBEGRADE_NODE_IMAGE (configuredNodeImage) on every grade, a warm one included.
const docker = () => import("../util/docker.ts");

/** The environment variable naming the published kit node image (--node-image sets it for its command). */
export const NODE_IMAGE_ENV = "KUBEGRADE_NODE_IMAGE";
const OCI_TITLE = "org.opencontainers.image.title";
const OCI_VERSION = "org.opencontainers.image.version";
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;

/** The parts of an image reference that the registry and Docker see. */
export interface NodeImageReference {
  /** The registry host (with its port): docker.io when the reference names none. */
  host: string;
  tag?: string;
  digest?: string;
}

/**
 * An image reference as KUBEGRADE_NODE_IMAGE and --node-image take it: [HOST[:PORT]/]PATH:TAG
 * (or @sha256:…); undefined when it is not one. A tag or digest is required: without one
 * Docker would pull every tag of the repository through the API.
 */
export function splitNodeImageReference(value: string): NodeImageReference | undefined {
  let rest = value;
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!/^sha256:[0-9a-f]{64}$/.test(digest)) return undefined;
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(":");
  if (colon > rest.lastIndexOf("/")) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!/^\w[\w.-]{0,127}$/.test(tag)) return undefined;
  }
  if (!tag && !digest) return undefined;
  const parts = rest.split("/");
  const first = parts[0];
  const hasHost = parts.length > 1 && (first.includes(".") || first.includes(":") || first === "localhost");
  if (hasHost && !/^[A-Za-z0-9.-]+(:\d{1,5})?$/.test(first)) return undefined;
  const path = hasHost ? parts.slice(1) : parts;
  if (!path.length || !path.every((p) => PATH_COMPONENT.test(p))) return undefined;
  return { host: hasHost ? first : "docker.io", ...(tag ? { tag } : {}), ...(digest ? { digest } : {}) };
}

/** A reference checked (exit 2 when it is not one); `source` names where it came from. */
export function parseNodeImage(value: string, source: string): string {
  const trimmed = value.trim();
  if (!splitNodeImageReference(trimmed)) {
    throw new UsageError(
      `${source}${value}: expected an image reference with a tag, HOST[:PORT]/PATH/NAME:TAG ` +
        `(what \`kubegrade images push-node\` printed, e.g. registry.example.edu/course/${KIT_IMAGE})`,
    );
  }
  return trimmed;
}

/** The published kit node image this run is to use (KUBEGRADE_NODE_IMAGE), checked; undefined when none is set. */
export function configuredNodeImage(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const value = env[NODE_IMAGE_ENV];
  return value?.trim() ? parseNodeImage(value, `${NODE_IMAGE_ENV}=`) : undefined;
}

/** The kit node image this run uses: the published one when set, else the one setup builds here. */
export function kitNodeImage(env: NodeJS.ProcessEnv = process.env): string {
  return configuredNodeImage(env) ?? KIT_IMAGE;
}

/**
 * Whether the kit node image this run uses can be had without building: the published one
 * (pulled when absent), else the one built here when it is present.
 */
export async function kitNodeImageAvailable(env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  return configuredNodeImage(env) !== undefined || (await docker()).imagePresent(KIT_IMAGE);
}

let recipe: Promise<string> | undefined;

/**
 * The hash of what a kit node image is built from, as this kubegrade ships it: the Kubernetes
 * version, the workload images' definitions and every file of runner/node-image/ (path and
 * content; not file modes, which npm does not keep) but the host's runc wrapper, which is not
 * in the image. The same on every machine with the same kubegrade, from the package or the
 * repository; the build writes it on the image (LABELS.recipe).
 */
export function nodeImageRecipe(): Promise<string> {
  recipe ??= (async () => {
    const dir = join(PROJECT_ROOT, "runner/node-image");
    const hash = createHash("sha256").update(`kubegrade node recipe\0${KUBERNETES_VERSION}\0${JSON.stringify(WORKLOAD_IMAGES)}\0`);
    const files = (await readdir(dir, { recursive: true, withFileTypes: true }))
      .filter((entry) => entry.isFile())
      .map((entry) => relative(dir, join(entry.parentPath, entry.name)).split(sep).join("/"))
      .filter((rel) => !rel.startsWith("runc-wrapper/"))
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    for (const rel of files) {
      const content = await readFile(join(dir, rel));
      hash.update(`${rel}\0${content.length}\0`).update(content);
    }
    return hash.digest("hex").slice(0, 16);
  })();
  return recipe;
}

/**
 * What keeps an image with these labels from being the kit node image this kubegrade needs,
 * in words; undefined when nothing does.
 */
export function nodeImageProblem(
  labels: Readonly<Record<string, string | undefined>> | undefined,
  expected: { recipe: string; kubernetesVersion: string; kubegradeVersion: string },
): string | undefined {
  const title = labels?.[OCI_TITLE];
  if (title !== KIT_IMAGE_TITLE) {
    return `it is not a kubegrade kit node image (its label ${OCI_TITLE} is ${title ? `"${title}"` : "absent"}, not "${KIT_IMAGE_TITLE}")`;
  }
  const version = labels?.[OCI_VERSION];
  if (version !== expected.kubernetesVersion) {
    return `it is a kit node image of Kubernetes ${version ?? "(no version label)"}, and kubegrade ${expected.kubegradeVersion} runs ${expected.kubernetesVersion}`;
  }
  const built = labels?.[LABELS.recipe];
  if (!built) return `it is a kit node image from a kubegrade older than ${expected.kubegradeVersion} (no ${LABELS.recipe} label)`;
  if (built !== expected.recipe) {
    return `it was built from other node image sources than kubegrade ${expected.kubegradeVersion}'s (${LABELS.recipe} ${built}, expected ${expected.recipe}): another kubegrade version pushed it`;
  }
  return undefined;
}

/**
 * Checks that `reference`, present here, is the kit node image this kubegrade needs (exit 3
 * otherwise); `subject` names it in the message, `hint` says what to do (default: push again).
 */
export async function checkNodeImage(reference: string, words: { subject: string; hint?: string }): Promise<void> {
  const { client } = await (await docker()).dockerClient();
  const inspect = await client.container.dockerode.getImage(reference).inspect().catch((error: unknown) => {
    throw new InfrastructureError(`Docker cannot show the image ${reference}: ${errorMessage(error)}`);
  });
  const expected = { recipe: await nodeImageRecipe(), kubernetesVersion: KUBERNETES_VERSION, kubegradeVersion: packageVersion() };
  const problem = nodeImageProblem(inspect.Config?.Labels ?? undefined, expected);
  if (!problem) return;
  const ref = splitNodeImageReference(reference);
  const target = ref?.tag && !ref.digest ? reference : "HOST/PATH";
  throw new InfrastructureError(`${words.subject} is not the kit node image this kubegrade needs: ${problem}.`, {
    hint:
      words.hint ??
      `Push it again from this kubegrade (${expected.kubegradeVersion}) on a machine with Docker: \`npx kubegrade setup --kit\`, then ` +
        `\`npx kubegrade images push-node --registry ${target}\`; or unset ${NODE_IMAGE_ENV} (and drop --node-image) to build the kit here or grade on k3s.`,
  });
}

/** What to do about a failed pull of the published node image, from Docker's words. */
export function pullAdvice(output: string, reference: string): string {
  const host = splitNodeImageReference(reference)?.host ?? reference.split("/")[0];
  const unset = `or unset ${NODE_IMAGE_ENV} (and drop --node-image) to build the kit here or grade on k3s`;
  if (/server gave HTTP response to HTTPS client/i.test(output)) {
    return `${host} speaks plain HTTP: list it in Docker's "insecure-registries" (/etc/docker/daemon.json) and restart Docker (127.0.0.1 and localhost need not be); ${unset}.`;
  }
  if (/denied|unauthorized|authentication required|forbidden|no basic auth credentials/i.test(output)) {
    return `${host} refused to give the image: \`docker login ${host}\` as an account that may pull it (or set DOCKER_AUTH_CONFIG), or make it public; ${unset}.`;
  }
  if (/manifest unknown|not found|name unknown|does not exist/i.test(output)) {
    return `${host} has no ${reference}: push it from a machine with Docker and this kubegrade (\`npx kubegrade images push-node\`), or correct the reference; ${unset}.`;
  }
  if (/no such host|connection refused|i\/o timeout|no route to host|network is unreachable|dial tcp|EOF|deadline exceeded/i.test(output)) {
    return `Docker cannot reach ${host} from this machine: check the address, that the registry is running and this machine's network; ${unset}.`;
  }
  return `Check the reference and your \`docker login ${host}\`; ${unset}.`;
}

/** One line of the engine's pull progress, as JSON. */
interface PullEvent {
  id?: string;
  status?: string;
  error?: string;
  errorDetail?: { message?: string };
  progressDetail?: { current?: number; total?: number };
}

/**
 * Pulls `reference` through the Docker engine's API (no docker command needed: GitLab's job
 * image has none), with the credentials `docker login` left in Docker's config (or
 * DOCKER_AUTH_CONFIG), found the way testcontainers finds them for the images it pulls.
 */
async function pullImage(reference: string, update: (detail: string) => void, signal?: AbortSignal): Promise<void> {
  const { dockerClient, imagePresent } = await docker();
  const { client, info } = await dockerClient();
  const engine = client.container.dockerode;
  const host = splitNodeImageReference(reference)?.host ?? "docker.io";
  const { getAuthConfig } = await import("testcontainers/build/container-runtime/auth/get-auth-config.js");
  const authconfig = await getAuthConfig(host === "docker.io" ? info.containerRuntime.indexServerAddress : host);
  const failed = (words: string): InfrastructureError =>
    new InfrastructureError(`Pulling the kit node image ${reference} from ${host} failed: ${words.trim().split("\n").slice(-3).join(" / ")}`, {
      hint: pullAdvice(words, reference),
    });
  let stream: NodeJS.ReadableStream;
  try {
    stream = (await engine.pull(reference, authconfig ? { authconfig } : {})) as NodeJS.ReadableStream;
  } catch (error) {
    throw failed(errorMessage(error));
  }
  const layers = new Map<string, { current: number; total: number; done: boolean }>();
  let lastUpdate = 0;
  const onEvent = (event: PullEvent) => {
    if (!event.id || !event.status) return;
    const layer = layers.get(event.id) ?? { current: 0, total: 0, done: false };
    if (event.status === "Downloading" && event.progressDetail?.total) {
      layer.current = event.progressDetail.current ?? 0;
      layer.total = event.progressDetail.total;
    }
    if (/^(Pull complete|Already exists|Download complete)$/.test(event.status)) {
      layer.done = true;
      layer.current = layer.total;
    }
    layers.set(event.id, layer);
    if (performance.now() - lastUpdate < 1_000) return;
    lastUpdate = performance.now();
    const all = [...layers.values()];
    const mb = (n: number) => (n / 1e6).toFixed(0);
    update(`${all.filter((l) => l.done).length} of ${all.length} layers, ${mb(all.reduce((s, l) => s + l.current, 0))} of ${mb(all.reduce((s, l) => s + l.total, 0))} MB`);
  };
  const abort = () => (stream as unknown as { destroy?: () => void }).destroy?.();
  signal?.addEventListener("abort", abort, { once: true });
  try {
    const events = await new Promise<PullEvent[]>((resolve, reject) =>
      engine.modem.followProgress(stream, (error: Error | null, output: PullEvent[]) => (error ? reject(error) : resolve(output)), onEvent),
    ).catch((error: unknown) => {
      if (signal && interruptedBy(error, signal)) throw interruptedBy(error, signal);
      throw failed(errorMessage(error));
    });
    if (signal?.aborted) throw interruptedBy(undefined, signal) ?? signal.reason;
    const error = events.find((e) => e.error || e.errorDetail?.message);
    if (error) throw failed(error.errorDetail?.message ?? error.error ?? "");
  } finally {
    signal?.removeEventListener("abort", abort);
  }
  if (!(await imagePresent(reference))) throw failed("the engine reported no error, but the image is not there");
}

export interface ReadyNodeImageOptions {
  env?: NodeJS.ProcessEnv;
  progress?: Progress;
  signal?: AbortSignal;
  /** Pull even when the image is here (setup: a tag pushed again since). */
  refresh?: boolean;
}

/**
 * The kit node image this run uses, ready to start: the published one pulled when absent (or
 * always, with `refresh`) and checked, or else the one setup builds here (its presence is the
 * caller's to check, as it says what to run when it is missing).
 */
export async function readyKitNodeImage(options: ReadyNodeImageOptions = {}): Promise<string> {
  const reference = configuredNodeImage(options.env);
  if (!reference) return KIT_IMAGE;
  if (options.refresh || !(await (await docker()).imagePresent(reference))) {
    const title = `Pulling the kit node image ${reference}`;
    const pull = (update: (detail: string) => void) => pullImage(reference, update, options.signal);
    await (options.progress ? options.progress.step(title, pull) : pull(() => {}));
  }
  await checkNodeImage(reference, { subject: `The kit node image ${reference} (${NODE_IMAGE_ENV} or --node-image)` });
  return reference;
}
