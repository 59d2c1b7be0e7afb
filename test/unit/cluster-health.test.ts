import { expect } from "chai";
import { nodeStateFault } from "../../runner/cluster/health.ts";

describe("why a cluster stopped serving, in words", function () {
  it("a node's container that runs is no fault; paused, killed, OOM-killed or exited each say so with what to do", function () {
    expect(nodeStateFault("abc", { Running: true })).to.equal(undefined);
    expect(nodeStateFault("abc", { Running: true, Paused: true })).to.match(/^the node's container abc was paused while the grade ran \(docker unpause abc/);
    const killed = nodeStateFault("abc", { Running: false, ExitCode: 137 });
    expect(killed).to.match(/exited while the grade ran \(exit code 137, killed \(SIGKILL: docker kill, a Docker restart, or the kernel's out-of-memory killer\)\): grade again/);
    const oom = nodeStateFault("abc", { Running: false, ExitCode: 137, OOMKilled: true });
    expect(oom).to.include("killed by Docker for running out of memory").and.to.include("the machine is short of memory");
    expect(nodeStateFault("abc", { Running: false, ExitCode: 1, Error: "boom" })).to.equal(
      "the node's container abc exited while the grade ran (exit code 1: boom): grade again (with --debug for the node's logs)",
    );
  });
});
