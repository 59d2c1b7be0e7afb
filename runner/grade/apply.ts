/**
 * The submission applied as the namespace-confined identity (server-side apply), what others
 * refer to first: what the API server refuses is the submission's fault (a refusal, exit 2),
 * anything else the grader's or the cluster's.
 */
import type { KubernetesObject } from "@kubernetes/client-node";
import { InfrastructureError, errorMessage } from "../errors.ts";
import { applyObjects } from "../kube/apply.ts";
import type { GradingNamespace } from "../namespace.ts";
import type { Refusal } from "../report/model.ts";
import type { SubmittedObject } from "../submission/load.ts";

/** Apply order: what others refer to first, workloads last. */
const APPLY_ORDER = ["ServiceAccount", "ConfigMap", "Secret", "PersistentVolumeClaim", "Service", "PodDisruptionBudget"];
function applyRank(kind: string): number {
  const index = APPLY_ORDER.indexOf(kind);
  return index === -1 ? APPLY_ORDER.length : index;
}

/** The objects in the order they are applied. */
export function inApplyOrder(objects: readonly SubmittedObject[]): SubmittedObject[] {
  return [...objects].sort((a, b) => applyRank(a.kind) - applyRank(b.kind));
}

function apiMessage(error: unknown): string {
  const body = (error as { body?: unknown }).body;
  if (typeof body === "string") {
    try {
      const parsed = JSON.parse(body) as { message?: string };
      if (parsed.message) return parsed.message;
    } catch {
      return body.slice(0, 500);
    }
  }
  return errorMessage(error).split("\n")[0];
}

/** Applies each object (in the order given); returns what the API server refused. */
export async function applySubmission(ns: GradingNamespace, objects: readonly SubmittedObject[]): Promise<Refusal[]> {
  const refusals: Refusal[] = [];
  for (const object of objects) {
    const body = { ...object.body, metadata: { ...(object.body.metadata as object), namespace: ns.name } } as KubernetesObject;
    try {
      await ns.asSubmitter((submitter) => applyObjects(submitter, ns.name, [body]));
    } catch (error) {
      const code = (error as { code?: number }).code;
      const message = apiMessage(error);
      // Server-side apply answers 500 when the object does not fit its type ("expected
      // numeric, got string"): that is the submission's fault, like a 4xx.
      const badObject = code === 500 && /failed to create typed patch object/.test(message);
      if ((code && code >= 400 && code < 500 && code !== 408 && code !== 429) || badObject) {
        refusals.push({
          file: object.file,
          line: object.line,
          column: object.column,
          object: `${object.kind} ${object.name}`,
          message: `the API server refused it: ${message.replace(/^failed to create typed patch object \([^)]*\): /, "")}`,
        });
        continue;
      }
      throw new InfrastructureError(`applying ${object.kind} ${object.name} failed: ${message}`, { cause: error });
    }
  }
  return refusals;
}
