import { expect } from "chai";
import { labelsMatch, listing, mountAt, volumeKind, nslookupAddresses, nslookupSections, nslookupScript, seconds } from "../../checks/support.ts";
import { qualified } from "../../runner/node-image/build.ts";

describe("check helpers", function () {
  it("reads the addresses busybox nslookup printed for the name, not the server's", function () {
    const out = "Server:\t\t10.96.0.10\nAddress:\t10.96.0.10:53\n\nName:\tweb-0.nginx.ns.svc.cluster.local\nAddress: 10.244.0.7\n";
    expect(nslookupAddresses(out)).to.deep.equal(["10.244.0.7"]);
    const old = "Server:    10.96.0.10\nAddress 1: 10.96.0.10 kube-dns.kube-system.svc.cluster.local\n\nName:      nginx\nAddress 1: 10.244.0.5 web-0.nginx\nAddress 2: 10.244.0.6 web-1.nginx\n";
    expect(nslookupAddresses(old)).to.deep.equal(["10.244.0.5", "10.244.0.6"]);
    expect(nslookupAddresses("** server can't find x: NXDOMAIN\n")).to.deep.equal([]);
  });

  it("splits one probe's answers per name", function () {
    expect(nslookupScript(["a", "b"])).to.equal('echo "@@kubegrade a"; nslookup a 2>&1; echo "@@kubegrade b"; nslookup b 2>&1');
    const out = "@@kubegrade a\nServer: 10.96.0.10\nAddress: 10.96.0.10:53\n\nName: a\nAddress: 10.0.0.1\n@@kubegrade b\n** server can't find b: NXDOMAIN\n";
    const sections = nslookupSections(out);
    expect(sections.get("a")).to.deep.equal(["10.0.0.1"]);
    expect(sections.get("b")).to.deep.equal([]);
  });

  it("finds the container mounting a path, ignoring a trailing slash", function () {
    const spec = { containers: [{ name: "a", volumeMounts: [{ name: "x", mountPath: "/data" }] }, { name: "b", volumeMounts: [{ name: "www", mountPath: "/usr/share/nginx/html/" }] }] };
    expect(mountAt(spec as never, "/usr/share/nginx/html")).to.deep.equal({ container: "b", volume: "www" });
    expect(mountAt(spec as never, "/nope")).to.equal(undefined);
  });

  it("names a volume's kind with its article: an emptyDir, a configMap", function () {
    const spec = { containers: [], volumes: [{ name: "scratch", emptyDir: {} }, { name: "page", configMap: { name: "site" } }] };
    const sts = { spec: { volumeClaimTemplates: [{ metadata: { name: "www" } }] } };
    expect(volumeKind(spec as never, sts as never, "scratch")).to.equal("an emptyDir volume");
    expect(volumeKind(spec as never, sts as never, "page")).to.equal("a configMap volume");
    expect(volumeKind(spec as never, sts as never, "www")).to.equal("a volumeClaimTemplate");
    expect(volumeKind(spec as never, sts as never, "nope")).to.equal("an undeclared volume");
  });

  it("formats times, lists and selectors for feedback", function () {
    expect(seconds(20)).to.equal("0.02 s");
    expect(seconds(1340)).to.equal("1.3 s");
    expect(listing(["a", "b", "c"])).to.equal("a, b and c");
    expect(labelsMatch({ app: "x" }, { app: "x", tier: "y" })).to.equal(true);
    expect(labelsMatch({}, { app: "x" })).to.equal(false);
  });

  it("stores images in the mirror under their full registry path", function () {
    expect(qualified("nginx:mainline")).to.equal("docker.io/library/nginx:mainline");
    expect(qualified("kubegrade/hello-api:1.0")).to.equal("docker.io/kubegrade/hello-api:1.0");
    expect(qualified("registry.k8s.io/pause:3.10")).to.equal("registry.k8s.io/pause:3.10");
  });
});
