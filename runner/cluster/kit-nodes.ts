/**
 * A kit cluster of several nodes: one control plane and workers from the same node image,
 * started side by side. Each worker joins with credentials of its own, issued by the control
 * plane's CA (`kubegrade-node join-credentials`; the CA's key never leaves the control plane);
 * each node's pods get a subnet of their own (10.244.<i>.0/24), reached from the other nodes
 * by routes on the Docker network between them — pod addresses are kept across nodes, as on
 * a real cluster's flat pod network. Claims are made by the Local Path Provisioner on the node
 * of their pod (the node script's KUBEGRADE_STORAGE=local-path).
 */
import { randomBytes } from "node:crypto";
import type { StartedTestContainer } from "testcontainers";
import { LABELS, MAX_KIT_NODES, TIMEOUTS } from "../config.ts";
import { InfrastructureError, errorMessage } from "../errors.ts";
import { dockerClient } from "../util/docker.ts";
import {
  JOIN_WAIT_LINE, READY_LINE, attachKitNode, handOffRemoval, nodeLabels, startNodeContainer, stopContainer,
  type KitStartOptions,
} from "./kit.ts";
import type { ClusterParts } from "./types.ts";


/** The pod subnet of node `index` (0: the control plane). */
export const podSubnet = (index: number): string => `10.244.${index}.0/24`;
/** The Kubernetes name of node `index` (the control plane keeps the one-node name). */
export const nodeName = (index: number): string => (index === 0 ? "kubegrade" : `kubegrade-worker-${index}`);

const FAILED_LINE = /kubegrade-node: \[[\d.]+s\] FAILED: (.*)$/;

interface StartedNode {
  index: number;
  container: StartedTestContainer;
  /** Settles when the node logs "ready" (or fails when it logs FAILED). */
  ready: Promise<void>;
}

/** Starts `nodes` node containers and joins them into one cluster; its handle removes them all. */
export async function startKitNodes(options: KitStartOptions & { image: string; nodes: number }): Promise<ClusterParts> {
  if (!Number.isInteger(options.nodes) || options.nodes < 1 || options.nodes > MAX_KIT_NODES) {
    throw new InfrastructureError(`A kit cluster has 1 to ${MAX_KIT_NODES} nodes, not ${options.nodes}.`);
  }
  const { info } = await dockerClient(); // fails with a clear message when Docker is not there
  const labels = { ...nodeLabels(options), [LABELS.cluster]: randomBytes(6).toString("hex") };
  const settled = await Promise.allSettled(
    Array.from({ length: options.nodes }, (_, index) => startNode(index, options, labels, info.containerRuntime.host)),
  );
  const nodes = settled.flatMap((s) => (s.status === "fulfilled" ? [s.value] : []));
  // Workers first: the control plane goes last.
  const containers = () => [...nodes].sort((a, b) => b.index - a.index).map((n) => n.container);
  const remove = async () => {
    for (const container of containers()) await stopContainer(container).catch(() => {});
  };
  try {
    const failure = settled.find((s) => s.status === "rejected");
    if (failure) throw failure.reason;
    await joinWorkers(nodes, options);
    const controlPlane = nodes.find((n) => n.index === 0)!;
    const parts = await attachKitNode(controlPlane.container.getId(), {
      onPending: (observation) => options.onLog?.(`kubegrade-node: [cluster] waiting: ${observation}`),
      ...(options.warm ? {} : { remove, handOff: () => handOffRemoval(...containers().map((c) => c.getId())) }),
    });
    return {
      ...parts,
      nodeContainerIds: nodes.map((n) => n.container.getId()),
      description: `kit cluster of ${options.nodes} nodes (${parts.description}; workers in ${nodes
        .filter((n) => n.index > 0)
        .map((n) => n.container.getId().slice(0, 12))
        .join(", ")})`,
    };
  } catch (error) {
    await remove();
    throw error;
  }
}

async function startNode(index: number, options: KitStartOptions & { image: string }, labels: Record<string, string>, host: string): Promise<StartedNode> {
  let resolveReady!: () => void;
  let rejectReady!: (error: Error) => void;
  const ready = new Promise<void>((resolve, reject) => {
    resolveReady = resolve;
    rejectReady = reject;
  });
  ready.catch(() => {}); // observed by joinWorkers; a node that fails before that is reported by its start
  const worker = index > 0;
  const container = await startNodeContainer({
    image: options.image,
    labels: { ...labels, [LABELS.role]: worker ? "worker" : "control-plane" },
    environment: worker
      ? { KUBEGRADE_ROLE: "worker", KUBEGRADE_NODE_NAME: nodeName(index), KUBEGRADE_POD_SUBNET: podSubnet(index) }
      : { KUBEGRADE_API_SANS: [host, "localhost", "127.0.0.1"].join(","), KUBEGRADE_STORAGE: "local-path" },
    ...(worker ? { waitFor: JOIN_WAIT_LINE } : {}),
    onLog: (line) => {
      if (READY_LINE.test(line)) resolveReady();
      const failed = FAILED_LINE.exec(line);
      if (failed) rejectReady(new InfrastructureError(`kit node ${nodeName(index)} failed to start: ${failed[1]}`));
      // A worker's steps are shown as its own; only the control plane's "ready" ends the start-up log.
      options.onLog?.(worker ? line.replace(/^(kubegrade-node: \[[^\]]+\] )/, `$1${nodeName(index)}: `) : line);
    },
  });
  return { index, container, ready };
}

/** Routes between the nodes' pod subnets, then each worker's credentials; resolves when every worker is Ready. */
async function joinWorkers(nodes: StartedNode[], options: KitStartOptions): Promise<void> {
  const address = (node: StartedNode) => node.container.getIpAddress(node.container.getNetworkNames()[0]!);
  await Promise.all(
    nodes.map((node) => {
      const routes = nodes.filter((other) => other !== node).map((other) => `ip route replace ${podSubnet(other.index)} via ${address(other)}`);
      return execOrFail(node, ["sh", "-c", routes.join(" && ")], "adding the routes to the other nodes' pods");
    }),
  );
  const controlPlane = nodes.find((n) => n.index === 0)!;
  await controlPlane.ready;
  const workers = nodes.filter((n) => n.index > 0);
  options.onLog?.(`kubegrade-node: [cluster] joining ${workers.length} worker${workers.length === 1 ? "" : "s"}`);
  await Promise.all(
    workers.map(async (worker) => {
      const credentials = await execOrFail(controlPlane, ["kubegrade-node", "join-credentials", nodeName(worker.index), address(worker)], `issuing ${nodeName(worker.index)}'s credentials`);
      const unpack = 'set -e; mkdir -p /etc/kubegrade/join.partial; echo "$1" | base64 -d | tar -xz -C /etc/kubegrade/join.partial; mv /etc/kubegrade/join.partial /etc/kubegrade/join';
      await execOrFail(worker, ["sh", "-c", unpack, "sh", credentials.trim()], `handing ${nodeName(worker.index)} its credentials`);
      await withDeadline(worker.ready, TIMEOUTS.clusterStartMs, `${nodeName(worker.index)} did not become Ready within ${TIMEOUTS.clusterStartMs / 1000} s`);
    }),
  );
}

async function execOrFail(node: StartedNode, command: string[], what: string): Promise<string> {
  const result = await node.container.exec(command).catch((error: unknown) => {
    throw new InfrastructureError(`${what} failed on ${nodeName(node.index)}: ${errorMessage(error)}`);
  });
  if (result.exitCode !== 0) {
    throw new InfrastructureError(`${what} failed on ${nodeName(node.index)} (exit ${result.exitCode}): ${(result.stderr || result.output).trim().slice(0, 500)}`);
  }
  return result.stdout;
}

function withDeadline<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new InfrastructureError(message)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}
