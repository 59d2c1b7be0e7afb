/**
 * Objects exported from a student's own cluster (`kubectl get svc,sts -o yaml`) carry fields
 * the API server sets: applied to a fresh cluster they are refused ("uid mismatch") or pin
 * what the new cluster must choose (a Service's cluster IP). They are dropped before
 * validation and apply, and one note names them; nothing else the student wrote changes.
 * `clusterIP: None` is the student's answer (a headless Service) and is always kept.
 */

const SERVER_SET_METADATA = ["uid", "resourceVersion", "creationTimestamp", "generation", "managedFields", "selfLink"] as const;

interface Exported {
  kind: string;
  name: string;
  file: string;
  body: Record<string, unknown>;
}

function isConcreteIp(value: unknown): boolean {
  return typeof value === "string" && value !== "" && value !== "None";
}

/** The server-set fields of one object, as paths ("metadata.uid", "status", "spec.clusterIP"). */
export function serverSetFields(body: Record<string, unknown>, kind: string): string[] {
  const fields: string[] = [];
  const metadata = body.metadata;
  if (metadata && typeof metadata === "object") {
    for (const key of SERVER_SET_METADATA) if (key in metadata) fields.push(`metadata.${key}`);
  }
  if ("status" in body) fields.push("status");
  const spec = body.spec as Record<string, unknown> | undefined;
  if (kind === "Service" && spec && typeof spec === "object" && !Array.isArray(spec)) {
    // Only a Service that is not headless: a concrete address the new cluster must choose itself.
    const ips = Array.isArray(spec.clusterIPs) ? spec.clusterIPs : [];
    const headless = spec.clusterIP === "None" || ips.includes("None");
    if (!headless) {
      if (isConcreteIp(spec.clusterIP)) fields.push("spec.clusterIP");
      if (ips.length && ips.every(isConcreteIp)) fields.push("spec.clusterIPs");
    }
  }
  return fields;
}

/** Copies of the objects without server-set fields, and one note naming what was dropped (none when nothing was). */
export function dropServerSetFields<T extends Exported>(objects: T[]): { objects: T[]; notes: string[] } {
  const dropped = new Map<string, string[]>();
  const cleaned = objects.map((object) => {
    const fields = serverSetFields(object.body, object.kind);
    if (!fields.length) return object;
    const body = structuredClone(object.body);
    const metadata = body.metadata as Record<string, unknown>;
    const spec = body.spec as Record<string, unknown>;
    for (const field of fields) {
      const [head, key] = field.split(".");
      if (head === "status") delete body.status;
      else if (head === "metadata") delete metadata[key];
      else delete spec[key];
    }
    for (const field of fields) {
      const where = dropped.get(field) ?? [];
      where.push(`${object.kind} ${object.name}`);
      dropped.set(field, where);
    }
    return { ...object, body };
  });
  if (!dropped.size) return { objects, notes: [] };
  const touched = [...new Set([...dropped.values()].flat())];
  const files = [...new Set(objects.filter((o) => touched.includes(`${o.kind} ${o.name}`)).map((o) => o.file))];
  const note =
    `Fields the API server sets were dropped before applying (${[...dropped.keys()].join(", ")}) from ${touched.join(", ")} ` +
    `in ${files.join(", ")}: they come from a cluster the objects were exported from (kubectl get -o yaml), and a new cluster sets them itself. ` +
    "A solution can leave them out.";
  return { objects: cleaned, notes: [note] };
}
