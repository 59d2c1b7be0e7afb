/**
 * The rule for "certain" (runner/kube/certainty.ts), both ways: a wait is cut short only when
 * what holds a pod back cannot change by itself, and a pod that is slow but progressing is
 * waited for.
 */
import { expect } from "chai";
import type { CoreV1Event, V1Container, V1Node, V1PersistentVolumeClaim, V1Pod, V1StorageClass } from "@kubernetes/client-node";
import { certainPodFailure, createFailure, unboundClaim, type Observations } from "../../runner/kube/certainty.ts";

const standard: V1StorageClass = {
  metadata: { name: "standard", annotations: { "storageclass.kubernetes.io/is-default-class": "true" } },
  provisioner: "kubernetes.io/host-path",
};
const node: V1Node = { metadata: { name: "kubegrade" }, status: { allocatable: { cpu: "2", memory: "8Gi" } } };

let serial = 0;
function event(kind: string, name: string, uid: string, reason: string, message: string, extra: Partial<CoreV1Event> = {}): CoreV1Event {
  serial++;
  return {
    metadata: { name: `${name}.${serial}` },
    involvedObject: { kind, name, uid },
    reason,
    message,
    count: 1,
    lastTimestamp: new Date(Date.parse("2026-12-05T10:00:00Z") + serial * 1000),
    ...extra,
  };
}

const seen = (parts: Partial<Observations> = {}): Observations => ({ events: [], claims: new Map(), storageClasses: [standard], nodes: [node], ...parts });

function claim(name: string, spec: V1PersistentVolumeClaim["spec"], phase = "Pending"): V1PersistentVolumeClaim {
  return { metadata: { name, uid: `uid-${name}` }, spec, status: { phase } };
}

/** web-0 of the web exercise, waiting for its claim www-web-0 to bind. */
const unscheduled: V1Pod = {
  metadata: { name: "web-0", uid: "pod-1" },
  spec: { containers: [{ name: "nginx", image: "nginx:mainline" }], volumes: [{ name: "www", persistentVolumeClaim: { claimName: "www-web-0" } }] },
  status: {
    phase: "Pending",
    conditions: [{ type: "PodScheduled", status: "False", reason: "Unschedulable", message: "0/1 nodes are available: pod has unbound immediate PersistentVolumeClaims. not found" }],
  },
};

const claims = (...list: V1PersistentVolumeClaim[]) => new Map(list.map((c) => [c.metadata!.name!, c]));

describe("certain: a claim that cannot bind", function () {
  it("a StorageClass the cluster does not have: names it, the classes the cluster has, the default, and the fix", function () {
    const premium = claim("www-web-0", { storageClassName: "premium-rwo", accessModes: ["ReadWriteOnce"] });
    const failure = certainPodFailure(unscheduled, seen({ claims: claims(premium) }));
    expect(failure?.problem).to.include("claim www-web-0 asks for StorageClass premium-rwo, which this cluster does not have (its classes: standard (default))")
      .and.include("Leave storageClassName out").and.include("default class, standard");
    expect(failure?.ownFix).to.equal(true);
    // Without the right to list classes, the provisioner's event says the same.
    const event404 = event("PersistentVolumeClaim", "www-web-0", "uid-www-web-0", "ProvisioningFailed", 'storageclass.storage.k8s.io "premium-rwo" not found');
    expect(unboundClaim(premium, seen({ storageClasses: undefined, events: [event404] }))).to.include("does not have");
    expect(unboundClaim(premium, seen({ storageClasses: undefined }))).to.equal(undefined);
  });

  it("a claim being provisioned by a class that exists is waited for", function () {
    const fine = claim("www-web-0", { storageClassName: "standard", accessModes: ["ReadWriteOnce"] });
    expect(certainPodFailure(unscheduled, seen({ claims: claims(fine) }))).to.equal(undefined);
    // …and so is a claim of a pod the scheduler has placed (bound, or binding at first consumer).
    expect(certainPodFailure({ ...unscheduled, spec: { ...unscheduled.spec!, nodeName: "kubegrade" } }, seen({ claims: claims(claim("www-web-0", { storageClassName: "premium-rwo" })) })))
      .to.equal(undefined);
  });

  it('storageClassName: "" or a class without provisioner: certain once no volume was found to bind', function () {
    const empty = claim("www-web-0", { storageClassName: "" });
    expect(unboundClaim(empty, seen())).to.equal(undefined);
    const none = event("PersistentVolumeClaim", "www-web-0", "uid-www-web-0", "FailedBinding", "no persistent volumes available for this claim and no storage class is set");
    expect(unboundClaim(empty, seen({ events: [none] }))).to.include('sets storageClassName: "" — no class').and.include("Leave storageClassName out");
    const local: V1StorageClass = { metadata: { name: "local" }, provisioner: "kubernetes.io/no-provisioner" };
    const manual = claim("www-web-0", { storageClassName: "local" });
    expect(unboundClaim(manual, seen({ storageClasses: [standard, local], events: [{ ...none, message: "no persistent volumes available for this claim" }] })))
      .to.include("which has no provisioner (kubernetes.io/no-provisioner)");
    // An event of an earlier claim of the same name (a pre-created namespace) is not this claim's.
    expect(unboundClaim(empty, seen({ events: [{ ...none, involvedObject: { ...none.involvedObject, uid: "old" } }] }))).to.equal(undefined);
  });

  it("a provisioner's refusal: at once when it is final (block mode), else once said 3 times", function () {
    const block = claim("www-web-0", { volumeMode: "Block", storageClassName: "standard" });
    const refused = event("PersistentVolumeClaim", "www-web-0", "uid-www-web-0", "ProvisioningFailed",
      'Failed to provision volume with StorageClass "standard": kubernetes.io/host-path does not support block volume provisioning');
    expect(unboundClaim(block, seen({ events: [refused] }))).to.include("refuses to make a volume").and.include("Leave volumeMode out");
    const odd = claim("www-web-0", { storageClassName: "standard" });
    const busy = event("PersistentVolumeClaim", "www-web-0", "uid-www-web-0", "ProvisioningFailed", "rpc error: code = Unavailable desc = the provisioner is restarting");
    expect(unboundClaim(odd, seen({ events: [busy] }))).to.equal(undefined);
    expect(unboundClaim(odd, seen({ events: [{ ...busy, count: 3 }] }))).to.include("said 3 times");
  });
});

/** A running nginx container, not Ready, and its probe events. */
function probed(container: Partial<V1Container>, message: string, count: number, more: Partial<V1Pod["spec"]> = {}, ready = false): [V1Pod, Observations] {
  const pod: V1Pod = {
    metadata: { name: "web-0", uid: "pod-1" },
    spec: {
      containers: [{ name: "nginx", image: "nginx:mainline", volumeMounts: [{ name: "www", mountPath: "/usr/share/nginx/html" }], ...container }],
      volumes: [{ name: "www", persistentVolumeClaim: { claimName: "www-web-0" } }],
      ...more,
    },
    status: {
      phase: "Running",
      containerStatuses: [{ name: "nginx", image: "", imageID: "", ready, restartCount: 0, state: { running: { startedAt: new Date() } } }],
    },
  };
  const unhealthy = event("Pod", "web-0", "pod-1", "Unhealthy", message, { count, involvedObject: { kind: "Pod", name: "web-0", uid: "pod-1", fieldPath: "spec.containers{nginx}" } });
  return [pod, seen({ events: [unhealthy] })];
}

describe("certain: a probe nginx answers the same way twice", function () {
  const forbidden = "Readiness probe failed: HTTP probe failed with statuscode: 403";
  const probe = { readinessProbe: { httpGet: { path: "/", port: 80 } } };

  it("403 on the empty claim: the probe, the answer and the fix", function () {
    const failure = certainPodFailure(...probed(probe, forbidden, 2));
    expect(failure?.problem).to.include("container nginx's readiness probe (GET / on port 80) answered HTTP 403 2 times: nginx, running as its image starts it, will not answer otherwise.")
      .and.include("nginx answers 403: /usr/share/nginx/html, your claim www, is a fresh, empty volume with no index.html yet");
  });

  it("404 on a missing path, a refused port, a failing liveness probe", function () {
    const missing = certainPodFailure(...probed({ readinessProbe: { httpGet: { path: "/healthz", port: 80 } } }, "Readiness probe failed: HTTP probe failed with statuscode: 404", 3));
    expect(missing?.problem).to.include("GET /healthz on port 80").and.include("404");
    const refused = certainPodFailure(...probed({ readinessProbe: { tcpSocket: { port: 8080 } } },
      "Readiness probe failed: dial tcp 10.244.0.10:8080: connect: connection refused", 2));
    expect(refused?.problem).to.include("readiness probe (TCP port 8080) was refused (dial tcp 10.244.0.10:8080: connect: connection refused) 2 times").and.include("nothing listens on port 8080").and.include("nginx in this image listens on port 80");
    const liveness = certainPodFailure(...probed({ livenessProbe: { httpGet: { path: "/", port: 80 } } }, "Liveness probe failed: HTTP probe failed with statuscode: 403", 2, {}, true));
    expect(liveness?.problem).to.include("liveness probe");
  });

  it("said once, or by a container that is Ready again, it is waited for", function () {
    expect(certainPodFailure(...probed(probe, forbidden, 1))).to.equal(undefined);
    expect(certainPodFailure(...probed(probe, forbidden, 5, {}, true))).to.equal(undefined);
  });

  it("not certain when something may still change the answer: a command of the student's, a sidecar writing the files, a server that is not nginx", function () {
    expect(certainPodFailure(...probed({ ...probe, command: ["sh", "-c", "sleep 30; nginx -g 'daemon off;'"] }, forbidden, 4))).to.equal(undefined);
    expect(certainPodFailure(...probed({ ...probe, lifecycle: { postStart: { exec: { command: ["sh", "-c", "(sleep 20; hostname > /usr/share/nginx/html/index.html) &"] } } } }, forbidden, 4)))
      .to.equal(undefined);
    const sidecar = { containers: [
      { name: "nginx", image: "nginx:mainline", ...probe, volumeMounts: [{ name: "www", mountPath: "/usr/share/nginx/html" }] },
      { name: "writer", image: "busybox:1.28", command: ["sh", "-c", "sleep 20; hostname > /data/index.html; sleep 3600"], volumeMounts: [{ name: "www", mountPath: "/data" }] },
    ] };
    expect(certainPodFailure(...probed(probe, forbidden, 4, sidecar))).to.equal(undefined);
    // A JVM that is not listening yet refuses connections for a minute: it is starting, not broken.
    const cassandra = probed({ image: "gcr.io/google-samples/cassandra:v13", readinessProbe: { tcpSocket: { port: 9042 } } },
      "Readiness probe failed: dial tcp 10.244.0.10:9042: connect: connection refused", 12);
    expect(certainPodFailure(...cassandra)).to.equal(undefined);
  });

  it("a refused connection on nginx's own port 80 is nginx starting, not an answer; so is one on a port a configuration of the submission's may open", function () {
    const starting = probed({ readinessProbe: { httpGet: { path: "/healthz", port: 80 } } },
      "Readiness probe failed: Get \"http://10.244.0.67:80/healthz\": dial tcp 10.244.0.67:80: connect: connection refused", 2);
    expect(certainPodFailure(...starting)).to.equal(undefined);
    const named = probed({ ports: [{ name: "web", containerPort: 80 }], readinessProbe: { httpGet: { path: "/", port: "web" } } },
      "Readiness probe failed: dial tcp 10.244.0.10:80: connect: connection refused", 3);
    expect(certainPodFailure(...named)).to.equal(undefined);
    const ownConfig = probed({ readinessProbe: { tcpSocket: { port: 8080 } }, volumeMounts: [{ name: "conf", mountPath: "/etc/nginx/conf.d" }] },
      "Readiness probe failed: dial tcp 10.244.0.10:8080: connect: connection refused", 3);
    expect(certainPodFailure(...ownConfig)).to.equal(undefined);
    const namedOther = probed({ ports: [{ name: "alt", containerPort: 8080 }], readinessProbe: { tcpSocket: { port: "alt" } } },
      "Readiness probe failed: dial tcp 10.244.0.10:8080: connect: connection refused", 2);
    expect(certainPodFailure(...namedOther)?.problem).to.include("nothing listens on port");
  });

  it("the events of an earlier pod of the same name are not this pod's", function () {
    const [pod, observed] = probed(probe, forbidden, 4);
    expect(certainPodFailure({ ...pod, metadata: { ...pod.metadata, uid: "pod-2" } }, observed)).to.equal(undefined);
  });
});

describe("certain: a pod no node can take, a pod the StatefulSet cannot make", function () {
  const pending = (cpu: string): V1Pod => ({
    metadata: { name: "web-0", uid: "pod-1" },
    spec: { containers: [{ name: "nginx", image: "nginx:mainline", resources: { requests: { cpu } } }] },
    status: { phase: "Pending", conditions: [{ type: "PodScheduled", status: "False", reason: "Unschedulable", message: "0/1 nodes are available: 1 Insufficient cpu." }] },
  });

  it("requests over every node's allocatable, at once; within it, the pod waits for its share", function () {
    expect(certainPodFailure(pending("4"), seen())?.problem).to.include("requests cpu 4 (the largest node allocates 2)").and.include("Lower resources.requests");
    expect(certainPodFailure(pending("1500m"), seen())).to.equal(undefined);
    expect(certainPodFailure(pending("4"), seen({ nodes: undefined }))).to.equal(undefined);
  });

  const set = { name: "web", uid: "sts-1" };
  const failedCreate = (message: string, uid = "sts-1") => event("StatefulSet", "web", uid, "FailedCreate", message);

  it("a quota one pod or claim alone exceeds, or storage the set's own claims use up", function () {
    const cpu = failedCreate('create Pod web-0 in StatefulSet web failed error: pods "web-0" is forbidden: exceeded quota: kubegrade, requested: requests.cpu=3, used: requests.cpu=0, limited: requests.cpu=2');
    expect(createFailure("web-0", set, seen({ events: [cpu] }))).to.include("StatefulSet web cannot create pod web-0: it would exceed the namespace's ResourceQuota kubegrade: requests.cpu 3");
    const storage = failedCreate('create Claim www-web-2 for Pod web-2 in StatefulSet web failed error: persistentvolumeclaims "www-web-2" is forbidden: exceeded quota: kubegrade, requested: requests.storage=8Gi, used: requests.storage=16Gi, limited: requests.storage=20Gi');
    expect(createFailure("web-2", set, seen({ events: [storage] }))).to.include("cannot create claim www-web-2").and.include("resources.requests.storage");
    expect(createFailure("web-1", set, seen({ events: [storage] }))).to.equal(undefined);
  });

  it("CPU or memory that pods still terminating use: waited for", function () {
    const shared = failedCreate('create Pod web-1 in StatefulSet web failed error: pods "web-1" is forbidden: exceeded quota: kubegrade, requested: requests.cpu=1, used: requests.cpu=1500m, limited: requests.cpu=2');
    expect(createFailure("web-1", set, seen({ events: [shared] }))).to.equal(undefined);
  });

  it("a request over the LimitRange's default limit, an invalid spec; another StatefulSet's events are not this one's", function () {
    const limit = failedCreate('create Pod web-0 in StatefulSet web failed error: Pod "web-0" is invalid: spec.containers[0].resources.requests: Invalid value: "1": must be less than or equal to cpu limit of 500m');
    expect(createFailure("web-0", set, seen({ events: [limit] }))).to.include("default limit (cpu 500m)").and.include("set resources.limits.cpu");
    expect(createFailure("web-0", set, seen({ events: [failedCreate(limit.message!, "sts-old")] }))).to.equal(undefined);
  });
});

describe("never certain: slow but progressing", function () {
  it("an initContainer still running, a container starting", function () {
    const initializing: V1Pod = {
      metadata: { name: "web-0", uid: "pod-1" },
      spec: {
        initContainers: [{ name: "wait-for-dns", image: "busybox:1.28", command: ["sh", "-c", "until nslookup kubernetes.default; do sleep 1; done"] }],
        containers: [{ name: "nginx", image: "nginx:mainline" }],
      },
      status: {
        phase: "Pending",
        initContainerStatuses: [{ name: "wait-for-dns", image: "", imageID: "", ready: false, restartCount: 0, state: { running: { startedAt: new Date() } } }],
        containerStatuses: [{ name: "nginx", image: "", imageID: "", ready: false, restartCount: 0, state: { waiting: { reason: "PodInitializing" } } }],
      },
    };
    expect(certainPodFailure(initializing, seen())).to.equal(undefined);
  });
});
