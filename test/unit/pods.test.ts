import { expect } from "chai";
import type { V1Pod } from "@kubernetes/client-node";
import { podProblem, UNSCHEDULABLE_GRACE_MS } from "../../runner/kube/pods.ts";

describe("pod problems", function () {
  it("names the memory limit and the heap when a JVM container is OOM-killed", function () {
    const pod: V1Pod = {
      metadata: { name: "cassandra-0" },
      spec: {
        containers: [{
          name: "cassandra",
          resources: { limits: { memory: "512Mi" } },
          env: [{ name: "MAX_HEAP_SIZE", value: "512M" }, { name: "HEAP_NEWSIZE", value: "100M" }, { name: "CASSANDRA_DC", value: "DC1" }],
        }],
      },
      status: { containerStatuses: [{ name: "cassandra", image: "", imageID: "", ready: false, restartCount: 1, lastState: { terminated: { exitCode: 137, reason: "OOMKilled" } } }] },
    };
    const problem = podProblem(pod) ?? "";
    expect(problem).to.include("OOMKilled").and.include("resources.limits.memory 512Mi").and.include("MAX_HEAP_SIZE=512M");
    expect(problem).not.to.include("CASSANDRA_DC");
  });

  it("gives a pod waiting for CPU time to get it, but not a pod no node can take", function () {
    const now = Date.parse("2026-11-22T10:00:00Z");
    const pending = (message: string, sinceMs: number): V1Pod => ({
      metadata: { name: "cassandra-0" },
      status: {
        phase: "Pending",
        conditions: [{ type: "PodScheduled", status: "False", reason: "Unschedulable", message, lastTransitionTime: new Date(now - sinceMs) }],
      },
    });
    const cpu = "0/1 nodes are available: 1 Insufficient cpu.";
    expect(podProblem(pending(cpu, 5_000), now)).to.equal(undefined);
    expect(podProblem(pending(cpu, UNSCHEDULABLE_GRACE_MS), now)).to.include("cannot be scheduled").and.include("Insufficient cpu");
    expect(podProblem(pending("0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector.", 0), now)).to.include("didn't match");
  });
});
