import { expect } from "chai";
import { fullFilesystems, nodeStateFault } from "../../runner/cluster/health.ts";

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

describe("a node's full filesystem", () => {
  const df = [
    "Filesystem     1024-blocks    Used Available Capacity Mounted on",
    "overlay         102400000 5000000  97400000       5% /",
    "tmpfs             3145728  100000   3045728       4% /var/lib/containerd",
    "tmpfs             2097152 2097152         0     100% /tmp",
    "tmpfs             2097152 2090000      7152     100% /var/lib/kubelet",
    "tmpfs               65536   65536         0     100% /dev/shm",
  ].join("\n");

  it("names the node's filesystems with (almost) nothing left, and only those kubegrade's node writes to", () => {
    expect(fullFilesystems(df)).to.deep.equal([
      { mount: "/tmp", usedPercent: 100, sizeKiB: 2097152 },
      { mount: "/var/lib/kubelet", usedPercent: 100, sizeKiB: 2097152 },
    ]);
  });

  it("finds nothing in a node with room, or in output it cannot read", () => {
    expect(fullFilesystems(df.split("\n").slice(0, 3).join("\n"))).to.deep.equal([]);
    expect(fullFilesystems("df: /var/lib/etcd: No such file or directory\n")).to.deep.equal([]);
  });
});
