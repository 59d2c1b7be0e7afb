/**
 * Debian's dynamically linked busybox (the `busybox` package; the node's root filesystem holds
 * `busybox-static`), for the images that stand in for busybox 1.28 and alpine 3.8. Its shell
 * runs what PATH finds, as busybox's default build and both originals do; the static one is
 * built as a rescue shell that runs its own applet before looking at PATH, so `sh -c 'nslookup
 * …'` would pass by those images' nslookup (workloads/nslookup-1.28). Unpacked from its package
 * with this machine's apt-get, as the Java runtime is (cassandra.ts); cached.
 */
import { existsSync } from "node:fs";
import { chmod, copyFile, mkdir, readdir, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { InfrastructureError } from "../errors.ts";
import type { BuildLog } from "./build-log.ts";

const PACKAGE = "busybox";

/** The unpacked package's busybox binary, downloaded once. */
async function dynamicBusybox(cacheDir: string, log: BuildLog): Promise<string> {
  const dir = join(cacheDir, "busybox-dynamic");
  const binary = join(dir, "root/bin/busybox");
  if (existsSync(join(dir, ".complete"))) return binary;
  const work = `${dir}.partial`;
  await rm(work, { recursive: true, force: true });
  await mkdir(work, { recursive: true });
  const download = async () => log.run("apt-get", ["download", "-q", PACKAGE], { cwd: work });
  try {
    await download();
  } catch {
    await log.run("apt-get", ["update", "-qq"], { env: { DEBIAN_FRONTEND: "noninteractive" } });
    await download();
  }
  const deb = (await readdir(work)).find((f) => f.endsWith(".deb"));
  if (!deb) throw new InfrastructureError(`apt-get download ${PACKAGE} left no package in ${work}`);
  await log.run("dpkg-deb", ["-x", join(work, deb), join(work, "root")]);
  await rm(join(work, deb));
  await writeFile(join(work, ".complete"), `${deb}\n`);
  await rm(dir, { recursive: true, force: true });
  await rename(work, dir);
  return binary;
}

/**
 * The dynamic busybox placed in the node's root filesystem (its /tmp), where the build runs it
 * and its ldd finds the libraries it needs; returns its path inside that filesystem.
 */
export async function stageDynamicBusybox(cacheDir: string, rootfs: string, log: BuildLog): Promise<string> {
  // Named busybox: it tells its applets by the name it is run as.
  const inside = "/tmp/kubegrade-busybox-dynamic/busybox";
  await rm(join(rootfs, "tmp/kubegrade-busybox-dynamic"), { recursive: true, force: true });
  await mkdir(join(rootfs, "tmp/kubegrade-busybox-dynamic"), { recursive: true });
  await copyFile(await dynamicBusybox(cacheDir, log), join(rootfs, inside));
  await chmod(join(rootfs, inside), 0o755);
  return inside;
}
