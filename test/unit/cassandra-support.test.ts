import { expect } from "chai";
import type { V1StatefulSet } from "@kubernetes/client-node";
import { cassandraContainer, classifySeed, envValue, parseNodetoolStatus, splitSeeds } from "../../checks/cassandra-support.ts";

// As printed by this image's nodetool (Cassandra 5.0.6) on a three-node ring, one node down.
const STATUS = `Datacenter: DC1-K8Demo
======================
Status=Up/Down
|/ State=Normal/Leaving/Joining/Moving
--  Address     Load        Tokens  Owns (effective)  Host ID                               Rack
UN  10.244.0.12  85.42 KiB   32      61.7%             2ee55deb-79c5-471d-8021-355df3e3a6f4  Rack1-K8Demo
UJ  10.244.0.13  30.88 KiB   32      ?                 fbf74579-c894-45b4-a87f-7219789136bc  Rack1-K8Demo
DN  10.244.0.14  120.13 KiB  32      66.7%             561aa4eb-4302-4b99-b3ea-efe607318b38  Rack1-K8Demo

`;

describe("cassandra helpers", function () {
  it("reads every node of nodetool status with its datacenter, state and host ID", function () {
    const nodes = parseNodetoolStatus(STATUS);
    expect(nodes.map((n) => `${n.status}${n.state} ${n.address} ${n.datacenter} ${n.rack}`)).to.deep.equal([
      "UN 10.244.0.12 DC1-K8Demo Rack1-K8Demo",
      "UJ 10.244.0.13 DC1-K8Demo Rack1-K8Demo",
      "DN 10.244.0.14 DC1-K8Demo Rack1-K8Demo",
    ]);
    expect(nodes[2].hostId).to.equal("561aa4eb-4302-4b99-b3ea-efe607318b38");
    expect(parseNodetoolStatus("nodetool: Failed to connect to '127.0.0.1:7199'")).to.deep.equal([]);
  });

  it("tells a pod's seed name from another namespace's, a missing ordinal and a typo", function () {
    const c = (seed: string) => classifySeed(seed, "cassandra", "cassandra", "kg-cassandra-1a2b3c", 3).kind;
    expect(c("cassandra-0.cassandra")).to.equal("pod");
    expect(c("cassandra-0.cassandra.kg-cassandra-1a2b3c.svc.cluster.local")).to.equal("pod");
    expect(c("cassandra-0.cassandra.kg-cassandra-1a2b3c.svc.cluster.local.")).to.equal("pod");
    expect(c("cassandra-0.cassandra.default.svc.cluster.local")).to.equal("other-namespace");
    expect(c("cassandra-5.cassandra")).to.equal("no-such-pod");
    expect(c("cassandra-0.casandra")).to.equal("unknown");
    expect(c("cassandra-O.cassandra")).to.equal("unknown");
    expect(splitSeeds(" cassandra-0.cassandra, cassandra-1.cassandra ,")).to.deep.equal(["cassandra-0.cassandra", "cassandra-1.cassandra"]);
  });

  it("finds the Cassandra container by its CASSANDRA_ variables, not its position", function () {
    const sts: V1StatefulSet = {
      spec: {
        selector: {},
        serviceName: "cassandra",
        template: {
          spec: {
            containers: [
              { name: "sidecar", image: "busybox:1.28" },
              { name: "db", image: "gcr.io/google-samples/cassandra:v13", env: [{ name: "CASSANDRA_SEEDS", value: "cassandra-0.cassandra" }] },
            ],
          },
        },
      },
    };
    expect(cassandraContainer(sts)?.name).to.equal("db");
    expect(envValue(cassandraContainer(sts), "CASSANDRA_SEEDS")).to.equal("cassandra-0.cassandra");
    expect(envValue(cassandraContainer(sts), "CASSANDRA_DC")).to.equal(undefined);
  });
});
