/**
 * What the rule for "certain" (certainty.ts) reads besides the pods, kept current for one
 * grading namespace: its events and claims from watches started before the submission is
 * applied, the cluster's StorageClasses and nodes listed once. Listeners are told of every
 * change, so that a wait re-reads its condition when an event arrives, not only when a pod
 * changes. What cannot be listed (an existing cluster that does not let the grader read its
 * nodes) stays unknown, and the rules that need it claim nothing.
 */
import { CoreV1Api, StorageV1Api, Watch, type CoreV1Event, type KubeConfig, type V1Node, type V1PersistentVolumeClaim, type V1StorageClass } from "@kubernetes/client-node";
import type { Observations } from "./certainty.ts";

/** What a wait reads and subscribes to. */
export interface ObservationSource {
  snapshot(): Observations;
  /** Calls `listener` after every change; returns the function that stops it. */
  onChange(listener: () => void): () => void;
}

/** Events kept at most (a namespace's own, newest kept): a looping controller makes many. */
const MAX_EVENTS = 2000;

interface Item {
  metadata?: { name?: string; resourceVersion?: string };
}

export class NamespaceObserver implements ObservationSource {
  private readonly events = new Map<string, CoreV1Event>();
  private readonly claims = new Map<string, V1PersistentVolumeClaim>();
  private storageClasses?: V1StorageClass[];
  private nodes?: V1Node[];
  private readonly listeners = new Set<() => void>();
  private readonly controllers: AbortController[] = [];
  private stopped = false;
  private readonly kc: KubeConfig;
  private readonly namespace: string;

  constructor(kc: KubeConfig, namespace: string) {
    this.kc = kc;
    this.namespace = namespace;
  }

  async start(): Promise<void> {
    const core = this.kc.makeApiClient(CoreV1Api);
    const storage = this.kc.makeApiClient(StorageV1Api);
    const { namespace } = this;
    // What cannot be read stays unknown: the rules that need it claim nothing (the recorder,
    // which the grade needs, says so itself when the cluster does not answer).
    await Promise.all([
      this.follow(`/api/v1/namespaces/${namespace}/events`, () => core.listNamespacedEvent({ namespace }), this.events).catch(() => undefined),
      this.follow(`/api/v1/namespaces/${namespace}/persistentvolumeclaims`, () => core.listNamespacedPersistentVolumeClaim({ namespace }), this.claims).catch(() => undefined),
      storage.listStorageClass().then((list) => {
        this.storageClasses = list.items;
      }, () => undefined),
      core.listNode().then((list) => {
        this.nodes = list.items;
      }, () => undefined),
    ]);
  }

  /** Lists, then watches from the list's version; a watch that ends is followed again from a fresh list. */
  private async follow<T extends Item>(path: string, list: () => Promise<{ items: T[]; metadata?: { resourceVersion?: string } }>, into: Map<string, T>): Promise<void> {
    if (this.stopped) return;
    const listed = await list();
    into.clear();
    for (const item of listed.items) into.set(item.metadata?.name ?? "", item);
    this.trim(into);
    this.notify();
    const controller = await new Watch(this.kc).watch(
      path,
      { resourceVersion: listed.metadata?.resourceVersion, allowWatchBookmarks: true },
      (phase: string, obj: T) => {
        if (phase === "BOOKMARK") return;
        const name = obj.metadata?.name ?? "";
        if (phase === "DELETED") into.delete(name);
        else into.set(name, obj);
        this.trim(into);
        this.notify();
      },
      () => {
        if (!this.stopped) void this.follow(path, list, into).catch(() => {});
      },
    );
    if (this.stopped) controller.abort();
    else this.controllers.push(controller);
  }

  private trim(into: Map<string, unknown>): void {
    if (into !== this.events) return;
    for (const key of into.keys()) {
      if (into.size <= MAX_EVENTS) break;
      into.delete(key);
    }
  }

  stop(): void {
    this.stopped = true;
    for (const c of this.controllers) c.abort();
    this.listeners.clear();
  }

  snapshot(): Observations {
    return { events: [...this.events.values()], claims: this.claims, storageClasses: this.storageClasses, nodes: this.nodes };
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private notify(): void {
    for (const l of [...this.listeners]) l();
  }
}
