/**
 * Kubernetes quantities and what a pod asks of the scheduler, as numbers: read by a batch's
 * capacity plan (batch/capacity.ts) and by the rule for a pod no node can take (certainty.ts).
 */
import type { V1Pod } from "@kubernetes/client-node";

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
