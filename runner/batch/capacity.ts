/**
 * How many grades run at once by default: what the cluster's nodes can still take
 * (allocatable CPU and memory minus what running pods request), divided by what one grade
 * may request (the exercise's ResourceQuota `requests.cpu` / `requests.memory`), at least
 * 1 and at most 2 per CPU core (4 on a 2-core node: grading waits on the API more than it
 * computes, but the node is shared with the grader itself).
 */
import { CoreV1Api, type KubeConfig, type V1Node, type V1Pod } from "@kubernetes/client-node";
import { errorMessage } from "../errors.ts";

const SUFFIXES: Record<string, number> = {
  n: 1e-9, u: 1e-6, m: 1e-3, "": 1,
  k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};

/**
 * A Kubernetes quantity ("500m", "1.5Gi", "2", "1e3") as a number (cores or bytes).
 * client-node's quantityToScalar is not exported from its package and rejects "1.5Gi".
 */
export function parseQuantity(value: string): number {
  const match = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E))?$/.exec(value.trim());
  if (!match) throw new Error(`not a Kubernetes quantity: ${JSON.stringify(value)}`);
  const number = Number(match[1]);
  if (match[2]) return number * 10 ** Number(match[2].slice(1));
  return number * SUFFIXES[match[3] ?? ""];
}

export interface Resources {
  cpu: number;
  memory: number;
}

function requestsOf(resources: { requests?: Record<string, string> } | undefined): Resources {
  const requests = resources?.requests ?? {};
  return {
    cpu: requests.cpu ? parseQuantity(requests.cpu) : 0,
    memory: requests.memory ? parseQuantity(requests.memory) : 0,
  };
}

/** What a pod requests, as the scheduler counts it: its containers, or its largest init container. */
export function podRequests(pod: V1Pod): Resources {
  const containers = (pod.spec?.containers ?? []).map((c) => requestsOf(c.resources));
  const inits = (pod.spec?.initContainers ?? []).map((c) => requestsOf(c.resources));
  const overhead = pod.spec?.overhead ?? {};
  const sum = (list: Resources[], key: keyof Resources) => list.reduce((total, r) => total + r[key], 0);
  const max = (list: Resources[], key: keyof Resources) => list.reduce((most, r) => Math.max(most, r[key]), 0);
  return {
    cpu: Math.max(sum(containers, "cpu"), max(inits, "cpu")) + (overhead.cpu ? parseQuantity(overhead.cpu) : 0),
    memory: Math.max(sum(containers, "memory"), max(inits, "memory")) + (overhead.memory ? parseQuantity(overhead.memory) : 0),
  };
}

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

/** What one grade may request: the exercise's quota (requests.cpu, or cpu; the same for memory). */
export function perGradeRequests(quota: Readonly<Record<string, string>>): Partial<Resources> {
  const cpu = quota["requests.cpu"] ?? quota.cpu;
  const memory = quota["requests.memory"] ?? quota.memory;
  return {
    ...(cpu ? { cpu: parseQuantity(cpu) } : {}),
    ...(memory ? { memory: parseQuantity(memory) } : {}),
  };
}

function cpuText(cores: number): string {
  return `${Number(cores.toFixed(2))} CPU`;
}

function memoryText(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(1)} GiB`;
}

export interface JobsChoice {
  jobs: number;
  why: string;
}

/** The default concurrency, and a sentence saying why. */
export function chooseJobs(capacity: FreeCapacity, perGrade: Partial<Resources>, exercise: string): JobsChoice {
  const cap = Math.max(1, 2 * Math.ceil(capacity.cores));
  const fits: number[] = [];
  const reasons: string[] = [];
  if (perGrade.cpu) {
    const n = Math.floor(capacity.free.cpu / perGrade.cpu + 1e-9);
    fits.push(n);
    reasons.push(`${cpuText(capacity.free.cpu)} free / ${cpuText(perGrade.cpu)} per grade = ${n}`);
  }
  if (perGrade.memory) {
    const n = Math.floor(capacity.free.memory / perGrade.memory + 1e-9);
    fits.push(n);
    reasons.push(`${memoryText(capacity.free.memory)} free / ${memoryText(perGrade.memory)} per grade = ${n}`);
  }
  const fit = fits.length ? Math.min(...fits) : cap;
  const jobs = Math.max(1, Math.min(fit, cap));
  let why = `${capacity.nodes} node(s); ${reasons.length ? reasons.join(", ") : `exercise ${exercise} sets no CPU or memory quota`} (the ${exercise} quota's requests)`;
  if (capacity.requestsUnknown) why += `; what pods request is unknown (${capacity.requestsUnknown}), so all allocatable counts as free`;
  if (fit < 1) why += "; at least 1";
  if (fit > cap) why += `; at most ${cap} (2 per CPU core)`;
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
