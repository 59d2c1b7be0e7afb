/**
 * The cluster can host the exercises: proven on the shared cluster with real pods, DNS,
 * volumes and images, plus what happens to the node container when its owner goes away.
 */
import { CoreV1Api, type KubeConfig, type V1Pod } from "@kubernetes/client-node";
import { expect } from "chai";
import { execa } from "execa";
import { fileURLToPath } from "node:url";
import { dockerClient } from "../../runner/util/docker.ts";
import { sweepLeftovers } from "../../runner/cluster/sweep.ts";
import { applyObjects, objectsFromYaml } from "../../runner/kube/apply.ts";
import { execInPod } from "../../runner/kube/exec.ts";
import { waitForPodsReady } from "../../runner/kube/pods.ts";
import { waitForObjects } from "../../runner/kube/watch.ts";
import { Recorder } from "../../runner/recorder.ts";
import { sharedCluster } from "./hooks.ts";
import { cli, freshNamespace } from "./support.ts";
import { join } from "node:path";
import { LABELS, PROJECT_ROOT } from "../../runner/config.ts";
import { waitUntil } from "../../runner/util/wait.ts";

const STATEFULSET = `
apiVersion: v1
kind: Service
metadata: {name: nginx}
spec:
  clusterIP: None
  selector: {app: nginx}
  ports: [{port: 80, name: web}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: web}
spec:
  serviceName: nginx
  replicas: 2
  selector: {matchLabels: {app: nginx}}
  template:
    metadata: {labels: {app: nginx}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: nginx
        image: k8s.gcr.io/nginx-slim:0.8
        ports: [{containerPort: 80, name: web}]
        volumeMounts: [{name: www, mountPath: /usr/share/nginx/html}]
  volumeClaimTemplates:
  - metadata: {name: www}
    spec:
      accessModes: [ReadWriteOnce]
      resources: {requests: {storage: 1Gi}}
`;

const PROBE = `
apiVersion: v1
kind: Pod
metadata: {name: probe}
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - name: probe
    image: busybox:1.28
    command: [sleep, "3600"]
`;

describe("cluster: can host a StatefulSet exercise", function () {
  let kc: KubeConfig;
  let ns: { name: string; remove: () => Promise<void> };
  let recorder: Recorder;
  let core: CoreV1Api;

  before(async function () {
    kc = sharedCluster().kubeConfig;
    core = kc.makeApiClient(CoreV1Api);
    ns = await freshNamespace(kc, "cluster-test");
    recorder = new Recorder(kc, ns.name);
    await recorder.start();
    await applyObjects(kc, ns.name, objectsFromYaml(STATEFULSET + "---" + PROBE));
    await waitForPodsReady(kc, ns.name, ["web-0", "web-1", "probe"], { deadlineMs: 90_000 });
  });

  after(async function () {
    recorder?.stop();
    await ns?.remove();
  });

  const sh = (pod: string, script: string) =>
    execInPod(kc, { namespace: ns.name, pod }, ["sh", "-c", script], { deadlineMs: 30_000 });

  it("creates the pods in order: web-1 only after web-0 is Ready", function () {
    const web0Ready = recorder.first("web-0", "ready");
    const web1Created = recorder.first("web-1", "created");
    expect(web0Ready, "web-0 became Ready").to.exist;
    expect(web1Created, "web-1 was created").to.exist;
    expect(web1Created!.at).to.be.at.least(web0Ready!.at);
  });

  it("binds each claim to a volume of its own", async function () {
    const claims = await core.listNamespacedPersistentVolumeClaim({ namespace: ns.name });
    const byName = new Map(claims.items.map((c) => [c.metadata?.name, c]));
    for (const name of ["www-web-0", "www-web-1"]) {
      expect(byName.get(name)?.status?.phase, `${name} phase`).to.equal("Bound");
    }
    const volumes = ["www-web-0", "www-web-1"].map((n) => byName.get(n)?.spec?.volumeName);
    expect(volumes[0]).to.be.a("string").and.not.equal(volumes[1]);
  });

  it("keeps a file written in pod 0 out of pod 1, and in pod 0 after it is recreated", async function () {
    const write = await sh("web-0", "echo kept-by-web-0 > /usr/share/nginx/html/probe.txt && cat /usr/share/nginx/html/probe.txt");
    expect(write.stdout.trim()).to.equal("kept-by-web-0");
    const other = await sh("web-1", "cat /usr/share/nginx/html/probe.txt 2>/dev/null || echo absent");
    expect(other.stdout.trim()).to.equal("absent");

    const before = await core.readNamespacedPod({ name: "web-0", namespace: ns.name });
    await core.deleteNamespacedPod({ name: "web-0", namespace: ns.name, gracePeriodSeconds: 1 });
    await waitForObjects<V1Pod>(kc, { apiVersion: "v1", kind: "Pod", plural: "pods", namespace: ns.name }, {
      what: "web-0 recreated and Ready",
      deadlineMs: 60_000,
      condition: (pods) => {
        const pod = pods.get("web-0");
        if (!pod || pod.metadata?.uid === before.metadata?.uid) return { pending: "old web-0 still there" };
        return pod.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ? true : { pending: "new web-0 not Ready" };
      },
    });
    const after = await sh("web-0", "cat /usr/share/nginx/html/probe.txt");
    expect(after.stdout.trim()).to.equal("kept-by-web-0");
  });

  it("resolves each pod's full DNS name to its current IP from a busybox:1.28 probe", async function () {
    for (const name of ["web-0", "web-1"]) {
      const pod = await core.readNamespacedPod({ name, namespace: ns.name });
      const fqdn = `${name}.nginx.${ns.name}.svc.cluster.local`;
      const lookup = await execInPod(kc, { namespace: ns.name, pod: "probe" }, ["nslookup", fqdn], { deadlineMs: 20_000 });
      expect(lookup.exitCode, lookup.stdout + lookup.stderr).to.equal(0);
      expect(lookup.stdout).to.include(pod.status?.podIP);
    }
  });

  it("starts a pod whose imagePullPolicy is Always from the node's mirror", async function () {
    await applyObjects(kc, ns.name, objectsFromYaml(`
apiVersion: v1
kind: Pod
metadata: {name: always}
spec:
  terminationGracePeriodSeconds: 0
  containers: [{name: c, image: "nginx:mainline", imagePullPolicy: Always}]
`));
    await waitForPodsReady(kc, ns.name, ["always"], { deadlineMs: 60_000 });
  });

  it("reports ErrImagePull within seconds for an image outside the set", async function () {
    const started = Date.now();
    await applyObjects(kc, ns.name, objectsFromYaml(`
apiVersion: v1
kind: Pod
metadata: {name: unknown-image}
spec:
  containers: [{name: c, image: "example.invalid/nobody/nothing:1"}]
`));
    const failure = await waitForPodsReady(kc, ns.name, ["unknown-image"], { deadlineMs: 60_000 }).then(
      () => undefined,
      (error: Error) => error,
    );
    expect(failure?.name).to.equal("ConditionFailed");
    expect(failure?.message).to.match(/ErrImagePull|ImagePullBackOff/);
    expect(Date.now() - started, "time to ErrImagePull (ms)").to.be.below(15_000);
  });

  it("refuses an anonymous request from a pod to the kubelet API", async function () {
    const node = (await core.listNode()).items[0];
    const ip = node.status?.addresses?.find((a) => a.type === "InternalIP")?.address;
    const result = await sh("probe", `wget -q -O- --no-check-certificate https://${ip}:10250/pods 2>&1; echo "exit=$?"`);
    expect(result.stdout).to.match(/401 Unauthorized|403 Forbidden/);
    expect(result.stdout).to.not.include('"kind":"PodList"');
  });
});

describe("cluster: nothing is left behind", function () {
  const childScript = fileURLToPath(new URL("./start-and-wait.ts", import.meta.url));

  async function managedContainers(): Promise<string[]> {
    const { client } = await dockerClient();
    const list = await client.container.dockerode.listContainers({ all: true, filters: { label: [`${LABELS.managed}=true`] } });
    return list.map((c) => c.Id);
  }

  async function startChild(): Promise<{ child: ReturnType<typeof execa>; id: string }> {
    // No SIGKILL from execa after a signal: the child's own cleanup is what is tested.
    const child = execa(process.execPath, [childScript], { reject: false, all: true, forceKillAfterDelay: false });
    const id = await new Promise<string>((resolve, reject) => {
      let buffer = "";
      child.stdout?.on("data", (chunk: Buffer) => {
        buffer += String(chunk);
        const match = /CONTAINER (\w+)/.exec(buffer);
        if (match) resolve(match[1]);
      });
      void child.then((r) => reject(new Error(`child exited before its cluster started: ${String(r.all)}`)));
    });
    return { child, id };
  }

  it("removes the node container when the process that started it gets SIGINT", async function () {
    const { child, id } = await startChild();
    expect(await managedContainers()).to.include(id);
    child.kill("SIGINT");
    const result = await child;
    expect(result.exitCode, String(result.all)).to.equal(130);
    expect(await managedContainers()).to.not.include(id);
  });

  it("sweeps the node container of a process that was killed outright", async function () {
    const { child, id } = await startChild();
    child.kill("SIGKILL");
    await child;
    expect(await managedContainers(), "left behind by SIGKILL").to.include(id);
    const swept = await sweepLeftovers();
    expect(swept).to.include(id.slice(0, 12));
    expect(await managedContainers()).to.not.include(id);
  });

  it("a grade that started its own node reports first and leaves the node's removal to a process that outlives it", async function () {
    const child = cli(["grade", "web", join(PROJECT_ROOT, "fixtures/web/reference/submission"), "--cluster", "kit"]);
    const pid = child.pid;
    const result = await child;
    expect(result.exitCode, String(result.all)).to.equal(0);
    expect(String(result.stdout)).to.include("Total: 100/100 points, passed");
    // No sweep here: the detached reaper (runner/cluster/reap.ts) alone removes the node.
    const { client } = await dockerClient();
    const owned = async () =>
      (await client.container.dockerode.listContainers({ all: true, filters: { label: [`${LABELS.ownerPid}=${pid}`] } })).map((c) => c.Id);
    await waitUntil("the grade's node container removed after the command exited", 60_000, async () => {
      const left = await owned();
      return left.length ? { pending: `${left.length} container(s) of pid ${pid} still there` } : true;
    });
  });

  it("leaves no network behind", async function () {
    const { client } = await dockerClient();
    const networks = await client.container.dockerode.listNetworks({ filters: { label: [`${LABELS.managed}=true`] } });
    expect(networks).to.have.length(0);
  });
});
