import { expect } from "chai";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { exerciseVersion, resumeKey, submissionDigest } from "../../runner/batch/resume-key.ts";

function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "kubegrade-key-"));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(dir, path, ".."), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

const SUBMISSION = { "web.yaml": "kind: StatefulSet\n", "svc/service.yml": "kind: Service\n", "README.md": "notes\n" };

describe("batch: resume keys", () => {
  const made: string[] = [];
  const make = (files: Record<string, string>) => {
    const dir = tree(files);
    made.push(dir);
    return dir;
  };
  after(() => {
    for (const dir of made) rmSync(dir, { recursive: true, force: true });
  });

  const key = async (files: Record<string, string>, version = "v1") =>
    resumeKey({ exerciseVersion: version, contentDigest: await submissionDigest(make(files)) });

  it("the same YAML content gives the same key, wherever the directory is", async () => {
    expect(await key(SUBMISSION)).to.equal(await key({ ...SUBMISSION }));
  });

  it("any change to the YAML files gives a new key: content, a new file, a renamed file", async () => {
    const base = await key(SUBMISSION);
    expect(await key({ ...SUBMISSION, "web.yaml": "kind: StatefulSet\nspec: {}\n" })).to.not.equal(base);
    expect(await key({ ...SUBMISSION, "extra.yaml": "kind: ConfigMap\n" })).to.not.equal(base);
    const { "web.yaml": web, ...rest } = SUBMISSION;
    expect(await key({ ...rest, "web2.yaml": web })).to.not.equal(base);
  });

  it("what the grader does not read changes nothing: other files, node_modules, .git, hidden directories", async () => {
    const base = await key(SUBMISSION);
    expect(await key({ ...SUBMISSION, "README.md": "changed\n" })).to.equal(base);
    expect(await key({ ...SUBMISSION, "node_modules/x/pkg.yaml": "a: 1\n", ".git/config.yml": "b: 2\n", ".hidden/c.yaml": "c: 3\n" })).to.equal(base);
  });

  it("a symbolic link out of the submission counts by where it points, not by what it reads", async () => {
    const outside = make({ "secret.yaml": "kind: Secret\n" });
    const a = make(SUBMISSION);
    symlinkSync(join(outside, "secret.yaml"), join(a, "link.yaml"));
    const first = await submissionDigest(a);
    writeFileSync(join(outside, "secret.yaml"), "kind: Secret\ndata: {}\n");
    expect(await submissionDigest(a)).to.equal(first);
  });

  it("another exercise version, or a git commit instead of content, gives another key", async () => {
    const digest = await submissionDigest(make(SUBMISSION));
    const base = resumeKey({ exerciseVersion: "v1", contentDigest: digest });
    expect(resumeKey({ exerciseVersion: "v2", contentDigest: digest })).to.not.equal(base);
    const commitA = resumeKey({ exerciseVersion: "v1", gitCommit: "a".repeat(40) });
    expect(commitA).to.equal(resumeKey({ exerciseVersion: "v1", gitCommit: "a".repeat(40) }));
    expect(commitA).to.not.equal(resumeKey({ exerciseVersion: "v1", gitCommit: "b".repeat(40) }));
    expect(commitA).to.not.equal(base);
    expect(() => resumeKey({ exerciseVersion: "v1" })).to.throw();
  });

  it("the exercise version follows its definition and the check modules it runs, not other checks", () => {
    const files = {
      "package.json": '{"version":"1.0.0"}',
      "exercises/web/exercise.yaml": "id: web\n",
      "checks/pod-dns.ts": "export default 1;\n",
      "checks/other.ts": "export default 2;\n",
      "checks/api.ts": "api\n",
      "checks/support.ts": "support\n",
    };
    const exercise = { id: "web", checks: [{ id: "pod-dns", points: 10 }] };
    const base = exerciseVersion(exercise, make(files));
    expect(exerciseVersion(exercise, make({ ...files }))).to.equal(base);
    expect(exerciseVersion(exercise, make({ ...files, "checks/other.ts": "changed\n" }))).to.equal(base);
    for (const changed of ["exercises/web/exercise.yaml", "checks/pod-dns.ts", "checks/support.ts", "package.json"]) {
      const content = changed === "package.json" ? '{"version":"1.0.1"}' : "changed\n";
      expect(exerciseVersion(exercise, make({ ...files, [changed]: content })), changed).to.not.equal(base);
    }
  });
});
