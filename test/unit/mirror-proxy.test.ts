import { expect } from "chai";
import { mirrorProxyConf } from "../../runner/node-image/mirror-proxy.ts";

/** The kit mirror's front: which manifest requests it answers with the tag the registry holds. */
function mapped(conf: string, uri: string): string | undefined {
  const rules = [...conf.matchAll(/^\s+"~(.+)" "(.*)";$/gm)].map(([, re, to]) => ({ re: new RegExp(re.replace(/\\\//g, "/")), to }));
  const rule = rules.find((r) => r.re.test(uri));
  return rule ? rule.to : undefined;
}

describe("kit mirror front (nginx in front of the node's registry)", function () {
  const conf = mirrorProxyConf();

  it("answers another tag of a repository it holds with the tag it holds, and leaves held tags alone", function () {
    expect(mapped(conf, "/v2/docker.io/library/nginx/manifests/1.29")).to.equal("/v2/docker.io/library/nginx/manifests/mainline");
    // A current busybox: the tag 1.28 is the one held for its own nslookup (workload-images.ts).
    expect(mapped(conf, "/v2/docker.io/library/busybox/manifests/1.37")).to.equal("/v2/docker.io/library/busybox/manifests/latest");
    expect(mapped(conf, "/v2/docker.io/library/busybox/manifests/1.28")).to.equal("");
    expect(mapped(conf, "/v2/registry.k8s.io/nginx-slim/manifests/0.27")).to.equal("/v2/registry.k8s.io/nginx-slim/manifests/0.8");
    expect(mapped(conf, "/v2/docker.io/library/nginx/manifests/1.13.12")).to.equal("");
    expect(mapped(conf, "/v2/docker.io/library/nginx/manifests/latest")).to.equal("");
  });

  it("never maps digests, blobs or repositories it does not hold", function () {
    expect(mapped(conf, "/v2/docker.io/library/nginx/manifests/sha256:" + "a".repeat(64))).to.equal(undefined);
    expect(mapped(conf, "/v2/docker.io/library/nginx/blobs/sha256:" + "a".repeat(64))).to.equal(undefined);
    expect(mapped(conf, "/v2/docker.io/library/httpd/manifests/2.4")).to.equal(undefined);
    expect(mapped(conf, "/v2/docker.io/library/nginx-evil/manifests/1")).to.equal(undefined);
    expect(conf).to.include("listen 127.0.0.1:5000;").and.to.include("proxy_pass http://127.0.0.1:5001;");
  });
});
