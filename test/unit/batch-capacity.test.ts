import { expect } from "chai";
import type { V1Node, V1Pod } from "@kubernetes/client-node";
import { chooseJobs, freeCapacity, parseQuantity, perGradeRequests, podRequests } from "../../runner/batch/capacity.ts";

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

  it("the web exercise on a 2-core node: its quota asks 2 CPU, so 1 at a time, and says why", () => {
    const capacity = freeCapacity([node("2", "8Gi")], [pod("node-2-8Gi", [{ cpu: "100m", memory: "70Mi" }])]);
    const choice = chooseJobs(capacity, perGradeRequests({ "requests.cpu": "2", "requests.memory": "2Gi" }), "web");
    expect(choice.jobs).to.equal(1);
    expect(choice.why).to.contain("1.9 CPU free / 2 CPU per grade = 0");
    expect(choice.why).to.contain("at least 1");
  });

  it("small quotas: as many as fit, at most 2 per core (4 on a 2-core node)", () => {
    const roomy = freeCapacity([node("2", "8Gi")], []);
    const small = chooseJobs(roomy, perGradeRequests({ "requests.cpu": "250m", "requests.memory": "512Mi" }), "demo");
    expect(small.jobs).to.equal(4);
    expect(small.why).to.contain("at most 4");
    const memoryBound = chooseJobs(roomy, perGradeRequests({ "requests.cpu": "100m", "requests.memory": "3Gi" }), "demo");
    expect(memoryBound.jobs).to.equal(2);
    const big = chooseJobs(freeCapacity([node("16", "64Gi")], []), perGradeRequests({ cpu: "2", memory: "4Gi" }), "x");
    expect(big.jobs).to.equal(8);
  });

  it("pods that cannot be listed: all allocatable counts, and the reason is given", () => {
    const choice = chooseJobs(freeCapacity([node("4", "16Gi")], undefined, "forbidden"), perGradeRequests({ "requests.cpu": "1" }), "x");
    expect(choice.jobs).to.equal(4);
    expect(choice.why).to.contain("forbidden");
  });
});
