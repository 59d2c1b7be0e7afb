/**
 * Loading the images only the kit builds into a node the grader started that has no kit
 * mirror (k3s): read from the kit's registry (kit-registry.ts) over the registry API, written
 * as an OCI image layout archive (oci-layout, index.json naming each image by
 * `io.containerd.image.name`, blobs/sha256/…), copied into the node and imported into
 * containerd's `k8s.io` namespace — the one the kubelet's CRI reads — with `ctr images import`.
 * The blobs are the registry's own, so the node holds the very manifests the kit serves.
 */
import { execa } from "execa";
import { createWriteStream } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { StartedTestContainer } from "testcontainers";
import { createHash } from "node:crypto";
import { InfrastructureError } from "../errors.ts";
import { exactReference, parseImage } from "../submission/images.ts";
import { kitNodeImageAvailable } from "./node-image.ts";
import { startKitRegistry } from "./kit-registry.ts";
import { kitOnlyFamily } from "./names.ts";

const MANIFEST_TYPES = [
  "application/vnd.docker.distribution.manifest.v2+json",
  "application/vnd.oci.image.manifest.v1+json",
];

interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
}

async function get(url: string, accept?: string): Promise<Response> {
  const response = await fetch(url, accept ? { headers: { Accept: accept } } : {});
  if (!response.ok) throw new InfrastructureError(`the kit's registry answered ${response.status} to GET ${url}`);
  return response;
}

/**
 * Writes an OCI image layout archive of these images (names as manifests write them) read
 * from the registry at `address`, which stores them under their qualified repositories.
 */
export async function writeOciArchive(address: string, names: readonly string[], file: string): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "kubegrade-oci-"));
  try {
    await mkdir(join(dir, "blobs/sha256"), { recursive: true });
    const written = new Set<string>();
    const blob = async (repository: string, digest: string) => {
      if (written.has(digest)) return;
      const response = await get(`http://${address}/v2/${repository}/blobs/${digest}`);
      await pipeline(Readable.fromWeb(response.body! as never), createWriteStream(join(dir, "blobs/sha256", digest.slice("sha256:".length))));
      written.add(digest);
    };
    const manifests = [];
    for (const name of names) {
      const ref = parseImage(name);
      const response = await get(`http://${address}/v2/${ref.repository}/manifests/${ref.tag}`, MANIFEST_TYPES.join(", "));
      const bytes = Buffer.from(await response.arrayBuffer());
      const digest = `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
      const manifest = JSON.parse(bytes.toString("utf8")) as { mediaType?: string; config: Descriptor; layers: Descriptor[] };
      if (!written.has(digest)) {
        await writeFile(join(dir, "blobs/sha256", digest.slice("sha256:".length)), bytes);
        written.add(digest);
      }
      for (const d of [manifest.config, ...manifest.layers]) await blob(ref.repository, d.digest);
      const config = JSON.parse(await readFile(join(dir, "blobs/sha256", manifest.config.digest.slice("sha256:".length)), "utf8")) as { architecture?: string; os?: string };
      manifests.push({
        mediaType: response.headers.get("content-type")?.split(";")[0] ?? manifest.mediaType ?? MANIFEST_TYPES[0],
        digest,
        size: bytes.length,
        platform: { architecture: config.architecture ?? "amd64", os: config.os ?? "linux" },
        annotations: { "io.containerd.image.name": exactReference(name), "org.opencontainers.image.ref.name": ref.tag },
      });
    }
    await writeFile(join(dir, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
    await writeFile(join(dir, "index.json"), JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json", manifests }));
    await execa("tar", ["-C", dir, "-cf", file, "oci-layout", "index.json", "blobs"]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Every name of the kit-only families these references belong to. */
export function kitOnlyNames(references: readonly string[]): string[] {
  const names = new Set<string>();
  for (const reference of references) for (const name of kitOnlyFamily(reference)?.names ?? []) names.add(name);
  return [...names];
}

export interface LoadOptions {
  /** The ctr command in the node: `k3s ctr` in k3s. */
  ctr: readonly string[];
  signal?: AbortSignal;
  /** Names the kit node image to read them from (KUBEGRADE_NODE_IMAGE: images/node-image.ts). */
  env?: NodeJS.ProcessEnv;
}

/**
 * Imports the kit-only images these references need into the node's containerd; returns the
 * names imported (none when the kit node image is neither built here nor published: nothing to read them from).
 */
export async function loadKitImagesInto(node: StartedTestContainer, references: readonly string[], options: LoadOptions): Promise<string[]> {
  const names = kitOnlyNames(references);
  if (!names.length || !(await kitNodeImageAvailable(options.env))) return [];
  const work = await mkdtemp(join(tmpdir(), "kubegrade-load-"));
  try {
    const archive = join(work, "images.tar");
    {
      await using kit = await startKitRegistry({ signal: options.signal, env: options.env });
      await writeOciArchive(kit.address, names, archive);
    }
    const inNode = "/tmp/kubegrade-images.tar";
    await node.copyFilesToContainer([{ source: archive, target: inNode }]);
    const imported = await node.exec([...options.ctr, "-n", "k8s.io", "images", "import", inNode]);
    await node.exec(["rm", "-f", inNode]).catch(() => {});
    if (imported.exitCode !== 0) {
      throw new InfrastructureError(`Importing ${names.join(", ")} into the node failed: ${imported.output.trim().split("\n").slice(-3).join(" / ")}`);
    }
    return names;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
