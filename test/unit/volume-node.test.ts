import { expect } from "chai";
import type { V1Pod } from "@kubernetes/client-node";
import { describePod, volumeNodeNote } from "../../runner/kube/pods.ts";

describe("a pod waiting for its local volume's node", () => {
  const pending = (message: string): V1Pod => ({
    metadata: { name: "web-1" },
    status: { phase: "Pending", conditions: [{ type: "PodScheduled", status: "False", reason: "Unschedulable", message }] },
  });

  it("says the volume pins the pod to its node when the scheduler reports a volume node affinity conflict", () => {
    const text = describePod(pending("0/3 nodes are available: 1 Insufficient cpu, 2 node(s) had volume node affinity conflict."));
    expect(text).to.match(/^web-1 Pending \(0\/3 nodes are available: .*volume node affinity conflict\.; its claim's volume is a local volume/);
    expect(text).to.contain("returns to its volume's node");
  });

  it("adds nothing to other scheduling messages", () => {
    expect(volumeNodeNote("0/1 nodes are available: 1 Insufficient memory.")).to.equal("");
    expect(volumeNodeNote(undefined)).to.equal("");
    expect(describePod(pending("0/1 nodes are available: 1 Insufficient memory."))).to.equal("web-1 Pending (0/1 nodes are available: 1 Insufficient memory.)");
  });
});
