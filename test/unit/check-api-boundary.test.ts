/**
 * checks/ is the public check API and the checks built on it: it depends on the context
 * interface it declares, never on the runner that implements it (course repositories
 * write checks against the same API without kubegrade's insides).
 */
import { expect } from "chai";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { PROJECT_ROOT } from "../../runner/config.ts";

describe("check API boundary", function () {
  it("no module under checks/ imports from runner/", function () {
    const dir = join(PROJECT_ROOT, "checks");
    const offenders: string[] = [];
    for (const file of readdirSync(dir).filter((f) => f.endsWith(".ts"))) {
      const text = readFileSync(join(dir, file), "utf8");
      for (const m of text.matchAll(/(?:import|export)[^;]*?from\s+["']([^"']+)["']/g)) {
        if (/(^|\/)runner\//.test(m[1])) offenders.push(`${file} → ${m[1]}`);
      }
    }
    expect(offenders, "checks/ must depend only on checks/api.ts and libraries").to.deep.equal([]);
  });
});
