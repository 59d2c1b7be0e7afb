/**
 * The parts of the Cassandra workload image that do not come from the node's root
 * filesystem: Apache Cassandra's jars and their runtime dependencies from Maven Central
 * (the binary tarball is not published there, so start script and configuration are
 * ours, in workloads/cassandra/), Debian's Java 17 runtime, and kubegrade-cql, a small
 * CQL client compiled against the DataStax driver Cassandra already depends on.
 */
import { execa } from "execa";
import { existsSync } from "node:fs";
import { chmod, copyFile, cp, mkdir, readdir, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { InfrastructureError } from "../errors.ts";
import type { BuildLog } from "./build-log.ts";
import { ensureCommand, lddPaths } from "./host-tools.ts";

export const CASSANDRA_VERSION = "5.0.6";
const JRE_PACKAGE = "openjdk-17-jre-headless";
const JAVA_HOME = "usr/lib/jvm/java-17-openjdk-amd64";
/** Native jars for other platforms: never loaded on linux-x86_64. */
const FOREIGN_JAR = /-(osx|windows)-|linux-(aarch_64|riscv64)\.jar$|boringssl-static-[\d.]+Final\.jar$/;
/** JRE parts a headless server never loads (desktop, sound, debugging, compile-time data). */
const JRE_TRIM = [
  "lib/ct.sym", "lib/libawt.so", "lib/libawt_headless.so", "lib/libfontmanager.so", "lib/libjavajpeg.so",
  "lib/liblcms.so", "lib/libmlib_image.so", "lib/libjsound.so", "lib/libsaproc.so", "lib/libj2pcsc.so",
  "lib/libjdwp.so", "lib/libdt_socket.so", "lib/libsctp.so", "legal", "man", "docs",
];

function pom(): string {
  return `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>dev.kubegrade</groupId>
  <artifactId>cassandra-image</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.cassandra</groupId>
      <artifactId>cassandra-all</artifactId>
      <version>${CASSANDRA_VERSION}</version>
    </dependency>
  </dependencies>
</project>
`;
}

/** Cassandra's jars (this platform's only), resolved by Maven from Maven Central; cached. */
export async function cassandraJars(cacheDir: string, log: BuildLog): Promise<string> {
  const dir = join(cacheDir, "cassandra", `jars-${CASSANDRA_VERSION}`);
  if (existsSync(join(dir, ".complete"))) return dir;
  await ensureCommand(log, "mvn", ["maven"], "fetch Cassandra from Maven Central");
  const work = `${dir}.partial`;
  await rm(work, { recursive: true, force: true });
  await mkdir(join(work, "lib"), { recursive: true });
  await writeFile(join(work, "pom.xml"), pom());
  await log.run("mvn", [
    "-B", "-q", "-f", join(work, "pom.xml"), `-Dmaven.repo.local=${join(cacheDir, "m2")}`,
    "dependency:copy-dependencies", "-DincludeScope=runtime", `-DoutputDirectory=${join(work, "lib")}`,
  ]);
  for (const jar of await readdir(join(work, "lib"))) {
    if (FOREIGN_JAR.test(jar)) await rm(join(work, "lib", jar));
  }
  await writeFile(join(work, ".complete"), `${new Date().toISOString()}\n`);
  await rm(dir, { recursive: true, force: true });
  await rename(work, dir);
  return dir;
}

/** Debian's Java 17 runtime, unpacked from its package (not installed on this machine); cached. */
export async function javaRuntime(cacheDir: string, log: BuildLog): Promise<string> {
  const dir = join(cacheDir, "cassandra", "jre");
  if (existsSync(join(dir, ".complete"))) return dir;
  const work = `${dir}.partial`;
  await rm(work, { recursive: true, force: true });
  await mkdir(work, { recursive: true });
  const download = async () => log.run("apt-get", ["download", "-q", JRE_PACKAGE], { cwd: work });
  try {
    await download();
  } catch {
    await log.run("apt-get", ["update", "-qq"], { env: { DEBIAN_FRONTEND: "noninteractive" } });
    await download();
  }
  const deb = (await readdir(work)).find((f) => f.endsWith(".deb"));
  if (!deb) throw new InfrastructureError(`apt-get download ${JRE_PACKAGE} left no package in ${work}`);
  await log.run("dpkg-deb", ["-x", join(work, deb), join(work, "root")]);
  await rm(join(work, deb));
  for (const path of JRE_TRIM) await rm(join(work, "root", JAVA_HOME, path), { recursive: true, force: true });
  await writeFile(join(work, ".complete"), `${deb}\n`);
  await rm(dir, { recursive: true, force: true });
  await rename(work, dir);
  return dir;
}

/** The ELF files' shared libraries as this (Debian) machine's ldd resolves them. */
async function sharedLibraries(files: string[], log: BuildLog): Promise<string[]> {
  const libs = new Set<string>();
  for (const file of files) {
    const out = String((await execa("ldd", [file], { reject: false })).stdout);
    for (const lib of lddPaths(out)) libs.add(lib);
    for (const line of out.split("\n")) {
      if (line.includes("not found") && !line.includes("libjvm.so")) log.line(`ldd ${file}: ${line.trim()}`);
    }
  }
  return [...libs];
}

async function elfFiles(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const full = join(entry.parentPath, entry.name);
    if (entry.name.endsWith(".so") || entry.parentPath.endsWith("/bin") || entry.name === "jspawnhelper") found.push(full);
  }
  return found;
}

/**
 * Fills `dir` (a workload image's root, already holding busybox) with Java, Cassandra,
 * bash and the scripts. `nodeRootfs` provides bash and the C libraries.
 */
export async function buildCassandraRootfs(opts: {
  cacheDir: string;
  nodeRootfs: string;
  dir: string;
  sourceDir: string;
  log: BuildLog;
}): Promise<void> {
  const { cacheDir, nodeRootfs, dir, sourceDir, log } = opts;
  const [jars, jre] = [await cassandraJars(cacheDir, log), await javaRuntime(cacheDir, log)];
  await cp(join(jre, "root/usr"), join(dir, "usr"), { recursive: true, verbatimSymlinks: true });
  await cp(join(jre, "root/etc"), join(dir, "etc"), { recursive: true, verbatimSymlinks: true });
  await cp(join(jars, "lib"), join(dir, "usr/share/cassandra/lib"), { recursive: true });

  // bash for the scripts (the seed's probe runs /bin/bash), getent for DNS lookups as the JVM sees them.
  for (const binary of ["bin/bash", "usr/bin/getent"]) {
    await mkdir(join(dir, binary, ".."), { recursive: true });
    await rm(join(dir, binary), { force: true });
    await copyFile(join(nodeRootfs, binary), join(dir, binary));
    await chmod(join(dir, binary), 0o755);
  }
  const elves = [...(await elfFiles(join(dir, JAVA_HOME))), join(nodeRootfs, "bin/bash"), join(nodeRootfs, "usr/bin/getent")];
  for (const lib of await sharedLibraries(elves, log)) {
    const from = existsSync(join(nodeRootfs, lib)) ? join(nodeRootfs, lib) : lib;
    await mkdir(join(dir, lib, ".."), { recursive: true });
    await cp(from, join(dir, lib), { dereference: true });
  }
  // Libraries the native code inside Cassandra's jars links (netty's epoll transport needs
  // libdl and librt; without them netty prints an UnsatisfiedLinkError and falls back to NIO).
  for (const lib of ["libdl.so.2", "librt.so.1", "libpthread.so.0", "libm.so.6"].map((l) => `lib/x86_64-linux-gnu/${l}`)) {
    if (!existsSync(join(nodeRootfs, lib)) || existsSync(join(dir, lib))) continue;
    await mkdir(join(dir, lib, ".."), { recursive: true });
    await cp(join(nodeRootfs, lib), join(dir, lib), { dereference: true });
  }
  await writeFile(join(dir, "etc/nsswitch.conf"), "hosts: files dns\npasswd: files\ngroup: files\n");

  const src = join(sourceDir, "workloads/cassandra");
  await mkdir(join(dir, "usr/share/cassandra/tools"), { recursive: true });
  await ensureCommand(log, "javac", ["openjdk-17-jdk-headless"], "compile kubegrade-cql");
  // Compiled into a jar: a class-data sharing archive cannot be written with a non-empty
  // directory on the class path before the jars (java-env.sh).
  const classes = join(cacheDir, "cassandra", "kubegrade-cql.classes");
  await rm(classes, { recursive: true, force: true });
  await log.run("javac", ["--release", "17", "-nowarn", "-d", classes, "-cp", `${join(jars, "lib")}/*`, join(src, "KubegradeCql.java")]);
  await log.run("jar", ["--create", "--file", join(dir, "usr/share/cassandra/tools/kubegrade-cql.jar"), "-C", classes, "."]);
  await rm(classes, { recursive: true, force: true });
  for (const d of ["etc/cassandra", "usr/local/bin", "cassandra_data", "var/log/cassandra"]) {
    await mkdir(join(dir, d), { recursive: true });
  }
  const install = async (file: string, to: string, mode: number) => {
    await copyFile(join(src, file), join(dir, to));
    await chmod(join(dir, to), mode);
  };
  await install("run.sh", "run.sh", 0o755);
  await install("java-env.sh", "usr/share/cassandra/java-env.sh", 0o644);
  await install("cds-archives.sh", "usr/local/bin/kubegrade-cds-archives", 0o755);
  await install("ready-probe.sh", "ready-probe.sh", 0o755);
  await install("nodetool", "usr/local/bin/nodetool", 0o755);
  await install("kubegrade-cql", "usr/local/bin/kubegrade-cql", 0o755);
  await install("logback.xml", "etc/cassandra/logback.xml", 0o644);
  await install("jvm17.options", "etc/cassandra/jvm17.options", 0o644);
  await install("logback-tools.xml", "etc/cassandra/logback-tools.xml", 0o644);
}
