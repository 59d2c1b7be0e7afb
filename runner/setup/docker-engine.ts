import { execa } from "execa";
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile, copyFile, chmod, rm, mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { InfrastructureError } from "../errors.ts";
import { PROJECT_ROOT, TIMEOUTS } from "../config.ts";
import type { Progress } from "../util/progress.ts";
import { waitUntil } from "../util/wait.ts";

const WRAPPER_PATH = "/usr/local/bin/kubegrade-runc";
const WRAPPER_RUNTIME = "kubegrade-runc";
const DAEMON_JSON = "/etc/docker/daemon.json";
const DOCKERD_LOG = "/var/log/kubegrade-dockerd.log";

export async function dockerAnswers(): Promise<boolean> {
  const result = await execa("docker", ["info", "--format", "{{.ServerVersion}}"], { reject: false, timeout: 15_000 });
  return result.exitCode === 0 && result.stdout.trim() !== "";
}

function isRoot(): boolean {
  return typeof process.getuid === "function" && process.getuid() === 0;
}

/**
 * Makes sure a Docker engine runs and can start privileged containers:
 * installs Debian's docker.io when no engine answers (root on Debian only), starts it
 * (systemd when there is one, dockerd in the background otherwise), and registers the
 * runc wrapper as the default runtime where privileged containers fail because the
 * host's capability bounding set is short.
 */
export async function ensureDockerEngine(progress: Progress, buildDir: string): Promise<void> {
  if (!(await dockerAnswers())) {
    await progress.step("Docker engine: install and start", async (update) => {
      if (!isRoot()) {
        throw new InfrastructureError("No Docker engine answers and kubegrade is not running as root.", {
          hint: "Start Docker (Docker Desktop, or `sudo systemctl start docker`) and run `npm run setup` again.",
        });
      }
      const hasDockerd = (await execa("sh", ["-c", "command -v dockerd"], { reject: false })).exitCode === 0;
      if (!hasDockerd) {
        if (!existsSync("/usr/bin/apt-get")) {
          throw new InfrastructureError("No Docker engine is installed and this is not a Debian-like system.", {
            hint: "Install Docker Engine for your system, start it, and run `npm run setup` again.",
          });
        }
        update("installing docker.io from Debian's packages");
        await execa("apt-get", ["update", "-qq"], { env: { DEBIAN_FRONTEND: "noninteractive" } });
        await execa("apt-get", ["install", "-y", "-qq", "--no-install-recommends", "docker.io"], {
          env: { DEBIAN_FRONTEND: "noninteractive" },
        });
      }
      await startDockerd(update);
    });
  }
  await ensurePrivilegedContainers(progress, buildDir);
}

async function startDockerd(update: (detail: string) => void): Promise<void> {
  const systemd = existsSync("/run/systemd/system");
  if (systemd) {
    await execa("systemctl", ["start", "docker"]);
  } else {
    update(`starting dockerd in the background (log: ${DOCKERD_LOG})`);
    // Detached: the engine must outlive setup, as a service would.
    const child = (await import("node:child_process")).spawn(
      "sh",
      ["-c", `exec dockerd >>${DOCKERD_LOG} 2>&1`],
      { detached: true, stdio: "ignore" },
    );
    child.unref();
  }
  await waitUntil("Docker engine answering", TIMEOUTS.dockerEngineMs, async () =>
    (await dockerAnswers()) ? true : { pending: "docker info does not answer yet" },
  );
}

/** A probe image made of one static binary we build ourselves (nothing can be pulled). */
async function probeImage(buildDir: string): Promise<string> {
  const image = "kubegrade/probe:1";
  const inspect = await execa("docker", ["image", "inspect", image], { reject: false });
  if (inspect.exitCode === 0) return image;
  const dir = await mkdtemp(join(tmpdir(), "kubegrade-probe-"));
  try {
    await execa("gcc", ["-Os", "-static", "-o", join(dir, "pause"), join(PROJECT_ROOT, "runner/node-image/pause/pause.c")]);
    await execa("tar", ["-C", dir, "-cf", join(dir, "probe.tar"), "pause"]);
    await execa("docker", ["import", "--change", 'ENTRYPOINT ["/pause"]', join(dir, "probe.tar"), image]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  await mkdir(buildDir, { recursive: true });
  return image;
}

async function privilegedWorks(image: string): Promise<{ ok: boolean; error: string }> {
  const result = await execa("docker", ["run", "--rm", "--privileged", "--label", "kubegrade.dev/managed=true", image, "-v"], {
    reject: false,
    timeout: 60_000,
  });
  return { ok: result.exitCode === 0, error: result.stderr.trim() };
}

async function ensurePrivilegedContainers(progress: Progress, buildDir: string): Promise<void> {
  const image = await probeImage(buildDir);
  const first = await privilegedWorks(image);
  if (first.ok) return;
  if (!/unable to apply caps|operation not permitted/i.test(first.error)) {
    throw new InfrastructureError(`Docker cannot start privileged containers: ${first.error}`);
  }
  await progress.step("Docker engine: runtime wrapper for privileged containers", async (update) => {
    if (!isRoot()) {
      throw new InfrastructureError(
        "Docker cannot start privileged containers here (the host lacks a capability Docker grants them), " +
          "and installing kubegrade's runtime wrapper needs root.",
        { hint: "Run `sudo npm run setup` once." },
      );
    }
    update("building the wrapper");
    const out = join(buildDir, "kubegrade-runc");
    await execa("go", ["build", "-trimpath", "-o", out, "."], {
      cwd: join(PROJECT_ROOT, "runner/node-image/runc-wrapper"),
      env: { CGO_ENABLED: "0" },
    });
    await copyFile(out, WRAPPER_PATH);
    await chmod(WRAPPER_PATH, 0o755);
    let config: Record<string, unknown> = {};
    if (existsSync(DAEMON_JSON)) config = JSON.parse(await readFile(DAEMON_JSON, "utf8")) as Record<string, unknown>;
    const runtimes = (config.runtimes ?? {}) as Record<string, unknown>;
    runtimes[WRAPPER_RUNTIME] = { path: WRAPPER_PATH };
    config.runtimes = runtimes;
    config["default-runtime"] = WRAPPER_RUNTIME;
    await mkdir("/etc/docker", { recursive: true });
    await writeFile(DAEMON_JSON, `${JSON.stringify(config, null, 2)}\n`);
    update("reloading the Docker engine");
    // runtimes and default-runtime are reloaded on SIGHUP: no restart, running containers stay.
    await execa("sh", ["-c", "kill -HUP $(pidof dockerd)"]);
    await waitUntil("Docker engine using the runtime wrapper", TIMEOUTS.dockerEngineMs, async () => {
      const info = await execa("docker", ["info", "--format", "{{.DefaultRuntime}}"], { reject: false });
      return info.stdout.trim() === WRAPPER_RUNTIME ? true : { pending: `default runtime is ${info.stdout.trim()}` };
    });
  });
  const second = await privilegedWorks(image);
  if (!second.ok) {
    throw new InfrastructureError(`Docker still cannot start privileged containers: ${second.error}`);
  }
}
