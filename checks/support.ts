/** Small pure helpers shared by check modules (unit-tested in test/unit/checks-support.test.ts). */
import type { V1PodSpec, V1StatefulSet } from "@kubernetes/client-node";

/**
 * Schemas of parameters several checks read (see ParamsSchema in api.ts); each check gives its
 * own `description` (what the parameter means to it), which `kubegrade explain` prints.
 */
export const PARAM = {
  /** The claims the pods mount: ClaimParam[]. */
  claims: {
    type: "array", minItems: 1,
    items: {
      type: "object", additionalProperties: false, required: ["mountPath"],
      properties: {
        name: { type: "string", description: "The claim template's name the instructions suggest: named in hints only, any name is accepted." },
        mountPath: { type: "string", pattern: "^/", description: "Where the pods mount the claim." },
      },
    },
  },
  absolutePath: { type: "string", pattern: "^/" },
  /** A replica count or an ordinal. */
  podCount: { type: "integer", minimum: 0, maximum: 10 },
  port: { type: "integer", minimum: 1, maximum: 65535 },
} as const;

/** The pod's Ready condition is True (defined beside the runner's pod helpers, shared with checks). */
export { isReady } from "../runner/kube/ready.ts";

export interface ClaimParam {
  /** The name the instructions suggest (used in hints only: any name is accepted). */
  name?: string;
  mountPath: string;
}

/** Seconds with one decimal for feedback ("0.0 s"), and ms precision under 0.1 s. */
export function seconds(ms: number): string {
  const s = ms / 1000;
  return Math.abs(s) < 0.1 && ms !== 0 ? `${s.toFixed(2)} s` : `${s.toFixed(1)} s`;
}

/** The container (and volume) that mounts `mountPath` in a pod spec, if any. */
export function mountAt(spec: V1PodSpec | undefined, mountPath: string): { container: string; volume: string } | undefined {
  const clean = (p: string) => p.replace(/\/+$/, "") || "/";
  for (const c of spec?.containers ?? []) {
    const mount = c.volumeMounts?.find((m) => clean(m.mountPath) === clean(mountPath));
    if (mount) return { container: c.name, volume: mount.name };
  }
  return undefined;
}

/** What kind of volume a pod-spec volume name refers to, in words, for feedback. */
export function volumeKind(spec: V1PodSpec | undefined, sts: V1StatefulSet | undefined, volume: string): string {
  if (sts?.spec?.volumeClaimTemplates?.some((t) => t.metadata?.name === volume)) return "a volumeClaimTemplate";
  const v = spec?.volumes?.find((x) => x.name === volume);
  if (!v) return "an undeclared volume";
  const kind = Object.keys(v).find((k) => k !== "name");
  return kind ? `${/^[aeiou]/i.test(kind) ? "an" : "a"} ${kind} volume` : "a volume";
}

/** IPv4 addresses that busybox nslookup printed for the name asked (after the "Name:" line). */
export function nslookupAddresses(output: string): string[] {
  const at = output.search(/^Name:/m);
  if (at === -1) return [];
  const tail = output.slice(at);
  return [...new Set([...tail.matchAll(/\b(\d{1,3}(?:\.\d{1,3}){3})\b/g)].map((m) => m[1]))];
}

/** "web-0, web-1 and web-2" */
export function listing(items: string[]): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}

export function labelsMatch(selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  if (!selector || !Object.keys(selector).length) return false;
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

export function formatLabels(labels: Record<string, string> | undefined): string {
  const entries = Object.entries(labels ?? {});
  return entries.length ? entries.map(([k, v]) => `${k}=${v}`).join(",") : "(none)";
}

/** A shell script that looks up every name with busybox nslookup, each answer after a marker line. */
export function nslookupScript(names: string[]): string {
  return names.map((n) => `echo "@@kubegrade ${n}"; nslookup ${n} 2>&1`).join("; ");
}

/** The addresses each name resolved to, from the output of nslookupScript. */
export function nslookupSections(output: string): Map<string, string[]> {
  const result = new Map<string, string[]>();
  const parts = output.split(/^@@kubegrade /m).slice(1);
  for (const part of parts) {
    const newline = part.indexOf("\n");
    const name = (newline === -1 ? part : part.slice(0, newline)).trim();
    result.set(name, nslookupAddresses(newline === -1 ? "" : part.slice(newline + 1)));
  }
  return result;
}
