/**
 * The images only the kit builds, on clusters that are not the kit: `images push` copies them
 * into a registry (a course's, here one on loopback), a grade with --image-registry on an
 * existing cluster runs them from it, a grade without says how to get them before any pod
 * waits, and the archive k3s would import loads into a real containerd.
 *
 * The existing cluster is the warm kit node reached through its kubeconfig (--cluster
 * kubeconfig), or else the shared test cluster; its containerd learns where the registry is
 * the way an administrator's would: a hosts.toml under /etc/containerd/certs.d/.
 */
import { CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { expect } from "chai";
import { existsSync } from "node:fs";
import { cp, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { GenericContainer, Wait, type StartedTestContainer } from "testcontainers";
import { KIT_IMAGE, LABELS, PROJECT_ROOT, cacheDir } from "../../runner/config.ts";
import { dockerClient } from "../../runner/util/docker.ts";
import { startKitRegistry } from "../../runner/images/kit-registry.ts";
import { loadKitImagesInto } from "../../runner/images/load.ts";
import { waitUntil } from "../../runner/util/wait.ts";
import { sharedCluster } from "./hooks.ts";
import { cli } from "./support.ts";

const OWNED = { [LABELS.managed]: "true", [LABELS.ownerHost]: hostname(), [LABELS.ownerPid]: String(process.pid) };

/** A writable registry on loopback, as a course would run one (the kit image's own docker-registry). */
async function startCourseRegistry() {
  const docker = (await dockerClient()).client.container.dockerode;
  const config = "version: 0.1\nlog: {level: info}\nstorage: {filesystem: {rootdirectory: /tmp/registry}}\nhttp: {addr: 0.0.0.0:5000}\n";
  const container = await docker.createContainer({
    Image: KIT_IMAGE,
    Entrypoint: ["sh", "-c", 'printf "%s" "$REGISTRY_CONFIG" > /tmp/registry.yml && exec /usr/bin/docker-registry serve /tmp/registry.yml'],
    Env: [`REGISTRY_CONFIG=${config}`],
    Labels: OWNED,
    ExposedPorts: { "5000/tcp": {} },
    HostConfig: { PortBindings: { "5000/tcp": [{ HostIp: "127.0.0.1", HostPort: "" }] } },
  });
  await container.start();
  const inspect = await container.inspect();
  const port = inspect.NetworkSettings.Ports["5000/tcp"][0].HostPort;
  const ip = Object.values(inspect.NetworkSettings.Networks)[0].IPAddress;
  await waitUntil("the course registry answering", 30_000, async () =>
    (await fetch(`http://127.0.0.1:${port}/v2/`).catch(() => undefined))?.ok ? true : { pending: "no answer" },
  );
  return {
    port,
    ip,
    logs: async () => String(await container.logs({ stdout: true, stderr: true })),
    remove: () => container.remove({ force: true, v: true }),
  };
}

/** The existing cluster: the warm kit node through its kubeconfig, else the shared test cluster. */
async function existingCluster(): Promise<{ kubeconfig: string; nodeContainer: string } | undefined> {
  const docker = (await dockerClient()).client.container.dockerode;
  const warm = await docker.listContainers({ filters: { label: [`${LABELS.managed}=true`, `${LABELS.warm}=true`], status: ["running"] } });
  const path = join(cacheDir(), "warm-kubeconfig.yaml");
  if (warm[0] && existsSync(path)) return { kubeconfig: path, nodeContainer: warm[0].Id };
  try {
    const shared = sharedCluster();
    const file = join(await mkdtemp(join(tmpdir(), "kubegrade-images-")), "kubeconfig.yaml");
    await writeFile(file, shared.kubeConfigYaml, { mode: 0o600 });
    return shared.containerId ? { kubeconfig: file, nodeContainer: shared.containerId } : undefined;
  } catch {
    return undefined;
  }
}

async function nodeExec(container: string, script: string): Promise<string> {
  const { client } = await dockerClient();
  const result = await client.container.exec(client.container.getById(container), ["sh", "-c", script]);
  if (result.exitCode !== 0) throw new Error(`${script}: exit ${result.exitCode}: ${result.output}`);
  return result.stdout;
}

describe("images: the kit-only images on clusters that are not the kit", function () {
  let registry: Awaited<ReturnType<typeof startCourseRegistry>>;
  let cluster: Awaited<ReturnType<typeof existingCluster>>;
  let certsDir = "";
  const work: string[] = [];

  before(async function () {
    this.timeout(120_000);
    registry = await startCourseRegistry();
    cluster = await existingCluster();
  });
  after(async function () {
    this.timeout(60_000);
    if (cluster && certsDir) await nodeExec(cluster.nodeContainer, `rm -rf '${certsDir}'`).catch(() => {});
    await registry?.remove().catch(() => {});
    for (const dir of work) await rm(dir, { recursive: true, force: true });
  });

  it("images push copies demo's and cassandra's images, every name, and leaves no copy or container behind", async function () {
    this.timeout(600_000);
    const target = `127.0.0.1:${registry.port}/course`;
    const push = await cli(["images", "push", "--registry", target]);
    expect(push.exitCode, String(push.all)).to.equal(0);
    expect(String(push.stdout)).to.include(`kubegrade/hello-api:1.0 → ${target}/kubegrade/hello-api:1.0  sha256:`);
    expect(String(push.stdout)).to.include(`gcr.io/google-samples/cassandra:v13 → ${target}/google-samples/cassandra:v13`);
    const catalog = (await (await fetch(`http://127.0.0.1:${registry.port}/v2/_catalog`)).json()) as { repositories: string[] };
    expect(catalog.repositories.sort()).to.deep.equal(["course/google-samples/cassandra", "course/kubegrade/hello-api"]);
    const tags = (await (await fetch(`http://127.0.0.1:${registry.port}/v2/course/google-samples/cassandra/tags/list`)).json()) as { tags: string[] };
    expect(tags.tags.sort()).to.deep.equal(["v11", "v12", "v13", "v14"]);
    const docker = (await dockerClient()).client.container.dockerode;
    const images = (await docker.listImages()).flatMap((i) => i.RepoTags ?? []);
    expect(images.filter((t) => t.includes(`127.0.0.1:${registry.port}/`)), "temporary tags").to.deep.equal([]);
    const left = await docker.listContainers({ all: true, filters: { label: [`${LABELS.managed}=true`] } });
    expect(left.filter((c) => c.Command.includes("/etc/kubegrade/registry.yml")), "the kit's registry container").to.deep.equal([]);
  });

  it("grades demo's reference on an existing cluster with --image-registry, its pods pulling from that registry", async function () {
    this.timeout(600_000);
    if (!cluster) this.skip();
    const target = `127.0.0.1:${registry.port}/course`;
    // What the cluster's administrator does: the nodes pull 127.0.0.1:PORT from the registry's address, over HTTP.
    certsDir = `/etc/containerd/certs.d/127.0.0.1:${registry.port}`;
    await nodeExec(cluster!.nodeContainer, `mkdir -p '${certsDir}' && cat > '${certsDir}/hosts.toml' <<'EOF'
server = "http://${registry.ip}:5000"

[host."http://${registry.ip}:5000"]
  capabilities = ["pull", "resolve"]
EOF`);
    const dir = await mkdtemp(join(tmpdir(), "kubegrade-images-"));
    work.push(dir);
    const grade = await cli([
      "grade", "demo", join(PROJECT_ROOT, "fixtures/demo/reference/submission"),
      "--cluster", "kubeconfig", "--kubeconfig", cluster!.kubeconfig, "--keep", "--report", `json=${join(dir, "report.json")}`,
    ], { KUBEGRADE_IMAGE_REGISTRY: target });
    const report = JSON.parse(await readFile(join(dir, "report.json"), "utf8")) as { score: number; maxScore: number; notes: string[] };
    const kept = /Kept namespace (\S+?)[ .]/.exec(report.notes.join("\n"))?.[1];
    const kc = new KubeConfig();
    kc.loadFromFile(cluster!.kubeconfig);
    const core = kc.makeApiClient(CoreV1Api);
    try {
      expect(grade.exitCode, String(grade.all)).to.equal(0);
      expect(report.score).to.equal(report.maxScore);
      expect(report.notes.join("\n")).to.include(`image kubegrade/hello-api:1.0 is built only by kubegrade's kit; it was applied as ${target}/kubegrade/hello-api:1.0`);
      expect(kept, report.notes.join("\n")).to.be.a("string");
      const pod = await core.readNamespacedPod({ name: "demo-0", namespace: kept! });
      expect(pod.spec?.containers[0].image).to.equal(`${target}/kubegrade/hello-api:1.0`);
      // The pod runs the manifest that registry serves for that name (the node may hold its
      // layers from an earlier run: the imageID then names that run's registry, same digest).
      const served = await fetch(`http://127.0.0.1:${registry.port}/v2/course/kubegrade/hello-api/manifests/1.0`, {
        method: "HEAD", headers: { Accept: "application/vnd.docker.distribution.manifest.v2+json" },
      });
      expect(pod.status?.containerStatuses?.[0].imageID).to.match(/\/course\/kubegrade\/hello-api@sha256:[0-9a-f]{64}$/)
        .and.to.have.string(`@${served.headers.get("docker-content-digest")}`);
      // The registry saw the node resolve the name (containerd adds ?ns=HOST when a hosts.toml redirects it).
      const node = await (await dockerClient()).client.container.getById(cluster!.nodeContainer).inspect();
      const nodeIp = Object.values(node.NetworkSettings.Networks)[0].IPAddress.replaceAll(".", "\\.");
      const logs = await registry.logs();
      expect(logs).to.match(new RegExp(`${nodeIp} .*"(HEAD|GET) /v2/course/kubegrade/hello-api/manifests/1\\.0[ ?]`));
    } finally {
      if (kept) await core.deleteNamespace({ name: kept, gracePeriodSeconds: 0 }).catch(() => {});
      await rm(join(cacheDir(), `kept-${kept}.kubeconfig`), { force: true });
    }
  });

  it("without --image-registry, a cluster whose nodes lack the kit's image says how to get it (exit 3) before any pod", async function () {
    this.timeout(300_000);
    if (!cluster) this.skip();
    const dir = await mkdtemp(join(tmpdir(), "kubegrade-images-"));
    work.push(dir);
    await cp(join(PROJECT_ROOT, "fixtures/demo/reference/submission"), dir, { recursive: true });
    // A tag of the family no node can hold (the kit's mirror would serve it; nothing else can).
    const tag = `t${Date.now()}`;
    for (const file of await readdir(dir)) {
      const text = await readFile(join(dir, file), "utf8");
      await writeFile(join(dir, file), text.replaceAll("kubegrade/hello-api:1.0", `kubegrade/hello-api:${tag}`));
    }
    const started = performance.now();
    const grade = await cli(["grade", "demo", dir, "--cluster", "kubeconfig", "--kubeconfig", cluster!.kubeconfig], { KUBEGRADE_IMAGE_REGISTRY: "" });
    const seconds = (performance.now() - started) / 1000;
    expect(grade.exitCode, String(grade.all)).to.equal(3);
    expect(String(grade.stderr)).to.include(`image kubegrade/hello-api:${tag} is built only by kubegrade's kit`);
    expect(String(grade.stderr)).to.include("kubegrade images push --registry HOST/PATH");
    expect(String(grade.stderr)).to.include("--image-registry HOST/PATH");
    expect(seconds, "fails at apply, not at a pod deadline").to.be.below(60);
  });

  it("loads a kit-only image into a containerd from an OCI archive, as into k3s (ctr images import)", async function () {
    this.timeout(300_000);
    // The kit node has no ctr (its build drops it); the host's Debian containerd package has one, of the same release.
    if (!existsSync("/usr/bin/ctr")) this.skip();
    let node: StartedTestContainer | undefined;
    try {
      node = await new GenericContainer(KIT_IMAGE)
        .withEntrypoint(["containerd", "--config", "/etc/containerd/config.toml"])
        .withPrivilegedMode()
        .withTmpFs({ "/var/lib/containerd": "rw,exec,size=1g", "/run": "rw,exec,size=64m" })
        .withLabels(OWNED)
        .withWaitStrategy(Wait.forLogMessage(/containerd successfully booted/))
        .withStartupTimeout(60_000)
        .start();
      await node.copyFilesToContainer([{ source: "/usr/bin/ctr", target: "/usr/local/bin/ctr", mode: 0o755 }]);
      const names = await loadKitImagesInto(node, ["kubegrade/hello-api:2.0"], { ctr: ["ctr"] });
      expect(names).to.deep.equal(["kubegrade/hello-api:1.0"]);
      const listed = await node.exec(["ctr", "-n", "k8s.io", "images", "ls"]);
      const line = listed.output.split("\n").find((l) => l.startsWith("docker.io/kubegrade/hello-api:1.0 "));
      expect(line, listed.output).to.be.a("string");
      const check = await node.exec(["ctr", "-n", "k8s.io", "images", "check", "name==docker.io/kubegrade/hello-api:1.0"]);
      expect(check.output).to.match(/complete \(\d+\/\d+\)/);
      // The very manifest the kit's registry serves.
      await using kit = await startKitRegistry();
      const head = await fetch(`http://${kit.address}/v2/docker.io/kubegrade/hello-api/manifests/1.0`, {
        method: "HEAD", headers: { Accept: "application/vnd.docker.distribution.manifest.v2+json" },
      });
      expect(line).to.include(String(head.headers.get("docker-content-digest")));
      const unpacked = await node.exec(["ctr", "-n", "k8s.io", "snapshots", "--snapshotter", "overlayfs", "ls"]);
      expect(unpacked.output.trim().split("\n").length, "layers unpacked for the CRI").to.be.greaterThan(1);
    } finally {
      await node?.stop({ remove: true, removeVolumes: true }).catch(() => {});
    }
  });
});
