import type { V1Pod } from "@kubernetes/client-node";

/**
 * The pod's Ready condition is True. A leaf with no import from runner/: checks/support.ts
 * re-exports it for check authors (test/unit/check-api-boundary.test.ts allows this one module).
 */
export function isReady(pod: V1Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;
}
