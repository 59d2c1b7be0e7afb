/**
 * A batch that runs all term keeps nothing of a finished grade. What it kept: each wait's
 * abort listener on the grade's signal. Node keeps a timeout signal (and AbortSignal.any's)
 * alive while it has an abort listener, and with it every closure the listener reaches —
 * the wait, the grade's mocha suites, its pods — until the grade's budget ran out.
 */
import { expect } from "chai";
import { getEventListeners } from "node:events";
import { waitForObjects } from "../../runner/kube/watch.ts";
import { sharedCluster } from "./hooks.ts";

describe("waits leave nothing behind on the grade's signal", function () {
  const query = { apiVersion: "v1", kind: "Namespace", plural: "namespaces", fieldSelector: "metadata.name=default" };

  it("a wait that succeeds, and one that fails, remove their abort listener from a timeout signal", async () => {
    const signal = AbortSignal.any([new AbortController().signal, AbortSignal.timeout(600_000)]);
    const found = await waitForObjects(sharedCluster().kubeConfig, query, {
      what: "namespace default", deadlineMs: 30_000, signal, condition: (objects) => (objects.size === 1 ? true : { pending: "not yet" }),
    });
    expect(found.size).to.equal(1);
    expect(getEventListeners(signal, "abort")).to.have.length(0);
    const failed = await waitForObjects(sharedCluster().kubeConfig, query, {
      what: "namespace default", deadlineMs: 30_000, signal, condition: () => ({ fail: "never" }),
    }).then(() => undefined, (error: Error) => error);
    expect(failed?.message).to.match(/never/);
    expect(getEventListeners(signal, "abort")).to.have.length(0);
  });
});
