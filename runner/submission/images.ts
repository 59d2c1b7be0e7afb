/**
 * Image references and families. An exercise provides images by exact reference
 * (`nginx:mainline`, `k8s.gcr.io/nginx-slim:0.8`); a student may write any tag or digest of
 * the same repository (`nginx:1.29`, `registry.k8s.io/nginx-slim:0.27`, `busybox@sha256:…`):
 * nothing the exercises check depends on the tag. On the kit node the mirror serves the image
 * it has under any tag of a repository it holds (runner/node-image/mirror-proxy.ts); a digest
 * names exact content the node cannot have, so it is rewritten to the mirror's tag at apply,
 * with a note. Elsewhere (k3s, an existing cluster) the image is pulled as written.
 */
import { WORKLOAD_IMAGES } from "../workload-images.ts";

export interface ImageRef {
  /** The repository with its registry, as the mirror stores it: docker.io/library/nginx */
  repository: string;
  /** The name as written, without tag or digest: nginx, registry.k8s.io/nginx-slim */
  name: string;
  tag?: string;
  digest?: string;
}

/** docker.io/library/nginx for nginx; registry hosts (a dot, a port, localhost) kept. */
export function qualifiedRepository(name: string): string {
  const slash = name.indexOf("/");
  const first = slash === -1 ? "" : name.slice(0, slash);
  if (first.includes(".") || first.includes(":") || first === "localhost") {
    return first === "index.docker.io" ? `docker.io/${name.slice(slash + 1)}` : name;
  }
  return slash === -1 ? `docker.io/library/${name}` : `docker.io/${name}`;
}

export function parseImage(reference: string): ImageRef {
  let rest = reference.trim();
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(":");
  if (colon > rest.lastIndexOf("/")) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  if (!tag && !digest) tag = "latest";
  return { repository: qualifiedRepository(rest), name: rest, tag, digest };
}

/** The exact reference, normalised: docker.io/library/nginx:latest for nginx. */
export function exactReference(reference: string): string {
  const ref = parseImage(reference);
  return `${ref.repository}${ref.tag ? `:${ref.tag}` : ""}${ref.digest ? `@${ref.digest}` : ""}`;
}

/**
 * The tag the kit's mirror serves for a repository it holds when asked for a tag it does not
 * have: the first name of that repository in the workload images. Shared with the mirror's
 * configuration, so the report says what the node really runs.
 */
export function kitDefaultTags(): Map<string, { tags: string[]; fallback: string }> {
  const repositories = new Map<string, { tags: string[]; fallback: string }>();
  for (const image of WORKLOAD_IMAGES) {
    for (const name of image.names) {
      const ref = parseImage(name);
      if (!ref.tag) continue;
      const entry = repositories.get(ref.repository) ?? { tags: [], fallback: ref.tag };
      if (!entry.tags.includes(ref.tag)) entry.tags.push(ref.tag);
      repositories.set(ref.repository, entry);
    }
  }
  return repositories;
}

export type ImageVerdict =
  | { kind: "exact" }
  /** Another tag or a digest of a repository the exercise provides. */
  | { kind: "family"; repository: string }
  | { kind: "unknown" };

export function imageVerdict(reference: string, provided: string[]): ImageVerdict {
  const exact = exactReference(reference);
  const providedRefs = provided.map(parseImage);
  if (providedRefs.some((p) => `${p.repository}:${p.tag}` === exact)) return { kind: "exact" };
  const ref = parseImage(reference);
  if (providedRefs.some((p) => p.repository === ref.repository)) return { kind: "family", repository: ref.repository };
  return { kind: "unknown" };
}

export interface ImageSubstitution {
  /** Where: "StatefulSet web, container nginx". */
  where: string;
  written: string;
  /** What the pod runs instead (digests are rewritten at apply). */
  servedAs: string;
  rewritten: boolean;
}

/** Where each workload kind keeps its pod spec. */
export const POD_SPEC_PATHS: Record<string, (string | number)[]> = {
  Pod: ["spec"],
  StatefulSet: ["spec", "template", "spec"],
  Deployment: ["spec", "template", "spec"],
  ReplicaSet: ["spec", "template", "spec"],
  ReplicationController: ["spec", "template", "spec"],
  DaemonSet: ["spec", "template", "spec"],
  Job: ["spec", "template", "spec"],
  CronJob: ["spec", "jobTemplate", "spec", "template", "spec"],
};

/**
 * Copies of the objects in which `visit` may change each container's image (init containers
 * too); an object none of whose images changed is returned as it was.
 */
export function mapContainerImages<T extends { kind: string; name: string; body: Record<string, unknown> }>(
  objects: T[],
  visit: (container: Record<string, unknown> & { image: string }, where: string) => void,
): T[] {
  return objects.map((object) => {
    const body = structuredClone(object.body);
    const spec = podSpecOf(body, object.kind);
    if (!spec) return object;
    let changed = false;
    for (const group of ["initContainers", "containers"]) {
      const containers = Array.isArray(spec[group]) ? (spec[group] as Record<string, unknown>[]) : [];
      for (const container of containers) {
        if (!container || typeof container.image !== "string") continue;
        const before = JSON.stringify(container);
        visit(container as Record<string, unknown> & { image: string }, `${object.kind} ${object.name}, container ${String(container.name)}`);
        if (JSON.stringify(container) !== before) changed = true;
      }
    }
    return changed ? { ...object, body } : object;
  });
}

function podSpecOf(body: Record<string, unknown>, kind: string): Record<string, unknown> | undefined {
  const path = POD_SPEC_PATHS[kind];
  if (!path) return undefined;
  let current: unknown = body;
  for (const key of path) {
    if (!current || typeof current !== "object") return undefined;
    current = (current as Record<string, unknown>)[key as string];
  }
  return current && typeof current === "object" ? (current as Record<string, unknown>) : undefined;
}

/**
 * Adapts the objects' images to the kit node: a tag the mirror does not hold is served as
 * the mirror's tag of that repository (nothing changes in the object; the note says so), a
 * digest is rewritten to that tag in a copy of the object. On a cluster that does not serve
 * the kit's images (it pulls them as written) nothing changes.
 */
export function adaptImagesForCluster<T extends { kind: string; name: string; body: Record<string, unknown> }>(
  objects: T[],
  cluster: { servesKitImages: boolean },
): { objects: T[]; notes: string[]; substitutions: ImageSubstitution[] } {
  if (!cluster.servesKitImages) return { objects, notes: [], substitutions: [] };
  const mirror = kitDefaultTags();
  const substitutions: ImageSubstitution[] = [];
  const adapted = mapContainerImages(objects, (container, where) => {
    const ref = parseImage(container.image);
    const held = mirror.get(ref.repository);
    if (!held) return;
    if (ref.digest) {
      const servedAs = `${ref.name}:${held.fallback}`;
      substitutions.push({ where, written: container.image, servedAs, rewritten: true });
      container.image = servedAs;
    } else if (ref.tag && !held.tags.includes(ref.tag)) {
      substitutions.push({ where, written: container.image, servedAs: `${ref.name}:${held.fallback}`, rewritten: false });
    }
  });
  const notes = substitutions.map((s) =>
    s.rewritten
      ? `${s.where}: image ${s.written} names exact content by its digest, which the grader's offline node cannot have; it was applied as ${s.servedAs} (the image of that family the node holds). Nothing graded depends on the image's version.`
      : `${s.where}: image ${s.written} is served by the grader's offline node as its ${s.servedAs} under the name you wrote (the image of that family the node holds). Nothing graded depends on the image's version.`,
  );
  return { objects: adapted, notes, substitutions };
}
