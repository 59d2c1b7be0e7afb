/**
 * The rule for "certain": what keeps a pod from becoming Ready (or from being made at all)
 * and cannot change by itself, so that waiting longer only costs the grade its time. Pure
 * functions of what was observed — the pod, the namespace's events and claims, the cluster's
 * StorageClasses and nodes —; each answer names the cause in the student's words, what was
 * seen, and the fix. Certain:
 *
 *   - what podProblem (pods.ts) says: an image the node cannot have, a container crash-looping,
 *     OOM-killed or evicted, a selector or taint no node matches;
 *   - a claim that cannot bind: a StorageClass the cluster does not have, `storageClassName: ""`
 *     or a class without a provisioner with no volume to bind, a provisioner that refused the
 *     claim (block mode, access modes; any other refusal once it was said 3 times);
 *   - a readiness, liveness or startup probe answered the same way twice by nginx running as its
 *     image starts it (a 4xx status — its files change only if another container of the pod
 *     writes them —, or a refused connection on a port nginx never opens: not 80, and no
 *     configuration of the submission's own under /etc/nginx; refused on 80 is nginx starting);
 *   - a pod that requests more CPU or memory than any node can allocate, or waits for volumes
 *     no node has;
 *   - a pod or claim the StatefulSet cannot create: a quota one object alone exceeds (storage
 *     also with what the set's own claims use: claims outlive their pods), a LimitRange, a
 *     spec the API server finds invalid, a Pod Security violation.
 *
 * Never certain — waited for until the deadline: a container starting slowly (a JVM, a long
 * initContainer), a server that is not nginx refusing connections or answering errors (it may
 * still be starting), a claim being provisioned, a pod waiting for CPU another pod will give
 * back, a quota that only the pods still terminating exceed.
 */
import type { CoreV1Event, V1Container, V1Node, V1PersistentVolumeClaim, V1Pod, V1StorageClass } from "@kubernetes/client-node";
import { parseImage } from "../submission/images.ts";
import { podProblem } from "./pods.ts";
import { explainProbeFailure } from "./probe-advice.ts";
import { parseQuantity, podRequests } from "./resources.ts";

/** What was seen in the grading namespace and of the cluster, besides the pods. */
export interface Observations {
  /** The namespace's events (of every object, any age: filter by the object's uid). */
  events: readonly CoreV1Event[];
  /** The namespace's claims by name. */
  claims: ReadonlyMap<string, V1PersistentVolumeClaim>;
  /** The cluster's StorageClasses; undefined when they could not be listed. */
  storageClasses?: readonly V1StorageClass[];
  /** The cluster's nodes; undefined when they could not be listed. */
  nodes?: readonly V1Node[];
}

export const NOTHING_OBSERVED: Observations = { events: [], claims: new Map() };

/** A probe must have given the same answer this many times. */
export const SAME_ANSWER_TIMES = 2;
/** A provisioner's refusal not known to be final counts once it was said this many times. */
const PROVISIONING_REFUSALS = 3;

const time = (value: unknown): number => (value ? new Date(value as string).getTime() : 0);
const eventTime = (e: CoreV1Event) => time(e.series?.lastObservedTime ?? e.lastTimestamp ?? e.eventTime ?? e.metadata?.creationTimestamp);
const eventCount = (e: CoreV1Event) => e.series?.count ?? e.count ?? 1;

function eventsOf(seen: Observations, kind: string, name: string | undefined, uid: string | undefined, reason?: string): CoreV1Event[] {
  return seen.events
    .filter((e) => e.involvedObject?.kind === kind && e.involvedObject.name === name && (!uid || e.involvedObject.uid === uid) && (!reason || e.reason === reason))
    .sort((a, b) => eventTime(a) - eventTime(b));
}

/**
 * Why `pod` will not become Ready without a change to the submission, once that is certain;
 * undefined while it may still come up. `own` tells whether the text carries its own fix.
 */
export function certainPodFailure(pod: V1Pod, seen: Observations, now = Date.now()): { problem: string; ownFix: boolean } | undefined {
  const problem = podProblem(pod, now);
  if (problem) return { problem, ownFix: false };
  const certain = claimFailure(pod, seen) ?? scheduleFailure(pod, seen) ?? probeFailure(pod, seen);
  return certain ? { problem: certain, ownFix: true } : undefined;
}

// ---------------------------------------------------------------------------------- claims

function storageClassName(c: V1StorageClass): string {
  return c.metadata?.name ?? "";
}

function isDefaultClass(c: V1StorageClass): boolean {
  return c.metadata?.annotations?.["storageclass.kubernetes.io/is-default-class"] === "true";
}

/** "standard (default), fast" — or "none". */
function classList(classes: readonly V1StorageClass[]): string {
  return classes.length ? classes.map((c) => `${storageClassName(c)}${isDefaultClass(c) ? " (default)" : ""}`).join(", ") : "none";
}

function leaveClassOut(classes: readonly V1StorageClass[] | undefined): string {
  const fallback = classes?.find(isDefaultClass);
  return fallback
    ? `Leave storageClassName out of the claim (the volumeClaimTemplate): it then gets the cluster's default class, ${storageClassName(fallback)}, on any cluster.`
    : "Leave storageClassName out of the claim (the volumeClaimTemplate) to get the cluster's default class.";
}

/** Why a Pending claim will never bind, once certain. */
export function unboundClaim(claim: V1PersistentVolumeClaim, seen: Observations): string | undefined {
  const name = claim.metadata?.name;
  const events = eventsOf(seen, "PersistentVolumeClaim", name, claim.metadata?.uid);
  const asked = claim.spec?.storageClassName;
  const classes = seen.storageClasses;
  const notFound = events.some((e) => e.reason === "ProvisioningFailed" && /storageclass\.storage\.k8s\.io "[^"]+" not found/.test(e.message ?? ""));
  if (asked && ((classes && !classes.some((c) => storageClassName(c) === asked)) || notFound)) {
    return `claim ${name} asks for StorageClass ${asked}, which this cluster does not have` +
      `${classes ? ` (its classes: ${classList(classes)})` : ""}, so no volume is ever made for it. ${leaveClassOut(classes)}`;
  }
  const noVolume = events.some((e) => e.reason === "FailedBinding" && /no persistent volumes available/.test(e.message ?? ""));
  const cls = classes?.find((c) => storageClassName(c) === asked);
  if (noVolume && asked === "") {
    return `claim ${name} sets storageClassName: "" — no class, so it can only bind a PersistentVolume made beforehand, and this cluster has none free. ${leaveClassOut(classes)}`;
  }
  if (noVolume && cls?.provisioner === "kubernetes.io/no-provisioner") {
    return `claim ${name} asks for StorageClass ${asked}, which has no provisioner (kubernetes.io/no-provisioner): it can only bind a PersistentVolume made beforehand, ` +
      `and this cluster has none free. ${leaveClassOut(classes)}`;
  }
  if (noVolume && asked === undefined && classes && !classes.some(isDefaultClass)) {
    return `claim ${name} names no StorageClass, and this cluster has no default class (its classes: ${classList(classes)}). Name one of them in storageClassName.`;
  }
  const refused = events.filter((e) => e.reason === "ProvisioningFailed").at(-1);
  if (refused && (finalRefusal(refused.message ?? "") || eventCount(refused) >= PROVISIONING_REFUSALS)) {
    const message = (refused.message ?? "").split("\n")[0].slice(0, 300);
    return `the cluster refuses to make a volume for claim ${name}: "${message}" (said ${eventCount(refused)} times).${provisioningAdvice(message, claim)}`;
  }
  return undefined;
}

/** A provisioner's refusal that the same claim will always get. */
function finalRefusal(message: string): boolean {
  return /does not support block volume|invalid AccessModes|only AccessModes .* are supported|not supported|is not supported/i.test(message);
}

function provisioningAdvice(message: string, claim: V1PersistentVolumeClaim): string {
  if (/block volume/i.test(message)) return " Leave volumeMode out of the claim (the default, Filesystem, is what a container mounts as a directory).";
  if (/AccessModes/i.test(message)) return ` Ask for accessModes: [ReadWriteOnce] (the claim asks for ${(claim.spec?.accessModes ?? []).join(", ") || "none"}).`;
  return "";
}

/** A pod not yet on a node because one of its claims will never bind. */
function claimFailure(pod: V1Pod, seen: Observations): string | undefined {
  if (pod.spec?.nodeName) return undefined;
  for (const volume of pod.spec?.volumes ?? []) {
    const claim = volume.persistentVolumeClaim && seen.claims.get(volume.persistentVolumeClaim.claimName);
    if (claim?.status?.phase !== "Pending") continue;
    const why = unboundClaim(claim, seen);
    if (why) return `pod ${pod.metadata?.name} cannot start: ${why}`;
  }
  return undefined;
}

// ------------------------------------------------------------------------------ scheduling

function formatCpu(cores: number): string {
  return Number.isInteger(cores) ? String(cores) : `${Math.round(cores * 1000)}m`;
}

function formatBytes(bytes: number): string {
  for (const [unit, size] of [["Gi", 2 ** 30], ["Mi", 2 ** 20], ["Ki", 2 ** 10]] as const) {
    if (bytes >= size) return `${Math.round((bytes / size) * 10) / 10}${unit}`;
  }
  return String(bytes);
}

/** A pod the scheduler cannot place, and never will: more than any node has, or volumes no node has. */
function scheduleFailure(pod: V1Pod, seen: Observations): string | undefined {
  const unschedulable = pod.status?.conditions?.find((c) => c.type === "PodScheduled" && c.status === "False" && c.reason === "Unschedulable");
  if (!unschedulable) return undefined;
  const message = unschedulable.message ?? "";
  const name = pod.metadata?.name;
  if (/didn't find available persistent volumes to bind/.test(message)) {
    return `pod ${name} cannot be scheduled: no node has a volume its claims can bind (${message}). ${leaveClassOut(seen.storageClasses)}`;
  }
  if (!/insufficient (cpu|memory)/i.test(message) || !seen.nodes?.length) return undefined;
  let requests;
  try {
    requests = podRequests(pod);
  } catch {
    return undefined; // a quantity the API server accepted but we cannot read: not certain
  }
  const largest = { cpu: 0, memory: 0 };
  for (const node of seen.nodes) {
    largest.cpu = Math.max(largest.cpu, parseQuantity(node.status?.allocatable?.cpu ?? "0"));
    largest.memory = Math.max(largest.memory, parseQuantity(node.status?.allocatable?.memory ?? "0"));
  }
  const over = [
    ...(requests.cpu > largest.cpu ? [`cpu ${formatCpu(requests.cpu)} (the largest node allocates ${formatCpu(largest.cpu)})`] : []),
    ...(requests.memory > largest.memory ? [`memory ${formatBytes(requests.memory)} (the largest node allocates ${formatBytes(largest.memory)})`] : []),
  ];
  if (!over.length) return undefined; // it fits an empty node: it may once others give their share back
  return `pod ${name} can never be scheduled: it requests ${over.join(" and ")}, more than any node of this cluster has. ` +
    "Lower resources.requests in the pod template (the exercise's pods need little).";
}

// ----------------------------------------------------------------------------------- probes

/** nginx as its image starts it: it serves fixed files and opens its ports at start. */
export function isNginxServer(container: V1Container): boolean {
  if (!/(^|\/)nginx(-slim)?$/.test(parseImage(container.image ?? "").repository)) return false;
  const argv = container.command ?? container.args;
  return !argv?.length || /(^|\/)nginx$/.test(argv[0]);
}

/** Whether another container of the pod may write into what `container` serves (a sidecar sharing a volume). */
function othersMayWrite(pod: V1Pod, container: V1Container): boolean {
  const mine = new Set((container.volumeMounts ?? []).map((m) => m.name));
  return (pod.spec?.containers ?? []).some((c) => c !== container && !isNginxServer(c) && (c.volumeMounts ?? []).some((m) => mine.has(m.name) && !m.readOnly));
}

/** The one port nginx listens on as its image starts it (the kit's and the public images' default server). */
const NGINX_PORT = 80;

/**
 * The port a probe knocks on, a named one resolved through the container's ports; undefined
 * when it cannot be told.
 */
function probedPort(container: V1Container, port: number | string | undefined): number | undefined {
  if (typeof port === "number") return port;
  if (port === undefined) return undefined;
  if (/^\d+$/.test(port)) return Number(port);
  return container.ports?.find((p) => p.name === port)?.containerPort;
}

/**
 * Whether a refused connection is nginx's last word: only on a port it never opens (not 80,
 * and no configuration of the submission's own mounted under /etc/nginx). On port 80 it is
 * nginx not listening yet — a slow start under load, never a certainty.
 */
function refusedForGood(container: V1Container, port: number | string | undefined): boolean {
  const probed = probedPort(container, port);
  if (probed === undefined || probed === NGINX_PORT) return false;
  return !(container.volumeMounts ?? []).some((m) => m.mountPath === "/etc/nginx" || m.mountPath.startsWith("/etc/nginx/"));
}

/** The answer a failed probe got, when a running nginx will give it forever. */
function settledAnswer(pod: V1Pod, container: V1Container, message: string, port: number | string | undefined): boolean {
  if (!isNginxServer(container)) return false;
  if (/connection refused/i.test(message)) return refusedForGood(container, port);
  const status = /statuscode: (4\d\d)/.exec(message)?.[1];
  // A postStart hook may leave something behind that writes the files later.
  return status !== undefined && !container.lifecycle?.postStart && !othersMayWrite(pod, container);
}

/** A probe of a running container answered the same twice, by a server that will not change its answer. */
function probeFailure(pod: V1Pod, seen: Observations): string | undefined {
  const uid = pod.metadata?.uid;
  for (const status of pod.status?.containerStatuses ?? []) {
    if (!status.state?.running) continue;
    const container = pod.spec?.containers?.find((c) => c.name === status.name);
    if (!container) continue;
    const failures = eventsOf(seen, "Pod", pod.metadata?.name, uid, "Unhealthy")
      .filter((e) => e.involvedObject?.fieldPath === `spec.containers{${status.name}}`);
    const last = failures.at(-1);
    const said = /^(Readiness|Liveness|Startup) probe failed: ([\s\S]*)$/.exec(last?.message ?? "");
    if (!last || !said || eventCount(last) < SAME_ANSWER_TIMES) continue;
    // A readiness probe that failed once a container is Ready again no longer holds it back.
    if (said[1] === "Readiness" && status.ready) continue;
    const probe = container[`${said[1].toLowerCase()}Probe` as "readinessProbe"];
    if (!settledAnswer(pod, container, said[2], probe?.httpGet?.port ?? probe?.tcpSocket?.port)) continue;
    const target = probe?.httpGet
      ? `GET ${probe.httpGet.path ?? "/"} on port ${probe.httpGet.port}`
      : probe?.tcpSocket ? `TCP port ${probe.tcpSocket.port}` : "its check";
    const code = /statuscode: (\d{3})/.exec(said[2])?.[1];
    const answer = code ? `answered HTTP ${code}` : `was refused (${said[2].split("\n")[0].slice(0, 200)})`;
    const advice = explainProbeFailure(pod, last.message ?? "");
    return `pod ${pod.metadata?.name}: container ${status.name}'s ${said[1].toLowerCase()} probe (${target}) ${answer} ${eventCount(last)} times: ` +
      `nginx, running as its image starts it, will not answer otherwise.${advice ? ` ${advice}` : ""}`;
  }
  return undefined;
}

// --------------------------------------------------------------------------------- creation

interface QuotaRefusal {
  quota: string;
  requested: Map<string, string>;
  used: Map<string, string>;
  limited: Map<string, string>;
}

function quotaValues(text: string): Map<string, string> {
  return new Map(text.split(",").map((pair) => pair.split("=") as [string, string]).filter(([k, v]) => k && v));
}

function quotaRefusal(message: string): QuotaRefusal | undefined {
  const match = /exceeded quota: ([^,\s]+), requested: (\S+), used: (\S+), limited: (\S+)/.exec(message);
  if (!match) return undefined;
  return { quota: match[1], requested: quotaValues(match[2]), used: quotaValues(match[3]), limited: quotaValues(match[4]) };
}

const quantity = (value: string | undefined): number => {
  try {
    return value === undefined ? 0 : parseQuantity(value);
  } catch {
    return Number.NaN;
  }
};

/** The resources a quota refusal is certain for: one object alone over the limit, or storage (claims stay). */
function quotaCertain(refusal: QuotaRefusal): string[] {
  const over: string[] = [];
  for (const [resource, requested] of refusal.requested) {
    const limit = quantity(refusal.limited.get(resource));
    const asked = quantity(requested);
    const storage = resource === "persistentvolumeclaims" || /storage$/.test(resource);
    if (asked > limit || (storage && asked + quantity(refusal.used.get(resource)) > limit)) over.push(resource);
  }
  return over;
}

/**
 * Why the StatefulSet could not make pod `podName` (or its claim), once certain — from its
 * FailedCreate events; undefined while it may still make it.
 */
export function createFailure(podName: string, owner: { name: string; uid?: string }, seen: Observations): string | undefined {
  const mentions = new RegExp(`\\bPod ${podName.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} in StatefulSet\\b`);
  const refused = eventsOf(seen, "StatefulSet", owner.name, owner.uid, "FailedCreate").filter((e) => mentions.test(e.message ?? "")).at(-1);
  if (!refused) return undefined;
  const message = (refused.message ?? "").split("\n")[0];
  const what = /(pods|persistentvolumeclaims) "([^"]+)"/.exec(message);
  const object = what ? `${what[1] === "pods" ? "pod" : "claim"} ${what[2]}` : `pod ${podName}`;
  const start = `StatefulSet ${owner.name} cannot create ${object}`;
  const quota = quotaRefusal(message);
  if (quota) {
    const over = quotaCertain(quota);
    if (!over.length) return undefined; // usage that terminating pods may give back
    const list = over.map((r) => `${r} ${quota.requested.get(r)} (used: ${quota.used.get(r) ?? "0"}, allowed in all: ${quota.limited.get(r)})`).join(", ");
    const fix = over.some((r) => /storage|persistentvolumeclaims/.test(r))
      ? "Ask for less storage in the volumeClaimTemplate (resources.requests.storage), or for fewer replicas."
      : "Lower resources in the pod template (spec.template.spec.containers[].resources), or ask for fewer replicas.";
    return `${start}: it would exceed the namespace's ResourceQuota ${quota.quota}: ${list}. ${fix}`;
  }
  const limit = /must be less than or equal to (cpu|memory) limit(?: of (\S+))?/.exec(message);
  if (limit) {
    return `${start}: the API server refuses it (${reasonOf(message)}). A container that sets no limit gets the namespace's default ` +
      `limit${limit[2] ? ` (${limit[1]} ${limit[2].replace(/[.,]$/, "")})` : ""} (its LimitRange), and a request may not exceed its limit: set resources.limits.${limit[1]} at least as high as the request, or lower the request.`;
  }
  if (/ is forbidden: (maximum|minimum) .* per (Container|Pod)|violates PodSecurity| is invalid: /.test(message)) {
    return `${start}: the API server refuses it (${reasonOf(message)}). Fix the StatefulSet's templates.`;
  }
  return undefined;
}

/** The API server's reason, without the controller's preamble. */
function reasonOf(message: string): string {
  return message.replace(/^create .*? failed error: /, "").slice(0, 300);
}
