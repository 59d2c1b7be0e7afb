import { assert } from "chai";
import { defineCheck } from "./api.ts";
import { cassandraContainer, classifySeed, envValue, splitSeeds } from "./cassandra-support.ts";
import { listing, nslookupAddresses } from "./support.ts";

interface Params {
  statefulset: string;
  service?: string;
}

const RULE = "CASSANDRA_SEEDS names <statefulset>-0.<service>";

/**
 * Peer discovery through DNS: Cassandra nodes find the ring through CASSANDRA_SEEDS, and
 * in a StatefulSet a seed is a pod's stable DNS name under the headless Service. The
 * first pod must be among the seeds: with ordered creation it starts alone, and a node
 * whose seeds are all unreachable cannot start.
 */
export default defineCheck<Params>({
  id: "cassandra-seeds",
  title: "Nodes discover each other through DNS: CASSANDRA_SEEDS names the first pod under the headless Service",
  requires: ["statefulset"],
  params: { type: "object", properties: {}, required: ["statefulset"] },
  rules: () => [RULE],
  destructive: false,
  budgetMs: 60_000,
  tests: (ctx) => [
    {
      title: RULE,
      run: async () => {
        const sts = await ctx.statefulSet();
        const container = cassandraContainer(sts);
        const service = (await ctx.serviceName()) ?? ctx.params.service ?? "cassandra";
        const first = `${ctx.params.statefulset}-0.${service}`;
        const value = envValue(container, "CASSANDRA_SEEDS");
        const fromElsewhere = container?.env?.some((e) => e.name === "CASSANDRA_SEEDS" && e.valueFrom);
        assert(
          value !== undefined || fromElsewhere,
          `Container ${container?.name ?? "?"} sets no CASSANDRA_SEEDS: each node then seeds only itself and the pods form separate one-node rings. ` +
            `Add env CASSANDRA_SEEDS with the value ${first} — the first pod's DNS name under the headless Service ${service}.`,
        );
        if (value === undefined) return; // from a ConfigMap or Secret: the ring check proves it live
        const replicas = sts?.spec?.replicas ?? 1;
        const seeds = splitSeeds(value);
        assert(seeds.length > 0, `CASSANDRA_SEEDS is empty. Set it to ${first}.`);
        const verdicts = seeds.map((s) => classifySeed(s, ctx.params.statefulset, service, ctx.namespace, replicas));
        if (verdicts.some((v) => v.kind === "pod" && v.ordinal === 0)) return;

        const otherNamespace = verdicts.find((v) => v.kind === "other-namespace");
        if (otherNamespace?.kind === "other-namespace") {
          assert.fail(
            `CASSANDRA_SEEDS="${value}" names namespace ${otherNamespace.namespace}, but your manifests are applied in the grader's own namespace, where ${otherNamespace.seed} does not exist. ` +
              `Leave the namespace out: ${first} resolves in whatever namespace the pods run in.`,
          );
        }
        // Something else: maybe a name that resolves anyway. Ask the cluster's DNS, as the pods would.
        const unresolved: string[] = [];
        for (const seed of seeds) {
          const answer = await ctx.probe(["sh", "-c", `nslookup ${JSON.stringify(seed)} 2>&1; true`]);
          if (!nslookupAddresses(answer.stdout).length) unresolved.push(seed);
        }
        const laterOnly = verdicts.filter((v) => v.kind === "pod" || v.kind === "no-such-pod");
        assert.fail(
          (unresolved.length
            ? `CASSANDRA_SEEDS="${value}": ${listing(unresolved.map((s) => `"${s}"`))} ${unresolved.length > 1 ? "do" : "does"} not resolve through the cluster's DNS, so a node has no seed to join. `
            : laterOnly.length
              ? `CASSANDRA_SEEDS="${value}" does not include the first pod: ${ctx.params.statefulset}-0 starts alone and cannot reach a seed that starts after it. `
              : `CASSANDRA_SEEDS="${value}" names no pod of StatefulSet ${ctx.params.statefulset}. `) +
            `Seeds are pods' DNS names, <pod>.<service>, under the headless Service ${service}: use ${first}.`,
        );
      },
    },
  ],
});
