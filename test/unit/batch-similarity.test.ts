import { expect } from "chai";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { manifestLines, ownLines, similarPairs, similarityCsvRows, type ManifestLine } from "../../runner/batch/similarity.ts";
import { imposedNames } from "../../runner/batch/submission-lines.ts";
import { loadExercise } from "../../runner/exercise.ts";
import { kubegradeWithoutDocker } from "./support.ts";

const exercise = await loadExercise("web");
const imposed = imposedNames(exercise);
const handoutText = readFileSync(join(exercise.dir, "handout/web.yaml"), "utf8");
const handout = new Set(manifestLines("web.yaml", handoutText, imposed).map((l) => l.text));

/** The handout with a readiness probe, resources and an env block that a student wrote. */
const ALICE = `${handoutText.replace(
  "        image: k8s.gcr.io/nginx-slim:0.8\n",
  `        image: k8s.gcr.io/nginx-slim:0.8
        # my probe
        readinessProbe:
          httpGet: {path: /healthz-alice, port: 80}
          periodSeconds: 7
          failureThreshold: 4
        resources:
          requests: {cpu: 35m, memory: 24Mi}
          limits: {cpu: 150m, memory: 96Mi}
        env:
        - name: GREETING
          value: "hello from the copied solution"
        - name: MODE
          value: curious
`,
)}`;

/** ALICE's additions, reformatted: other comments, key order, flow vs block style, quoting, defaults spelled out. */
const BOB = `# web.yaml — my own work
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: web}
spec:
  replicas: 3
  serviceName: nginx
  podManagementPolicy: OrderedReady
  selector: {matchLabels: {app: nginx}}
  template:
    metadata: {labels: {app: nginx}}
    spec:
      containers:
      - image: "k8s.gcr.io/nginx-slim:0.8"
        name: nginx
        imagePullPolicy: IfNotPresent
        env:
        - {value: 'hello from the copied solution', name: GREETING}
        - {name: MODE, value: curious}
        resources:
          limits:
            memory: 96Mi
            cpu: 150m
          requests:
            memory: 24Mi
            cpu: 35m
        readinessProbe:
          failureThreshold: 4
          periodSeconds: 7
          httpGet:
            port: 80
            path: /healthz-alice
        ports:
        - {containerPort: 80, name: web, protocol: TCP}
        volumeMounts:
        - {name: www, mountPath: /usr/share/nginx/html}
  volumeClaimTemplates:
  - metadata: {name: www}
    spec:
      accessModes: [ReadWriteOnce]
      resources: {requests: {storage: 1Gi}}
---
apiVersion: v1
kind: Service
metadata: {name: nginx, labels: {app: nginx}}
spec:
  clusterIP: None
  ports: [{port: 80, name: web}]
  selector: {app: nginx}
`;

/** Her own additions: a liveness probe, other resources, an annotation, a security context. */
const CAROL = `${handoutText.replace(
  "        image: k8s.gcr.io/nginx-slim:0.8\n",
  `        image: k8s.gcr.io/nginx-slim:0.8
        livenessProbe:
          tcpSocket: {port: 80}
          initialDelaySeconds: 3
        resources:
          requests: {cpu: 20m, memory: 32Mi}
        securityContext:
          runAsNonRoot: false
          allowPrivilegeEscalation: false
`,
).replace("  name: web\nspec:", "  name: web\n  annotations:\n    owner: carol\nspec:")}`;

const lines = (file: string, text: string) => ownLines(manifestLines(file, text, imposed), handout);

describe("batch: similarity of submissions", () => {
  it("normalises comments, key order, flow style, quoting and defaults: the same manifest gives the same lines", () => {
    const a = new Set(manifestLines("a.yaml", ALICE, imposed).map((l) => l.text));
    const b = new Set(manifestLines("b.yaml", BOB, imposed).map((l) => l.text));
    expect([...a].filter((t) => !b.has(t))).to.deep.equal([]);
    expect([...b].filter((t) => !a.has(t))).to.deep.equal([]);
  });

  it("takes out the handout: the tutorial's YAML as handed out leaves nothing of one's own", () => {
    expect(lines("web.yaml", handoutText)).to.deep.equal([]);
    expect(lines("web.yaml", ALICE).length).to.be.greaterThan(8);
  });

  it("names where each line was written (file and line)", () => {
    const probe = lines("a.yaml", ALICE).find((l) => l.text.includes("/healthz-alice"));
    expect(probe).to.deep.include({ file: "a.yaml", line: ALICE.split("\n").findIndex((l) => l.includes("/healthz-alice")) + 1 });
  });

  it("flags two near-identical submissions, not a different one, nor honest ones that only follow the handout", () => {
    const students = new Map<string, ManifestLine[]>([
      ["alice", lines("web.yaml", ALICE)],
      ["bob", lines("solution.yaml", BOB)],
      ["carol", lines("web.yaml", CAROL)],
      ["dan", lines("web.yaml", handoutText)],
      ["eve", lines("web.yaml", handoutText.replace("storage: 1Gi", "storage: 2Gi"))],
    ]);
    const pairs = similarPairs(students);
    expect(pairs.map((p) => [p.a, p.b])).to.deep.equal([["alice", "bob"]]);
    expect(pairs[0].similarity).to.equal(1);
    const probe = pairs[0].shared.find((s) => s.text.includes("/healthz-alice"))!;
    expect(probe.a).to.match(/^web\.yaml:\d+$/);
    expect(probe.b).to.match(/^solution\.yaml:\d+$/);
    const [header, row] = similarityCsvRows(pairs);
    expect(header).to.deep.equal(["student_a", "student_b", "similarity", "shared_lines", "shared_in_a", "shared_in_b"]);
    expect(row.slice(0, 3)).to.deep.equal(["alice", "bob", "1.00"]);
    expect(row[4]).to.include("/healthz-alice");
  });

  it("a line many submissions share is a common choice, not copying", () => {
    const common = lines("web.yaml", ALICE);
    const students = new Map<string, ManifestLine[]>(Array.from({ length: 30 }, (_, i) => [`s${i}`, common]));
    expect(similarPairs(students)).to.deep.equal([]);
  });

  it("a file that does not parse gives no lines", () => {
    expect(manifestLines("bad.yaml", "a: [\n")).to.deep.equal([]);
  });

  it("--similar-at takes a fraction above 0 and at most 1, refused (exit 2) before any cluster otherwise", async function () {
    this.timeout(120_000); // a child process on a busy machine
    const run = await kubegradeWithoutDocker(["batch", "web", "fixtures/web/reference/submission", "--similar-at", "1.5"]);
    expect(run.exitCode, run.all).to.equal(2);
    expect(run.all).to.include("--similar-at 1.5: a fraction above 0 and at most 1 is expected");
  });
});
