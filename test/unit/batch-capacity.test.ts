import { CHECKS } from "../../checks/index.ts";
import { expect } from "chai";
import type { V1Node, V1Pod } from "@kubernetes/client-node";
import { chooseJobs, freeCapacity, parseQuantity, peakReplicas, podRequests, submissionFootprint, type Footprint } from "../../runner/batch/capacity.ts";
import { loadExercise } from "../../runner/exercise.ts";

function node(cpu: string, memory: string, ready = true): V1Node {
  return {
    metadata: { name: `node-${cpu}-${memory}` },
    status: { capacity: { cpu, memory }, allocatable: { cpu, memory }, conditions: [{ type: "Ready", status: ready ? "True" : "False" }] },
  };
}

function pod(nodeName: string, requests: { cpu?: string; memory?: string }[], phase = "Running", init: { cpu?: string; memory?: string }[] = []): V1Pod {
  return {
    spec: {
      nodeName,
      containers: requests.map((r, i) => ({ name: `c${i}`, resources: { requests: r as Record<string, string> } })),
      initContainers: init.map((r, i) => ({ name: `i${i}`, resources: { requests: r as Record<string, string> } })),
    },
    status: { phase },
  };
}

const GiB = 2 ** 30;

describe("batch: default concurrency from free capacity", () => {
  it("reads Kubernetes quantities", () => {
    expect(parseQuantity("2")).to.equal(2);
    expect(parseQuantity("500m")).to.equal(0.5);
    expect(parseQuantity("1.5Gi")).to.equal(1.5 * GiB);
    expect(parseQuantity("128974848")).to.equal(128974848);
    expect(parseQuantity("129e6")).to.equal(129e6);
    expect(parseQuantity("123Mi")).to.equal(123 * 2 ** 20);
    expect(parseQuantity("1k")).to.equal(1000);
    expect(() => parseQuantity("lots")).to.throw(/not a Kubernetes quantity/);
  });

  it("a pod requests its containers' sum, or its largest init container", () => {
    const requests = podRequests(pod("n", [{ cpu: "100m", memory: "64Mi" }, { cpu: "200m" }]));
    expect(requests.cpu).to.be.closeTo(0.3, 1e-9);
    expect(requests.memory).to.equal(64 * 2 ** 20);
    expect(podRequests(pod("n", [{ cpu: "100m" }], "Running", [{ cpu: "1" }])).cpu).to.equal(1);
  });

  it("free = allocatable of Ready nodes minus what live pods request", () => {
    const n = node("2", "8Gi");
    const capacity = freeCapacity(
      [n, node("64", "256Gi", false)],
      [pod(n.metadata!.name!, [{ cpu: "500m", memory: "1Gi" }]), pod(n.metadata!.name!, [{ cpu: "1" }], "Succeeded"), pod("elsewhere", [{ cpu: "1" }])],
    );
    expect(capacity.nodes).to.equal(1);
    expect(capacity.cores).to.equal(2);
    expect(capacity.free).to.deep.equal({ cpu: 1.5, memory: 7 * GiB });
  });

  const DEFAULTS = { requests: { cpu: "10m", memory: "16Mi", "ephemeral-storage": "10Mi" }, limits: { cpu: "500m", memory: "256Mi" } };
  const MiB = 2 ** 20;
  const footprintOf = async (id: string) => submissionFootprint(await loadExercise(id));

  it("web: its checks' 3 pods at the container defaults and the probe pod, 40m CPU and 64 MiB", async () => {
    const footprint = await footprintOf("web");
    expect(footprint.requests.cpu).to.be.closeTo(0.04, 1e-9);
    expect(footprint.requests.memory).to.equal(64 * MiB);
    expect(footprint.pods).to.equal(4);
    expect(footprint.basis).to.equal("3 pod(s) at the container defaults and the grader's probe pod");
  });

  it("exercise-8: it accepts 2 or 3 replicas and its checks scale it to 3: 3 pods and the probe", async () => {
    expect(peakReplicas(await loadExercise("exercise-8"))).to.equal(3);
    const footprint = await footprintOf("exercise-8");
    expect(footprint.pods).to.equal(4);
    expect(footprint.requests.cpu).to.be.closeTo(0.04, 1e-9);
  });

  it("cassandra states what each node requests (500m, 1Gi): 3 of them and the probe at the defaults", async () => {
    const footprint = await footprintOf("cassandra");
    expect(footprint.requests.cpu).to.be.closeTo(1.51, 1e-9);
    expect(footprint.requests.memory).to.equal(3 * 1024 * MiB + 16 * MiB);
    expect(footprint.basis).to.equal("3 pod(s) at the exercise's podRequests and the grader's probe pod");
  });

  it("the peak is what the checks declare: scaling-order's scaleTo beyond the replicas asked", () => {
    const footprint = submissionFootprint({ params: { replicas: [2, 3] }, checks: [{ id: "statefulset-spec", points: 1, definition: CHECKS.get("statefulset-spec")! }, { id: "scaling-order", points: 1, params: { scaleTo: 5 }, definition: CHECKS.get("scaling-order")! }], containerDefaults: DEFAULTS });
    expect(footprint.pods).to.equal(6);
    expect(footprint.requests.cpu).to.be.closeTo(0.06, 1e-9);
    expect(footprint.basis).to.equal("5 pod(s) at the container defaults and the grader's probe pod");
  });

  const twoCores = () => freeCapacity([node("2", "8Gi")], [pod("node-2-8Gi", [{ cpu: "100m", memory: "70Mi" }])]);

  it("web on a 2-core node: 3 at a time (1.5 per core), and the reasoning names the requests and the cap", async () => {
    const choice = chooseJobs(twoCores(), await footprintOf("web"), "web");
    expect(choice.jobs).to.equal(3);
    expect(choice.why).to.equal(
      "1 node(s), 2 CPU core(s); each web submission requests 40m CPU and 64 MiB (3 pod(s) at the container defaults and the grader's probe pod): " +
        "1.9 CPU free fits 47, 7.9 GiB free fits 126; at most 3 (1.5 per CPU core, 16 in all: the grader and the cluster's control plane work for every grade)",
    );
  });

  const heavy: Footprint = { requests: { cpu: 1.51, memory: 3 * 2 ** 30 + 16 * MiB }, pods: 4, basis: "the reference solution's 3 pod(s) and the grader's probe pod" };

  it("an exercise whose pods request most of the node: 1 at a time, at least 1 when none fits", () => {
    expect(chooseJobs(twoCores(), heavy, "db").jobs).to.equal(1);
    const tiny = freeCapacity([node("1", "2Gi")], []);
    const choice = chooseJobs(tiny, heavy, "db");
    expect(choice.jobs).to.equal(1);
    expect(choice.why).to.contain("1 CPU free fits 0").and.contain("at least 1");
  });

  it("memory can be what limits; a large cluster is capped at 16 grades in all", () => {
    const memoryBound = chooseJobs(freeCapacity([node("8", "8Gi")], []), { ...heavy, requests: { cpu: 0.1, memory: 3 * 2 ** 30 } }, "db");
    expect(memoryBound.jobs).to.equal(2);
    expect(memoryBound.why).to.contain("8.0 GiB free fits 2");
    const big = chooseJobs(freeCapacity([node("64", "256Gi"), { ...node("64", "256Gi"), metadata: { name: "other" } }], []), heavy, "db");
    expect(big.jobs).to.equal(16);
    expect(big.why).to.contain("2 node(s), 128 CPU core(s)").and.contain("at most 16");
  });

  it("pods that cannot be listed: all allocatable counts, and the reason is given", () => {
    const choice = chooseJobs(freeCapacity([node("4", "16Gi")], undefined, "forbidden"), { ...heavy, requests: { cpu: 1, memory: 0 } }, "x");
    expect(choice.jobs).to.equal(4);
    expect(choice.why).to.contain("forbidden");
  });
});
