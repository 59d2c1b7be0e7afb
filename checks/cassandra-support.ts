/**
 * Pure helpers for the Cassandra checks (unit-tested in test/unit/cassandra-support.test.ts):
 * reading `nodetool status`, the seeds a manifest gives, and a container's environment.
 */
import type { V1Container, V1StatefulSet } from "@kubernetes/client-node";

export interface RingNode {
  /** U or D */
  status: string;
  /** N (Normal), L (Leaving), J (Joining), M (Moving) */
  state: string;
  address: string;
  hostId: string;
  rack: string;
  datacenter: string;
}

/** The nodes `nodetool status` lists, each with its datacenter. */
export function parseNodetoolStatus(output: string): RingNode[] {
  const nodes: RingNode[] = [];
  let datacenter = "";
  for (const line of output.split("\n")) {
    const dc = /^Datacenter:\s*(.+?)\s*$/.exec(line);
    if (dc) {
      datacenter = dc[1];
      continue;
    }
    // UN  10.244.0.5  104.5 KiB  32  66.7%  5f8c…-…  Rack1
    const node = /^([UD])([NLJM])\s+(\S+)\s+.*?\s([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\s+(\S+)\s*$/.exec(line);
    if (node) {
      nodes.push({ status: node[1], state: node[2], address: node[3].replace(/:\d+$/, ""), hostId: node[4], rack: node[5], datacenter });
    }
  }
  return nodes;
}

export function describeNode(node: RingNode): string {
  const status = node.status === "U" ? "Up" : "Down";
  const state = { N: "Normal", L: "Leaving", J: "Joining", M: "Moving" }[node.state] ?? node.state;
  return `${node.address} ${node.status}${node.state} (${status}/${state})`;
}

/** The Cassandra container of a StatefulSet: the one that sets CASSANDRA_* variables, else the first. */
export function cassandraContainer(sts: V1StatefulSet | undefined): V1Container | undefined {
  const containers = sts?.spec?.template?.spec?.containers ?? [];
  return containers.find((c) => c.env?.some((e) => e.name.startsWith("CASSANDRA_"))) ??
    containers.find((c) => /cassandra/.test(c.image ?? "")) ??
    containers[0];
}

/** A variable's literal value in a container's env (undefined when unset or not a literal). */
export function envValue(container: V1Container | undefined, name: string): string | undefined {
  const entry = container?.env?.find((e) => e.name === name);
  return entry?.value;
}

export type SeedVerdict =
  | { kind: "pod"; seed: string; ordinal: number }
  | { kind: "other-namespace"; seed: string; namespace: string; ordinal: number }
  | { kind: "no-such-pod"; seed: string; ordinal: number }
  | { kind: "unknown"; seed: string };

/**
 * What one seed names, given the StatefulSet, its governing Service and the namespace
 * the grade runs in: a pod of the StatefulSet (cassandra-0.cassandra, or with the
 * namespace, .svc and the cluster domain), a pod of it in another namespace (a copied
 * `.default.svc.cluster.local`), an ordinal that does not exist, or something else.
 */
export function classifySeed(seed: string, sts: string, service: string, namespace: string, replicas: number): SeedVerdict {
  const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const match = new RegExp(`^${escape(sts)}-(\\d+)\\.${escape(service)}(?:\\.([a-z0-9-]+)(?:\\.svc(?:\\.cluster\\.local)?)?)?\\.?$`).exec(seed.trim().toLowerCase());
  if (!match) return { kind: "unknown", seed };
  const ordinal = Number(match[1]);
  if (match[2] && match[2] !== namespace) return { kind: "other-namespace", seed, namespace: match[2], ordinal };
  if (ordinal >= replicas) return { kind: "no-such-pod", seed, ordinal };
  return { kind: "pod", seed, ordinal };
}

export function splitSeeds(value: string): string[] {
  return value.split(",").map((s) => s.trim()).filter(Boolean);
}
