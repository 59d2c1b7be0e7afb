/**
 * The seed tutorials' own verification commands, run on the kit as a student runs them after
 * applying the tutorial's YAML, compared with what the tutorials show: `kubectl exec web-$i --
 * sh -c hostname`, `nslookup web-$i.nginx` from a busybox:1.28 pod (the transcript of seed
 * 002, addresses aside), and seed 003's `nslookup` and `wget -q -O - <pod>.<service>` from an
 * alpine:3.8 pod. The kit's stand-in images must answer as their originals do
 * (docs/clusters.md, "The kit's images, audited").
 */
import { expect } from "chai";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { KubeConfig } from "@kubernetes/client-node";
import { PROJECT_ROOT } from "../../runner/config.ts";
import { applyObjects, objectsFromYaml } from "../../runner/kube/apply.ts";
import { execInPod } from "../../runner/kube/exec.ts";
import { waitForPodsReady } from "../../runner/kube/pods.ts";
import { sharedCluster } from "./hooks.ts";
import { freshNamespace } from "./support.ts";

/** Seed 002 (StatefulSet basics), the loop it runs in `kubectl run -it --image busybox:1.28`, and what it printed. */
const SEED_002 = "002_70ecf7917d446b70.txt";
const LOOKUP_LOOP = "for i in 0 1 2;do nslookup web-$i.nginx;echo;echo '---';done";
const SEED_002_TRANSCRIPT = `Server:    10.96.0.10
Address 1: 10.96.0.10 kube-dns.kube-system.svc.cluster.local

Name:      web-0.nginx
Address 1: 172.17.0.10 web-0.nginx.default.svc.cluster.local

---
Server:    10.96.0.10
Address 1: 10.96.0.10 kube-dns.kube-system.svc.cluster.local

Name:      web-1.nginx
Address 1: 172.17.0.11 web-1.nginx.default.svc.cluster.local

---
Server:    10.96.0.10
Address 1: 10.96.0.10 kube-dns.kube-system.svc.cluster.local

Name:      web-2.nginx
Address 1: 172.17.0.12 web-2.nginx.default.svc.cluster.local

---`;

/** The tutorials live beside the repository (docs/audit.md); absent in a bare clone, where the quote above stands alone. */
const seedsDir = join(PROJECT_ROOT, "..", "shared", "seeds");

/** Addresses and the namespace are the cluster's own: the rest must read as the tutorial's. */
function normalized(text: string, namespace: string): string {
  return text
    .replaceAll(`.${namespace}.svc.`, ".default.svc.")
    .replace(/\b\d{1,3}(\.\d{1,3}){3}\b/g, "<ip>")
    .split("\n")
    .map((line) => line.trimEnd())
    .join("\n")
    .trim();
}

const run = (kc: KubeConfig, namespace: string, pod: string, script: string) =>
  execInPod(kc, { namespace, pod }, ["sh", "-c", script], { deadlineMs: 30_000 });

const client = (name: string, image: string) => `
apiVersion: v1
kind: Pod
metadata: {name: ${name}}
spec:
  terminationGracePeriodSeconds: 0
  containers: [{name: ${name}, image: "${image}", command: [sleep, "3600"]}]
`;

describe("tutorials: their own verification commands on the kit", function () {
  it("the quoted transcript is seed 002's own", function () {
    if (!existsSync(join(seedsDir, SEED_002))) this.skip();
    const seed = readFileSync(join(seedsDir, SEED_002), "utf8").split("\n").map((l) => l.trimEnd()).join("\n");
    expect(seed).to.include(`/ # ${LOOKUP_LOOP}\n${SEED_002_TRANSCRIPT}`);
  });

  describe("seed 002: StatefulSet basics (the web exercise's handout)", function () {
    let kc: KubeConfig;
    let ns: { name: string; remove: () => Promise<void> };

    before(async function () {
      kc = sharedCluster().kubeConfig;
      ns = await freshNamespace(kc, "tutorial-002");
      const handout = readFileSync(join(PROJECT_ROOT, "exercises/web/handout/web.yaml"), "utf8");
      await applyObjects(kc, ns.name, objectsFromYaml(`${handout}\n---\n${client("my-dns-test-pod", "busybox:1.28")}`));
      await waitForPodsReady(kc, ns.name, ["web-0", "web-1", "web-2", "my-dns-test-pod"], { deadlineMs: 90_000 });
    });

    after(async function () {
      await ns?.remove();
    });

    it("kubectl exec web-$i -- sh -c hostname prints web-0, web-1, web-2", async function () {
      const names: string[] = [];
      for (const i of [0, 1, 2]) names.push((await run(kc, ns.name, `web-${i}`, "hostname")).stdout.trim());
      expect(names).to.deep.equal(["web-0", "web-1", "web-2"]);
    });

    it("nslookup web-$i.nginx from a busybox:1.28 pod prints what the tutorial shows", async function () {
      const lookup = await run(kc, ns.name, "my-dns-test-pod", LOOKUP_LOOP);
      expect(lookup.stderr, "nothing on stderr").to.equal("");
      expect(normalized(lookup.stdout, ns.name)).to.equal(normalized(SEED_002_TRANSCRIPT, "default"));
    });

    it("nslookup nginx.default.svc.cluster.local lists every pod, each with its name", async function () {
      const lookup = await run(kc, ns.name, "my-dns-test-pod", `nslookup nginx.${ns.name}.svc.cluster.local`);
      const lines = normalized(lookup.stdout, ns.name).split("\n");
      expect(lines.slice(0, 4)).to.deep.equal(["Server:    <ip>", "Address 1: <ip> kube-dns.kube-system.svc.cluster.local", "", "Name:      nginx.default.svc.cluster.local"]);
      expect(lines.slice(4).map((l) => l.replace(/^Address \d: /, "")).sort()).to.deep.equal([0, 1, 2].map((i) => `<ip> web-${i}.nginx.default.svc.cluster.local`));
    });
  });

  describe("seed 003: Exercise 8 (alpine:3.8's nslookup and wget of each pod's page)", function () {
    let kc: KubeConfig;
    let ns: { name: string; remove: () => Promise<void> };

    before(async function () {
      kc = sharedCluster().kubeConfig;
      ns = await freshNamespace(kc, "tutorial-003");
      const reference = readFileSync(join(PROJECT_ROOT, "fixtures/exercise-8/reference/submission/web.yaml"), "utf8");
      await applyObjects(kc, ns.name, objectsFromYaml(`${reference}\n---\n${client("dns-test", "alpine:3.8")}`));
      await waitForPodsReady(kc, ns.name, ["web-0", "web-1", "dns-test"], { deadlineMs: 90_000 });
    });

    after(async function () {
      await ns?.remove();
    });

    it("nslookup [pod-name].[service-name] resolves each pod", async function () {
      for (const i of [0, 1]) {
        const lookup = await run(kc, ns.name, "dns-test", `nslookup web-${i}.web-headless`);
        expect(lookup.exitCode, lookup.stdout + lookup.stderr).to.equal(0);
        expect(normalized(lookup.stdout, ns.name)).to.equal(`Name:      web-${i}.web-headless\nAddress 1: <ip> web-${i}.web-headless.default.svc.cluster.local`);
      }
    });

    it("wget -q -O - [pod-name].[service-name] returns the host name the initContainer wrote", async function () {
      for (const i of [0, 1]) {
        const page = await run(kc, ns.name, "dns-test", `wget -q -O - web-${i}.web-headless`);
        expect(page.exitCode, page.stderr).to.equal(0);
        expect(page.stdout).to.equal(`web-${i}\n`);
      }
    });
  });
});
