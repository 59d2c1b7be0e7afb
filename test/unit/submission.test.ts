import { expect } from "chai";
import { mkdtemp, mkdir, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadSubmission, LIMITS } from "../../runner/submission/load.ts";
import { validateSubmission } from "../../runner/submission/validate.ts";
import { exactReference } from "../../runner/submission/images.ts";
import { isGitUrl, splitRef } from "../../runner/submission/source.ts";

async function dirWith(files: Record<string, string | Buffer>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "kubegrade-sub-"));
  for (const [name, content] of Object.entries(files)) {
    await mkdir(join(dir, name, ".."), { recursive: true });
    await writeFile(join(dir, name), content);
  }
  return dir;
}

const POLICY = { allowedKinds: ["Service", "StatefulSet", "Pod"], images: ["nginx:mainline", "k8s.gcr.io/nginx-slim:0.8"] };
const STS = (extra = "", podExtra = "", containerExtra = "") => `apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: web
spec:
  serviceName: nginx
${extra}  selector: {matchLabels: {app: nginx}}
  template:
    metadata: {labels: {app: nginx}}
    spec:
${podExtra}      containers:
      - name: nginx
        image: nginx:mainline
${containerExtra}`;

describe("submission loading", function () {
  const dirs: string[] = [];
  after(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });
  const load = async (files: Record<string, string | Buffer>) => {
    const dir = await dirWith(files);
    dirs.push(dir);
    return loadSubmission(dir);
  };

  it("reads every YAML document of every *.yaml/*.yml file below the directory, with file and line", async function () {
    const loaded = await load({ "a.yaml": "apiVersion: v1\nkind: Service\nmetadata: {name: nginx}\n---\n" + STS(), "sub/b.yml": "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n", "notes.txt": "kind: Pod" });
    expect(loaded.refusals).to.deep.equal([]);
    expect(loaded.objects.map((o) => `${o.file}:${o.line} ${o.kind}/${o.name}`)).to.deep.equal(["a.yaml:1 Service/nginx", "a.yaml:5 StatefulSet/web", "sub/b.yml:1 Pod/p"]);
  });

  it("refuses invalid YAML with file, line and column", async function () {
    const loaded = await load({ "bad.yaml": "apiVersion: v1\nkind: Service\nmetadata:\n  name: x\n   labels: y\n" });
    expect(loaded.refusals[0]).to.include({ file: "bad.yaml", line: 4 });
    expect(loaded.refusals[0].column).to.be.a("number");
    expect(loaded.refusals[0].message).to.match(/^invalid YAML/);
  });

  it("refuses invalid UTF-8, oversized files and YAML alias bombs", async function () {
    const bomb = ["a: &a [x, x, x, x, x, x, x, x, x]", ...Array.from({ length: 8 }, (_, i) => `${"bcdefghi"[i]}: &${"bcdefghi"[i]} [*${i === 0 ? "a" : "bcdefghi"[i - 1]}, *${i === 0 ? "a" : "bcdefghi"[i - 1]}, *${i === 0 ? "a" : "bcdefghi"[i - 1]}, *${i === 0 ? "a" : "bcdefghi"[i - 1]}, *${i === 0 ? "a" : "bcdefghi"[i - 1]}, *${i === 0 ? "a" : "bcdefghi"[i - 1]}, *${i === 0 ? "a" : "bcdefghi"[i - 1]}, *${i === 0 ? "a" : "bcdefghi"[i - 1]}, *${i === 0 ? "a" : "bcdefghi"[i - 1]}]`), "apiVersion: v1", "kind: ConfigMap", "metadata: {name: bomb}"].join("\n");
    const loaded = await load({
      "latin1.yaml": Buffer.from([0x6b, 0x69, 0x6e, 0x64, 0x3a, 0x20, 0xe9, 0xff, 0x0a]),
      "big.yaml": `# ${"x".repeat(LIMITS.maxFileBytes + 10)}\n`,
      "bomb.yaml": bomb,
    });
    const messages = loaded.refusals.map((r) => `${r.file}: ${r.message}`).join("\n");
    expect(messages).to.match(/latin1\.yaml: is not valid UTF-8/);
    expect(messages).to.match(/big\.yaml: is 1\.0 MiB/);
    expect(messages).to.match(/bomb\.yaml: .*(alias|Excessive)/i);
  });

  it("refuses a symbolic link pointing outside the submission", async function () {
    const outside = await dirWith({ "secret.yaml": "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\n" });
    dirs.push(outside);
    const dir = await dirWith({ "ok.yaml": "apiVersion: v1\nkind: Service\nmetadata: {name: nginx}\n" });
    dirs.push(dir);
    await symlink(join(outside, "secret.yaml"), join(dir, "link.yaml"));
    const loaded = await loadSubmission(dir);
    expect(loaded.refusals.map((r) => r.file)).to.deep.equal(["link.yaml"]);
    expect(loaded.refusals[0].message).to.include("outside the submission");
  });

  it("ignores YAML that is not a Kubernetes object, with a note, and refuses an empty submission", async function () {
    const loaded = await load({ "docker-compose.yml": "services: {web: {image: nginx}}\n", "svc.yaml": "apiVersion: v1\nkind: Service\nmetadata: {name: nginx}\n" });
    expect(loaded.refusals).to.deep.equal([]);
    expect(loaded.notes[0]).to.include("docker-compose.yml");
    const empty = await load({ "README.md": "# nothing" });
    expect(empty.refusals[0].message).to.include("no *.yaml, *.yml or *.json files");
  });

  it("expands kind: List", async function () {
    const loaded = await load({ "list.yaml": "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Service\n  metadata: {name: a}\n- apiVersion: v1\n  kind: Service\n  metadata: {name: b}\n" });
    expect(loaded.objects.map((o) => o.name)).to.deep.equal(["a", "b"]);
  });
});

describe("submission validation", function () {
  const validate = async (yaml: string) => {
    const dir = await dirWith({ "m.yaml": yaml });
    try {
      const loaded = await loadSubmission(dir);
      expect(loaded.refusals).to.deep.equal([]);
      return validateSubmission(loaded.objects, POLICY);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };

  it("accepts the exercise's kinds and images", async function () {
    expect((await validate(STS())).refusals).to.deep.equal([]);
  });

  it("names the object, field, file and line of a privileged container, hostPath, host namespaces, capabilities and host ports", async function () {
    const result = await validate(
      STS(
        "",
        "      hostNetwork: true\n      hostPID: true\n      volumes: [{name: h, hostPath: {path: /}}]\n",
        "        securityContext: {privileged: true, capabilities: {add: [SYS_ADMIN]}}\n        ports: [{containerPort: 80, hostPort: 80}]\n",
      ),
    );
    const fields = result.refusals.map((r) => r.field);
    expect(fields).to.include.members([
      "spec.template.spec.hostNetwork",
      "spec.template.spec.hostPID",
      "spec.template.spec.volumes[0].hostPath",
      "spec.template.spec.containers[0].securityContext.privileged",
      "spec.template.spec.containers[0].securityContext.capabilities.add[0]",
      "spec.template.spec.containers[0].ports[0].hostPort",
    ]);
    for (const r of result.refusals) {
      expect(r).to.include({ file: "m.yaml", object: "StatefulSet web" });
      expect(r.line).to.be.greaterThan(1);
    }
  });

  it("refuses kinds outside the exercise, cluster-wide objects, two namespaces and unknown images", async function () {
    const result = await validate(
      "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: x}\n---\n" +
        "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: d}\n---\n" +
        "apiVersion: v1\nkind: Service\nmetadata: {name: a, namespace: team-a}\n---\n" +
        "apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: kube-system}\n---\n" +
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: 'evil/miner:1'}]}\n",
    );
    const text = result.refusals.map((r) => r.message).join("\n");
    expect(text).to.include("ClusterRoleBinding is a cluster-wide object");
    expect(text).to.include("kind DaemonSet is not part of this exercise");
    expect(text).to.include("metadata.namespace is kube-system");
    expect(text).to.include("uses image evil/miner:1");
  });

  it("keeps the grader's identities out of the submission: its accounts, accounts the submission does not define, token Secrets, its objects' names", async function () {
    const policy = { ...POLICY, allowedKinds: [...POLICY.allowedKinds, "ServiceAccount", "Secret", "ConfigMap"] };
    const check = async (yaml: string) => {
      const dir = await dirWith({ "m.yaml": yaml });
      try {
        return validateSubmission((await loadSubmission(dir)).objects, policy).refusals;
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    };
    const grader = await check(STS("", "      serviceAccountName: kubegrade-submitter\n"));
    expect(grader.map((r) => [r.field, r.message.split(";")[0]])).to.deep.equal([
      ["spec.template.spec.serviceAccountName", "kubegrade-submitter is the grader's own account"],
    ]);
    const undefinedAccount = await check(STS("", "      serviceAccount: builder\n"));
    expect(undefinedAccount[0]?.message).to.match(/^builder is a ServiceAccount the submission does not define/);
    // Its own account, or the namespace's default one: accepted.
    expect(await check(`${STS("", "      serviceAccountName: web\n")}---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: web}\n`)).to.deep.equal([]);
    expect(await check(STS("", "      serviceAccountName: default\n"))).to.deep.equal([]);
    const token = await check("apiVersion: v1\nkind: Secret\nmetadata: {name: t, annotations: {kubernetes.io/service-account.name: default}}\ntype: kubernetes.io/service-account-token\n");
    expect(token.map((r) => r.field)).to.deep.equal(["type"]);
    const named = await check("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: kubegrade-probe}\n---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: kubegrade-submitter}\n");
    expect(named.map((r) => `${r.object} ${r.field}`)).to.deep.equal(["ConfigMap kubegrade-probe metadata.name", "ServiceAccount kubegrade-submitter metadata.name"]);
  });

  it("accepts namespace: default with a note", async function () {
    const result = await validate("apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: default}\n");
    expect(result.refusals).to.deep.equal([]);
    expect(result.notes[0]).to.include("was ignored");
  });

  it("normalises image references the way container runtimes do", function () {
    expect(exactReference("nginx")).to.equal("docker.io/library/nginx:latest");
    expect(exactReference("docker.io/library/nginx:mainline")).to.equal(exactReference("nginx:mainline"));
    expect(exactReference("kubegrade/hello-api:1.0")).to.equal("docker.io/kubegrade/hello-api:1.0");
    expect(exactReference("k8s.gcr.io/nginx-slim:0.8")).to.equal("k8s.gcr.io/nginx-slim:0.8");
    expect(exactReference("localhost:5000/x")).to.equal("localhost:5000/x:latest");
  });
});

describe("submission sources", function () {
  it("tells git URLs from directories and splits #ref", function () {
    expect(isGitUrl("https://example.org/a/b.git")).to.equal(true);
    expect(isGitUrl("git@example.org:a/b.git#main")).to.equal(true);
    expect(isGitUrl("file:///srv/repo")).to.equal(true);
    expect(isGitUrl("./submission")).to.equal(false);
    expect(splitRef("https://h/r.git#v1")).to.deep.equal({ url: "https://h/r.git", ref: "v1" });
    expect(splitRef("https://h/r.git")).to.deep.equal({ url: "https://h/r.git" });
  });
});
