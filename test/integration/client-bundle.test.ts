/**
 * The Kubernetes client bundled into one file (runner/kube/client-bundle.ts): it exports
 * what the package exports, the command line resolves the package to it, and a grade run
 * through it gives the same result.
 */
import { expect } from "chai";
import { execa } from "execa";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PROJECT_ROOT } from "../../runner/config.ts";
import { buildClientBundle, clientBundlePath } from "../../runner/kube/client-bundle.ts";
import { sharedCluster } from "./hooks.ts";
import { cli } from "./support.ts";

describe("the Kubernetes client as one file", function () {
  let root: string;
  let env: Record<string, string>;
  before(async function () {
    root = await mkdtemp(join(tmpdir(), "kubegrade-client-bundle-"));
    env = { KUBEGRADE_CACHE: join(root, "cache") };
  });
  after(async function () {
    await rm(root, { recursive: true, force: true });
  });

  it("is built once, whole, and exports everything the package exports", async function () {
    const first = await buildClientBundle(env);
    expect(first).to.not.equal("absent");
    if (first === "absent") return;
    expect(first.built).to.equal(true);
    expect(first.path).to.equal(clientBundlePath(env));
    expect(await buildClientBundle(env)).to.deep.equal({ path: first.path, built: false });
    // A process that registers the bundle, as the command line does, against one that does not.
    const probe = [
      `import { useClientBundle } from ${JSON.stringify(join(PROJECT_ROOT, "runner/kube/client-bundle.ts"))};`,
      "const used = process.argv[1] === 'bundle' && useClientBundle(process.env);",
      "const m = await import('@kubernetes/client-node');",
      "console.log(JSON.stringify({ used, resolved: import.meta.resolve('@kubernetes/client-node'), names: Object.keys(m).sort(), kubeConfig: m.KubeConfig.name }));",
    ].join("\n");
    // Evaluated in the project's directory, which resolves the package as kubegrade does.
    const run = async (mode: string) =>
      JSON.parse((await execa(process.execPath, ["--input-type=module", "-e", probe, mode], { cwd: PROJECT_ROOT, env: { ...process.env, ...env } })).stdout) as
        { used: boolean; resolved: string; names: string[]; kubeConfig: string };
    const [bundled, plain] = [await run("bundle"), await run("plain")];
    expect(bundled.used).to.equal(true);
    expect(bundled.resolved).to.equal(`file://${first.path}`);
    expect(plain.resolved).to.include("node_modules/@kubernetes/client-node/");
    expect(bundled.names.length).to.be.greaterThan(500);
    expect(bundled.names).to.deep.equal(plain.names);
    expect(bundled.kubeConfig).to.equal("KubeConfig");
  });

  it("grades through the bundle as through the package", async function () {
    const path = clientBundlePath(env)!;
    expect(existsSync(path), "built by the test before").to.equal(true);
    const kubeconfig = join(root, "kubeconfig");
    await writeFile(kubeconfig, sharedCluster().kubeConfigYaml, { mode: 0o600 });
    const result = await cli(["grade", "web", join(PROJECT_ROOT, "fixtures/web/two-replicas/submission"), "--cluster", "kubeconfig", "--kubeconfig", kubeconfig], env);
    expect(result.exitCode, String(result.all)).to.equal(1);
    expect(String(result.stdout)).to.match(/Total: \d+\/100 points, not passed/);
    expect(String(result.stdout)).to.include("spec.replicas: 2");
  });
});
