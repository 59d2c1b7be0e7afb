/**
 * Builds the kit node image, `kubegrade/node:<kubernetes version>`, offline: a Debian
 * root filesystem from Debian's packages (debootstrap), one multi-call binary with every
 * Kubernetes component plus etcd and CoreDNS from the Go module proxy, the workload
 * images the exercises name (built from the same Debian packages) in a registry mirror
 * inside the node, and the start-up program in `files/`.
 *
 * Every artefact is cached under the cache directory by a hash of its inputs, and the
 * image carries the hash of all of them as a label: a second setup only checks. It also
 * carries the recipe (images/node-image.ts): the hash of its sources alone, which a machine
 * that pulls the image instead of building it compares with its own kubegrade's.
 */
import { execa } from "execa";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { chmod, copyFile, cp, link, mkdir, readdir, readFile, rename, rm, stat, symlink, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { join, relative } from "node:path";
import { KIT_IMAGE, KIT_IMAGE_TITLE, KUBERNETES_VERSION, LABELS, PROJECT_ROOT } from "../config.ts";
import { nodeImageRecipe } from "../images/node-image.ts";
import { InfrastructureError } from "../errors.ts";
import type { Progress } from "../util/progress.ts";
import { waitUntil } from "../util/wait.ts";
import { BuildLog } from "./build-log.ts";
import { stageDynamicBusybox } from "./busybox.ts";
import { buildCassandraRootfs } from "./cassandra.ts";
import { ensureCommand, lddPaths } from "./host-tools.ts";
import { MIRROR_PROXY_CONF, mirrorProxyConf } from "./mirror-proxy.ts";
import { WORKLOAD_IMAGES, type WorkloadImage } from "../workload-images.ts";

const SOURCE_DIR = join(PROJECT_ROOT, "runner/node-image");
/** Bumped when the build recipe itself changes in a way the hashed files do not show. */
const RECIPE_VERSION = "3";
const DEBIAN_SUITE = "bookworm";
const DEBIAN_MIRROR = "http://deb.debian.org/debian";
const ROOTFS_PACKAGES = [
  "containerd", "runc", "containernetworking-plugins", "iptables", "iproute2", "conntrack",
  "openssl", "docker-registry", "procps", "kmod", "busybox-static", "nginx", "inotify-tools",
];
/** The components the multi-call binary answers to (symlinks in /usr/local/bin). */
const KIT_COMPONENTS = [
  "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubelet", "kube-proxy", "kubectl", "etcd", "coredns",
];
/** Registry hosts the node's containerd sends to its own mirror, never to the network. */
export const MIRRORED_REGISTRIES = [
  "docker.io", "registry.k8s.io", "k8s.gcr.io", "gcr.io", "quay.io", "ghcr.io", "mcr.microsoft.com",
  "public.ecr.aws", "registry.gitlab.com", "registry.ford.com",
];
/**
 * The Local Path Provisioner (the one k3s and kind ship), the default StorageClass of a kit
 * cluster of several nodes: it makes each claim's directory on its pod's node and pins the
 * volume there. Built from the Go module proxy like the kit binary.
 */
export const LOCAL_PATH_PROVISIONER = "github.com/rancher/local-path-provisioner@v0.0.30";
const CNI_PLUGINS_KEPT = new Set(["bridge", "host-local", "loopback", "portmap"]);
/**
 * Two constants of the kubelet that a pod's start waits on, changed in the kit's build
 * (upstream they are not configurable). Every pod took 1.0 s from creation to Ready
 * (`npm run bench:cluster`): up to 300 ms waiting for its volumes (the service account
 * token at least), then about 0.25 s in containerd, then up to 1 s until the kubelet's
 * generic PLEG relisted containers and saw them running. The kit's node has a few dozen
 * containers at most, so relisting ten times as often costs a few per cent of a core
 * (bench:cluster prints the idle node's CPU); the evented PLEG that would make the relist
 * matter less needs CRI events the node's containerd (1.6) does not send.
 */
export const KUBELET_PATCHES = [
  {
    file: "pkg/kubelet/kubelet.go",
    line: /^(\s*genericPlegRelistPeriod\s*=\s*)time\.Second \* 1[ \t]*$/m,
    value: "100 * time.Millisecond",
    what: "generic PLEG relist period 1 s → 100 ms",
  },
  {
    file: "pkg/kubelet/volumemanager/volume_manager.go",
    line: /^(\s*podAttachAndMountRetryInterval\s*=\s*)300 \* time\.Millisecond[ \t]*$/m,
    value: "50 * time.Millisecond",
    what: "volume mount check while a pod waits 300 ms → 50 ms",
  },
  {
    file: "pkg/kubelet/volumemanager/volume_manager.go",
    line: /^(\s*reconcilerLoopSleepPeriod\s*=\s*)100 \* time\.Millisecond[ \t]*$/m,
    value: "50 * time.Millisecond",
    what: "volume reconciler loop 100 ms → 50 ms",
  },
  {
    file: "pkg/kubelet/volumemanager/volume_manager.go",
    line: /^(\s*desiredStateOfWorldPopulatorLoopSleepPeriod\s*=\s*)100 \* time\.Millisecond[ \t]*$/m,
    value: "50 * time.Millisecond",
    what: "volume populator loop 100 ms → 50 ms",
  },
  // A new pod's first sync can be refused by the API server's node authorizer for a moment
  // ("no relationship found between node … and this object": its graph has not yet seen the
  // pod bound), measured here for a recreated StatefulSet pod reading its claim; the kubelet
  // then waited 10–15 s before trying again, and its pod status 10 s.
  {
    file: "pkg/kubelet/kubelet.go",
    line: /^(\s*backOffPeriod\s*=\s*)time\.Second \* 10[ \t]*$/m,
    value: "time.Second * 1",
    what: "pod worker retry after a sync error 10 s → 1 s",
  },
  {
    file: "pkg/kubelet/status/status_manager.go",
    line: /^(const syncPeriod = )10 \* time\.Second[ \t]*$/m,
    value: "1 * time.Second",
    what: "pod status retry 10 s → 1 s",
  },
] as const;

export interface BuildOptions {
  cacheDir: string;
  progress: Progress;
  /** Rebuild the image even when its inputs are unchanged. */
  force?: boolean;
  logFile: string;
}

export interface BuildResult {
  image: string;
  built: boolean;
  inputs: string;
}

async function hashTree(hash: ReturnType<typeof createHash>, dir: string, skip: (rel: string) => boolean): Promise<void> {
  const walk = async (current: string) => {
    const entries = (await readdir(current, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
    for (const entry of entries) {
      const full = join(current, entry.name);
      const rel = relative(dir, full);
      if (skip(rel)) continue;
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile()) {
        hash.update(`${rel}\0${(await stat(full)).mode & 0o111 ? "x" : "-"}\0`);
        hash.update(await readFile(full));
      }
    }
  };
  await walk(dir);
}

export async function goVersion(): Promise<string> {
  const result = await execa("go", ["version"], { reject: false });
  if (result.exitCode !== 0) {
    throw new InfrastructureError("Go is needed to build the kit node image and was not found.", {
      hint: "Install Go 1.24 or newer (the machine's Go is enough), or use --cluster k3s on a machine that can pull images.",
    });
  }
  return result.stdout.trim();
}

export async function kitHash(go: string): Promise<string> {
  const hash = createHash("sha256").update(
    `kit\0${go}\0${KUBERNETES_VERSION}\0${RECIPE_VERSION}\0${JSON.stringify(KUBELET_PATCHES.map((p) => [p.file, p.line.source, p.value]))}\0`,
  );
  await hashTree(hash, join(SOURCE_DIR, "kit"), () => false);
  return hash.digest("hex").slice(0, 16);
}

function rootfsHash(): string {
  return createHash("sha256")
    .update(`rootfs\0${DEBIAN_SUITE}\0${ROOTFS_PACKAGES.join(",")}\0${RECIPE_VERSION}`)
    .digest("hex")
    .slice(0, 16);
}

/**
 * The registry's content depends only on the workload definitions (the table's JSON: it lives
 * outside this folder, in runner/workload-images.ts) and the rootfs they come from.
 */
async function registryHash(rootfs: string): Promise<string> {
  const hash = createHash("sha256").update(`registry\0${rootfs}\0${RECIPE_VERSION}\0${JSON.stringify(WORKLOAD_IMAGES)}\0`);
  await hashTree(hash, join(SOURCE_DIR, "workloads"), () => false);
  await hashTree(hash, join(SOURCE_DIR, "pause"), () => false);
  hash.update(await readFile(join(SOURCE_DIR, "cassandra.ts")));
  hash.update(await readFile(join(SOURCE_DIR, "busybox.ts")));
  return hash.digest("hex").slice(0, 16);
}

async function imageHash(kit: string, rootfs: string): Promise<string> {
  const hash = createHash("sha256").update(`image\0${kit}\0${rootfs}\0${RECIPE_VERSION}\0`);
  hash.update(JSON.stringify(WORKLOAD_IMAGES));
  hash.update(MIRRORED_REGISTRIES.join(","));
  hash.update(mirrorProxyConf());
  hash.update(LOCAL_PATH_PROVISIONER);
  await hashTree(hash, SOURCE_DIR, (rel) => rel.startsWith("kit") || rel.startsWith("runc-wrapper"));
  return hash.digest("hex").slice(0, 16);
}

export async function imageInputs(image: string): Promise<string | undefined> {
  const result = await execa("docker", ["image", "inspect", "--format", `{{index .Config.Labels "${LABELS.inputs}"}}`, image], {
    reject: false,
  });
  return result.exitCode === 0 ? result.stdout.trim() : undefined;
}

async function imageRecipe(image: string): Promise<string | undefined> {
  const result = await execa("docker", ["image", "inspect", "--format", `{{index .Config.Labels "${LABELS.recipe}"}}`, image], { reject: false });
  return result.exitCode === 0 ? result.stdout.trim() : undefined;
}

export async function buildNodeImage(options: BuildOptions): Promise<BuildResult> {
  const { cacheDir, progress } = options;
  const go = await goVersion();
  const kit = await kitHash(go);
  const rootfs = rootfsHash();
  const inputs = await imageHash(kit, rootfs);
  const present = await imageInputs(KIT_IMAGE);
  const recipe = await nodeImageRecipe();
  if (present === inputs && (await imageRecipe(KIT_IMAGE)) === recipe && !options.force) {
    progress.info(`✓ node image ${KIT_IMAGE} is up to date (inputs ${inputs})`);
    return { image: KIT_IMAGE, built: false, inputs };
  }
  await mkdir(join(cacheDir, "logs"), { recursive: true });
  const log = new BuildLog(options.logFile);
  progress.info(`Building ${KIT_IMAGE} (inputs ${inputs}${present ? `, replacing ${present}` : ""}); log: ${log.path}`);
  try {
    // The Go build is CPU-bound and debootstrap mostly waits on downloads: run them together.
    const [[kitBinary, localPathBinary], rootfsDir] = await Promise.all([
      progress
        .step("Kubernetes, etcd and CoreDNS: one multi-call binary (Go)", (update) => buildKit(cacheDir, kit, log, update))
        .then(async (kitBinary) => [
          kitBinary,
          await progress.step("Local Path Provisioner (Go)", () => buildLocalPath(cacheDir, go, log)),
        ]),
      progress.step("Debian root filesystem (debootstrap)", (update) => buildRootfs(cacheDir, rootfs, log, update)),
    ]);
    const registryKey = await registryHash(rootfs);
    const registryDir = await progress.step("Workload images and the node's registry mirror", (update) =>
      buildRegistry(cacheDir, rootfsDir, registryKey, log, update),
    );
    await progress.step(`Node image ${KIT_IMAGE}`, () =>
      assembleImage(cacheDir, { kitBinary, localPathBinary, rootfsDir, rootfsKey: rootfs, registryDir, inputs, recipe }, log),
    );
    return { image: KIT_IMAGE, built: true, inputs };
  } finally {
    await log.close();
  }
}

async function buildLocalPath(cacheDir: string, go: string, log: BuildLog): Promise<string> {
  const key = createHash("sha256").update(`local-path\0${go}\0${LOCAL_PATH_PROVISIONER}`).digest("hex").slice(0, 16);
  const dir = join(cacheDir, "local-path", key);
  const out = join(dir, "local-path-provisioner");
  if (existsSync(out)) return out;
  await rm(`${dir}.partial`, { recursive: true, force: true });
  await mkdir(`${dir}.partial`, { recursive: true });
  await log.run("go", ["install", "-trimpath", "-ldflags", "-s -w", LOCAL_PATH_PROVISIONER], {
    env: { CGO_ENABLED: "0", GOBIN: `${dir}.partial`, GOFLAGS: "-buildvcs=false" },
  });
  await rm(dir, { recursive: true, force: true });
  await rename(`${dir}.partial`, dir);
  return out;
}

async function buildKit(cacheDir: string, key: string, log: BuildLog, update: (d: string) => void): Promise<string> {
  const out = join(cacheDir, "kit", key, "kit");
  if (existsSync(out)) return out;
  await mkdir(join(cacheDir, "kit", key), { recursive: true });
  update("compiling (about 8 minutes from empty Go caches, less when they are warm)");
  const ldflags = [
    "-s", "-w",
    `-X k8s.io/component-base/version.gitVersion=${KUBERNETES_VERSION}`,
    `-X k8s.io/component-base/version.gitMajor=1`,
    `-X k8s.io/component-base/version.gitMinor=${KUBERNETES_VERSION.split(".")[1]}`,
    `-X k8s.io/component-base/version.gitTreeState=clean`,
    `-X k8s.io/client-go/pkg/version.gitVersion=${KUBERNETES_VERSION}`,
  ].join(" ");
  const modfile = await patchedKubernetes(join(cacheDir, "kit", key), log);
  await log.run("go", ["build", "-mod=readonly", `-modfile=${modfile}`, "-trimpath", "-ldflags", ldflags, "-o", `${out}.partial`, "."], {
    cwd: join(SOURCE_DIR, "kit"),
    env: { CGO_ENABLED: "0", GOFLAGS: "-buildvcs=false" },
  });
  await rm(join(cacheDir, "kit", key, "kubernetes"), { recursive: true, force: true });
  await rename(`${out}.partial`, out);
  return out;
}

/**
 * KUBELET_PATCHES are constants, so the build compiles a copy of the k8s.io/kubernetes
 * module with those lines changed: the module is copied out of the module cache as hard
 * links (the cache itself stays untouched; Go refuses overlays beneath it), each patched
 * file is rewritten in the copy, and a go.mod beside it (passed with -modfile, the kit's
 * own go.mod unchanged) replaces the module with the copy. A Kubernetes version whose
 * file no longer has the line stops the build, naming it, rather than silently building
 * without the change. Returns the -modfile to build with.
 */
async function patchedKubernetes(dir: string, log: BuildLog): Promise<string> {
  const kitDir = join(SOURCE_DIR, "kit");
  const module = JSON.parse(
    await log.run("go", ["mod", "download", "-json", `k8s.io/kubernetes@${KUBERNETES_VERSION}`], { cwd: kitDir }),
  ) as { Dir?: string };
  if (!module.Dir) throw new InfrastructureError(`go mod download gave no directory for k8s.io/kubernetes@${KUBERNETES_VERSION}`);
  const sources = new Map<string, string>();
  for (const patch of KUBELET_PATCHES) {
    const original = join(module.Dir, patch.file);
    const source = sources.get(patch.file) ?? (await readFile(original, "utf8"));
    if (!patch.line.test(source)) {
      throw new InfrastructureError(
        `${original} has no line matching ${patch.line.source} (${patch.what}): it moved in Kubernetes ${KUBERNETES_VERSION}.`,
        { hint: "Update KUBELET_PATCHES in runner/node-image/build.ts for this Kubernetes version." },
      );
    }
    sources.set(patch.file, source.replace(patch.line, `$1${patch.value}`));
  }
  const copy = join(dir, "kubernetes");
  await rm(copy, { recursive: true, force: true });
  // Hard links where the cache and the copy share a filesystem; plain copies where not.
  const linked = await execa("cp", ["-rl", module.Dir, copy], { reject: false });
  if (linked.exitCode !== 0) {
    await rm(copy, { recursive: true, force: true });
    await log.run("cp", ["-r", module.Dir, copy]);
  }
  for (const [file, source] of sources) {
    await rm(join(copy, file)); // a hard link into the module cache: replaced, never written through
    await writeFile(join(copy, file), source);
  }
  const modfile = join(dir, "kit.mod");
  await writeFile(modfile, `${await readFile(join(kitDir, "go.mod"), "utf8")}\nreplace k8s.io/kubernetes => ${copy}\n`);
  await copyFile(join(kitDir, "go.sum"), join(dir, "kit.sum"));
  log.line(`kubelet: ${KUBELET_PATCHES.map((p) => p.what).join("; ")} (k8s.io/kubernetes copied to ${copy})`);
  return modfile;
}

async function buildRootfs(cacheDir: string, key: string, log: BuildLog, update: (d: string) => void): Promise<string> {
  const dir = join(cacheDir, "rootfs", key);
  if (existsSync(join(dir, ".complete"))) return dir;
  await ensureCommand(log, "debootstrap", ["debootstrap"], "build the node image's root filesystem");
  const partial = `${dir}.partial`;
  await rm(partial, { recursive: true, force: true });
  await mkdir(join(cacheDir, "rootfs"), { recursive: true });
  update(`debootstrap ${DEBIAN_SUITE} with ${ROOTFS_PACKAGES.length} packages`);
  await log.run("debootstrap", [
    "--variant=minbase", `--include=${ROOTFS_PACKAGES.join(",")}`, DEBIAN_SUITE, partial, DEBIAN_MIRROR,
  ]);
  // What a node never uses: documentation, apt's caches, containerd's v1 shims and ctr,
  // and the CNI plugins other than the four the node's network configuration names.
  for (const path of [
    "usr/share/doc", "usr/share/man", "usr/share/info", "usr/share/locale", "var/cache/apt", "var/lib/apt/lists",
    "usr/bin/containerd-shim", "usr/bin/containerd-shim-runc-v1", "usr/bin/ctr", "var/log",
    "etc/hostname", "etc/resolv.conf",
  ]) {
    await rm(join(partial, path), { recursive: true, force: true });
  }
  await mkdir(join(partial, "var/log"), { recursive: true });
  for (const plugin of await readdir(join(partial, "usr/lib/cni"))) {
    if (!CNI_PLUGINS_KEPT.has(plugin)) await rm(join(partial, "usr/lib/cni", plugin), { force: true });
  }
  await writeFile(join(partial, ".complete"), `${new Date().toISOString()}\n`);
  await rm(dir, { recursive: true, force: true });
  await rename(partial, dir);
  return dir;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

/** Copies `paths` (absolute inside rootfs, symlinks resolved) into dest at the same place. */
async function copyFromRootfs(rootfs: string, dest: string, paths: string[]): Promise<void> {
  for (const path of paths) {
    const target = join(dest, path);
    await mkdir(join(target, ".."), { recursive: true });
    await cp(join(rootfs, path), target, { dereference: true, recursive: true });
  }
}

/** The shared libraries a binary in the rootfs needs, found by the rootfs's own ldd. */
async function libraries(rootfs: string, binary: string, log: BuildLog): Promise<string[]> {
  return lddPaths(await log.run("chroot", [rootfs, "/usr/bin/ldd", binary]));
}

async function buildWorkloadRootfs(
  cacheDir: string,
  rootfs: string,
  image: WorkloadImage,
  dir: string,
  log: BuildLog,
): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  if (image.kind === "pause") {
    await mkdir(dir, { recursive: true });
    await log.run("gcc", ["-Os", "-static", "-o", join(dir, "pause"), join(SOURCE_DIR, "pause/pause.c")]);
    return;
  }
  for (const d of ["bin", "etc", "tmp", "root", "var", "run", "usr/sbin", "usr/bin"]) await mkdir(join(dir, d), { recursive: true });
  await chmod(join(dir, "tmp"), 0o1777);
  // busybox gives every image sh, wget, hostname, nslookup and the usual tools: the node's
  // static one, or Debian's dynamic one where the shell must run what PATH finds (busybox.ts).
  const busybox = image.nslookup ? await stageDynamicBusybox(cacheDir, rootfs, log) : "/bin/busybox";
  await copyFile(join(rootfs, busybox), join(dir, "bin/busybox"));
  await chmod(join(dir, "bin/busybox"), 0o755);
  if (busybox !== "/bin/busybox") await copyFromRootfs(rootfs, dir, await libraries(rootfs, busybox, log));
  const applets = (await log.run("chroot", [rootfs, busybox, "--list-full"])).split("\n").filter(Boolean);
  for (const applet of applets) {
    if (applet === "bin/busybox") continue;
    const linkPath = join(dir, applet);
    if (existsSync(linkPath)) continue;
    await mkdir(join(linkPath, ".."), { recursive: true });
    await symlink("/bin/busybox", linkPath);
  }
  if (image.nslookup) await installNslookup(dir, applets, image.nslookup);
  await writeFile(join(dir, "etc/passwd"), "root:x:0:0:root:/root:/bin/sh\nnginx:x:101:101:nginx:/nonexistent:/bin/false\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n");
  await writeFile(join(dir, "etc/group"), "root:x:0:\nnginx:x:101:\nnogroup:x:65534:\n");
  await writeFile(join(dir, "etc/kubegrade-image"), `${image.names.join("\n")}\n`);
  if (image.kind === "hello-api") {
    await mkdir(join(dir, "usr/local/bin"), { recursive: true });
    await log.run("go", ["build", "-trimpath", "-ldflags", "-s -w", "-o", join(dir, "usr/local/bin/hello-api"), "."], {
      cwd: join(SOURCE_DIR, "workloads/hello-api"),
      env: { CGO_ENABLED: "0", GOFLAGS: "-buildvcs=false" },
    });
  }
  if (image.kind === "cassandra") {
    await buildCassandraRootfs({ cacheDir, nodeRootfs: rootfs, dir, sourceDir: SOURCE_DIR, log });
  }
  if (image.kind === "nginx") {
    const libs = await libraries(rootfs, "/usr/sbin/nginx", log);
    await copyFromRootfs(rootfs, dir, ["/usr/sbin/nginx", "/etc/nginx/mime.types", ...libs]);
    for (const d of ["var/lib/nginx/body", "var/lib/nginx/proxy", "var/lib/nginx/fastcgi", "var/lib/nginx/uwsgi", "var/lib/nginx/scgi", "var/log/nginx", "usr/share/nginx/html"]) {
      await mkdir(join(dir, d), { recursive: true });
    }
    await copyFile(join(SOURCE_DIR, "workloads/nginx.conf"), join(dir, "etc/nginx/nginx.conf"));
    await copyFile(join(SOURCE_DIR, "workloads/index.html"), join(dir, "usr/share/nginx/html/index.html"));
  }
}

/** busybox 1.28's nslookup in place of the busybox's own applet link (workload-images.ts `nslookup`). */
async function installNslookup(dir: string, applets: string[], flavour: NonNullable<WorkloadImage["nslookup"]>): Promise<void> {
  const path = join(dir, applets.find((a) => a.endsWith("/nslookup")) ?? "usr/bin/nslookup");
  const script = (await readFile(join(SOURCE_DIR, "workloads/nslookup-1.28"), "utf8")).replace(/^flavour=\S+/m, `flavour=${flavour}`);
  await rm(path, { force: true });
  await writeFile(path, script, { mode: 0o755 });
  await chmod(path, 0o755);
}

/** Builds one workload image as `kubegrade/workload-<id>:build` from the node's rootfs. */
export async function buildWorkloadImage(cacheDir: string, rootfs: string, image: WorkloadImage, log: BuildLog): Promise<string> {
  const dir = join(cacheDir, "workloads", image.id);
  await buildWorkloadRootfs(cacheDir, rootfs, image, join(dir, "rootfs"), log);
  await writeFile(
    join(dir, "Dockerfile"),
    [
      "FROM scratch",
      "COPY rootfs/ /",
      "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
      ...(image.run ?? []).map((command) => `RUN ${command}`),
      `CMD ${JSON.stringify(image.cmd)}`,
      "",
    ].join("\n"),
  );
  const tag = `kubegrade/workload-${image.id}:build`;
  await log.run("docker", ["build", "-q", "-t", tag, dir], { env: { DOCKER_BUILDKIT: "0" } });
  return tag;
}

async function buildRegistry(
  cacheDir: string,
  rootfs: string,
  key: string,
  log: BuildLog,
  update: (d: string) => void,
): Promise<string> {
  const dest = join(cacheDir, "registry", key);
  if (existsSync(join(dest, ".complete"))) return dest;

  // 1. Each workload image from the rootfs's own Debian packages, built FROM scratch.
  for (const image of WORKLOAD_IMAGES) {
    update(`building ${image.names[0]}`);
    await buildWorkloadImage(cacheDir, rootfs, image, log);
  }

  // 2. A registry in write mode, run from the rootfs, filled by docker push.
  const storage = join(rootfs, "tmp/kubegrade-registry-build");
  await rm(storage, { recursive: true, force: true });
  await mkdir(storage, { recursive: true });
  const port = await freePort();
  await writeFile(
    join(rootfs, "tmp/kubegrade-registry-build.yml"),
    `version: 0.1\nlog: {level: warn}\nstorage: {filesystem: {rootdirectory: /tmp/kubegrade-registry-build}}\nhttp: {addr: 127.0.0.1:${port}}\n`,
  );
  const registry = execa("chroot", [rootfs, "/usr/bin/docker-registry", "serve", "/tmp/kubegrade-registry-build.yml"], {
    reject: false,
    all: true,
  });
  let registryExited = false;
  void registry.finally(() => {
    registryExited = true;
  });
  try {
    await waitUntil("build registry answering", 30_000, async () => {
      if (registryExited) {
        throw new InfrastructureError(`The build registry exited: ${String((await registry).all)}`);
      }
      const r = await fetch(`http://127.0.0.1:${port}/v2/`).catch(() => undefined);
      return r?.ok ? true : { pending: r ? `HTTP ${r.status}` : "no answer" };
    });
    for (const image of WORKLOAD_IMAGES) {
      for (const name of image.names) {
        const ref = `127.0.0.1:${port}/${qualified(name)}`;
        update(`pushing ${name}`);
        await log.run("docker", ["tag", `kubegrade/workload-${image.id}:build`, ref]);
        await log.run("docker", ["push", "-q", ref]);
        await log.run("docker", ["rmi", ref]);
      }
    }
  } finally {
    registry.kill("SIGTERM");
    await registry;
  }
  await rm(dest, { recursive: true, force: true });
  await mkdir(join(dest, ".."), { recursive: true });
  await rename(storage, dest);
  await rm(join(rootfs, "tmp/kubegrade-registry-build.yml"), { force: true });
  await writeFile(join(dest, ".complete"), `${new Date().toISOString()}\n`);
  return dest;
}

/** docker.io/library/nginx:mainline for nginx:mainline: the path the mirror stores it under. */
export function qualified(name: string): string {
  const slash = name.indexOf("/");
  const first = slash === -1 ? "" : name.slice(0, slash);
  const hasRegistry = first.includes(".") || first.includes(":") || first === "localhost";
  if (hasRegistry) return name;
  return slash === -1 ? `docker.io/library/${name}` : `docker.io/${name}`;
}

function hostsToml(host: string): string {
  return [
    `# ${host} is served by the registry inside the node, and only by it.`,
    `server = "http://127.0.0.1:5000"`,
    "",
    `[host."http://127.0.0.1:5000/v2/${host}"]`,
    `  capabilities = ["pull", "resolve"]`,
    `  override_path = true`,
    "",
  ].join("\n");
}

async function assembleImage(
  cacheDir: string,
  parts: { kitBinary: string; localPathBinary: string; rootfsDir: string; rootfsKey: string; registryDir: string; inputs: string; recipe: string },
  log: BuildLog,
): Promise<void> {
  const context = join(cacheDir, "context");
  await rm(context, { recursive: true, force: true });
  await mkdir(context, { recursive: true });

  const rootfsTar = join(cacheDir, "rootfs", `${parts.rootfsKey}.tar`);
  if (!existsSync(rootfsTar)) {
    await log.run("tar", ["-C", parts.rootfsDir, "--exclude=./.complete", "--exclude=./dev/*", "--exclude=./proc/*",
      "--exclude=./sys/*", "--exclude=./tmp/*", "-cf", `${rootfsTar}.partial`, "."]);
    await rename(`${rootfsTar}.partial`, rootfsTar);
  }
  await link(rootfsTar, join(context, "rootfs.tar"));

  await mkdir(join(context, "bin"));
  await link(parts.kitBinary, join(context, "bin/kit"));
  for (const component of KIT_COMPONENTS) await symlink("kit", join(context, "bin", component));
  await link(parts.localPathBinary, join(context, "bin/local-path-provisioner"));

  await cp(parts.registryDir, join(context, "registry"), { recursive: true });
  await rm(join(context, "registry/.complete"), { force: true });

  await cp(join(SOURCE_DIR, "files"), join(context, "files"), { recursive: true });
  for (const host of MIRRORED_REGISTRIES) {
    await mkdir(join(context, "files/etc/containerd/certs.d", host), { recursive: true });
    await writeFile(join(context, "files/etc/containerd/certs.d", host, "hosts.toml"), hostsToml(host));
  }
  await writeFile(join(context, "files", MIRROR_PROXY_CONF), mirrorProxyConf());
  await chmod(join(context, "files/usr/local/bin/kubegrade-node"), 0o755);

  await writeFile(
    join(context, "Dockerfile"),
    [
      "FROM scratch",
      "ADD rootfs.tar /",
      "COPY bin/ /usr/local/bin/",
      "COPY registry/ /var/lib/kubegrade/registry/",
      "COPY files/ /",
      `ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin KUBEGRADE_IMAGE=${KIT_IMAGE} KUBEGRADE_KUBERNETES_VERSION=${KUBERNETES_VERSION}`,
      `LABEL ${LABELS.inputs}=${parts.inputs} ${LABELS.recipe}=${parts.recipe} org.opencontainers.image.title="${KIT_IMAGE_TITLE}" org.opencontainers.image.version=${KUBERNETES_VERSION}`,
      "STOPSIGNAL SIGTERM",
      'ENTRYPOINT ["/usr/local/bin/kubegrade-node"]',
      "",
    ].join("\n"),
  );
  await log.run("docker", ["build", "-t", KIT_IMAGE, context], { env: { DOCKER_BUILDKIT: "0" } });
  await rm(context, { recursive: true, force: true });
  // Intermediate workload images are in the registry now; dangling layers of an older node image go too.
  await log.run("docker", ["image", "prune", "-f", "--filter", "label=org.opencontainers.image.title=kubegrade node"]);
}
