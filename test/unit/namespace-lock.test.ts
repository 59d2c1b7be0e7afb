/**
 * The pure half of a grade's hold on a pre-created namespace (runner/namespace-lock.ts): who
 * holds it, as read back from the lock, and when a waiter may take it for an interrupted
 * grade's — never while its holder renews it, at once when its process is known gone.
 */
import { expect } from "chai";
import { describeHolder, observe, parseHolder, staleness, type LockHolder, type Self, type Watch } from "../../runner/namespace-lock.ts";

const holder: LockHolder = { host: "ada", pid: 4242, pidNamespace: "pid:[4026531836]", token: "a1b2c3d4e5", since: "2026-09-01T10:00:00.000Z", lapseSeconds: 60 };
const annotations = (value: unknown) => ({ "kubegrade.dev/holder": typeof value === "string" ? value : JSON.stringify(value) });
/** A waiter on another machine. */
const elsewhere: Self = { host: "grace", pid: 7, pidNamespace: "pid:[4026531836]", liveTokens: new Set() };
const alive = () => true;
const gone = () => false;

describe("a grade's hold on a pre-created namespace", () => {
  it("reads its holder back from the lock, and names it", () => {
    expect(parseHolder(annotations(holder))).to.deep.equal(holder);
    expect(describeHolder(parseHolder(annotations(holder)))).to.equal("host ada, pid 4242, since 2026-09-01T10:00:00.000Z");
    const { pidNamespace: _, ...bare } = holder;
    expect(parseHolder(annotations({ ...bare, lapseSeconds: undefined, since: undefined }))).to.deep.equal({ ...bare, since: "", lapseSeconds: 60 });
  });

  it("names no holder for a lock it cannot read (not kubegrade's, or damaged)", () => {
    for (const value of ["not json", "{}", { ...holder, pid: "4242" }, { ...holder, token: "../x" }, { ...holder, host: 1 }]) {
      expect(parseHolder(annotations(value)), JSON.stringify(value)).to.equal(undefined);
    }
    expect(parseHolder(undefined)).to.equal(undefined);
    expect(describeHolder(undefined)).to.equal("a holder it does not name");
  });

  it("restarts a waiter's watch on any change of the lock or its heartbeat, and only then", () => {
    const first = observe(undefined, { lock: "u1", beat: "b1" }, 1_000);
    expect(first).to.deep.equal({ last: { lock: "u1", beat: "b1" }, since: 1_000 });
    expect(observe(first, { lock: "u1", beat: "b1" }, 50_000), "unchanged").to.equal(first);
    expect(observe(first, { lock: "u1", beat: "b2" }, 50_000).since, "renewed").to.equal(50_000);
    expect(observe(first, { lock: "u1", beat: "" }, 50_000).since, "heartbeat being made anew").to.equal(50_000);
    expect(observe(first, { lock: "u2", beat: "b1" }, 50_000).since, "another holder").to.equal(50_000);
  });

  it("takes a lock for an interrupted grade's only once nothing changed for the holder's lapse", () => {
    const watch: Watch = { last: { lock: "u1", beat: "b1" }, since: 1_000 };
    expect(staleness(holder, watch, 1_000 + 59_999, elsewhere, alive)).to.equal(undefined);
    expect(staleness(holder, watch, 1_000 + 60_000, elsewhere, alive)).to.equal("it was not renewed for 60 s");
    // The holder's own lapse counts, not the waiter's idea of it.
    expect(staleness({ ...holder, lapseSeconds: 120 }, watch, 1_000 + 90_000, elsewhere, alive)).to.equal(undefined);
    // A lock naming no holder lapses too (after the default lapse), or nobody could ever grade there again.
    expect(staleness(undefined, watch, 1_000 + 60_000, elsewhere, alive)).to.equal("it was not renewed for 60 s");
  });

  it("on another machine, never asks whether the holder's pid runs: it may be any process here", () => {
    const watch: Watch = { last: { lock: "u1", beat: "b1" }, since: 0 };
    expect(staleness(holder, watch, 1, elsewhere, gone)).to.equal(undefined);
    // Same host name but another pid namespace (another container): the pid means nothing here.
    expect(staleness(holder, watch, 1, { ...elsewhere, host: "ada", pidNamespace: "pid:[4026532000]" }, gone)).to.equal(undefined);
    // Without a pid namespace to compare, neither.
    const { pidNamespace: _, ...unknown } = holder;
    expect(staleness(unknown, watch, 1, { ...elsewhere, host: "ada" }, gone)).to.equal(undefined);
  });

  it("on this machine, takes a holder whose process is gone at once, and never a live one's", () => {
    const watch: Watch = { last: { lock: "u1", beat: "b1" }, since: 0 };
    const here: Self = { host: "ada", pid: 99, pidNamespace: holder.pidNamespace, liveTokens: new Set() };
    expect(staleness(holder, watch, 1, here, gone)).to.equal("its process 4242 on ada is no longer grading");
    expect(staleness(holder, watch, 1, here, alive)).to.equal(undefined);
    // This very process: a hold it let go of without asking the cluster (abandoned), or one it still has.
    const me = { ...holder, pid: 99 };
    expect(staleness(me, watch, 1, here, alive)).to.equal("its process 99 on ada is no longer grading");
    expect(staleness(me, watch, 1, { ...here, liveTokens: new Set([holder.token]) }, alive)).to.equal(undefined);
  });
});
