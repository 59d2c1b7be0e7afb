/**
 * What the checks of one grade share: the cluster seen from the grading namespace, the
 * exercise's parameters as placed for this cluster, the recorded timeline — and, typed, the
 * answers worth keeping between checks (the probe pod, the pods Ready, the one recreation of
 * every pod, each prerequisite's answer). A check that may change the pods (a destructive
 * one) makes the pods' and the prerequisites' answers stale: they are asked afresh after it.
 */
import type { KubeConfig, KubernetesObject, V1Pod } from "@kubernetes/client-node";
import type { Deadlines, Requirement } from "../../checks/api.ts";
import type { ObservationSource } from "../kube/observer.ts";
import type { Recorder } from "../recorder.ts";
import type { GradingNamespace } from "../namespace.ts";

/** Why a prerequisite is not met. */
export interface Unmet {
  /** In a few words: "StatefulSet web does not exist". */
  reason: string;
  /** What was seen, when more than the reason (the pods' states). */
  detail?: string;
  /** The check that may have changed the pods before this was asked (a destructive one). */
  after?: string;
}

export interface Recreation {
  before: Map<string, V1Pod>;
  after: Map<string, V1Pod>;
}

/** Registered by a check through beforeRecreateAll; run by the first recreateAllOnce. */
export interface RecreationHook {
  prepare: () => Promise<unknown>;
  result?: Promise<unknown>;
}

export interface GradeSession {
  readonly kc: KubeConfig;
  readonly namespace: string;
  /** Where the grader's probe pod runs (namespace-lease.ts HeldNamespace.probeNamespace). */
  readonly probeNamespace: string;
  /** The exercise's parameters, with the kit-only images placed for this cluster (placement.ts). */
  readonly params: Readonly<Record<string, unknown>>;
  /** Each check's own parameters, placed the same way, by check id. */
  readonly checkParams: ReadonlyMap<string, Readonly<Record<string, unknown>>>;
  readonly timeline: Recorder;
  /** The namespace's events and claims, the cluster's classes and nodes: what "certain" reads besides the pods. */
  readonly observer?: ObservationSource;
  readonly deadlines: Deadlines & { execMs: number; probePodMs: number };
  readonly signal?: AbortSignal;
  /** The submission as applied, and the namespace-confined identity it was applied as. */
  readonly submission: { objects: readonly KubernetesObject[]; asSubmitter: GradingNamespace["asSubmitter"] };
  /** Told what a long wait is waiting for ("1/3 Ready; cassandra-1 Running"), for progress. */
  onWait?: (detail: string) => void;
  /** The grader's probe pod, started once per grade: its uid, to notice it was replaced. */
  probe?: Promise<string>;
  /** The StatefulSet's pods Ready, as last waited for; unset when they may have changed since. */
  podsReady?: Promise<Map<string, V1Pod>>;
  /** The one recreation of every pod that several checks observe. */
  recreateAll?: Promise<Recreation>;
  readonly recreationHooks: RecreationHook[];
  /** Each prerequisite's answer, until the pods may have changed. */
  readonly gates: Map<Requirement, Promise<Unmet | undefined>>;
}

export type SessionInit = Omit<GradeSession, "recreationHooks" | "gates" | "probe" | "podsReady" | "recreateAll" | "onWait">;

export function createSession(init: SessionInit): GradeSession {
  return { ...init, recreationHooks: [], gates: new Map() };
}

/** After a check that may have changed the pods: the pods and the prerequisites are asked afresh. */
export function podsMayHaveChanged(session: GradeSession): void {
  session.podsReady = undefined;
  session.gates.clear();
}
