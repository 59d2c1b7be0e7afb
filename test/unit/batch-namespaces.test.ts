import { expect } from "chai";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runBatch } from "../../runner/batch/batch.ts";
import { NamespacePool, parseNamespacesFile } from "../../runner/batch/namespace-pool.ts";
import { UsageError } from "../../runner/errors.ts";
import { createProgress } from "../../runner/util/progress.ts";
import { loadExercise } from "../../runner/exercise.ts";
import { namespaceContents, podSecurityProblem } from "../../runner/namespace.ts";
import { kubegradeWithoutDocker, usageError } from "./support.ts";

describe("pre-created namespaces: the --namespaces file", () => {
  it("reads one name a line, skipping blank lines and # comments (whole-line or trailing), CRLF and a BOM", () => {
    const text = "\uFEFF# grading namespaces\r\nkg-pool-1\r\n\r\n  kg-pool-2   # second\n#kg-pool-3\n   \nkg-pool-4\n";
    expect(parseNamespacesFile(text, "ns.txt")).to.deep.equal(["kg-pool-1", "kg-pool-2", "kg-pool-4"]);
  });

  it("refuses an empty list, naming the file", () => {
    for (const text of ["", "\n\n", "# only a comment\n   # another\n"]) {
      expect(usageError(() => parseNamespacesFile(text, "ns.txt"))).to.match(/^ns\.txt: lists no namespace/);
    }
  });

  it("refuses a name given twice, with both lines", () => {
    expect(usageError(() => parseNamespacesFile("a\nb\n\na # again\n", "ns.txt"))).to.equal("ns.txt:4: namespace a is listed twice (also on line 1)");
  });

  it("refuses what is not a namespace name, with its line", () => {
    expect(usageError(() => parseNamespacesFile("ok\nBad_Name\n", "ns.txt"))).to.match(/^ns\.txt:2: "Bad_Name" is not a namespace name/);
    expect(usageError(() => parseNamespacesFile("one two\n", "ns.txt"))).to.match(/^ns\.txt:1: one namespace name a line/);
    expect(usageError(() => parseNamespacesFile(`${"a".repeat(64)}\n`, "ns.txt"))).to.match(/is not a namespace name/);
    expect(usageError(() => parseNamespacesFile("-lead\n", "ns.txt"))).to.match(/is not a namespace name/);
  });

  it("kubegrade batch --namespaces with a missing or empty file exits 2 before any cluster", async function () {
    this.timeout(60_000);
    const dir = mkdtempSync(join(tmpdir(), "kubegrade-ns-"));
    try {
      const empty = join(dir, "empty.txt");
      writeFileSync(empty, "# none yet\n");
      const missing = await kubegradeWithoutDocker(["batch", "web", "fixtures/web/reference/submission", "--namespaces", join(dir, "nope.txt"), "--out", join(dir, "out")]);
      expect(missing.exitCode, missing.all).to.equal(2);
      expect(missing.all).to.contain(`--namespaces ${join(dir, "nope.txt")}: cannot be read`);
      const none = await kubegradeWithoutDocker(["batch", "web", "fixtures/web/reference/submission", "--namespaces", empty, "--out", join(dir, "out")]);
      expect(none.exitCode, none.all).to.equal(2);
      expect(none.all).to.contain("lists no namespace");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("pre-created namespaces: the pool", () => {
  it("runBatch refuses them with --isolation cluster, or a list repeating a name", async () => {
    const base = { exercise: "web", submissions: [{ student: "a", source: "." }], out: "/nonexistent/out", progress: createProgress({ quiet: true }) };
    for (const [options, message] of [
      [{ isolation: "cluster" as const, namespaces: ["a"] }, /cannot be combined with --isolation cluster/],
      [{ namespaces: ["a", "a"], namespacesOrigin: "--namespaces ns.txt" }, /^--namespaces ns\.txt: a list of distinct namespace names/],
      [{ namespaces: [] }, /a list of distinct namespace names/],
    ] as const) {
      const error = await runBatch({ ...base, ...options }).then(() => undefined, (e: unknown) => e);
      expect(error).to.be.instanceOf(UsageError);
      expect((error as Error).message).to.match(message);
    }
  });

  it("hands out each namespace to one grade at a time and waits for one to come back", async () => {
    const pool = new NamespacePool(["a", "b"]);
    expect(pool.size).to.equal(2);
    const first = await pool.acquire();
    const second = await pool.acquire();
    expect([first, second].sort()).to.deep.equal(["a", "b"]);
    let third: string | undefined;
    const waiting = pool.acquire().then((name) => (third = name));
    await new Promise((r) => setImmediate(r));
    expect(third, "no namespace is free yet").to.equal(undefined);
    pool.release(first);
    await waiting;
    expect(third).to.equal(first);
    expect(() => pool.release("c")).to.throw(/not taken/);
  });

  it("never hands out a namespace twice at once under many concurrent grades", async () => {
    const pool = new NamespacePool(["a", "b", "c"]);
    const inUse = new Set<string>();
    let most = 0;
    await Promise.all(Array.from({ length: 20 }, async (_, i) => {
      const name = await pool.acquire();
      expect(inUse.has(name), `${name} in use twice`).to.equal(false);
      inUse.add(name);
      most = Math.max(most, inUse.size);
      await new Promise((r) => setTimeout(r, (i % 4) * 2));
      inUse.delete(name);
      pool.release(name);
    }));
    expect(most).to.equal(3);
  });

  it("retires a namespace that could not be emptied; once none is left, waiting grades fail at once", async () => {
    const pool = new NamespacePool(["a", "b"]);
    const a = await pool.acquire();
    const b = await pool.acquire();
    const waiting = pool.acquire();
    pool.retire(a, "pods still there");
    expect(pool.size).to.equal(1);
    pool.retire(b, "claims still there");
    await waiting.then(() => expect.fail("got a namespace"), (error: Error) => expect(error.message).to.match(/no pre-created namespace is left.*a: pods still there; b: claims still there/));
    await pool.acquire().then(() => expect.fail("got a namespace"), (error: Error) => expect(error.message).to.match(/no pre-created namespace is left/));
    expect([...pool.retiredNamespaces.keys()]).to.deep.equal(["a", "b"]);
  });

  it("a retired namespace leaves the others to the waiting grades", async () => {
    const pool = new NamespacePool(["a", "b"]);
    const a = await pool.acquire();
    const b = await pool.acquire();
    const waiting = pool.acquire();
    pool.retire(a, "stuck");
    pool.release(b);
    expect(await waiting).to.equal("b");
  });
});

const web = await loadExercise("web");
const cassandra = await loadExercise("cassandra");

describe("pre-created namespaces: what makes one usable", () => {
  const enforce = (level: string) => ({ "pod-security.kubernetes.io/enforce": level });

  it("web needs Pod Security baseline enforced; anything else is refused with the command that fixes it", () => {
    expect(podSecurityProblem("kg-1", enforce("baseline"), web)).to.equal(undefined);
    expect(podSecurityProblem("kg-1", {}, web)).to.contain("has no pod-security.kubernetes.io/enforce label")
      .and.to.contain("kubectl label namespace kg-1 --overwrite pod-security.kubernetes.io/enforce=baseline");
    expect(podSecurityProblem("kg-1", undefined, web)).to.contain("has no pod-security.kubernetes.io/enforce label");
    expect(podSecurityProblem("kg-1", enforce("privileged"), web)).to.contain("enforces Pod Security \"privileged\"");
    expect(podSecurityProblem("kg-1", enforce("restricted"), web)).to.contain("restricted, which refuses containers running as root");
  });

  it("an exercise that allows a capability (cassandra's IPC_LOCK) needs privileged, as a namespace kubegrade creates", () => {
    expect(cassandra.allowedCapabilities?.length).to.be.greaterThan(0);
    expect(podSecurityProblem("kg-1", enforce("privileged"), cassandra)).to.equal(undefined);
    expect(podSecurityProblem("kg-1", enforce("baseline"), cassandra)).to.contain("refuses the capability").and.to.contain("IPC_LOCK");
  });

  it("an empty namespace holds only the default ServiceAccount, kube-root-ca.crt and the administrator's RoleBindings", () => {
    const base = [
      { kind: "ServiceAccount", name: "default" },
      { kind: "ConfigMap", name: "kube-root-ca.crt" },
      { kind: "RoleBinding", name: "kubegrade-grader" },
    ];
    expect(namespaceContents(base)).to.deep.equal({ objects: [], leftover: false });
  });

  it("anything else makes it not empty; kubegrade's own objects mark the remains of an interrupted grade", () => {
    const foreign = namespaceContents([{ kind: "ServiceAccount", name: "default" }, { kind: "StatefulSet", name: "web" }, { kind: "Secret", name: "db" }]);
    expect(foreign).to.deep.equal({ objects: [{ kind: "StatefulSet", name: "web" }, { kind: "Secret", name: "db" }], leftover: false });
    for (const mark of [
      { kind: "ResourceQuota", name: "kubegrade" },
      { kind: "LimitRange", name: "kubegrade" },
      { kind: "ServiceAccount", name: "kubegrade-submitter" },
      { kind: "RoleBinding", name: "kubegrade-submitter" },
    ]) {
      const found = namespaceContents([mark, { kind: "Pod", name: "web-0" }]);
      expect(found.leftover, `${mark.kind} ${mark.name}`).to.equal(true);
      expect(found.objects).to.have.length(2);
    }
    expect(namespaceContents([{ kind: "ResourceQuota", name: "team-quota" }]).leftover).to.equal(false);
  });
});
