/**
 * Static validation before any cluster starts: only the kinds the exercise allows, only
 * the grading namespace, no way out of the pod sandbox (privileged, hostPath, host
 * namespaces, added capabilities, host ports), only images the grader can serve. Each
 * refusal names the object, the field, the file and its line.
 */
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

  for (const object of objects) {
    const label = `${object.kind} ${object.name}`;
    const refuse = (message: string, path?: (string | number)[]) => {
      const pos = path ? object.position(path) : undefined;
      refusals.push({
        file: object.file,
        line: pos?.line ?? object.line,
        column: pos?.column ?? object.column,
        object: label,
        field: path ? fieldName(path) : undefined,
        message: object.via ? `${message} (as built by ${object.via})` : message,
      });
    };

    if (object.apiVersion.startsWith("kustomize.config.k8s.io/")) {
      refuse(
        `${object.kind} is kustomize's configuration, not an object to apply: kubectl apply -k (and the grader) builds the kustomization named kustomization.yaml, kustomization.yml or Kustomization at the submission's root`,
        ["kind"],
      );
      continue;
    }
    if (CLUSTER_SCOPED.has(object.kind)) {
      refuse(`${object.kind} is a cluster-wide object; a submission may only contain objects inside its own namespace`, ["kind"]);
      continue;
    }
    if (!policy.allowedKinds.includes(object.kind)) {
      refuse(`kind ${object.kind} is not part of this exercise (allowed: ${policy.allowedKinds.join(", ")})`, ["kind"]);
      continue;
    }
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
      refuse(`${label} is defined twice (also in ${earlier.file} line ${earlier.line}); keep one`, ["metadata", "name"]);
    }
    seen.set(key, object);

    const specPath = POD_SPEC_PATHS[object.kind];
    if (!specPath) continue;
    const spec = get(object.body, specPath) as Record<string, unknown> | undefined;
    if (!spec || typeof spec !== "object") continue;

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

    for (const group of ["initContainers", "containers", "ephemeralContainers"] as const) {
      const containers = Array.isArray(spec[group]) ? (spec[group] as Record<string, unknown>[]) : [];
      containers.forEach((container, index) => {
        if (!container || typeof container !== "object") return;
        const base = [...specPath, group, index];
        const cname = String(container.name ?? index);
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
      });
    }
  }
  if (namespaceNote && !refusals.some((r) => r.field === "metadata.namespace")) notes.push(namespaceNote);
  return { refusals, notes };
}
