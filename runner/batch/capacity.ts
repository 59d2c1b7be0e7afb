/**
 * How many grades run at once by default: what the cluster's nodes can still take
 * (allocatable CPU and memory minus what running pods request), divided by what one
 * submission's pods really request at their peak — the exercise's reference solution (or
 * its StatefulSet at the container defaults) plus the grader's probe pod, as the
 * namespace's LimitRange admits them —, at least 1 and at most 1.5 per CPU core (3 on a
 * 2-core node), never more than 16.
 *
 * Scheduling requests are not the whole cost: an idle nginx requests 10m CPU, but starting
 * pods, claims, DNS probes and execs keep the API server, etcd, the kubelet and the grader
 * busy, and on a local cluster they share the same cores. Measured on a 2-core machine
 * with 20 `web` submissions: --jobs 1 took 228 s, --jobs 3 149 s with no false failure.
 */
import { CoreV1Api, type KubeConfig, type V1Node, type V1Pod, type V1PodSpec } from "@kubernetes/client-node";
import { parseQuantity, podRequests, type Resources } from "../kube/resources.ts";
import { errorMessage } from "../errors.ts";
import type { ExerciseDefinition } from "../exercise.ts";

export { parseQuantity, podRequests, type Resources } from "../kube/resources.ts";

export interface FreeCapacity {
  /** Allocatable minus requested, over the Ready, schedulable nodes. */
  free: Resources;
  allocatable: Resources;
  /** CPU cores of those nodes. */
  cores: number;
  nodes: number;
  /** Pods could not be listed: `free` is the whole allocatable. */
  requestsUnknown?: string;
}

function usable(node: V1Node): boolean {
  return !node.spec?.unschedulable && !!node.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True");
}

export function freeCapacity(nodes: readonly V1Node[], pods: readonly V1Pod[] | undefined, requestsUnknown?: string): FreeCapacity {
  const counted = nodes.filter(usable);
  const names = new Set(counted.map((n) => n.metadata?.name));
  const allocatable = { cpu: 0, memory: 0 };
  let cores = 0;
  for (const node of counted) {
    allocatable.cpu += parseQuantity(node.status?.allocatable?.cpu ?? "0");
    allocatable.memory += parseQuantity(node.status?.allocatable?.memory ?? "0");
    cores += parseQuantity(node.status?.capacity?.cpu ?? node.status?.allocatable?.cpu ?? "0");
  }
  const requested = { cpu: 0, memory: 0 };
  for (const pod of pods ?? []) {
    const phase = pod.status?.phase;
    if (phase === "Succeeded" || phase === "Failed") continue;
    // A pod not bound yet will be; one on a node we do not count does not take from ours.
    if (pod.spec?.nodeName && !names.has(pod.spec.nodeName)) continue;
    const r = podRequests(pod);
    requested.cpu += r.cpu;
    requested.memory += r.memory;
  }
  return {
    free: { cpu: Math.max(0, allocatable.cpu - requested.cpu), memory: Math.max(0, allocatable.memory - requested.memory) },
    allocatable,
    cores,
    nodes: counted.length,
    ...(requestsUnknown ? { requestsUnknown } : {}),
  };
}

/** Grades at once per CPU core of the nodes, and in all (one grader process runs them). */
export const JOBS_PER_CORE = 1.5;
export const MAX_JOBS = 16;

/** What a container asks of the scheduler once admitted: its requests, else its limits (API defaulting), else the LimitRange's defaults. */
function admitted(resources: { requests?: Record<string, string>; limits?: Record<string, string> } | undefined, defaults: ExerciseDefinition["containerDefaults"]) {
  const requests: Record<string, string> = {};
  for (const key of ["cpu", "memory"] as const) {
    const value = resources?.requests?.[key] ?? resources?.limits?.[key] ?? defaults.requests[key] ?? defaults.limits[key];
    if (value !== undefined) requests[key] = String(value);
  }
  return { requests };
}

function admittedPod(spec: V1PodSpec | undefined, defaults: ExerciseDefinition["containerDefaults"]): Resources {
  const withDefaults = (list: V1PodSpec["containers"] | undefined) => (Array.isArray(list) ? list : []).map((c) => ({ ...c, resources: admitted(c?.resources as never, defaults) }));
  return podRequests({ spec: { ...spec, containers: withDefaults(spec?.containers), initContainers: withDefaults(spec?.initContainers) } });
}

/** The most pods the exercise's StatefulSet runs at once, as its checks declare (peakReplicas). */
export function peakReplicas(exercise: Pick<ExerciseDefinition, "params" | "checks">): number | undefined {
  const counts: number[] = [];
  for (const config of exercise.checks) {
    const peak = config.definition.peakReplicas?.({ ...exercise.params, ...config.params });
    if (typeof peak === "number" && Number.isInteger(peak) && peak >= 0) counts.push(peak);
  }
  return counts.length ? Math.max(...counts) : undefined;
}

export interface Footprint {
  /** What one submission's pods request together at their peak. */
  requests: Resources;
  pods: number;
  /** How it was counted, for the reasoning line. */
  basis: string;
}

type FootprintExercise = Pick<ExerciseDefinition, "params" | "checks" | "containerDefaults" | "podRequests">;

/**
 * What one submission requests at its peak, from the exercise's own definition: the most
 * pods its checks make the StatefulSet run, each at the exercise's podRequests (else the
 * container defaults), plus the grader's probe pod at the container defaults.
 */
export function submissionFootprint(exercise: FootprintExercise): Footprint {
  const defaults = exercise.containerDefaults;
  const pods = peakReplicas(exercise) ?? 1;
  const perPod = admittedPod({ containers: [{ name: "c", resources: exercise.podRequests ? { requests: exercise.podRequests } : undefined }] }, defaults);
  const probe = admittedPod({ containers: [{ name: "probe" }] }, defaults);
  return {
    requests: { cpu: perPod.cpu * pods + probe.cpu, memory: perPod.memory * pods + probe.memory },
    pods: pods + 1,
    basis: `${pods} pod(s) at ${exercise.podRequests ? "the exercise's podRequests" : "the container defaults"} and the grader's probe pod`,
  };
}

function cpuText(cores: number): string {
  return cores < 1 ? `${Math.round(cores * 1000)}m CPU` : `${Number(cores.toFixed(2))} CPU`;
}

function memoryText(bytes: number): string {
  return bytes < 2 ** 30 ? `${Math.round(bytes / 2 ** 20)} MiB` : `${(bytes / 2 ** 30).toFixed(1)} GiB`;
}

export interface JobsChoice {
  jobs: number;
  why: string;
}

/** The default concurrency, and a sentence saying why. */
export function chooseJobs(capacity: FreeCapacity, footprint: Footprint, exercise: string): JobsChoice {
  const cap = Math.max(1, Math.min(MAX_JOBS, Math.floor(JOBS_PER_CORE * capacity.cores)));
  const fits: number[] = [];
  const reasons: string[] = [];
  if (footprint.requests.cpu > 0) {
    const n = Math.floor(capacity.free.cpu / footprint.requests.cpu + 1e-9);
    fits.push(n);
    reasons.push(`${cpuText(capacity.free.cpu)} free fits ${n}`);
  }
  if (footprint.requests.memory > 0) {
    const n = Math.floor(capacity.free.memory / footprint.requests.memory + 1e-9);
    fits.push(n);
    reasons.push(`${memoryText(capacity.free.memory)} free fits ${n}`);
  }
  const fit = fits.length ? Math.min(...fits) : cap;
  const jobs = Math.max(1, Math.min(fit, cap));
  const asks = `each ${exercise} submission requests ${cpuText(footprint.requests.cpu)} and ${memoryText(footprint.requests.memory)} (${footprint.basis})`;
  let why = `${capacity.nodes} node(s), ${Number(capacity.cores.toFixed(2))} CPU core(s); ${asks}${reasons.length ? `: ${reasons.join(", ")}` : ""}`;
  if (capacity.requestsUnknown) why += `; what pods request is unknown (${capacity.requestsUnknown}), so all allocatable counts as free`;
  if (fit < 1) why += "; at least 1";
  if (fit > cap) why += `; at most ${cap} (${JOBS_PER_CORE} per CPU core, ${MAX_JOBS} in all: the grader and the cluster's control plane work for every grade)`;
  return { jobs, why };
}

/** Reads the nodes and pods of the cluster (a kubeconfig without the rights gets a default of 1). */
export async function readCapacity(kc: KubeConfig): Promise<FreeCapacity | { unknown: string }> {
  const core = kc.makeApiClient(CoreV1Api);
  let nodes: V1Node[];
  try {
    nodes = (await core.listNode()).items;
  } catch (error) {
    return { unknown: `the nodes could not be listed: ${errorMessage(error).split("\n")[0]}` };
  }
  try {
    const pods = (await core.listPodForAllNamespaces({ fieldSelector: "status.phase!=Succeeded,status.phase!=Failed" })).items;
    return freeCapacity(nodes, pods);
  } catch (error) {
    return freeCapacity(nodes, undefined, `pods could not be listed: ${errorMessage(error).split("\n")[0]}`);
  }
}
