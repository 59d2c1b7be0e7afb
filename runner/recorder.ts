import { Watch, type KubeConfig, type V1PersistentVolumeClaim, type V1Pod } from "@kubernetes/client-node";
import { CoreV1Api } from "@kubernetes/client-node";
import type { ClaimEvent, PodEventKind, StepMark, TerminationStart, Timeline, TimelineEvent } from "../checks/api.ts";
import { isReady } from "./kube/ready.ts";

interface PodState {
  uid: string;
  scheduled: boolean;
  ready: boolean;
  terminating: boolean;
  deleted: boolean;
}

/**
 * Records pod and PVC transitions in one namespace from watches started from a list's
 * resourceVersion, with local receipt times. Started before the submission is applied,
 * so the order in which pods were created and became Ready is evidence, not a guess.
 */
export class Recorder implements Timeline {
  readonly events: TimelineEvent[] = [];
  readonly claims: ClaimEvent[] = [];
  readonly steps: StepMark[] = [];
  readonly terminations: TerminationStart[] = [];
  private readonly pods = new Map<string, PodState>();
  private readonly claimPhases = new Map<string, string>();
  private readonly controllers: AbortController[] = [];
  private readonly listeners = new Set<() => void>();
  private stopped = false;
  private readonly kc: KubeConfig;
  private readonly namespace: string;

  constructor(kc: KubeConfig, namespace: string) {
    this.kc = kc;
    this.namespace = namespace;
  }

  async start(): Promise<void> {
    const core = this.kc.makeApiClient(CoreV1Api);
    const pods = await core.listNamespacedPod({ namespace: this.namespace });
    for (const pod of pods.items) this.observePod("ADDED", pod);
    await this.watch(`/api/v1/namespaces/${this.namespace}/pods`, pods.metadata?.resourceVersion, (phase, obj) =>
      this.observePod(phase, obj as V1Pod),
    );
    const claims = await core.listNamespacedPersistentVolumeClaim({ namespace: this.namespace });
    for (const claim of claims.items) this.observeClaim(claim);
    await this.watch(`/api/v1/namespaces/${this.namespace}/persistentvolumeclaims`, claims.metadata?.resourceVersion, (_phase, obj) =>
      this.observeClaim(obj as V1PersistentVolumeClaim),
    );
  }

  private async watch(path: string, resourceVersion: string | undefined, onEvent: (phase: string, obj: unknown) => void): Promise<void> {
    let rv = resourceVersion;
    const controller = await new Watch(this.kc).watch(
      path,
      { resourceVersion: rv, allowWatchBookmarks: true },
      (phase: string, obj: { metadata?: { resourceVersion?: string } }) => {
        rv = obj.metadata?.resourceVersion ?? rv;
        if (phase !== "BOOKMARK") onEvent(phase, obj);
      },
      () => {
        // The API server ends watches after a while: carry on from the last version seen.
        if (!this.stopped) void this.watch(path, rv, onEvent).catch(() => {});
      },
    );
    this.controllers.push(controller);
  }

  stop(): void {
    this.stopped = true;
    for (const c of this.controllers) c.abort();
  }

  mark(label: string): void {
    this.steps.push({ label, at: Date.now() });
  }

  /** Calls `listener` after every recorded change (used by waits on the timeline). */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Resolves once the timeline has seen what another watch already saw: each of `ready`'s
   * pods (by UID) Ready, and each of `gone` deleted. Two watches deliver the same change
   * moments apart; checks that read the timeline right after a wait must not read it early.
   */
  async caughtUp(ready: Iterable<V1Pod>, gone: string[] = [], deadlineMs = 10_000): Promise<void> {
    const uids = [...ready].map((p) => p.metadata?.uid ?? "");
    const seen = () =>
      uids.every((uid) => this.pods.get(uid)?.ready) &&
      gone.every((name) => [...this.pods.values()].every((p) => p.deleted || this.events.find((e) => e.uid === p.uid)?.pod !== name));
    if (seen()) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        off();
        resolve();
      };
      // Past the deadline the timeline is read as it is: the checks then say what they saw.
      const timer = setTimeout(done, deadlineMs);
      const off = this.onChange(() => {
        if (seen()) done();
      });
    });
  }

  private emit(pod: string, uid: string, event: PodEventKind): void {
    this.events.push({ pod, uid, event, at: Date.now() });
  }

  private observePod(phase: string, pod: V1Pod): void {
    const name = pod.metadata?.name ?? "";
    const uid = pod.metadata?.uid ?? "";
    let state = this.pods.get(uid);
    if (!state) {
      state = { uid, scheduled: false, ready: false, terminating: false, deleted: false };
      this.pods.set(uid, state);
      this.emit(name, uid, "created");
    }
    if (phase === "DELETED" || pod.metadata?.deletionTimestamp) {
      if (!state.terminating) {
        state.terminating = true;
        this.terminations.push({ pod: name, uid, at: Date.now() });
      }
      if (state.ready) {
        state.ready = false;
        this.emit(name, uid, "unready");
      }
      if (!state.deleted && phase === "DELETED") {
        state.deleted = true;
        this.emit(name, uid, "deleted");
      }
      this.notify();
      return;
    }
    const scheduled = pod.status?.conditions?.some((c) => c.type === "PodScheduled" && c.status === "True") ?? false;
    if (scheduled && !state.scheduled) {
      state.scheduled = true;
      this.emit(name, uid, "scheduled");
    }
    const ready = isReady(pod);
    if (ready !== state.ready) {
      state.ready = ready;
      this.emit(name, uid, ready ? "ready" : "unready");
    }
    this.notify();
  }

  private observeClaim(claim: V1PersistentVolumeClaim): void {
    const uid = claim.metadata?.uid ?? "";
    const phase = claim.status?.phase ?? "Pending";
    if (this.claimPhases.get(uid) === phase) return;
    this.claimPhases.set(uid, phase);
    this.claims.push({ claim: claim.metadata?.name ?? "", uid, phase, volume: claim.spec?.volumeName, at: Date.now() });
    this.notify();
  }

  private notify(): void {
    for (const l of this.listeners) l();
  }

  /** Events of one pod name (all its incarnations), in order. */
  of(pod: string): TimelineEvent[] {
    return this.events.filter((e) => e.pod === pod);
  }

  /** The first time `pod` had `event` at or after `since`. */
  first(pod: string, event: PodEventKind, since = 0): TimelineEvent | undefined {
    return this.events.find((e) => e.pod === pod && e.event === event && e.at >= since);
  }
}
