import { assert } from "chai";
import type { V1Pod } from "@kubernetes/client-node";
import { defineCheck, type CheckContext } from "./api.ts";
import { cassandraContainer, describeNode, envValue, parseNodetoolStatus, type RingNode } from "./cassandra-support.ts";
import { listing, seconds } from "./support.ts";

interface Params {
  statefulset: string;
}

/** Slack between the kubelet's log timestamps and the grader's receipt of the Ready event. */
const CLOCK_SLACK_MS = 2_000;
/** Gossip reaching every node once all pods are Ready. */
const GOSSIP_MS = 60_000;
const KEYSPACE = "kubegrade_check";
const RULES = [
  "each pod became Ready only once its Cassandra node had started (the readiness probe gates the next pod)",
  "nodetool status on <statefulset>-0 lists every pod as Up/Normal, in the datacenter the manifest names",
  "a row written with replication factor 3 through <statefulset>-0 is read back through the last pod",
] as const;

/** kubegrade-cql's own error line ("kubegrade-cql: WriteTimeoutException: …"), else stderr's last line. */
function cqlError(stderr: string): string {
  const lines = stderr.trim().split("\n");
  return (lines.find((l) => l.startsWith("kubegrade-cql:")) ?? lines.at(-1) ?? "").replace(/^kubegrade-cql: /, "").slice(0, 300);
}

export async function nodetoolStatus(ctx: CheckContext<{ statefulset: string }>, pod: string): Promise<RingNode[]> {
  const container = cassandraContainer(await ctx.statefulSet())?.name;
  const out = await ctx.exec(pod, ["nodetool", "status"], { container });
  assert(
    out.exitCode === 0,
    `nodetool status in ${pod} failed (exit ${out.exitCode}): ${(out.stderr || out.stdout).trim().split("\n").slice(-2).join(" ").slice(0, 300)}`,
  );
  return parseNodetoolStatus(out.stdout);
}

/** The datacenter the manifest names (CASSANDRA_DC with CASSANDRA_RACK), or Cassandra's default. */
export function expectedDatacenter(container: ReturnType<typeof cassandraContainer>): string | undefined {
  const dc = envValue(container, "CASSANDRA_DC");
  const rack = envValue(container, "CASSANDRA_RACK");
  if (dc && rack) return dc;
  if (!container?.env?.some((e) => e.name === "CASSANDRA_DC" || e.name === "CASSANDRA_RACK")) return "datacenter1";
  return undefined; // set from elsewhere: not checked
}

export default defineCheck<Params>({
  id: "cassandra-ring",
  title: "The pods form one Cassandra ring: all nodes Up/Normal, data replicated across them",
  requires: ["statefulset", "pods-ready"],
  params: { type: "object", properties: {}, required: ["statefulset"] },
  rules: () => [...RULES],
  destructive: false,
  budgetMs: 180_000,
  tests: (ctx) => [
    {
      title: RULES[0],
      run: async () => {
        const pods = await ctx.podsReady();
        const spec = cassandraContainer(await ctx.statefulSet());
        const container = spec?.name;
        const fix = spec?.readinessProbe
          ? "Its readiness probe passes before the node is Up/Normal: make it check this node's own state, as the image's /ready-probe.sh does (nodetool status shows this pod's IP as UN)."
          : "It has no readinessProbe, so it is Ready as soon as the container starts. Add one that passes only when the node is Up/Normal: exec [/bin/bash, -c, /ready-probe.sh].";
        for (const [name, pod] of pods) {
          const uid = pod.metadata?.uid;
          const ready = ctx.timeline.events.filter((e) => e.uid === uid && e.event === "ready").at(-1);
          if (!ready) continue; // Ready before the grader watched: nothing to compare
          const log = await ctx.core.readNamespacedPodLog({ name, namespace: ctx.namespace, container, timestamps: true });
          const line = String(log).split("\n").find((l) => l.includes("Startup complete"));
          const started = line ? Date.parse(line.slice(0, line.indexOf(" "))) : undefined;
          assert(
            started !== undefined,
            `${name} was Ready but its Cassandra node had not finished starting (no "Startup complete" in its log), so the next pod started before this one could serve as a peer. ${fix}`,
          );
          assert(
            ready.at >= started - CLOCK_SLACK_MS,
            `${name} was Ready ${seconds(started - ready.at)} before its Cassandra node finished starting, so the next pod started before this one could serve as a peer. ${fix}`,
          );
        }
      },
    },
    {
      title: RULES[1],
      run: async () => {
        const pods = await ctx.podsReady();
        const first = `${ctx.params.statefulset}-0`;
        const container = cassandraContainer(await ctx.statefulSet());
        const datacenter = expectedDatacenter(container);
        await ctx.eventually("every node Up/Normal in nodetool status", GOSSIP_MS, async () => {
          await assertRing(ctx, first, pods, datacenter);
        });
      },
    },
    {
      title: RULES[2],
      run: async () => {
        const pods = await ctx.podsReady();
        const names = [...pods.keys()];
        const writer = names[0];
        const reader = names[names.length - 1];
        const container = cassandraContainer(await ctx.statefulSet());
        const datacenter = expectedDatacenter(container) ?? "datacenter1";
        const replicas = Math.min(3, names.length);
        const token = `kubegrade-${Date.now().toString(36)}`;
        const cql = (pod: string, consistency: string, statements: string[]) =>
          ctx.exec(pod, ["kubegrade-cql", "--host", pods.get(pod)?.status?.podIP ?? "127.0.0.1", "--consistency", consistency, ...statements], {
            container: container?.name,
          });
        ctx.step(`CQL write through ${writer}`);
        const write = await cql(writer, "ALL", [
          `CREATE KEYSPACE IF NOT EXISTS ${KEYSPACE} WITH replication = {'class': 'NetworkTopologyStrategy', '${datacenter.replace(/'/g, "''")}': ${replicas}}`,
          `CREATE TABLE IF NOT EXISTS ${KEYSPACE}.ring (k text PRIMARY KEY, v text)`,
          `INSERT INTO ${KEYSPACE}.ring (k, v) VALUES ('probe', '${token}')`,
        ]);
        assert(
          write.exitCode === 0,
          `Writing a row with replication factor ${replicas} (consistency ALL) through ${writer} failed: ${cqlError(write.stderr)}. ` +
            `Every node of the ring must accept the write; nodetool status in ${writer} shows which are not Up/Normal.`,
        );
        ctx.step(`CQL read through ${reader}`);
        const read = await cql(reader, "ONE", [`SELECT v FROM ${KEYSPACE}.ring WHERE k = 'probe'`]);
        assert(read.exitCode === 0, `Reading the row back through ${reader} failed: ${cqlError(read.stderr)}.`);
        assert(
          read.stdout.trim() === token,
          `The row written through ${writer} was ${read.stdout.trim() ? `read back as "${read.stdout.trim()}"` : "not found"} through ${reader}: ` +
            `${reader} is not in the same ring as ${writer}.`,
        );
      },
    },
  ],
});

/** Every pod's IP in `from`'s nodetool status as UN (in `datacenter` when given). */
export async function assertRing(
  ctx: CheckContext<{ statefulset: string }>,
  from: string,
  pods: Map<string, V1Pod>,
  datacenter: string | undefined,
): Promise<RingNode[]> {
  const nodes = await nodetoolStatus(ctx, from);
  const byAddress = new Map(nodes.map((n) => [n.address, n]));
  const missing: string[] = [];
  for (const [name, pod] of pods) {
    const ip = pod.status?.podIP ?? "";
    const node = byAddress.get(ip);
    if (!node) {
      missing.push(`${name} (${ip})`);
      continue;
    }
    assert(
      node.status === "U" && node.state === "N",
      `nodetool status on ${from} shows ${name} as ${describeNode(node)}, not UN (Up/Normal).`,
    );
    if (datacenter) {
      assert(
        node.datacenter === datacenter,
        `nodetool status on ${from} puts ${name} in datacenter "${node.datacenter}", not "${datacenter}" as CASSANDRA_DC says. ` +
          "The image uses CASSANDRA_DC and CASSANDRA_RACK only when both are set.",
      );
    }
  }
  assert(
    !missing.length,
    `nodetool status on ${from} lists ${nodes.length} node(s) (${listing(nodes.map(describeNode))}) and not ${listing(missing)}: ` +
      `those pods are not in ${from}'s ring. Every pod must reach the ring through CASSANDRA_SEEDS=${ctx.params.statefulset}-0.<service>; ` +
      "nodes with other seeds form rings of their own.",
  );
  return nodes;
}
