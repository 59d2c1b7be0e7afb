/**
 * Hostile manifests are refused before any cluster, with a message a student can act on:
 * each input is made here, in a temporary directory, at its real size.
 */
import { expect } from "chai";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadSubmission } from "../../runner/submission/load.ts";
import { expectNoStackTrace, kubegradeWithoutDocker } from "./support.ts";

const SERVICE = "apiVersion: v1\nkind: Service\nmetadata: {name: nginx}\nspec: {clusterIP: None, selector: {app: nginx}, ports: [{port: 80}]}\n";

/** The classic "billion laughs": 9 aliases of 9 aliases, nine levels deep (9^9 strings). */
function yamlBomb(): string {
  const names = "abcdefghi";
  const lines = ["apiVersion: v1", "kind: ConfigMap", "metadata: {name: lol}", "data:", `  a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]`];
  for (let i = 1; i < names.length; i++) lines.push(`  ${names[i]}: &${names[i]} [${Array(9).fill(`*${names[i - 1]}`).join(", ")}]`);
  return `${lines.join("\n")}\n`;
}

describe("hostile manifests: refused before the cluster", function () {
  this.timeout(30_000);
  let root: string;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), "kubegrade-hostile-"));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });
  let count = 0;
  const dirWith = async (files: Record<string, string | Buffer>) => {
    const dir = join(root, `sub-${++count}`);
    for (const [name, content] of Object.entries(files)) {
      await mkdir(join(dir, name, ".."), { recursive: true });
      await writeFile(join(dir, name), content);
    }
    return dir;
  };

  describe("manifests", () => {
    it("a 10 MB manifest is refused by its size, unread, and does not count against the files beside it", async () => {
      const dir = await dirWith({ "big.yaml": `# ${"x".repeat(10 * 1024 * 1024)}\n`, "svc.yaml": SERVICE });
      const loaded = await loadSubmission(dir);
      expect(loaded.refusals).to.have.length(1);
      expect(loaded.refusals[0].file).to.equal("big.yaml");
      expect(loaded.refusals[0].message).to.contain("is 10.0 MiB; manifests over 1 MiB are refused").and.contain("keep only the manifests");
      expect(loaded.objects.map((o) => o.name)).to.deep.equal(["nginx"]);
    });

    it("invalid UTF-8 is refused with the line that holds it; UTF-16 is named as such", async () => {
      const latin1 = Buffer.concat([Buffer.from("apiVersion: v1\nkind: Service\nmetadata: {name: caf"), Buffer.from([0xe9]), Buffer.from("}\n")]);
      const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(SERVICE, "utf16le")]);
      const loaded = await loadSubmission(await dirWith({ "latin1.yaml": latin1, "utf16.yaml": utf16 }));
      const byFile = Object.fromEntries(loaded.refusals.map((r) => [r.file, r.message]));
      expect(byFile["latin1.yaml"]).to.contain("is not valid UTF-8 text (line 3 holds bytes").and.contain("save it as UTF-8");
      expect(byFile["utf16.yaml"]).to.contain("is UTF-16 text").and.contain("save it as UTF-8");
    });

    it("a YAML bomb (billion laughs) is refused at its line without being expanded", async () => {
      const started = performance.now();
      const loaded = await loadSubmission(await dirWith({ "bomb.yaml": yamlBomb() }));
      expect(performance.now() - started).to.be.below(5_000);
      expect(loaded.objects).to.deep.equal([]);
      expect(loaded.refusals).to.have.length(1);
      expect(loaded.refusals[0]).to.include({ file: "bomb.yaml", line: 1 });
      expect(loaded.refusals[0].message).to.contain("expands YAML aliases (*name) more than 100 times").and.contain("billion laughs");
    });

    it("nesting that overflows the YAML parser is refused as too deep, not as a stack overflow", async () => {
      const loaded = await loadSubmission(await dirWith({ "deep.yaml": `a: ${"[".repeat(5000)}${"]".repeat(5000)}\n` }));
      expect(loaded.refusals.map((r) => r.message)).to.deep.equal(["nests deeper than 50 levels"]);
    });

    it("a mapping of 40 000 keys is read in linear time; a key defined twice is still refused at its line", async function () {
      this.timeout(120_000);
      const wide = (keys: number) =>
        `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: wide}\ndata:\n${Array.from({ length: keys }, (_, i) => `  k${i}: v`).join("\n")}\n  k7: again\n`;
      const timed = async (keys: number) => {
        const dir = await dirWith({ "wide.yaml": wide(keys) });
        let best = Infinity;
        let loaded;
        for (let i = 0; i < 2; i++) {
          const started = performance.now();
          loaded = await loadSubmission(dir);
          best = Math.min(best, performance.now() - started);
        }
        return { best, loaded: loaded! };
      };
      // Linear: 4× the keys take about 4× the time; comparing every key with every other
      // (15 s here for 40 000) takes 16×. A ratio, so a busy machine does not fail it.
      const small = await timed(10_000);
      const { best, loaded } = await timed(40_000);
      expect(best / small.best, `10 000 keys: ${Math.round(small.best)} ms, 40 000 keys: ${Math.round(best)} ms`).to.be.below(9);
      expect(loaded.refusals).to.have.length(1);
      expect(loaded.refusals[0]).to.include({ file: "wide.yaml", line: 40_005 });
      expect(loaded.refusals[0].message).to.contain("the key k7 is defined twice");
    });

    it("symbolic link loops and dangling links are refused as such; a linked directory is not followed", async () => {
      const outside = await dirWith({ "secret.yaml": SERVICE.replace("nginx", "secret") });
      const dir = await dirWith({ "svc.yaml": SERVICE });
      await symlink(join(dir, "b.yaml"), join(dir, "a.yaml"));
      await symlink(join(dir, "a.yaml"), join(dir, "b.yaml"));
      await symlink(join(dir, "nowhere"), join(dir, "gone.yaml"));
      await symlink(".", join(dir, "again")); // a directory loop: never walked
      await symlink(outside, join(dir, "shared"));
      const loaded = await loadSubmission(dir);
      expect(loaded.refusals.map((r) => `${r.file}: ${r.message}`)).to.deep.equal([
        "a.yaml: is a symbolic link that leads back to itself (a loop); replace it with the file",
        "b.yaml: is a symbolic link that leads back to itself (a loop); replace it with the file",
        "gone.yaml: is a symbolic link to a file that does not exist; replace it with the file",
      ]);
      expect(loaded.objects.map((o) => o.name)).to.deep.equal(["nginx"]);
      expect(loaded.notes).to.deep.equal(["shared: a symbolic link to a directory outside the submission was not followed; copy the manifests in instead."]);
    });
  });

  describe("the command line", () => {
    it("grade on a hostile directory: exit 2, the refusals explained (the first 50), no stack trace, no cluster", async function () {
      this.timeout(120_000); // a CLI process on a machine that may be busy
      const containers = Array.from({ length: 2000 }, (_, i) => `  - {name: c${i}, image: "miner:${i}"}`).join("\n");
      const dir = await dirWith({
        "big.yaml": `# ${"x".repeat(10 * 1024 * 1024)}\n`,
        "latin1.yaml": Buffer.from([0x6b, 0x69, 0x6e, 0x64, 0x3a, 0x20, 0xe9, 0x0a]),
        "bomb.yaml": yamlBomb(),
        "svc.yaml": SERVICE,
        "z-pod.yaml": `apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n${containers}\n`,
      });
      await symlink(join(dir, "loop.yaml"), join(dir, "loop.yaml"));
      const result = await kubegradeWithoutDocker(["grade", "web", dir]);
      expect(result.exitCode, result.all).to.equal(2);
      const output = String(result.all);
      expect(output).to.contain("The submission was refused before grading:");
      expect(output).to.contain("big.yaml: is 10.0 MiB");
      expect(output).to.contain("latin1.yaml: is not valid UTF-8 text (line 1");
      expect(output).to.contain("bomb.yaml:1:1: expands YAML aliases");
      expect(output).to.contain("loop.yaml: is a symbolic link that leads back to itself");
      expect(output).to.contain("uses image miner:45,").and.not.contain("miner:46,");
      expect(output).to.contain("z-pod.yaml: and 1954 more refusals like these");
      expect(output).not.to.match(/cluster|docker/i);
      expectNoStackTrace(output);
    });
  });
});
