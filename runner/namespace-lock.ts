/**
 * One grade at a time in a pre-created namespace, across processes and machines: two
 * `kubegrade grade --namespace SAME` at once would otherwise take each other's objects for
 * an interrupted grade's remains and remove them.
 *
 * The lock lives in the namespace itself, as a RoleBinding `kubegrade-grade` without
 * subjects (it grants nothing). Why a RoleBinding and not a coordination.k8s.io Lease: the
 * grader's documented Role (docs/clusters.md, "Pre-created namespaces") grants no Leases —
 * asking every administrator for a new right would break the grades of every course set up
 * already — while it grants create, get, list and delete on RoleBindings; creating one is
 * atomic (409 when it exists); the emptiness check and the emptying leave RoleBindings that
 * kubegrade did not make for the submitter alone; and no identity a submission holds
 * (`edit`) may touch RBAC, so a submission cannot remove a grade's lock.
 *
 * A RoleBinding cannot be updated with those rights, so the holder shows it is alive with a
 * heartbeat of its own, the RoleBinding `kubegrade-grade-<token>`, made anew every
 * TIMEOUTS.namespaceLockRenewMs. A waiter takes the lock for an interrupted grade's when it
 * has seen neither the lock nor the heartbeat change for the holder's lapse — measured on the
 * waiter's own clock, as client-go's leader election does, so clocks that disagree do not
 * matter — or at once when the holder ran on this machine (same host and process namespace)
 * and its process is gone. Then it removes them and takes the lock itself; the caller removes
 * the interrupted grade's remains.
 */
import { RbacAuthorizationV1Api, type KubeConfig, type V1RoleBinding } from "@kubernetes/client-node";
import { randomBytes } from "node:crypto";
import { readlinkSync } from "node:fs";
import { hostname } from "node:os";
import { TIMEOUTS } from "./config.ts";
import { DeadlineError, waitUntil } from "./util/wait.ts";
import { processAlive } from "./util/process.ts";

export const LOCK = "kubegrade-grade";
/** On the lock ("lock") and on heartbeats ("heartbeat"). */
export const LOCK_LABEL = "kubegrade.dev/grade-lock";
const HOLDER = "kubegrade.dev/holder";

/** Who holds a namespace: enough to name them, and to tell whether they are still running. */
export interface LockHolder {
  host: string;
  pid: number;
  /** /proc/self/ns/pid of the holder, where there is one: a pid means something only inside it. */
  pidNamespace?: string;
  /** Unique to one hold; names its heartbeat. */
  token: string;
  /** When it took the lock (its own clock), for messages. */
  since: string;
  /** How long without a renewal before the lock counts as an interrupted grade's. */
  lapseSeconds: number;
}

export interface LockTiming {
  renewMs: number;
  lapseMs: number;
}

const DEFAULT_TIMING: LockTiming = { renewMs: TIMEOUTS.namespaceLockRenewMs, lapseMs: TIMEOUTS.namespaceLockLapseMs };

// ---------------------------------------------------------------------------------------
// Pure parts: who holds it, and whether they still do.

/** The holder a lock's annotations name, or undefined when they name none (not ours, or damaged). */
export function parseHolder(annotations: Record<string, string> | undefined): LockHolder | undefined {
  const text = annotations?.[HOLDER];
  if (!text) return undefined;
  try {
    const h = JSON.parse(text) as Partial<LockHolder>;
    if (typeof h.host !== "string" || typeof h.pid !== "number" || typeof h.token !== "string" || !/^[a-z0-9]+$/.test(h.token)) return undefined;
    return {
      host: h.host,
      pid: h.pid,
      ...(typeof h.pidNamespace === "string" ? { pidNamespace: h.pidNamespace } : {}),
      token: h.token,
      since: typeof h.since === "string" ? h.since : "",
      lapseSeconds: typeof h.lapseSeconds === "number" && h.lapseSeconds > 0 ? h.lapseSeconds : DEFAULT_TIMING.lapseMs / 1000,
    };
  } catch {
    return undefined;
  }
}

/** "host ada, pid 4242, since 2026-09-01T10:00:00.000Z" */
export function describeHolder(holder: LockHolder | undefined): string {
  if (!holder) return "a holder it does not name";
  return `host ${holder.host}, pid ${holder.pid}${holder.since ? `, since ${holder.since}` : ""}`;
}

export function heartbeatName(token: string): string {
  return `${LOCK}-${token}`;
}

/** What a waiter saw of a lock on one look: the lock's uid, and its holder's heartbeat's ("" when absent). */
export interface Sighting {
  lock: string;
  beat: string;
}

/** A waiter's record of a lock: the last sighting, and since when (the waiter's clock, ms) it has not changed. */
export interface Watch {
  last: Sighting;
  since: number;
}

/** The watch after another look: restarted by any change (a renewal, another holder). */
export function observe(watch: Watch | undefined, seen: Sighting, now: number): Watch {
  if (watch && watch.last.lock === seen.lock && watch.last.beat === seen.beat) return watch;
  return { last: seen, since: now };
}

/** This process, as a waiter compares holders with it. */
export interface Self {
  host: string;
  pid: number;
  pidNamespace?: string;
  /** Tokens of the holds this process has not let go of. */
  liveTokens: ReadonlySet<string>;
}

/**
 * Why the lock is an interrupted grade's and may be taken over, or undefined while its holder
 * may still be grading: its process is known gone (it ran here), or nothing changed for its lapse.
 */
export function staleness(
  holder: LockHolder | undefined, watch: Watch, now: number, self: Self, pidAlive: (pid: number) => boolean,
): string | undefined {
  if (holder && holder.host === self.host && holder.pidNamespace !== undefined && holder.pidNamespace === self.pidNamespace) {
    if (holder.pid === self.pid ? !self.liveTokens.has(holder.token) : !pidAlive(holder.pid)) {
      return `its process ${holder.pid} on ${holder.host} is no longer grading`;
    }
  }
  const lapseMs = (holder?.lapseSeconds ?? DEFAULT_TIMING.lapseMs / 1000) * 1000;
  const quiet = now - watch.since;
  return quiet >= lapseMs ? `it was not renewed for ${Math.round(quiet / 1000)} s` : undefined;
}

// ---------------------------------------------------------------------------------------
// The lock on the cluster.

/** Holds of this process not let go of yet (a hold abandoned here is stale at once for this process). */
const liveTokens = new Set<string>();

function pidNamespace(): string | undefined {
  try {
    return readlinkSync("/proc/self/ns/pid");
  } catch {
    return undefined;
  }
}

function self(): Self {
  const ns = pidNamespace();
  return { host: hostname(), pid: process.pid, ...(ns ? { pidNamespace: ns } : {}), liveTokens };
}


function code(error: unknown): number | undefined {
  return (error as { code?: number })?.code;
}

/** undefined for a 404; any other error thrown on. */
async function unlessMissing<T>(call: Promise<T>): Promise<T | undefined> {
  return call.catch((error: unknown) => {
    if (code(error) === 404) return undefined;
    throw error;
  });
}

/** A RoleBinding that grants nothing: no subjects, bound to `edit`, which the grader may bind. */
function binding(name: string, role: "lock" | "heartbeat", holder: LockHolder): V1RoleBinding {
  return {
    metadata: { name, labels: { [LOCK_LABEL]: role }, annotations: { [HOLDER]: JSON.stringify(holder) } },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "edit" },
    subjects: [],
  };
}

/** A waited-for namespace was not let go of by its deadline. */
export class LockWaitExpired extends Error {
  readonly holder: LockHolder | undefined;
  readonly waitedMs: number;
  constructor(namespace: string, holder: LockHolder | undefined, waitedMs: number, options?: { cause?: unknown }) {
    super(`namespace ${namespace} is held by another grade (${describeHolder(holder)}), still after ${Math.round(waitedMs / 1000)} s`, options);
    this.name = "LockWaitExpired";
    this.holder = holder;
    this.waitedMs = waitedMs;
  }
}

export interface HeldLock {
  readonly namespace: string;
  readonly holder: LockHolder;
  /** The interrupted grade's hold this one took over, when it did. */
  readonly tookOver?: { holder: LockHolder | undefined; why: string };
  /** Why this hold was lost while held (another grade took the namespace over), as last renewed, else undefined. */
  lost(): string | undefined;
  /**
   * The same, asked of the cluster now: while the lock is still this hold's, no other grade
   * held the namespace at any time since it was taken (a take-over replaces the lock).
   */
  confirm(): Promise<string | undefined>;
  /** Lets go: stops renewing, removes the lock (only while it is still this one's) and the heartbeat. */
  release(): Promise<void>;
  /** Stops renewing without asking the cluster (it failed): the lock lapses, or this process takes it over at once. */
  abandon(): void;
}

export interface LockOptions {
  /** How long to wait for a live holder to let go (0: one look). */
  waitMs: number;
  signal?: AbortSignal;
  /** Told the holder each time the one waited for changes. */
  onWaiting?: (holder: LockHolder | undefined) => void;
  timing?: LockTiming;
}

/** The lock and its holder's heartbeat as they are now; undefined when there is no lock. */
async function look(rbac: RbacAuthorizationV1Api, namespace: string) {
  const lock = await unlessMissing(rbac.readNamespacedRoleBinding({ name: LOCK, namespace }));
  if (!lock) return undefined;
  const holder = parseHolder(lock.metadata?.annotations);
  const beat = holder ? await unlessMissing(rbac.readNamespacedRoleBinding({ name: heartbeatName(holder.token), namespace })) : undefined;
  const uid = lock.metadata?.uid ?? "";
  return { uid, holder, sighting: { lock: uid, beat: beat?.metadata?.uid ?? "" } };
}

/** Removes a delete's target unless it is missing, or (preconditions) no longer the one meant. */
async function remove(rbac: RbacAuthorizationV1Api, namespace: string, name: string, uid?: string): Promise<void> {
  await rbac.deleteNamespacedRoleBinding({ name, namespace, ...(uid ? { body: { preconditions: { uid } } } : {}) }).catch((error: unknown) => {
    if (code(error) !== 404 && code(error) !== 409) throw error;
  });
}

/** The lock of `namespace`, waiting up to options.waitMs for a live holder to let go; an interrupted grade's is taken over. */
export async function lockNamespace(admin: KubeConfig, namespace: string, options: LockOptions): Promise<HeldLock> {
  const timing = options.timing ?? DEFAULT_TIMING;
  const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
  const ns = pidNamespace();
  const holder: LockHolder = {
    host: hostname(), pid: process.pid, ...(ns ? { pidNamespace: ns } : {}),
    token: randomBytes(5).toString("hex"), since: new Date().toISOString(), lapseSeconds: timing.lapseMs / 1000,
  };
  const tryCreate = () => rbac.createNamespacedRoleBinding({ namespace, body: binding(LOCK, "lock", holder) }).catch((error: unknown) => {
    if (code(error) === 409) return undefined;
    throw error;
  });
  let watch: Watch | undefined;
  let last: { holder: LockHolder | undefined } | undefined;
  let tookOver: HeldLock["tookOver"];
  let told: string | undefined;
  let created: V1RoleBinding | undefined;
  try {
    created = await waitUntil(`namespace ${namespace} let go of by the grade holding it`, options.waitMs, async () => {
      const mine = await tryCreate();
      if (mine) return mine;
      const seen = await look(rbac, namespace);
      if (!seen) return { pending: "let go of just now" };
      last = { holder: seen.holder };
      watch = observe(watch, seen.sighting, performance.now());
      const stale = staleness(seen.holder, watch, performance.now(), self(), processAlive);
      if (stale) {
        await remove(rbac, namespace, LOCK, seen.uid);
        if (seen.holder) await remove(rbac, namespace, heartbeatName(seen.holder.token));
        watch = undefined;
        const taken = await tryCreate();
        if (taken) tookOver = { holder: seen.holder, why: stale };
        return taken ?? { pending: "taken by another waiter" };
      }
      const who = describeHolder(seen.holder);
      if (who !== told) {
        told = who;
        options.onWaiting?.(seen.holder);
      }
      return { pending: `held by another grade (${who})` };
    }, { intervalMs: 500, maxIntervalMs: 2000, signal: options.signal });
  } catch (error) {
    if (error instanceof DeadlineError) throw new LockWaitExpired(namespace, last?.holder, options.waitMs, { cause: error });
    throw error;
  }
  return holdLock(rbac, namespace, holder, created.metadata?.uid ?? "", timing, tookOver);
}

/** The hold, renewed (its heartbeat made anew) until let go of; heartbeats of earlier holders removed. */
async function holdLock(
  rbac: RbacAuthorizationV1Api, namespace: string, holder: LockHolder, uid: string, timing: LockTiming, tookOver: HeldLock["tookOver"],
): Promise<HeldLock> {
  const beatName = heartbeatName(holder.token);
  let lost: string | undefined;
  let stopped = false;
  /** Reads the lock: still this hold's, or lost (said once, and renewing stops). */
  const check = async () => {
    if (lost) return;
    const lock = await unlessMissing(rbac.readNamespacedRoleBinding({ name: LOCK, namespace }));
    if (lock?.metadata?.uid === uid) return;
    stop();
    lost = lock
      ? `another grade (${describeHolder(parseHolder(lock.metadata?.annotations))}) took namespace ${namespace} over while this grade ran: ` +
        `its renewals were not seen for ${holder.lapseSeconds} s (was this process stopped, or the API server out of reach?)`
      : `the hold on namespace ${namespace} (RoleBinding ${LOCK}) was removed by someone else while this grade ran`;
  };
  const renew = async () => {
    await remove(rbac, namespace, beatName);
    if (stopped) return;
    await rbac.createNamespacedRoleBinding({ namespace, body: binding(beatName, "heartbeat", holder) });
    await check();
  };
  let renewing: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    renewing = renewing.then(renew).catch(() => {}); // a failed renewal is tried again; a lapse shows as lost
  }, timing.renewMs);
  timer.unref();
  const stop = () => {
    stopped = true;
    clearInterval(timer);
    liveTokens.delete(holder.token);
  };
  const release = async () => {
    stop();
    await renewing;
    await remove(rbac, namespace, LOCK, uid);
    await remove(rbac, namespace, beatName);
  };
  liveTokens.add(holder.token);
  try {
    await renew();
    // Heartbeats of holders gone without letting go: nobody renews them any more.
    const beats = await rbac.listNamespacedRoleBinding({ namespace, labelSelector: `${LOCK_LABEL}=heartbeat` });
    for (const b of beats.items) if (b.metadata?.name && b.metadata.name !== beatName) await remove(rbac, namespace, b.metadata.name, b.metadata.uid);
  } catch (error) {
    await release().catch(() => {});
    throw error;
  }
  const confirm = async () => {
    await check().catch(() => {}); // unanswered: the cluster's own fault is diagnosed apart
    return lost;
  };
  return { namespace, holder, ...(tookOver ? { tookOver } : {}), lost: () => lost, confirm, release, abandon: stop };
}
