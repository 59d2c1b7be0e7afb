/**
 * The kit node image as a published artifact, through a real registry: Debian's
 * `docker-registry` (the distribution registry) run by this test on a free port of 127.0.0.1
 * with storage of its own, behind basic authentication as a course's registry would be.
 * `images push-node` pushes the kit node image with a `docker login` (a Docker config of the
 * test's), setup and a cold grade pull it with KUBEGRADE_NODE_IMAGE and the same login, and
 * `web`'s reference is graded 100/100 on a kit node started from the pulled image. A foreign
 * image, a kit of other sources, no login, a missing image and a registry that is not there
 * are each exit 3 with what to do, before any node starts.
 *
 * The shared test cluster runs from kubegrade/node:v1.34.4, which this test never removes: the
 * pulls here read the registry's manifests and find the layers already in Docker (the same
 * image). The pull of every layer into an empty Docker, and the cold path to a first verdict,
 * are measured by hand in docs/benchmarks.md.
 */
import { expect } from "chai";
import { execa } from "execa";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KIT_IMAGE, LABELS, PROJECT_ROOT, packageVersion } from "../../runner/config.ts";
import { nodeImageRecipe } from "../../runner/images/node-image.ts";
import { dockerClient } from "../../runner/util/docker.ts";
import { waitUntil } from "../../runner/util/wait.ts";
import { parse } from "yaml";
import { cli, githubEnv } from "./support.ts";

const REGISTRY_BINARY = "/usr/bin/docker-registry";
const USER = "student";
const PASSWORD = "kubegrade-test";
/** bcrypt of PASSWORD at the lowest cost (the registry checks it on every request). */
const PASSWORD_BCRYPT = "$2b$04$RGYTsX9QaLnVCdyjtRTQIee5cLvtpM9l8iMk4wOQ/vH7TpaqFPo0q";

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

interface Registry {
  host: string;
  dir: string;
  process: ChildProcess;
  log: () => Promise<string>;
}

/** The distribution registry on 127.0.0.1:<free port>, basic authentication, storage in a temporary directory. */
async function startRegistry(): Promise<Registry> {
  if (!existsSync(REGISTRY_BINARY)) {
    throw new Error(`${REGISTRY_BINARY} is missing: apt-get install docker-registry (.ci/run installs it)`);
  }
  const dir = await mkdtemp(join(tmpdir(), "kubegrade-registry-"));
  const port = await freePort();
  await mkdir(join(dir, "storage"));
  await writeFile(join(dir, "htpasswd"), `${USER}:${PASSWORD_BCRYPT}\n`);
  await writeFile(
    join(dir, "config.yml"),
    [
      "version: 0.1",
      "log: {level: warn}",
      `storage: {filesystem: {rootdirectory: ${join(dir, "storage")}}}`,
      `http: {addr: 127.0.0.1:${port}, secret: kubegrade-test}`,
      `auth: {htpasswd: {realm: kubegrade-test, path: ${join(dir, "htpasswd")}}}`,
      "",
    ].join("\n"),
  );
  const logFile = join(dir, "registry.log");
  const { openSync } = await import("node:fs");
  const out = openSync(logFile, "a");
  const child = spawn(REGISTRY_BINARY, ["serve", join(dir, "config.yml")], { stdio: ["ignore", out, out] });
  let exited: string | undefined;
  child.on("exit", (code, signal) => (exited = `exited (${signal ?? code})`));
  const host = `127.0.0.1:${port}`;
  const log = () => readFile(logFile, "utf8").catch(() => "");
  await waitUntil(`the registry answering on ${host}`, 30_000, async () => {
    if (exited) throw new Error(`the registry ${exited}: ${await log()}`);
    const answer = await fetch(`http://${host}/v2/`).catch(() => undefined);
    // 401: up, and asking for the login.
    return answer?.status === 401 ? true : { pending: answer ? `HTTP ${answer.status}` : "no answer" };
  });
  return { host, dir, process: child, log };
}

async function stopRegistry(registry: Registry): Promise<void> {
  if (registry.process.exitCode === null && registry.process.signalCode === null) {
    const exited = new Promise((resolve) => registry.process.once("exit", resolve));
    registry.process.kill("SIGTERM");
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000).unref())]);
    if (registry.process.exitCode === null && registry.process.signalCode === null) registry.process.kill("SIGKILL");
  }
  await rm(registry.dir, { recursive: true, force: true });
}

const docker = (args: string[], options: { env?: Record<string, string>; input?: string } = {}) =>
  execa("docker", args, { reject: false, all: true, env: options.env, ...(options.input !== undefined ? { input: options.input } : {}) });
const present = async (image: string) => (await docker(["image", "inspect", image])).exitCode === 0;

/** The repositories and tags the registry holds, asked with the login. */
async function catalog(host: string): Promise<Record<string, string[]>> {
  const headers = { Authorization: `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString("base64")}` };
  const { repositories } = (await (await fetch(`http://${host}/v2/_catalog`, { headers })).json()) as { repositories: string[] };
  const out: Record<string, string[]> = {};
  for (const repository of repositories) {
    out[repository] = ((await (await fetch(`http://${host}/v2/${repository}/tags/list`, { headers })).json()) as { tags: string[] }).tags;
  }
  return out;
}

/** Containers created while `run` runs, with the image each was created from. */
async function containersCreatedDuring<T>(run: () => Promise<T>): Promise<{ result: T; images: string[] }> {
  const engine = (await dockerClient()).client.container.dockerode;
  const stream = (await engine.getEvents({ filters: { type: ["container"], event: ["create"] } })) as NodeJS.ReadableStream & { destroy(): void };
  const images: string[] = [];
  stream.on("data", (chunk: Buffer) => {
    for (const line of String(chunk).split("\n").filter(Boolean)) {
      const event = JSON.parse(line) as { Actor?: { Attributes?: Record<string, string> }; from?: string };
      images.push(event.Actor?.Attributes?.image ?? event.from ?? "?");
    }
  });
  try {
    return { result: await run(), images };
  } finally {
    stream.destroy();
  }
}

describe("published node image: push, pull, check, grade", function () {
  let registry: Registry;
  let work: string;
  /** A Docker config holding the registry's login (`docker login`), and one holding none. */
  let loggedIn: Record<string, string>;
  let noLogin: Record<string, string>;
  let reference: string;
  const tagged: string[] = [];
  const seconds = (since: number) => ((performance.now() - since) / 1000).toFixed(1);

  before(async function () {
    this.timeout(120_000);
    expect(await present(KIT_IMAGE), `${KIT_IMAGE} (the hooks' setup builds it)`).to.equal(true);
    registry = await startRegistry();
    work = await mkdtemp(join(tmpdir(), "kubegrade-published-"));
    loggedIn = { DOCKER_CONFIG: join(work, "docker-logged-in") };
    noLogin = { DOCKER_CONFIG: join(work, "docker-no-login") };
    await mkdir(noLogin.DOCKER_CONFIG);
    const login = await docker(["login", "-u", USER, "--password-stdin", registry.host], { env: loggedIn, input: PASSWORD });
    expect(login.exitCode, login.all).to.equal(0);
    reference = `${registry.host}/course/${KIT_IMAGE}`;
    tagged.push(reference);
  });

  after(async function () {
    this.timeout(120_000);
    // kubegrade/node:v1.34.4 stays, whatever happened: the shared cluster and the next runs need it.
    if (!(await present(KIT_IMAGE)) && reference && (await present(reference))) await docker(["tag", reference, KIT_IMAGE]);
    for (const image of tagged) await docker(["rmi", image]);
    if (registry) await stopRegistry(registry);
    if (work) await rm(work, { recursive: true, force: true });
    expect(await present(KIT_IMAGE), `${KIT_IMAGE} after the test`).to.equal(true);
  });

  it("images push-node pushes the kit node image with the user's docker login and prints the reference to use", async function () {
    this.timeout(600_000);
    const started = performance.now();
    const push = await cli(["images", "push-node", "--registry", `${registry.host}/course`], loggedIn);
    const took = seconds(started);
    expect(push.exitCode, `${push.all}\n${await registry.log()}`).to.equal(0);
    expect(String(push.stdout).split("\n")[0]).to.equal(reference);
    expect(String(push.stdout)).to.include(`KUBEGRADE_NODE_IMAGE=${reference}`);
    expect(await catalog(registry.host)).to.deep.equal({ "course/kubegrade/node": [KIT_IMAGE.split(":")[1]] });
    expect(await present(reference), "the pushed tag is removed again").to.equal(false);
    expect(await present(KIT_IMAGE)).to.equal(true);
    process.stdout.write(`      (push of ${KIT_IMAGE} to ${registry.host}: ${took} s)\n`);
  });

  it("without the login, a pull is exit 3 naming the registry and docker login; nothing starts", async function () {
    this.timeout(120_000);
    // GitLab's job with the course's CI/CD variable set (settings override the file's empty default).
    const gitlab = parse(await readFile(join(PROJECT_ROOT, "ci/gitlab/kubegrade.gitlab-ci.yml"), "utf8")) as { kubegrade: { variables: Record<string, string> } };
    const { DOCKER_HOST: _host, DOCKER_TLS_CERTDIR: _tls, ...variables } = gitlab.kubegrade.variables;
    const { result: grade, images } = await containersCreatedDuring(() =>
      cli(["grade", "web", join(PROJECT_ROOT, "fixtures/web/reference/submission")], { ...variables, ...noLogin, KUBEGRADE_NODE_IMAGE: reference }),
    );
    expect(grade.exitCode, grade.all).to.equal(3);
    expect(grade.all).to.include(`Pulling the kit node image ${reference} from ${registry.host} failed`);
    expect(grade.all).to.include(`\`docker login ${registry.host}\``);
    expect(images, "containers started").to.deep.equal([]);
  });

  it("setup with KUBEGRADE_NODE_IMAGE pulls the published image instead of building it, and checks it", async function () {
    this.timeout(600_000);
    expect(await present(reference)).to.equal(false);
    const started = performance.now();
    const setup = await cli(["setup"], { ...loggedIn, KUBEGRADE_NODE_IMAGE: reference });
    const took = seconds(started);
    expect(setup.exitCode, setup.all).to.equal(0);
    expect(setup.all).to.include(`Pulling the kit node image ${reference}`);
    expect(setup.all).to.include(`${reference} is this kubegrade's kit node image`);
    expect(setup.all).to.include(`Setup done in`).and.include(`${reference} pulled`);
    expect(setup.all).to.not.match(/Building kubegrade\/node|rancher\/k3s/);
    expect(await present(reference)).to.equal(true);
    const labels = (await docker(["image", "inspect", "--format", `{{index .Config.Labels "${LABELS.recipe}"}}`, reference])).stdout.trim();
    expect(labels).to.match(/^[0-9a-f]{16}$/);
    // --kit or --rebuild with a published image is a contradiction: bad usage.
    const both = await cli(["setup", "--kit"], { KUBEGRADE_NODE_IMAGE: reference });
    expect(both.exitCode, both.all).to.equal(2);
    expect(both.all).to.include("unset KUBEGRADE_NODE_IMAGE");
    process.stdout.write(`      (setup with the published image, layers already here: ${took} s)\n`);
  });

  it("a cold grade pulls the published image when absent and grades web 100/100 on a kit node started from it", async function () {
    this.timeout(600_000);
    await docker(["rmi", reference]);
    expect(await present(reference)).to.equal(false);
    const report = join(work, "web.json");
    // The GitHub workflow's environment, with the course's variable set.
    const workflow = parse(await readFile(join(PROJECT_ROOT, "ci/github/kubegrade.yml"), "utf8")) as { env: Record<string, string> };
    const env = githubEnv(workflow.env, { KUBEGRADE_NODE_IMAGE: reference });
    expect(env.KUBEGRADE_NODE_IMAGE).to.equal(reference);
    const started = performance.now();
    const { result: grade, images } = await containersCreatedDuring(() =>
      cli(["grade", env.KUBEGRADE_EXERCISE, join(PROJECT_ROOT, "fixtures/web/reference/submission"), "--report", `json=${report}`], { ...env, ...loggedIn }),
    );
    const took = seconds(started);
    expect(grade.exitCode, grade.all).to.equal(0);
    expect(grade.all).to.include(`Pulling the kit node image ${reference}`);
    expect(grade.all).to.include(`Starting a kit cluster (the course's node image ${reference})`);
    const json = JSON.parse(await readFile(report, "utf8")) as { score: number; maxScore: number; cluster: { provider: string } };
    expect([json.score, json.maxScore, json.cluster.provider]).to.deep.equal([100, 100, "kit"]);
    expect(images.filter((i) => i === reference), `containers created: ${images.join(", ")}`).to.have.length(1);
    expect(images, "no node from the image built here").to.not.include(KIT_IMAGE);
    process.stdout.write(`      (cold grade with the published image, layers already here: ${took} s)\n`);
  });

  it("a foreign image, or a kit node image of other sources, is exit 3 with what to do; nothing starts", async function () {
    this.timeout(300_000);
    const root = join(work, "rootfs");
    await mkdir(root);
    await writeFile(join(root, "os-release"), 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n');
    await execa("tar", ["-C", root, "-cf", join(work, "rootfs.tar"), "."]);
    const recipe = await nodeImageRecipe();
    const cases = [
      {
        image: `${registry.host}/course/debian:bookworm`,
        labels: ["org.opencontainers.image.title=debian"],
        said: "it is not a kubegrade kit node image (its label org.opencontainers.image.title is \"debian\", not \"kubegrade node\")",
      },
      {
        image: `${registry.host}/course/kubegrade/node:older`,
        labels: ['org.opencontainers.image.title="kubegrade node"', `org.opencontainers.image.version=${KIT_IMAGE.split(":")[1]}`, `${LABELS.recipe}=0000000000000000`],
        said: `it was built from other node image sources than kubegrade ${packageVersion()}'s (${LABELS.recipe} 0000000000000000, expected ${recipe}): another kubegrade version pushed it`,
      },
    ];
    for (const c of cases) {
      tagged.push(c.image);
      const made = await docker(["import", ...c.labels.flatMap((l) => ["--change", `LABEL ${l}`]), join(work, "rootfs.tar"), c.image]);
      expect(made.exitCode, made.all).to.equal(0);
      const pushed = await docker(["push", c.image], { env: loggedIn });
      expect(pushed.exitCode, pushed.all).to.equal(0);
      await docker(["rmi", c.image]);
      const { result: grade, images } = await containersCreatedDuring(() =>
        cli(["grade", "web", join(PROJECT_ROOT, "fixtures/web/reference/submission"), "--node-image", c.image], loggedIn),
      );
      expect(grade.exitCode, grade.all).to.equal(3);
      expect(grade.all, grade.all).to.include(`The kit node image ${c.image} (KUBEGRADE_NODE_IMAGE or --node-image) is not the kit node image this kubegrade needs: ${c.said}`);
      expect(grade.all, grade.all).to.include(`npx kubegrade images push-node --registry ${c.image}`).and.include("unset KUBEGRADE_NODE_IMAGE");
      expect(images, "containers started").to.deep.equal([]);
    }
  });

  it("an image the registry does not hold, or a registry that is not there: exit 3 naming it", async function () {
    this.timeout(120_000);
    const web = join(PROJECT_ROOT, "fixtures/web/reference/submission");
    const missing = `${registry.host}/course/kubegrade/node:v0.0.0`;
    const absent = await cli(["grade", "web", web], { ...loggedIn, KUBEGRADE_NODE_IMAGE: missing });
    expect(absent.exitCode, absent.all).to.equal(3);
    expect(absent.all).to.include(`Pulling the kit node image ${missing} from ${registry.host} failed`);
    expect(absent.all).to.include(`${registry.host} has no ${missing}`);
    const closed = `127.0.0.1:${await freePort()}`;
    const gone = await cli(["grade", "web", web], { KUBEGRADE_NODE_IMAGE: `${closed}/course/${KIT_IMAGE}` });
    expect(gone.exitCode, gone.all).to.equal(3);
    expect(gone.all).to.include(`Docker cannot reach ${closed}`);
    const malformed = await cli(["grade", "web", web], { KUBEGRADE_NODE_IMAGE: `${registry.host}/course/kubegrade/node` });
    expect(malformed.exitCode, malformed.all).to.equal(2);
    expect(malformed.all).to.include("expected an image reference with a tag");
  });
});
