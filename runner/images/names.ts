/**
 * The images only kubegrade's kit builds, and the names they take in another registry.
 *
 * Two workload images exist nowhere but in the kit node's registry mirror: the `demo`
 * exercise's stand-in `kubegrade/hello-api:1.0` and the `cassandra` exercise's
 * `gcr.io/google-samples/cassandra:v13` (ours, with the `kubegrade-cql` client the checks use;
 * the upstream image of that name is not what the checks expect). On k3s or an existing
 * cluster they are copied to a registry (`kubegrade images push`) and the submission's
 * references are rewritten to that registry at apply (`--image-registry`).
 *
 * The name rule, one for every image: the repository as the registry stores it, without its
 * registry host, under HOST/PATH. Docker Hub's `library/` is kept, so one prefix can be the
 * mirror of every upstream registry at once (their paths do not collide):
 *
 *   kubegrade/hello-api:1.0             → HOST/PATH/kubegrade/hello-api:1.0
 *   gcr.io/google-samples/cassandra:v13 → HOST/PATH/google-samples/cassandra:v13
 *   nginx:mainline                      → HOST/PATH/library/nginx:mainline
 */
import { WORKLOAD_IMAGES, type WorkloadImage } from "../workload-images.ts";
import { UsageError } from "../errors.ts";
import { mapContainerImages, parseImage } from "../submission/images.ts";

/** Built by the kit only (kept out of WORKLOAD_IMAGES itself: its JSON is the node image's build input). */
const KIT_ONLY_KINDS: ReadonlySet<WorkloadImage["kind"]> = new Set(["hello-api", "cassandra"]);

export function kitOnlyWorkloads(): WorkloadImage[] {
  return WORKLOAD_IMAGES.filter((image) => KIT_ONLY_KINDS.has(image.kind));
}

/** The kit-only workload image whose repository the reference names (any tag or digest), if any. */
export function kitOnlyFamily(reference: string): WorkloadImage | undefined {
  const repository = parseImage(reference).repository;
  return kitOnlyWorkloads().find((image) => image.names.some((name) => parseImage(name).repository === repository));
}

/**
 * --image-registry / --registry: HOST[:PORT][/PATH], where HOST is a registry host (a dot, a
 * port or `localhost`: without one, Docker would read it as a Docker Hub account).
 */
export function parseImageRegistry(value: string, source: string): string {
  const trimmed = value.trim().replace(/\/+$/, "");
  const slash = trimmed.indexOf("/");
  const host = slash === -1 ? trimmed : trimmed.slice(0, slash);
  const path = slash === -1 ? "" : trimmed.slice(slash + 1);
  const hostOk = /^[A-Za-z0-9.-]+(:\d{1,5})?$/.test(host) && (host.includes(".") || host.includes(":") || host.split(":")[0] === "localhost");
  if (!hostOk) {
    throw new UsageError(
      `${source} ${value}: expected HOST[:PORT][/PATH] naming a registry host (with a dot, a port or localhost), ` +
        "e.g. registry.example.edu/course or 127.0.0.1:5000/course",
    );
  }
  if (path && !path.split("/").every((part) => /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/.test(part))) {
    throw new UsageError(`${source} ${value}: the path ${path} must be lower-case letters, digits and separators (. _ -) between /`);
  }
  return trimmed;
}

/** The reference under the registry, by the rule above; the tag (or digest) as given. */
export function registryReference(reference: string, registry: string): string {
  const ref = parseImage(reference);
  const slash = ref.repository.indexOf("/");
  const path = ref.repository.slice(slash + 1);
  return `${registry}/${path}${ref.tag ? `:${ref.tag}` : ""}${ref.digest ? `@${ref.digest}` : ""}`;
}

export interface PushItem {
  /** The workload image's id (one image, possibly several names). */
  id: string;
  /** The name it is served under by the kit's registry: docker.io/kubegrade/hello-api:1.0 */
  source: string;
  /** Its names as manifests write them, each with its name in the target registry. */
  names: { name: string; target: string }[];
}

/** What `images push` copies: the kit-only images, or every workload image with `all`. */
export function pushPlan(registry: string, all: boolean): PushItem[] {
  const images = all ? WORKLOAD_IMAGES : kitOnlyWorkloads();
  return images.map((image) => {
    const first = parseImage(image.names[0]);
    const targets = new Map<string, string>();
    for (const name of image.names) {
      const target = registryReference(name, registry);
      if (!targets.has(target)) targets.set(target, name);
    }
    return {
      id: image.id,
      source: `${first.repository}:${first.tag}`,
      names: [...targets].map(([target, name]) => ({ name, target })),
    };
  });
}

/**
 * Where a kit-only image runs from on this cluster: in the registry (--image-registry), its
 * tag the registry holds (a tag or digest `images push` did not copy becomes the family's
 * first tag); undefined for any other image.
 */
export function kitOnlyInRegistry(reference: string, registry: string): { target: string; family: WorkloadImage } | undefined {
  const family = kitOnlyFamily(reference);
  if (!family) return undefined;
  const ref = parseImage(reference);
  const held = family.names.map(parseImage).filter((n) => n.repository === ref.repository);
  const tag = !ref.digest && held.some((n) => n.tag === ref.tag) ? ref.tag : held[0].tag;
  return { target: registryReference(`${ref.name}:${tag}`, registry), family };
}

/** How a cluster that is not the kit gets the kit-only images. */
export type KitOnlyPlacement =
  /** Copied to this registry (`images push`); references are rewritten to it. */
  | { registry: string }
  /** Imported into the node under these names (k3s started by the grader). */
  | { loaded: readonly string[] }
  /** Nowhere the grader knows of. */
  | { none: true };

export interface KitOnlyAdaptation<T> {
  objects: T[];
  notes: string[];
  /** Kit-only references this cluster has no way to pull (placement `none`). */
  unreachable: string[];
}

/** The instructions for a cluster that lacks the kit-only images. */
export function kitOnlyAdvice(reference: string): string {
  return `image ${reference} is built only by kubegrade's kit, and no registry holds it: copy it to a registry this cluster's nodes ` +
    "pull from with `kubegrade images push --registry HOST/PATH` (on a machine where `npm run setup -- --kit` built the kit), " +
    "then grade with --image-registry HOST/PATH (or KUBEGRADE_IMAGE_REGISTRY)";
}

/**
 * Adapts the submission's kit-only images to a cluster that is not the kit: rewritten to the
 * registry that holds them, or (imported into the node) to the tag imported with the pull
 * policy that uses it; each change is a note. Other images are left alone.
 */
export function placeKitOnlyImages<T extends { kind: string; name: string; body: Record<string, unknown> }>(
  objects: T[],
  placement: KitOnlyPlacement,
): KitOnlyAdaptation<T> {
  const notes: string[] = [];
  const unreachable = new Set<string>();
  const adapted = mapContainerImages(objects, (container, where) => {
    const written = container.image;
    const family = kitOnlyFamily(written);
    if (!family) return;
    if ("registry" in placement) {
      const placed = kitOnlyInRegistry(written, placement.registry)!;
      container.image = placed.target;
      notes.push(`${where}: image ${written} is built only by kubegrade's kit; it was applied as ${placed.target}, its copy in ${placement.registry} (--image-registry). Nothing graded depends on the image's version.`);
    } else if ("loaded" in placement) {
      const ref = parseImage(written);
      const loaded = placement.loaded.map(parseImage).filter((n) => n.repository === ref.repository);
      if (!loaded.length) {
        unreachable.add(written);
        return;
      }
      if (ref.digest || !loaded.some((n) => n.tag === ref.tag)) {
        container.image = `${ref.name}:${loaded[0].tag}`;
        notes.push(`${where}: image ${written} is built only by kubegrade's kit, which loaded its ${loaded[0].tag} into the node; it was applied as ${container.image}. Nothing graded depends on the image's version.`);
      }
      if (container.imagePullPolicy === "Always") {
        container.imagePullPolicy = "IfNotPresent";
        notes.push(`${where}: imagePullPolicy Always was applied as IfNotPresent: image ${container.image} is built only by kubegrade's kit and was loaded into the node, no registry has it.`);
      }
    } else {
      unreachable.add(written);
    }
  });
  return { objects: adapted, notes, unreachable: [...unreachable] };
}

/**
 * The exercise's parameters with every kit-only image reference in them (a check's rollout
 * image, say) moved to the registry: images the grader's own checks start follow the same rule.
 */
export function placeKitOnlyParams(params: Record<string, unknown>, registry: string): { params: Record<string, unknown>; moved: string[] } {
  const moved: string[] = [];
  const visit = (value: unknown): unknown => {
    if (typeof value === "string") {
      const placed = /^[\w./:@-]+$/.test(value) ? kitOnlyInRegistry(value, registry) : undefined;
      if (!placed) return value;
      moved.push(`${value} → ${placed.target}`);
      return placed.target;
    }
    if (Array.isArray(value)) return value.map(visit);
    if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, visit(v)]));
    return value;
  };
  return { params: visit(params) as Record<string, unknown>, moved };
}
