import { expect } from "chai";
import { checkNodes, parseNodes, providerNamed } from "../../runner/cluster/registry.ts";
import { UsageError } from "../../runner/errors.ts";

describe("--nodes", () => {
  it("takes a whole number of nodes from 1 to 5", () => {
    expect(parseNodes(undefined, "--nodes")).to.equal(undefined);
    expect(parseNodes("1", "--nodes")).to.equal(1);
    expect(parseNodes("3", "--nodes")).to.equal(3);
    for (const bad of ["0", "6", "2.5", "-1", "three", "3 "]) {
      expect(() => parseNodes(bad, "--nodes"), bad).to.throw(UsageError, /a kit cluster has 1 to 5 nodes/);
    }
  });

  it("is refused by a provider that cannot start several nodes, saying which can", () => {
    expect(() => checkNodes(providerNamed("kit", "--cluster"), "--cluster", 3)).to.not.throw();
    expect(() => checkNodes(providerNamed("k3s", "--cluster"), "--cluster", 3)).to.throw(UsageError, /k3s provider \(--cluster\) starts one node; several nodes are started by the kit/);
    expect(() => checkNodes(providerNamed("kubeconfig", "--cluster"), "--kubeconfig", 2)).to.throw(UsageError, /grades on a cluster that already exists/);
    expect(() => checkNodes(providerNamed("k3s", "--cluster"), "--cluster", 1)).to.not.throw();
  });
});
