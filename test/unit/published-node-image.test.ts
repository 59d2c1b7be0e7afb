/**
 * The published kit node image: the references KUBEGRADE_NODE_IMAGE, --node-image and
 * `images push-node --registry` take, what makes a pulled image the one this kubegrade needs
 * (its labels against the recipe), and what a failed pull tells the user to do. The round trip
 * through a real registry is test/integration/published-node-image.test.ts.
 */
import { expect } from "chai";
import { execa } from "execa";
import { readdir } from "node:fs/promises";
import { join, relative } from "node:path";
import { KIT_IMAGE, KUBERNETES_VERSION, LABELS, PROJECT_ROOT } from "../../runner/config.ts";
import { UsageError } from "../../runner/errors.ts";
import {
  configuredNodeImage, kitNodeImage, nodeImageProblem, nodeImageRecipe, parseNodeImage, pullAdvice, splitNodeImageReference,
} from "../../runner/images/node-image.ts";
import { nodeImageTarget } from "../../runner/images/push-node.ts";
import { withNodeImage } from "../../runner/cluster-cli.ts";

const expected = { recipe: "0123456789abcdef", kubernetesVersion: KUBERNETES_VERSION, kubegradeVersion: "0.1.0" };
const kitLabels = {
  "org.opencontainers.image.title": "kubegrade node",
  "org.opencontainers.image.version": KUBERNETES_VERSION,
  [LABELS.inputs]: "fedcba9876543210",
  [LABELS.recipe]: expected.recipe,
};

describe("published node image", function () {
  it("takes references with a tag or digest, with or without a registry host", function () {
    expect(splitNodeImageReference(`127.0.0.1:5000/course/${KIT_IMAGE}`)).to.deep.equal({ host: "127.0.0.1:5000", tag: KUBERNETES_VERSION });
    expect(splitNodeImageReference("registry.example.edu/a/b/kubegrade-node:fall-2026")).to.deep.equal({ host: "registry.example.edu", tag: "fall-2026" });
    expect(splitNodeImageReference("localhost/node:v1")).to.deep.equal({ host: "localhost", tag: "v1" });
    expect(splitNodeImageReference("course/kubegrade-node:v1")).to.deep.equal({ host: "docker.io", tag: "v1" });
    const digest = `sha256:${"a".repeat(64)}`;
    expect(splitNodeImageReference(`ghcr.io/course/node@${digest}`)).to.deep.equal({ host: "ghcr.io", digest });
  });

  it("refuses what is not a reference, and one with neither tag nor digest (exit 2)", function () {
    for (const bad of [
      "registry.example.edu/course/kubegrade/node", // no tag: the API would pull every tag
      "127.0.0.1:5000/course",
      "Registry.Example.edu/Course/Node:v1",
      "registry.example.edu/course/node:",
      "registry.example.edu/course/node@sha256:abc",
      "registry example.edu/node:v1",
      "",
    ]) {
      expect(splitNodeImageReference(bad), bad).to.equal(undefined);
    }
    expect(() => parseNodeImage("r.example/course/node", "KUBEGRADE_NODE_IMAGE="))
      .to.throw(UsageError, /^KUBEGRADE_NODE_IMAGE=r\.example\/course\/node: expected an image reference with a tag/);
  });

  it("uses the published image when KUBEGRADE_NODE_IMAGE (or --node-image) names one, else the one built here", function () {
    expect(configuredNodeImage({})).to.equal(undefined);
    expect(configuredNodeImage({ KUBEGRADE_NODE_IMAGE: "  " })).to.equal(undefined);
    expect(kitNodeImage({})).to.equal(KIT_IMAGE);
    expect(kitNodeImage({ KUBEGRADE_NODE_IMAGE: " r.example/c/kubegrade/node:v1 " })).to.equal("r.example/c/kubegrade/node:v1");
    expect(() => kitNodeImage({ KUBEGRADE_NODE_IMAGE: "nonsense" })).to.throw(UsageError);
    const env = withNodeImage({ nodeImage: "r.example/c/kubegrade/node:v2" }, { KUBEGRADE_NODE_IMAGE: "r.example/c/kubegrade/node:v1" });
    expect(kitNodeImage(env), "the flag wins over the variable").to.equal("r.example/c/kubegrade/node:v2");
    expect(() => withNodeImage({ nodeImage: "no tag/here" }, {})).to.throw(UsageError, /^--node-image no tag\/here:/);
  });

  it("push-node: HOST[:PORT][/PATH] gives HOST/PATH/kubegrade/node:<version>; a whole reference is kept", function () {
    expect(nodeImageTarget("127.0.0.1:5000/course")).to.equal(`127.0.0.1:5000/course/${KIT_IMAGE}`);
    expect(nodeImageTarget("registry.example.edu/")).to.equal(`registry.example.edu/${KIT_IMAGE}`);
    expect(nodeImageTarget("registry.example.edu:5000")).to.equal(`registry.example.edu:5000/${KIT_IMAGE}`);
    expect(nodeImageTarget("docker.io/course/kubegrade-node:fall")).to.equal("docker.io/course/kubegrade-node:fall");
    expect(() => nodeImageTarget("course")).to.throw(UsageError, /HOST\[:PORT\]/);
    expect(() => nodeImageTarget(`r.example/c/node@sha256:${"b".repeat(64)}`)).to.throw(UsageError, /push to a tag/);
  });

  it("accepts a kit node image of this recipe, and says what is wrong with any other", function () {
    expect(nodeImageProblem(kitLabels, expected)).to.equal(undefined);
    expect(nodeImageProblem(undefined, expected)).to.match(/not a kubegrade kit node image \(its label org\.opencontainers\.image\.title is absent/);
    expect(nodeImageProblem({ "org.opencontainers.image.title": "debian" }, expected)).to.match(/is "debian", not "kubegrade node"/);
    expect(nodeImageProblem({ ...kitLabels, "org.opencontainers.image.version": "v1.33.2" }, expected))
      .to.equal(`it is a kit node image of Kubernetes v1.33.2, and kubegrade 0.1.0 runs ${KUBERNETES_VERSION}`);
    expect(nodeImageProblem({ ...kitLabels, [LABELS.recipe]: undefined }, expected)).to.match(/from a kubegrade older than 0\.1\.0 \(no kubegrade\.dev\/recipe label\)/);
    expect(nodeImageProblem({ ...kitLabels, [LABELS.recipe]: "1111111111111111" }, expected))
      .to.match(/other node image sources than kubegrade 0\.1\.0's \(kubegrade\.dev\/recipe 1111111111111111, expected 0123456789abcdef\): another kubegrade version pushed it/);
  });

  it("a failed pull names the registry and what to do: docker login, push, reach it, or allow HTTP", function () {
    const ref = "registry.example.edu/course/kubegrade/node:v1.34.4";
    expect(pullAdvice("unauthorized: authentication required", ref)).to.match(/^registry\.example\.edu refused .* `docker login registry\.example\.edu`/);
    expect(pullAdvice("pull access denied for x, repository does not exist or may require 'docker login'", ref)).to.include("docker login registry.example.edu");
    expect(pullAdvice("(HTTP code 404) unexpected - manifest for x not found: manifest unknown", ref)).to.match(/^registry\.example\.edu has no .*images push-node/);
    expect(pullAdvice('Get "https://127.0.0.1:1/v2/": dial tcp 127.0.0.1:1: connect: connection refused', "127.0.0.1:1/c/n:v")).to.match(/^Docker cannot reach 127\.0\.0\.1:1/);
    expect(pullAdvice("http: server gave HTTP response to HTTPS client", ref)).to.include("insecure-registries");
    for (const words of ["unauthorized", "manifest unknown", "connection refused", "something else"]) {
      expect(pullAdvice(words, ref), words).to.include("unset KUBEGRADE_NODE_IMAGE");
    }
  });

  it("the recipe is the same wherever this kubegrade is: every file it hashes is in the npm package", async function () {
    this.timeout(30_000);
    const recipe = await nodeImageRecipe();
    expect(recipe).to.match(/^[0-9a-f]{16}$/);
    const dir = join(PROJECT_ROOT, "runner/node-image");
    const files = (await readdir(dir, { recursive: true, withFileTypes: true }))
      .filter((e) => e.isFile())
      .map((e) => `runner/node-image/${relative(dir, join(e.parentPath, e.name))}`);
    const packed = await execa("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: PROJECT_ROOT });
    const shipped = new Set((JSON.parse(packed.stdout) as { files: { path: string }[] }[])[0].files.map((f) => f.path));
    expect(files.filter((f) => !shipped.has(f)), "runner/node-image files left out of the package").to.deep.equal([]);
  });
});
