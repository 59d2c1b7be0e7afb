import { expect } from "chai";
import { mkdtemp, mkdir, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { adaptImagesForCluster, imageVerdict, kitDefaultTags, parseImage } from "../../runner/submission/images.ts";
import { explainKustomizeError } from "../../runner/submission/kustomize.ts";
import { loadSubmission } from "../../runner/submission/load.ts";
import { validateSubmission } from "../../runner/submission/validate.ts";

/** Submissions shaped the way students hand them in (issue 13): Lists, exports, JSON, other tags. */
const POLICY = { allowedKinds: ["Service", "StatefulSet", "Pod"], images: ["nginx:mainline", "k8s.gcr.io/nginx-slim:0.8", "registry.k8s.io/nginx-slim:0.8", "busybox:1.28"] };

const EXPORT = `apiVersion: v1
kind: List
metadata:
  resourceVersion: ""
items:
- apiVersion: v1
  kind: Service
  metadata:
    creationTimestamp: "2026-11-30T10:00:00Z"
    name: nginx
    namespace: default
    resourceVersion: "812"
    uid: 0b0c8a5e-1111-2222-3333-444455556666
  spec:
    clusterIP: None
    clusterIPs: [None]
    ports: [{port: 80, name: web}]
    selector: {app: nginx}
  status: {loadBalancer: {}}
- apiVersion: v1
  kind: Service
  metadata:
    name: front
    namespace: default
  spec:
    clusterIP: 10.43.12.7
    clusterIPs: [10.43.12.7]
    ports: [{port: 80}]
- apiVersion: apps/v1
  kind: StatefulSet
  metadata:
    generation: 2
    managedFields: [{manager: kubectl, operation: Apply}]
    name: web
    namespace: default
    selfLink: /apis/apps/v1/namespaces/default/statefulsets/web
  spec:
    serviceName: nginx
    selector: {matchLabels: {app: nginx}}
    template:
      metadata: {labels: {app: nginx}}
      spec:
        containers:
        - name: nginx
          image: registry.k8s.io/nginx-slim:0.27
  status: {replicas: 3}
`;

describe("submission shapes kubectl takes", function () {
  const dirs: string[] = [];
  after(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });
  const load = async (files: Record<string, string>) => {
    const dir = await mkdtemp(join(tmpdir(), "kubegrade-shapes-"));
    dirs.push(dir);
    for (const [name, content] of Object.entries(files)) {
      await mkdir(join(dir, name, ".."), { recursive: true });
      await writeFile(join(dir, name), content);
    }
    return loadSubmission(dir);
  };

  it("unwraps an exported List, drops the server-set fields with one note naming them, keeps clusterIP: None", async function () {
    const loaded = await load({ "solution.yaml": EXPORT });
    expect(loaded.refusals).to.deep.equal([]);
    expect(loaded.objects.map((o) => `${o.kind}/${o.name}:${o.line}`)).to.deep.equal(["Service/nginx:7", "Service/front:21", "StatefulSet/web:30"]);
    const [nginx, front, web] = loaded.objects.map((o) => o.body as Record<string, any>);
    expect(nginx.metadata).to.deep.equal({ name: "nginx", namespace: "default" });
    expect(nginx.spec.clusterIP).to.equal("None");
    expect(nginx.spec.clusterIPs).to.deep.equal(["None"]);
    expect(nginx).not.to.have.property("status");
    expect(front.spec).not.to.have.property("clusterIP");
    expect(front.spec).not.to.have.property("clusterIPs");
    expect(web.metadata).to.deep.equal({ name: "web", namespace: "default" });
    expect(web).not.to.have.property("status");
    expect(loaded.notes).to.have.length(1);
    for (const field of ["metadata.uid", "metadata.resourceVersion", "metadata.creationTimestamp", "metadata.generation", "metadata.managedFields", "metadata.selfLink", "status", "spec.clusterIP", "spec.clusterIPs"]) {
      expect(loaded.notes[0]).to.include(field);
    }
    expect(loaded.notes[0]).to.include("solution.yaml");
    // Positions still point into the file as written.
    expect(loaded.objects[2].position(["spec", "template", "spec", "containers", 0, "image"])?.line).to.equal(45);
  });

  it("grades objects that all name one namespace in its own, with a note; refuses two namespaces, naming both", async function () {
    const one = await load({ "solution.yaml": EXPORT });
    const result = validateSubmission(one.objects, POLICY);
    expect(result.refusals).to.deep.equal([]);
    expect(result.notes.join("\n")).to.match(/metadata.namespace "default" \(3 objects\) was ignored/);

    const withNamespace = await load({
      "namespace.yaml": "apiVersion: v1\nkind: Namespace\nmetadata: {name: lab}\n",
      "svc.yaml": "apiVersion: v1\nkind: Service\nmetadata: {name: a, namespace: lab}\n",
    });
    expect(withNamespace.objects.map((o) => o.kind)).to.deep.equal(["Service"]);
    expect(withNamespace.notes.join("\n")).to.include("Namespace lab (namespace.yaml) was not applied");
    const otherNamespace = await load({ "namespace.yaml": "apiVersion: v1\nkind: Namespace\nmetadata: {name: other}\n", "svc.yaml": "apiVersion: v1\nkind: Service\nmetadata: {name: a, namespace: lab}\n" });
    expect(validateSubmission(otherNamespace.objects, POLICY).refusals[0].message).to.include("Namespace is a cluster-wide object");

    const two = await load({
      "a.yaml": "apiVersion: v1\nkind: Service\nmetadata: {name: a, namespace: team-a}\n",
      "b.yaml": "apiVersion: v1\nkind: Service\nmetadata: {name: b, namespace: team-b}\n",
    });
    const refused = validateSubmission(two.objects, POLICY);
    expect(refused.refusals).to.have.length(1);
    expect(refused.refusals[0]).to.include({ file: "b.yaml", line: 3, field: "metadata.namespace" });
    expect(refused.refusals[0].message).to.include("team-b").and.to.include("team-a").and.to.include("a.yaml line 1");
  });

  it("reads *.json manifests with positions, and gives JSON syntax errors a line and column", async function () {
    const json = JSON.stringify({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "p" },
      spec: { containers: [{ name: "c", image: "nginx:mainline", securityContext: { privileged: true } }] },
    }, null, 2);
    const loaded = await load({ "pod.json": json, "package.json": '{"name": "lab", "devDependencies": {"kubegrade": "*"}}' });
    expect(loaded.refusals).to.deep.equal([]);
    expect(loaded.objects.map((o) => `${o.file} ${o.kind}/${o.name}`)).to.deep.equal(["pod.json Pod/p"]);
    expect(loaded.notes.join("\n")).to.include("package.json: JSON without apiVersion and kind was ignored");
    const result = validateSubmission(loaded.objects, POLICY);
    expect(result.refusals[0]).to.include({ file: "pod.json", line: 13, field: "spec.containers[0].securityContext.privileged" });

    const broken = await load({ "svc.json": '{\n  "apiVersion": "v1",\n  "kind": "Service",\n  "metadata": {"name": "x",}\n}\n' });
    expect(broken.refusals).to.have.length(1);
    expect(broken.refusals[0]).to.include({ file: "svc.json", line: 4 });
    expect(broken.refusals[0].column).to.be.a("number");
    expect(broken.refusals[0].message).to.match(/^invalid JSON: /);
  });

  it("reads a stream of JSON objects in one file, as kubectl does, each at its own line", async function () {
    const loaded = await load({ "stream.json": '{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "a"}}\n{\n  "apiVersion": "v1",\n  "kind": "Service",\n  "metadata": {"name": "b"}\n}\n' });
    expect(loaded.refusals).to.deep.equal([]);
    expect(loaded.objects.map((o) => `${o.name}:${o.line}`)).to.deep.equal(["a:1", "b:2"]);
    // A field is where its key is written.
    expect(loaded.objects[1].position(["metadata", "name"])).to.deep.equal({ line: 5, column: 16 });
  });

  it("refuses a kustomization below the root, saying which directory to grade", async function () {
    const loaded = await load({ "k8s/kustomization.yaml": "resources: [web.yaml]\n", "k8s/web.yaml": "apiVersion: v1\nkind: Service\nmetadata: {name: s}\n" });
    expect(loaded.refusals[0].file).to.equal(join("k8s", "kustomization.yaml"));
    expect(loaded.refusals[0].message).to.include("Grade that directory instead");
  });

  it("refuses a kustomization's symbolic link out of the submission before kustomize runs", async function () {
    const dir = await mkdtemp(join(tmpdir(), "kubegrade-shapes-"));
    dirs.push(dir);
    await writeFile(join(dir, "kustomization.yaml"), "resources: [web.yaml]\n");
    await symlink("/etc/hostname", join(dir, "web.yaml"));
    const again = await loadSubmission(dir);
    expect(again.refusals).to.have.length(1);
    expect(again.refusals[0]).to.include({ file: "web.yaml" });
    expect(again.refusals[0].message).to.include("points outside the submission");
  });

  it("refuses kustomize's configuration under another name, saying which names kubectl builds", async function () {
    const loaded = await load({ "kustomize.yaml": "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nmetadata: {name: x}\nresources: [web.yaml]\n" });
    const result = validateSubmission(loaded.objects, POLICY);
    expect(result.refusals[0]).to.include({ file: "kustomize.yaml", line: 2 });
    expect(result.refusals[0].message).to.include("named kustomization.yaml, kustomization.yml or Kustomization at the submission's root");
    const unnamed = await load({ "kustomize.yaml": "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [web.yaml]\n" });
    expect(unnamed.refusals[0].message).to.include("is kustomize's configuration");
  });

  it("accepts any tag or digest of a provided image family, and refuses other families listing the provided ones", function () {
    expect(imageVerdict("nginx:mainline", POLICY.images).kind).to.equal("exact");
    expect(imageVerdict("docker.io/library/nginx:1.29", POLICY.images).kind).to.equal("family");
    expect(imageVerdict("nginx", POLICY.images).kind).to.equal("family");
    expect(imageVerdict("nginx@sha256:" + "a".repeat(64), POLICY.images).kind).to.equal("family");
    expect(imageVerdict("busybox:1.37", POLICY.images).kind).to.equal("family");
    expect(imageVerdict("k8s.gcr.io/nginx-slim:0.27", POLICY.images).kind).to.equal("family");
    expect(imageVerdict("httpd:2.4", POLICY.images).kind).to.equal("unknown");
    expect(imageVerdict("evil/nginx:1", POLICY.images).kind).to.equal("unknown");
    expect(parseImage("localhost:5000/x")).to.deep.include({ repository: "localhost:5000/x", tag: "latest" });
    expect(parseImage("nginx:1.29@sha256:abc")).to.deep.include({ repository: "docker.io/library/nginx", tag: "1.29", digest: "sha256:abc" });
  });

  it("on the kit, notes a tag the mirror serves as its own and rewrites a digest; elsewhere changes nothing", function () {
    const sts = (image: string, init?: string) => ({
      kind: "StatefulSet",
      name: "web",
      body: { spec: { template: { spec: { ...(init ? { initContainers: [{ name: "setup", image: init }] } : {}), containers: [{ name: "nginx", image }] } } } } as Record<string, unknown>,
    });
    const digest = "busybox@sha256:" + "b".repeat(64);
    const kit = adaptImagesForCluster([sts("nginx:1.29", digest), sts("nginx:mainline")], { servesKitImages: true });
    expect(kit.substitutions.map((s) => `${s.written} -> ${s.servedAs} ${s.rewritten}`)).to.deep.equal([
      `${digest} -> busybox:latest true`,
      "nginx:1.29 -> nginx:mainline false",
    ]);
    const spec = (kit.objects[0].body as any).spec.template.spec;
    expect(spec.initContainers[0].image).to.equal("busybox:latest");
    expect(spec.containers[0].image).to.equal("nginx:1.29");
    expect(kit.notes[0]).to.include("StatefulSet web, container setup").and.to.include("applied as busybox:latest");
    expect(kit.notes[1]).to.include("served by the grader's offline node as its nginx:mainline");
    expect(kit.objects[1]).to.equal(kit.objects[1]);
    const k3s = adaptImagesForCluster([sts("nginx:1.29", digest)], { servesKitImages: false });
    expect(k3s.notes).to.deep.equal([]);
    expect((k3s.objects[0].body as any).spec.template.spec.initContainers[0].image).to.equal(digest);
    expect(kitDefaultTags().get("docker.io/library/nginx")).to.deep.equal({ tags: ["mainline", "latest", "1.13.12"], fallback: "mainline" });
  });

  it("explains kustomize's refusals of remote and outside resources", function () {
    expect(explainKustomizeError("accumulating resources: accumulation err='accumulating resources from 'https://example.com/a.yaml': Get \"https://example.com/a.yaml\": kubegrade: remote resource https://example.com/a.yaml refused'"))
      .to.include("refers to a remote resource (https://example.com/a.yaml)");
    expect(explainKustomizeError("accumulating resources: accumulation err='accumulating resources from '../../etc/passwd': '/etc/passwd' doesn't exist'"))
      .to.include("/etc/passwd, which is outside the submission");
    expect(explainKustomizeError("invalid Kustomization: json: unknown field \"resourcez\"")).to.match(/^kustomize could not build it: invalid Kustomization/);
  });
});
