/**
 * Static validation before any cluster starts: only the kinds the exercise allows, only
 * the grading namespace, no way out of the pod sandbox (privileged, hostPath, host
 * namespaces, added capabilities, host ports), only images the grader can serve. Each
 * refusal names the object, the field, the file and its line.
 */
import { GRADER_NAMES } from "../config.ts";
import type { Refusal } from "../report/model.ts";
import { imageVerdict, POD_SPEC_PATHS } from "./images.ts";
import type { SubmittedObject } from "./load.ts";

export interface SubmissionPolicy {
  allowedKinds: string[];
  images: string[];
  /** Capabilities a container may add (the cassandra exercise's IPC_LOCK); none by default. */
  allowedCapabilities?: string[];
}

export interface ValidationResult {
  refusals: Refusal[];
  notes: string[];
}

/** Kinds that live outside any namespace: never applied by a grade. */
const CLUSTER_SCOPED = new Set([
  "Namespace", "Node", "PersistentVolume", "StorageClass", "ClusterRole", "ClusterRoleBinding",
  "CustomResourceDefinition", "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration",
  "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding", "PriorityClass", "RuntimeClass",
  "APIService", "CSIDriver", "CSINode", "VolumeAttachment", "IngressClass", "CertificateSigningRequest",
  "FlowSchema", "PriorityLevelConfiguration", "ClusterTrustBundle", "DeviceClass",
]);

function get(value: unknown, path: (string | number)[]): unknown {
  let current = value;
  for (const key of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<string | number, unknown>)[key];
  }
  return current;
}

function fieldName(path: (string | number)[]): string {
  return path.reduce<string>((acc, key) => (typeof key === "number" ? `${acc}[${key}]` : acc ? `${acc}.${key}` : key), "");
}

/** Records a refusal of `object`, at `path` when given (its line and column), else at the object. */
type Refuse = (message: string, path?: (string | number)[]) => void;

function refuser(object: SubmittedObject, refusals: Refusal[]): Refuse {
  return (message, path) => {
    const pos = path ? object.position(path) : undefined;
    refusals.push({
      file: object.file,
      line: pos?.line ?? object.line,
      column: pos?.column ?? object.column,
      object: `${object.kind} ${object.name}`,
      field: path ? fieldName(path) : undefined,
      message: object.via ? `${message} (as built by ${object.via})` : message,
    });
  };
}

export function validateSubmission(objects: SubmittedObject[], policy: SubmissionPolicy): ValidationResult {
  const refusals: Refusal[] = [];
  const notes: string[] = [];
  const allowedCaps = new Set((policy.allowedCapabilities ?? []).map((c) => c.toUpperCase().replace(/^CAP_/, "")));
  const seen = new Map<string, SubmittedObject>();
  // Objects may all name one namespace (an export from the student's own cluster): graded in
  // the grade's own namespace, with a note. Two different namespaces cannot be one grade.
  const namespaced = objects.filter((o) => o.namespace !== undefined && !CLUSTER_SCOPED.has(o.kind));
  const firstNamespace = namespaced[0];
  const namespaceNote = firstNamespace
    ? `metadata.namespace "${firstNamespace.namespace}" (${namespaced.length} object${namespaced.length === 1 ? "" : "s"}) was ignored: the grade runs in a namespace of its own.`
    : undefined;

  // The accounts a pod may run as: the namespace's default one and those the submission defines.
  const accounts = new Set(["default", ...objects.filter((o) => o.kind === "ServiceAccount").map((o) => o.name)]);
  for (const object of objects) {
    const refuse = refuser(object, refusals);
    if (!kindAllowed(object, policy, refuse)) continue;
    checkNamespaceAndName(object, firstNamespace, seen, refuse);
    checkGraderIdentity(object, refuse);
    const specPath = POD_SPEC_PATHS[object.kind];
    if (!specPath) continue;
    const spec = get(object.body, specPath) as Record<string, unknown> | undefined;
    if (!spec || typeof spec !== "object") continue;
    checkPodSpec(spec, specPath, refuse);
    checkServiceAccount(spec, specPath, accounts, refuse);
    for (const group of ["initContainers", "containers", "ephemeralContainers"] as const) {
      const containers = Array.isArray(spec[group]) ? (spec[group] as Record<string, unknown>[]) : [];
      containers.forEach((container, index) => {
        if (!container || typeof container !== "object") return;
        checkContainer(container, [...specPath, group, index], String(container.name ?? index), { policy, allowedCaps, refuse });
      });
    }
  }
  if (namespaceNote && !refusals.some((r) => r.field === "metadata.namespace")) notes.push(namespaceNote);
  return { refusals, notes };
}

/** kustomize's own configuration, cluster-wide objects and kinds outside the exercise: refused whole. */
function kindAllowed(object: SubmittedObject, policy: SubmissionPolicy, refuse: Refuse): boolean {
  if (object.apiVersion.startsWith("kustomize.config.k8s.io/")) {
    refuse(
      `${object.kind} is kustomize's configuration, not an object to apply: kubectl apply -k (and the grader) builds the kustomization named kustomization.yaml, kustomization.yml or Kustomization at the submission's root`,
      ["kind"],
    );
    return false;
  }
  if (CLUSTER_SCOPED.has(object.kind)) {
    refuse(`${object.kind} is a cluster-wide object; a submission may only contain objects inside its own namespace`, ["kind"]);
    return false;
  }
  if (!policy.allowedKinds.includes(object.kind)) {
    refuse(`kind ${object.kind} is not part of this exercise (allowed: ${policy.allowedKinds.join(", ")})`, ["kind"]);
    return false;
  }
  return true;
}

/** One namespace for the whole submission, and each kind/name once. */
function checkNamespaceAndName(object: SubmittedObject, firstNamespace: SubmittedObject | undefined, seen: Map<string, SubmittedObject>, refuse: Refuse): void {
  if (firstNamespace && object.namespace !== undefined && object.namespace !== firstNamespace.namespace) {
    refuse(
      `metadata.namespace is ${object.namespace}, but ${firstNamespace.kind} ${firstNamespace.name} (${firstNamespace.file} line ${firstNamespace.line}) names ${firstNamespace.namespace}: ` +
        "a submission is graded in one namespace of its own; leave metadata.namespace out (or name one namespace everywhere)",
      ["metadata", "namespace"],
    );
  }
  const key = `${object.kind}/${object.name}`;
  const earlier = seen.get(key);
  if (earlier) {
    refuse(`${object.kind} ${object.name} is defined twice (also in ${earlier.file} line ${earlier.line}); keep one`, ["metadata", "name"]);
  }
  seen.set(key, object);
}

const GRADERS = new Set<string>(Object.values(GRADER_NAMES));

/**
 * The grader's own objects and identities are not the submission's: no object named as one of
 * them (it would replace the grader's account, quota or probe), and no Secret that asks the
 * cluster for a token of any account (a pod mounting it would act as that account).
 */
function checkGraderIdentity(object: SubmittedObject, refuse: Refuse): void {
  if (GRADERS.has(object.name)) {
    refuse(`${object.kind} ${object.name} has the name of an object the grader makes itself in the grading namespace; choose another name`, ["metadata", "name"]);
  }
  if (object.kind === "Secret" && get(object.body, ["type"]) === "kubernetes.io/service-account-token") {
    const account = get(object.body, ["metadata", "annotations", "kubernetes.io/service-account.name"]);
    refuse(
      `a Secret of type kubernetes.io/service-account-token asks the cluster for a token of ServiceAccount ${String(account ?? "(none named)")}; ` +
        "a submission's pods run with their own account's token, which the cluster mounts itself — remove this Secret",
      ["type"],
    );
  }
}

/**
 * A pod runs as the namespace's `default` account or one the submission defines: never as an
 * account it did not define (the grader's own above all, whose token may change the namespace).
 */
function checkServiceAccount(spec: Record<string, unknown>, specPath: (string | number)[], accounts: ReadonlySet<string>, refuse: Refuse): void {
  for (const field of ["serviceAccountName", "serviceAccount"] as const) {
    const name = spec[field];
    if (typeof name !== "string" || !name || accounts.has(name)) continue;
    refuse(
      GRADERS.has(name)
        ? `${name} is the grader's own account; a submission's pods may not run as it — leave ${field} out (the namespace's default account) or name a ServiceAccount the submission defines`
        : `${name} is a ServiceAccount the submission does not define, so the pods could not be created; define it (kind: ServiceAccount) or leave ${field} out to use the namespace's default account`,
      [...specPath, field],
    );
  }
}

/** The pod-level ways out of the sandbox: host namespaces, hostPath volumes, sysctls. */
function checkPodSpec(spec: Record<string, unknown>, specPath: (string | number)[], refuse: Refuse): void {
  for (const hostField of ["hostNetwork", "hostPID", "hostIPC"] as const) {
    if (spec[hostField] === true) {
      refuse(`${hostField}: true shares the node's ${hostField.slice(4)} namespace with the pod; remove it`, [...specPath, hostField]);
    }
  }
  const volumes = Array.isArray(spec.volumes) ? (spec.volumes as Record<string, unknown>[]) : [];
  volumes.forEach((volume, index) => {
    if (volume && typeof volume === "object" && "hostPath" in volume) {
      refuse(`volume ${String(volume.name)} is a hostPath volume (a directory of the node); use a volumeClaimTemplate or emptyDir instead`, [...specPath, "volumes", index, "hostPath"]);
    }
  });
  const podSecurity = spec.securityContext as Record<string, unknown> | undefined;
  if (podSecurity && typeof podSecurity === "object" && Array.isArray(podSecurity.sysctls) && podSecurity.sysctls.length) {
    refuse("securityContext.sysctls changes kernel settings of the node; remove it", [...specPath, "securityContext", "sysctls"]);
  }
}

/** One container: an image the grader serves, no privilege, no added capability it may not have, no host port. */
function checkContainer(
  container: Record<string, unknown>,
  base: (string | number)[],
  cname: string,
  { policy, allowedCaps, refuse }: { policy: SubmissionPolicy; allowedCaps: ReadonlySet<string>; refuse: Refuse },
): void {
  const image = container.image;
  if (typeof image === "string" && imageVerdict(image, policy.images).kind === "unknown") {
    refuse(
      `container ${cname} uses image ${image}, which this exercise's grader does not provide (available: any tag of ${policy.images.join(", ")})`,
      [...base, "image"],
    );
  }
  const sc = container.securityContext as Record<string, unknown> | undefined;
  if (sc && typeof sc === "object") {
    if (sc.privileged === true) refuse(`container ${cname} is privileged; remove securityContext.privileged`, [...base, "securityContext", "privileged"]);
    const add = get(sc, ["capabilities", "add"]);
    if (Array.isArray(add)) {
      add.forEach((cap, capIndex) => {
        const name = String(cap).toUpperCase().replace(/^CAP_/, "");
        if (!allowedCaps.has(name)) {
          refuse(`container ${cname} adds capability ${String(cap)}, which this exercise does not need; remove it from securityContext.capabilities.add`, [...base, "securityContext", "capabilities", "add", capIndex]);
        }
      });
    }
    if (sc.procMount !== undefined && sc.procMount !== "Default") {
      refuse(`container ${cname} asks for procMount ${String(sc.procMount)}; remove it`, [...base, "securityContext", "procMount"]);
    }
  }
  const ports = Array.isArray(container.ports) ? (container.ports as Record<string, unknown>[]) : [];
  ports.forEach((port, portIndex) => {
    if (port && typeof port === "object" && port.hostPort !== undefined && port.hostPort !== 0) {
      refuse(`container ${cname} binds hostPort ${String(port.hostPort)} on the node; remove hostPort (the Service reaches the pod without it)`, [...base, "ports", portIndex, "hostPort"]);
    }
  });
}
