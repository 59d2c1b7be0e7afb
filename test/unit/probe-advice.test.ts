import { expect } from "chai";
import type { V1Pod } from "@kubernetes/client-node";
import { explainProbeFailure, explainStartFailure } from "../../runner/kube/probe-advice.ts";

const pod = (container: Record<string, unknown>, volumes: Record<string, unknown>[] = []): V1Pod =>
  ({ metadata: { name: "web-0" }, spec: { containers: [{ name: "nginx", ...container }], volumes } }) as unknown as V1Pod;

describe("the cluster's words, explained", function () {
  const nginxWithClaim = (probe: Record<string, unknown>) =>
    pod({ image: "nginx:1.29", ports: [{ containerPort: 80, name: "web" }], readinessProbe: probe, volumeMounts: [{ name: "www", mountPath: "/usr/share/nginx/html" }] },
      [{ name: "www", persistentVolumeClaim: { claimName: "www-web-0" } }]);

  it("a readiness probe answered 403 by nginx whose document root is the fresh claim: says so and how to fix it", function () {
    const advice = explainProbeFailure(nginxWithClaim({ httpGet: { path: "/", port: 80 } }), "Readiness probe failed: HTTP probe failed with statuscode: 403");
    expect(advice).to.include("nginx answers 403: /usr/share/nginx/html, your claim www, is a fresh, empty volume with no index.html yet");
    expect(advice).to.include("tcpSocket: {port: 80}").and.to.include("initContainer");
    const notFound = explainProbeFailure(nginxWithClaim({ httpGet: { path: "/healthz", port: "web" } }), "Readiness probe failed: HTTP probe failed with statuscode: 404");
    expect(notFound).to.include("no healthz yet").and.to.include("tcpSocket: {port: web}");
  });

  it("a refused connection names the probed port and the ports the container declares", function () {
    const advice = explainProbeFailure(nginxWithClaim({ tcpSocket: { port: 8080 } }), 'Readiness probe failed: dial tcp 10.42.0.7:8080: connect: connection refused');
    expect(advice).to.include("nothing listens on port 8080 in container nginx (its declared ports: 80 (web))").and.to.include("listens on port 80");
  });

  it("a time-out, a missing tool in an exec probe, and nothing to add for an unknown message", function () {
    expect(explainProbeFailure(nginxWithClaim({ httpGet: { path: "/", port: 80 }, timeoutSeconds: 1 }), 'Readiness probe failed: Get "http://10.42.0.7:80/": context deadline exceeded (Client.Timeout exceeded while awaiting headers)'))
      .to.include("timeoutSeconds (1 s)");
    expect(explainProbeFailure(nginxWithClaim({ exec: { command: ["curl", "-f", "localhost"] } }), 'Readiness probe errored: rpc error: code = Unknown desc = failed to exec in container: exec: "curl": executable file not found in $PATH'))
      .to.include("runs curl, which the image does not have");
    expect(explainProbeFailure(undefined, "Readiness probe failed: something new")).to.equal(undefined);
  });

  it("start-up failures: a missing shell, a missing ConfigMap, exit codes 127 and 0", function () {
    expect(explainStartFailure("RunContainerError", 'failed to create containerd task: exec: "bash": executable file not found in $PATH')).to.include("The image has no bash");
    expect(explainStartFailure("CreateContainerConfigError", 'configmap "nginx-conf" not found')).to.include("ConfigMap nginx-conf, which the submission does not create");
    expect(explainStartFailure("CrashLoopBackOff", "back-off 10s restarting failed container", 127)).to.include("did not find a command");
    expect(explainStartFailure("CrashLoopBackOff", "back-off", 0)).to.include("ended (exit 0)");
    expect(explainStartFailure("ImagePullBackOff", "Back-off pulling image")).to.equal("");
    const killedByLiveness = explainStartFailure("CrashLoopBackOff", "back-off", 0, { name: "nginx", livenessProbe: { httpGet: { path: "/healthz", port: 80 } } });
    expect(killedByLiveness).to.include("It has a livenessProbe").and.not.to.include("ended (exit 0)");
  });
});
