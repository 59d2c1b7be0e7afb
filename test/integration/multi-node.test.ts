/**
 * A kit cluster of three nodes (one control plane, two workers), started for this file beside
 * the shared one: a subset of the exercises' fixtures graded on it give the verdicts their
 * expected.yaml gives on one node, while a watch records where the graded pods ran — spread
 * over at least two nodes, each claim's volume made on (and pinned to) its pod's node, a
 * recreated pod back on its volume's node. The subset keeps the suite within its budget; the
 * whole matrix (every fixture of web, exercise-8, demo, and cassandra's ring) was run by hand,
 * with its figures in docs/clusters.md.
 */
import { CoreV1Api, Watch, type V1PersistentVolume, type V1Pod } from "@kubernetes/client-node";
import { expect } from "chai";
import { obtainCluster, type Cluster } from "../../runner/cluster/index.ts";
import { loadExercise } from "../../runner/exercise.ts";
import { createProgress } from "../../runner/util/progress.ts";
import { verifyFixtures, type FixtureOutcome } from "../../runner/verify.ts";

/** The fixtures graded on three nodes: each exercise's reference and the broken ones whose checks depend most on nodes. */
const SUBSET: Record<string, string[]> = {
  web: ["reference", "emptydir", "fails-on-restart"],
  "exercise-8": ["reference", "third-replica-broken"],
  demo: ["reference"],
};

interface Placement {
  /** pod namespace/name → every node it ran on, in order (a recreated pod adds one). */
  pods: Map<string, string[]>;
  /** claim namespace/name → the node its volume is pinned to. */
  volumes: Map<string, string>;
}

describe("a kit cluster of three nodes", function () {
  let cluster: Cluster | undefined;
  const placement: Placement = { pods: new Map(), volumes: new Map() };
  const aborts: AbortController[] = [];
  const outcomes = new Map<string, Promise<FixtureOutcome>>();

  before(async function () {
    this.timeout(10 * 60_000);
    cluster = await obtainCluster({ progress: createProgress({ env: { ...process.env, CI: "true" } }), provider: "kit", nodes: 3 });
    aborts.push(await watchPlacement(cluster, placement));
    for (const [id, only] of Object.entries(SUBSET)) {
      const exercise = await loadExercise(id);
      // Two grades at a time: the machine's two cores also serve the shared cluster's grades.
      const run = await verifyFixtures({ exercise, cluster, only, jobs: 2 });
      run.cases.forEach((c, i) => outcomes.set(`${id}/${c.name}`, run.outcomes[i]!));
    }
  });

  after(async function () {
    this.timeout(120_000);
    for (const abort of aborts) abort.abort();
    await Promise.allSettled(outcomes.values());
    await cluster?.stop();
  });

  it("has three Ready nodes", async function () {
    const nodes = (await cluster!.kubeConfig.makeApiClient(CoreV1Api).listNode()).items;
    expect(nodes.map((n) => n.metadata?.name).sort()).to.deep.equal(["kubegrade", "kubegrade-worker-1", "kubegrade-worker-2"]);
    for (const node of nodes) {
      expect(node.status?.conditions?.find((c) => c.type === "Ready")?.status, node.metadata?.name).to.equal("True");
    }
  });

  for (const [id, only] of Object.entries(SUBSET)) {
    for (const name of only) {
      it(`grades ${id}'s ${name} fixture with its expected verdicts`, async function () {
        this.timeout(10 * 60_000);
        const outcome = outcomes.get(`${id}/${name}`);
        expect(outcome, `${id}/${name} is a fixture`).to.not.equal(undefined);
        const { problems } = await outcome!;
        expect(problems, "verdicts against expected.yaml").to.deep.equal([]);
      });
    }
  }

  it("ran the graded pods on at least two nodes, each claim's volume on its pod's node", async function () {
    this.timeout(10 * 60_000);
    await Promise.allSettled(outcomes.values());
    const graded = [...placement.pods].filter(([key]) => key.startsWith("kg-"));
    const nodes = new Set(graded.flatMap(([, on]) => on));
    expect(graded.length, "graded pods seen").to.be.greaterThan(5);
    expect(nodes.size, `nodes the graded pods ran on: ${[...nodes].join(", ")}`).to.be.at.least(2);
    // A StatefulSet pod's claim is <template>-<pod>: its volume is pinned where the pod first ran.
    let pinned = 0;
    for (const [claim, node] of placement.volumes) {
      const [namespace, name] = claim.split("/");
      const pod = [...placement.pods].find(([key]) => key.startsWith(`${namespace}/`) && name!.endsWith(`-${key.split("/")[1]}`));
      if (!pod) continue;
      pinned++;
      expect(pod[1], `${pod[0]} ran only on its volume's node ${node}`).to.satisfy((on: string[]) => on.every((n) => n === node));
    }
    expect(pinned, "claims matched to their pods").to.be.greaterThan(3);
    const recreated = graded.filter(([, on]) => on.length > 1);
    expect(recreated.length, "pods recreated by the checks (stable-identity, data-persistence)").to.be.greaterThan(0);
  });
});

/** Records, by watching, every node each pod ran on and each volume's node (event-driven; no polling). */
async function watchPlacement(cluster: Cluster, placement: Placement): Promise<AbortController> {
  const watch = new Watch(cluster.kubeConfig);
  const uids = new Set<string>();
  const pods = await watch.watch("/api/v1/pods", {}, (_type: string, pod: V1Pod) => {
    const key = `${pod.metadata?.namespace}/${pod.metadata?.name}`;
    const node = pod.spec?.nodeName;
    if (!node) return;
    // A pod recreated under the same name has a new uid: each uid adds its node once.
    const seen = placement.pods.get(key) ?? [];
    const uidKey = `${key}@${pod.metadata?.uid}`;
    if (!uids.has(uidKey)) {
      uids.add(uidKey);
      placement.pods.set(key, [...seen, node]);
    }
  }, () => {});
  const volumes = await watch.watch("/api/v1/persistentvolumes", {}, (_type: string, pv: V1PersistentVolume) => {
    const claim = pv.spec?.claimRef;
    const node = pv.spec?.nodeAffinity?.required?.nodeSelectorTerms?.[0]?.matchExpressions?.[0]?.values?.[0];
    if (claim && node) placement.volumes.set(`${claim.namespace}/${claim.name}`, node);
  }, () => {});
  const controller = new AbortController();
  controller.signal.addEventListener("abort", () => {
    pods.abort();
    volumes.abort();
  });
  return controller;
}
