/**
 * Where the images of a grade come from on this cluster, decided once per grade with its
 * notes: the submission's objects as they will be applied (another tag of a provided image
 * served by the kit's mirror; the images only the kit builds taken from --image-registry,
 * loaded into a node that can load them, or refused when no node holds them), and the
 * exercise's parameters with the grader's own kit-only images moved the same way.
 */
import { CoreV1Api, type KubeConfig } from "@kubernetes/client-node";
import type { Cluster } from "../cluster/types.ts";
import { InfrastructureError } from "../errors.ts";
import type { ExerciseDefinition } from "../exercise.ts";
import { kitOnlyAdvice, placeKitOnlyImages, placeKitOnlyParams, type KitOnlyPlacement } from "../images/names.ts";
import type { SubmittedObject } from "../submission/load.ts";
import { adaptImagesForCluster, exactReference } from "../submission/images.ts";
import type { Progress } from "../util/progress.ts";

export interface Placement {
  /** The submission's objects as they will be applied. */
  objects: SubmittedObject[];
  /** What was adapted, for the report. */
  notes: string[];
  /** The exercise's parameters, placed. */
  params: Record<string, unknown>;
  /** Each check's own parameters, placed, by check id. */
  checkParams: Map<string, Record<string, unknown>>;
}

export async function placeImages(
  cluster: Cluster,
  submitted: SubmittedObject[],
  exercise: ExerciseDefinition,
  options: { imageRegistry?: string; progress: Progress },
): Promise<Placement> {
  const { imageRegistry } = options;
  // Another tag of a provided image: served by the kit's mirror (a digest rewritten), noted.
  const adapted = adaptImagesForCluster(submitted, cluster.capabilities);
  const notes = [...adapted.notes];
  let objects = adapted.objects;
  if (imageRegistry || !cluster.capabilities.servesKitImages) {
    const placed = placeKitOnlyImages(objects, await kitOnlyPlacement(cluster, objects, imageRegistry, options.progress));
    notes.push(...placed.notes);
    objects = placed.objects;
    const missing = await notOnAnyNode(cluster.kubeConfig, placed.unreachable);
    if (missing.length) throw new InfrastructureError(`This cluster cannot run the submission: ${kitOnlyAdvice(missing.join(", "))}.`);
  }
  const checkParams = new Map(exercise.checks.map((c) => [c.id, c.params ?? {}]));
  if (!imageRegistry) return { objects, notes, params: exercise.params, checkParams };
  const moved: string[] = [];
  const place = (params: Record<string, unknown>) => {
    const placed = placeKitOnlyParams(params, imageRegistry);
    moved.push(...placed.moved);
    return placed.params;
  };
  const params = place(exercise.params);
  for (const [id, own] of checkParams) checkParams.set(id, place(own));
  if (moved.length) notes.push(`The grader's own images built only by the kit run from ${imageRegistry}: ${[...new Set(moved)].join(", ")}.`);
  return { objects, notes, params, checkParams };
}

/** Where the kit-only images come from: the registry given, else loaded into the node when it can load them, else nowhere. */
async function kitOnlyPlacement(cluster: Cluster, objects: SubmittedObject[], imageRegistry: string | undefined, progress: Progress): Promise<KitOnlyPlacement> {
  if (imageRegistry) return { registry: imageRegistry };
  const needed = placeKitOnlyImages(objects, { none: true }).unreachable;
  const load = cluster.loadKitImages?.bind(cluster);
  if (!needed.length || !load || !cluster.capabilities.loadsImages) return { none: true };
  return { loaded: await progress.step(`Loading ${needed.join(", ")} into the node (built only by the kit)`, () => load(needed)) };
}

/**
 * The references no node of the cluster reports holding (status.images), so that a kit-only
 * image an administrator loaded by hand is used, and a missing one fails before any pod waits
 * in ImagePullBackOff until the grade's deadline.
 */
async function notOnAnyNode(kc: KubeConfig, references: string[]): Promise<string[]> {
  if (!references.length) return [];
  const held = new Set<string>();
  const nodes = await kc.makeApiClient(CoreV1Api).listNode().catch(() => undefined);
  for (const node of nodes?.items ?? []) for (const image of node.status?.images ?? []) for (const name of image.names ?? []) held.add(name);
  return references.filter((reference) => !held.has(exactReference(reference)));
}
