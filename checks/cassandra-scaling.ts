import { AssertionError, assert } from "chai";
import { defineCheck } from "./api.ts";
import { assertRing, expectedDatacenter, nodetoolStatus } from "./cassandra-ring.ts";
import { cassandraContainer, describeNode } from "./cassandra-support.ts";
import { mountAt, seconds } from "./support.ts";

interface Params {
  statefulset: string;
  /** Replicas the exercise runs (3); the check scales to one less and back. */
  replicas: number;
}

const GOSSIP_MS = 60_000;

function rulesFor(params: Params): string[] {
  const n = params.replicas;
  const last = `${params.statefulset}-${n - 1}`;
  return [
    `scaling down to ${n - 1} removes ${last}; the others stay Up/Normal (${last} shows as DN: expected without a decommission)`,
    `scaling back up to ${n} brings ${last} back on its own claim as the same node (same host ID), all Up/Normal`,
  ];
}

/**
 * Scaling a Cassandra StatefulSet: down by one removes the highest ordinal and leaves the
 * rest of the ring Up/Normal (the removed node is then Down — expected, since nothing ran
 * `nodetool decommission`); back up, the same pod returns on its own claim and rejoins as
 * the same node.
 */
export default defineCheck<Params>({
  id: "cassandra-scaling",
  title: "Scaling the ring down removes the highest ordinal first; scaling back up returns the same node",
  requires: ["statefulset", "pods-ready"],
  params: {
    type: "object",
    properties: {
      replicas: { type: "integer", minimum: 2, maximum: 10, description: "The ring's size: scaled down to one less, then back up to this." },
    },
    required: ["statefulset", "replicas"],
  },
  peakReplicas: (params) => params.replicas,
  rules: rulesFor,
  destructive: true,
  budgetMs: 360_000,
  tests: (ctx) => {
    const n = ctx.params.replicas;
    const pod = (i: number) => `${ctx.params.statefulset}-${i}`;
    const last = pod(n - 1);
    let removed: { ip: string; hostId: string } | undefined;
    const titles = rulesFor(ctx.params);
    return [
      {
        title: titles[0],
        run: async () => {
          const pods = await ctx.podsReady();
          const datacenter = expectedDatacenter(cassandraContainer(await ctx.statefulSet()));
          const before = await nodetoolStatus(ctx, pod(0));
          const ip = pods.get(last)?.status?.podIP ?? "";
          const node = before.find((x) => x.address === ip);
          if (node) removed = { ip, hostId: node.hostId };
          const since = Date.now();
          await ctx.scale(n - 1);
          const gone = ctx.timeline.first(last, "deleted", since);
          assert(gone, `Scaling down to ${n - 1}: ${last} was not removed.`);
          for (let i = 0; i < n - 1; i++) {
            const early = ctx.timeline.terminations.find((t) => t.pod === pod(i) && t.at >= since);
            assert(
              !early,
              `Scaling down to ${n - 1}: ${pod(i)} was terminated ${early ? seconds(early.at - since) : ""} after the scale; only ${last}, the highest ordinal, should go.`,
            );
          }
          const remaining = new Map([...(await ctx.podsReady())].filter(([name]) => name !== last));
          await ctx.eventually(`${last} Down and the rest Up/Normal`, GOSSIP_MS, async () => {
            const nodes = await assertRing(ctx, pod(0), remaining, datacenter);
            const old = nodes.find((x) => x.address === ip);
            assert(
              !old || old.status === "D",
              `${last} is gone, but nodetool status on ${pod(0)} still shows it as ${old ? describeNode(old) : ""}.`,
            );
          });
          ctx.step(`${last} (${ip}) is DN in nodetool status: expected after a scale-down without nodetool decommission`);
        },
      },
      {
        title: titles[1],
        run: async () => {
          const sts = await ctx.statefulSet();
          const claimed = mountAt(sts?.spec?.template?.spec, "/cassandra_data");
          const onClaim = !!claimed && !!sts?.spec?.volumeClaimTemplates?.some((t) => t.metadata?.name === claimed.volume);
          try {
            await ctx.scale(n);
          } catch (error) {
            if (onClaim || !(error instanceof AssertionError)) throw error;
            // Without its data a returning pod is a new node claiming the old one's place.
            assert.fail(
              `Scaling back up to ${n}: ${last} did not rejoin the ring — ${error.message} ` +
                `${last} came back without its data (no volumeClaimTemplate mounted at /cassandra_data), so it is a new node where the ring expects the old one; ` +
                "keep /cassandra_data on a claim so each pod returns as the node it was.",
            );
          }
          const pods = await ctx.podsReady();
          const datacenter = expectedDatacenter(cassandraContainer(await ctx.statefulSet()));
          await ctx.eventually(`every node Up/Normal after scaling back to ${n}`, GOSSIP_MS, async () => {
            const nodes = await assertRing(ctx, pod(0), pods, datacenter);
            if (!removed) return;
            const ip = pods.get(last)?.status?.podIP ?? "";
            const node = nodes.find((x) => x.address === ip);
            assert(
              node?.hostId === removed.hostId,
              `${last} came back as a new Cassandra node (host ID ${node?.hostId ?? "?"}, was ${removed.hostId}): its data did not survive. ` +
                "Keep /cassandra_data on a volumeClaimTemplate so a pod gets its own claim back when it returns.",
            );
            const stale = nodes.find((x) => x.hostId !== removed?.hostId && x.address === removed?.ip);
            assert(!stale, `The old address of ${last} is still listed: ${stale ? describeNode(stale) : ""}.`);
          });
        },
      },
    ];
  },
});
