/**
 * checks/ is the public check API and the checks built on it: it depends on the context
 * interface it declares, never on the runner that implements it (course repositories
 * write checks against the same API without kubegrade's insides). The one exception is a
 * pure leaf the runner defines and check authors are handed too (isReady, re-exported by
 * checks/support.ts): a module that itself imports nothing but libraries.
 */
import { expect } from "chai";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { PROJECT_ROOT } from "../../runner/config.ts";

/** Runner modules checks/ may name: leaves shared with check authors. */
const SHARED_LEAVES = new Set(["runner/kube/ready.ts"]);

function specifiers(text: string): string[] {
  return [...text.matchAll(/(?:import|export)[^;]*?from\s+["']([^"']+)["']/g)].map((m) => m[1]);
}

describe("check API boundary", function () {
  it("no module under checks/ imports from runner/, but for the shared leaves", function () {
    const dir = join(PROJECT_ROOT, "checks");
    const offenders: string[] = [];
    for (const file of readdirSync(dir).filter((f) => f.endsWith(".ts"))) {
      for (const spec of specifiers(readFileSync(join(dir, file), "utf8"))) {
        if (!/(^|\/)runner\//.test(spec)) continue;
        const target = relative(PROJECT_ROOT, resolve(dir, spec));
        if (!SHARED_LEAVES.has(target)) offenders.push(`${file} → ${spec}`);
      }
    }
    expect(offenders, "checks/ must depend only on checks/api.ts and libraries").to.deep.equal([]);
  });

  it("the shared leaves import only libraries", function () {
    const offenders: string[] = [];
    for (const leaf of SHARED_LEAVES) {
      for (const spec of specifiers(readFileSync(join(PROJECT_ROOT, leaf), "utf8"))) {
        if (spec.startsWith(".")) offenders.push(`${leaf} → ${spec}`);
      }
    }
    expect(offenders, "a module checks/ re-exports must not bring the runner with it").to.deep.equal([]);
  });
});
