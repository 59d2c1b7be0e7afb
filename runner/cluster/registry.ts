/**
 * The cluster providers kubegrade knows, in the order they are chosen when none is named:
 * a kubeconfig given, else the kit when its image is built here, else k3s. A new provider
 * is a file in providers/ and a line here; nothing outside runner/cluster/ names one.
 */
import { MAX_KIT_NODES } from "../config.ts";
import { UsageError } from "../errors.ts";
import { kitProvider } from "./providers/kit.ts";
import { k3sProvider } from "./providers/k3s.ts";
import { kubeconfigProvider } from "./providers/kubeconfig.ts";
import type { ClusterOptions, ClusterProvider } from "./types.ts";

export const PROVIDERS: readonly ClusterProvider[] = [kubeconfigProvider, kitProvider, k3sProvider];

/** The names --cluster takes, in the order of --help. */
export function providerNames(): string[] {
  return PROVIDERS.map((p) => p.name);
}

/** --cluster's help text: each provider and what it is. */
export function providersHelp(): string {
  return `where to grade: ${PROVIDERS.map((p) => `${p.name} (${p.summary})`).join("; ")}`;
}

/** The provider a name gives (--cluster, KUBEGRADE_CLUSTER=); a usage error names the choices. */
export function providerNamed(value: string, source: string): ClusterProvider {
  const provider = PROVIDERS.find((p) => p.name === value);
  if (!provider) throw new UsageError(`${source} ${value}: expected one of ${providerNames().join(", ")}`);
  return provider;
}

/** A provider's name as given, checked; undefined when not given. */
export function parseProvider(value: string | undefined, source: string): string | undefined {
  if (value === undefined || value === "") return undefined;
  return providerNamed(value, source).name;
}

/** --nodes N: a whole number of nodes, 1 to MAX_KIT_NODES (exit 2 otherwise). */
export function parseNodes(value: string | undefined, source: string): number | undefined {
  if (value === undefined || value === "") return undefined;
  const nodes = Number(value);
  if (!/^\d+$/.test(value) || nodes < 1 || nodes > MAX_KIT_NODES) {
    throw new UsageError(`${source} ${value}: a kit cluster has 1 to ${MAX_KIT_NODES} nodes`);
  }
  return nodes;
}

/** Refuses --nodes on a provider that cannot start several nodes. */
export function checkNodes(provider: ClusterProvider, why: string, nodes: number | undefined): void {
  if (nodes !== undefined && nodes > 1 && !provider.capabilities.startsSeveralNodes) {
    throw new UsageError(`--nodes ${nodes}: the ${provider.name} provider (${why}) ${provider.capabilities.startsNodes ? "starts one node" : "grades on a cluster that already exists"}; several nodes are started by the kit (--cluster kit)`);
  }
}

/** The provider these options ask for, and why: named (--cluster, KUBEGRADE_CLUSTER), else the first that applies. */
export async function chooseProvider(options: ClusterOptions): Promise<{ provider: ClusterProvider; why: string }> {
  const env = options.env ?? process.env;
  if (options.provider) return { provider: providerNamed(options.provider, "--cluster"), why: "--cluster" };
  if (env.KUBEGRADE_CLUSTER) return { provider: providerNamed(env.KUBEGRADE_CLUSTER, "KUBEGRADE_CLUSTER="), why: "KUBEGRADE_CLUSTER" };
  for (const provider of PROVIDERS) {
    const why = await provider.appliesBecause(options);
    if (why) return { provider, why };
  }
  throw new UsageError("no cluster provider applies");
}

/** The provider that keeps a warm cluster (the kit). */
export function warmProvider(): ClusterProvider & { warm: NonNullable<ClusterProvider["warm"]> } {
  const provider = PROVIDERS.find((p) => p.capabilities.keepsWarm && p.warm);
  if (!provider?.warm) throw new Error("no cluster provider keeps a warm cluster");
  return provider as ClusterProvider & { warm: NonNullable<ClusterProvider["warm"]> };
}
