/**
 * The cluster's words, explained: a probe failure or a container that cannot start, as the
 * kubelet reports it ("Readiness probe failed: HTTP probe failed with statuscode: 403"),
 * read against the pod's own spec and turned into what it means for this pod and the
 * likely fix. Pure functions of the pod and the message; undefined when there is nothing
 * more to say than the message itself.
 */
import type { V1Container, V1Pod, V1Probe } from "@kubernetes/client-node";
import { parseImage } from "../submission/images.ts";

const NGINX_DOCROOT = "/usr/share/nginx/html";

function isNginx(container: V1Container): boolean {
  return /(^|\/)nginx(-slim)?$/.test(parseImage(container.image ?? "").repository);
}

/** Which probe the message is about, and the container that has it. */
function probeOf(pod: V1Pod | undefined, message: string): { kind: string; probe?: V1Probe; container?: V1Container } {
  const kind = /^(Readiness|Liveness|Startup) probe/i.exec(message)?.[1].toLowerCase() ?? "readiness";
  const field = `${kind}Probe` as "readinessProbe" | "livenessProbe" | "startupProbe";
  const container = (pod?.spec?.containers ?? []).find((c) => c[field]);
  return { kind, probe: container?.[field], container };
}

function portText(port: unknown): string {
  return port === undefined ? "?" : String(port);
}

/** What a volume mounted at nginx's document root is, in the student's terms ("your claim www"). */
function docrootVolume(pod: V1Pod | undefined, container: V1Container): string | undefined {
  const mount = (container.volumeMounts ?? []).find((m) => m.mountPath.replace(/\/+$/, "") === NGINX_DOCROOT);
  if (!mount) return undefined;
  const volume = (pod?.spec?.volumes ?? []).find((v) => v.name === mount.name);
  if (volume?.emptyDir) return `the emptyDir ${mount.name}`;
  if (volume?.configMap || volume?.secret) return undefined; // holds the files it was given
  return `your claim ${mount.name}`;
}

/** A probe failure explained, from the kubelet's event message (reason Unhealthy). */
export function explainProbeFailure(pod: V1Pod | undefined, message: string): string | undefined {
  const { kind, probe, container } = probeOf(pod, message);
  const name = container ? `container ${container.name}'s ${kind} probe` : `the ${kind} probe`;
  const status = /statuscode: (\d{3})/.exec(message)?.[1];
  if ((status === "403" || status === "404") && container && isNginx(container)) {
    const volume = docrootVolume(pod, container);
    const path = probe?.httpGet?.path ?? "/";
    if (volume) {
      return `nginx answers ${status}: ${NGINX_DOCROOT}, ${volume}, is a fresh, empty volume with no ${path === "/" ? "index.html" : path.replace(/^\//, "")} yet, ` +
        `so ${name} (GET ${path}) fails and the pod never becomes Ready on any cluster. ` +
        `Probe the TCP port instead (tcpSocket: {port: ${portText(probe?.httpGet?.port)}}), or write ${path === "/" ? "an index.html" : path} onto that volume first (an initContainer).`;
    }
    return `nginx answers ${status} for GET ${path}: there is no such file in ${NGINX_DOCROOT}. Probe a path nginx serves, or the TCP port (tcpSocket).`;
  }
  if (status && Number(status) >= 400) {
    return `the server in ${container ? `container ${container.name}` : "the container"} answered ${status} to GET ${probe?.httpGet?.path ?? "/"}: probe a path it serves with 2xx/3xx, or its TCP port.`;
  }
  if (/connection refused/i.test(message)) {
    const port = probe?.httpGet?.port ?? probe?.tcpSocket?.port ?? probe?.grpc?.port;
    const declared = (container?.ports ?? []).map((p) => `${p.containerPort}${p.name ? ` (${p.name})` : ""}`);
    const listens = container && isNginx(container) ? " nginx in this image listens on port 80." : "";
    return `nothing listens on port ${portText(port)} in ${container ? `container ${container.name}` : "the container"}` +
      `${declared.length ? ` (its declared ports: ${declared.join(", ")})` : ""}.${listens} Point ${name} at the port the server listens on` +
      " — or, if the server needs time to start, give it a startupProbe or initialDelaySeconds.";
  }
  if (/Client\.Timeout|context deadline exceeded|i\/o timeout|timed out|timeout/i.test(message)) {
    return `${name} gave up after timeoutSeconds (${probe?.timeoutSeconds ?? 1} s): the server did not answer in time. ` +
      "Raise timeoutSeconds, or probe something cheaper (the TCP port).";
  }
  const missing = /exec: "([^"]+)": executable file not found|(\S+): not found|can't execute '([^']+)'/.exec(message);
  if (missing) {
    const tool = missing[1] ?? missing[2] ?? missing[3];
    return `${name} runs ${tool}, which the image does not have (the grader's images carry busybox: sh, wget, nc). ` +
      `Use a command the image has (wget -q -O- http://localhost/), or an httpGet or tcpSocket probe.`;
  }
  return undefined;
}

/** A container that cannot start, explained from its waiting reason and message; "" when nothing to add. */
export function explainStartFailure(reason: string, message: string, lastExitCode?: number, container?: V1Container): string {
  const missing = /exec: "([^"]+)": (?:stat [^:]+: )?(?:executable file not found|no such file or directory)/.exec(message);
  if (missing) {
    return ` The image has no ${missing[1]}: the grader's images are busybox-based (sh, not bash). Fix the container's command.`;
  }
  if (reason === "CreateContainerConfigError" && /(configmap|secret) "([^"]+)" not found/i.test(message)) {
    const [, kind, name] = /(configmap|secret) "([^"]+)" not found/i.exec(message)!;
    return ` The pod refers to ${kind === "configmap" ? "ConfigMap" : "Secret"} ${name}, which the submission does not create: add it, or fix the name.`;
  }
  if (reason === "CrashLoopBackOff" && container?.livenessProbe && (lastExitCode === 0 || lastExitCode === 137 || lastExitCode === 143)) {
    return " It has a livenessProbe, and the kubelet restarts the container each time that probe fails: point the probe at a port and path the server answers (or probe the TCP port), or leave the liveness probe out.";
  }
  if (reason === "CrashLoopBackOff" && lastExitCode === 127) {
    return " Exit code 127 means the shell did not find a command: check the command and args (the images are busybox-based; there is no bash).";
  }
  if (reason === "CrashLoopBackOff" && lastExitCode === 0) {
    return " Its command ended (exit 0) instead of running a server: the container's command must keep running (do not replace the image's server with a one-off command; use an initContainer for that).";
  }
  return "";
}
