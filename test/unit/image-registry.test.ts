/**
 * The images only the kit builds, elsewhere: the one name rule of `images push` and
 * --image-registry, and what a grade rewrites (or cannot place) at apply.
 */
import { expect } from "chai";
import {
  kitOnlyFamily, parseImageRegistry, placeKitOnlyImages, placeKitOnlyParams, pushPlan, registryReference,
} from "../../runner/images/names.ts";
import { pushAdvice } from "../../runner/images/push.ts";
import { kitOnlyNames } from "../../runner/images/load.ts";
import { WORKLOAD_IMAGES } from "../../runner/workload-images.ts";

const sts = (image: string, extra: Record<string, unknown> = {}) => ({
  kind: "StatefulSet",
  name: "demo",
  body: { spec: { template: { spec: { containers: [{ name: "demo", image, ...extra }] } } } } as Record<string, unknown>,
});
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const container = (o: { body: Record<string, unknown> }) => (o.body as any).spec.template.spec.containers[0];

describe("image registry names", function () {
  it("maps a name to HOST/PATH by dropping its registry host and keeping the rest", function () {
    expect(registryReference("kubegrade/hello-api:1.0", "registry.example.edu/course")).to.equal("registry.example.edu/course/kubegrade/hello-api:1.0");
    expect(registryReference("gcr.io/google-samples/cassandra:v13", "127.0.0.1:5000/course")).to.equal("127.0.0.1:5000/course/google-samples/cassandra:v13");
    expect(registryReference("docker.io/kubegrade/hello-api:1.0", "r.example/c")).to.equal("r.example/c/kubegrade/hello-api:1.0");
    expect(registryReference("nginx:mainline", "r.example")).to.equal("r.example/library/nginx:mainline");
    expect(registryReference("registry.k8s.io/pause:3.10", "r.example/a/b")).to.equal("r.example/a/b/pause:3.10");
  });

  it("never sends two different kit images to one name, even with --all", function () {
    const owner = new Map<string, string>();
    for (const item of pushPlan("r.example/course", true)) {
      for (const { target } of item.names) {
        expect(owner.get(target) ?? item.id, target).to.equal(item.id);
        owner.set(target, item.id);
      }
    }
    expect(owner.size).to.be.greaterThan(10);
  });

  it("pushes only demo's and cassandra's images by default, every name of each", function () {
    const plan = pushPlan("r.example/course", false);
    expect(plan.map((p) => p.source)).to.deep.equal(["docker.io/kubegrade/hello-api:1.0", "gcr.io/google-samples/cassandra:v13"]);
    expect(plan[1].names.map((n) => n.target)).to.deep.equal(["v13", "v14", "v12", "v11"].map((t) => `r.example/course/google-samples/cassandra:${t}`));
    expect(pushPlan("r.example", true).map((p) => p.id)).to.deep.equal(WORKLOAD_IMAGES.map((w) => w.id));
  });

  it("accepts HOST[:PORT][/PATH] with a registry host and refuses what Docker would read as a Docker Hub account", function () {
    expect(parseImageRegistry("registry.example.edu/course/", "--registry")).to.equal("registry.example.edu/course");
    expect(parseImageRegistry("127.0.0.1:5000", "--registry")).to.equal("127.0.0.1:5000");
    expect(parseImageRegistry("localhost/k", "--registry")).to.equal("localhost/k");
    expect(() => parseImageRegistry("course", "--registry")).to.throw(/naming a registry host/);
    expect(() => parseImageRegistry("myuser/course", "--image-registry")).to.throw(/--image-registry myuser\/course/);
    expect(() => parseImageRegistry("r.example/Course", "--registry")).to.throw(/lower-case/);
    expect(() => parseImageRegistry("https://r.example", "--registry")).to.throw(/registry host/);
  });

  it("knows the kit-only families by repository, whatever the tag or digest", function () {
    expect(kitOnlyFamily("kubegrade/hello-api:2.0")?.id).to.equal("hello-api");
    expect(kitOnlyFamily("docker.io/kubegrade/hello-api@sha256:" + "a".repeat(64))?.id).to.equal("hello-api");
    expect(kitOnlyFamily("gcr.io/google-samples/cassandra:v99")?.id).to.equal("cassandra");
    expect(kitOnlyFamily("nginx:mainline")).to.equal(undefined);
    expect(kitOnlyFamily("busybox:1.28")).to.equal(undefined);
    expect(kitOnlyNames(["gcr.io/google-samples/cassandra:v12", "busybox"])).to.deep.equal(WORKLOAD_IMAGES.find((w) => w.id === "cassandra")!.names);
  });
});

describe("kit-only images at apply", function () {
  it("rewrites them to the registry (a tag it does not hold, or a digest, to the family's first tag), with a note; others untouched", function () {
    const objects = [sts("kubegrade/hello-api:1.0"), sts("gcr.io/google-samples/cassandra:v12"), sts("gcr.io/google-samples/cassandra@sha256:" + "c".repeat(64)), sts("kubegrade/hello-api:9"), sts("busybox:1.28")];
    const placed = placeKitOnlyImages(objects, { registry: "r.example/course" });
    expect(placed.objects.map((o) => container(o).image)).to.deep.equal([
      "r.example/course/kubegrade/hello-api:1.0",
      "r.example/course/google-samples/cassandra:v12",
      "r.example/course/google-samples/cassandra:v13",
      "r.example/course/kubegrade/hello-api:1.0",
      "busybox:1.28",
    ]);
    expect(placed.objects[4]).to.equal(objects[4]);
    expect(container(objects[0]).image, "the submission itself is not changed").to.equal("kubegrade/hello-api:1.0");
    expect(placed.notes).to.have.length(4);
    expect(placed.notes[0]).to.equal("StatefulSet demo, container demo: image kubegrade/hello-api:1.0 is built only by kubegrade's kit; it was applied as r.example/course/kubegrade/hello-api:1.0, its copy in r.example/course (--image-registry). Nothing graded depends on the image's version.");
    expect(placed.unreachable).to.deep.equal([]);
  });

  it("uses what was loaded into the node (its tag, IfNotPresent), and lists what nothing provides", function () {
    const loaded = placeKitOnlyImages([sts("kubegrade/hello-api:3", { imagePullPolicy: "Always" }), sts("gcr.io/google-samples/cassandra:v13")], { loaded: ["kubegrade/hello-api:1.0"] });
    expect(container(loaded.objects[0])).to.deep.include({ image: "kubegrade/hello-api:1.0", imagePullPolicy: "IfNotPresent" });
    expect(loaded.notes.join("\n")).to.include("applied as kubegrade/hello-api:1.0").and.include("imagePullPolicy Always was applied as IfNotPresent");
    expect(loaded.unreachable).to.deep.equal(["gcr.io/google-samples/cassandra:v13"]);
    const none = placeKitOnlyImages([sts("kubegrade/hello-api:1.0"), sts("kubegrade/hello-api:1.0"), sts("nginx:1.29")], { none: true });
    expect(none.unreachable).to.deep.equal(["kubegrade/hello-api:1.0"]);
    expect(none.notes).to.deep.equal([]);
  });

  it("moves kit-only images in the checks' parameters too, and nothing else", function () {
    const moved = placeKitOnlyParams({ statefulset: "demo", newImage: "kubegrade/hello-api:1.0", nested: [{ image: "nginx:1.13.12" }] }, "r.example/c");
    expect(moved.params).to.deep.equal({ statefulset: "demo", newImage: "r.example/c/kubegrade/hello-api:1.0", nested: [{ image: "nginx:1.13.12" }] });
    expect(moved.moved).to.deep.equal(["kubegrade/hello-api:1.0 → r.example/c/kubegrade/hello-api:1.0"]);
  });

  it("says what to do about a failed push from Docker's own words", function () {
    expect(pushAdvice("http: server gave HTTP response to HTTPS client", "r.example:5000/c")).to.include('"insecure-registries"');
    expect(pushAdvice("denied: requested access to the resource is denied", "r.example/c")).to.include("docker login r.example");
    expect(pushAdvice("dial tcp: lookup r.example: no such host", "r.example/c")).to.include("cannot reach r.example");
  });
});
