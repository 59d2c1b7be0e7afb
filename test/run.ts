/**
 * `npm test`: the unit suites, then the integration suites on one real cluster shared by
 * all of them (started once by integration/hooks.ts). Ends with one plain summary line
 * ("N passed, N failed, N skipped") and a non-zero exit code when anything failed.
 *
 *   KUBEGRADE_TEST=unit         only the unit suites
 *   KUBEGRADE_TEST=integration  only the integration suites
 *   KUBEGRADE_TEST_GREP=text    only tests whose title contains text
 */
import Mocha from "mocha";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const here = fileURLToPath(new URL(".", import.meta.url));

function specs(dir: string): string[] {
  return readdirSync(join(here, dir), { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".test.ts"))
    .sort()
    .map((f) => join(here, dir, f));
}

interface Totals {
  passed: number;
  failed: number;
  skipped: number;
}

async function runSuite(name: string, files: string[], options: Mocha.MochaOptions): Promise<Totals> {
  const mocha = new Mocha({ reporter: "spec", ...options });
  if (process.env.KUBEGRADE_TEST_GREP) mocha.grep(process.env.KUBEGRADE_TEST_GREP);
  for (const f of files) mocha.addFile(f);
  await mocha.loadFilesAsync();
  process.stdout.write(`\n== ${name} (${files.length} files)\n`);
  return new Promise((resolve) => {
    const runner = mocha.run();
    runner.on("end", () => {
      const stats = runner.stats ?? { passes: 0, failures: 0, pending: 0 };
      resolve({ passed: stats.passes, failed: stats.failures, skipped: stats.pending });
    });
  });
}

const which = process.env.KUBEGRADE_TEST ?? "all";
const totals: Totals = { passed: 0, failed: 0, skipped: 0 };
const add = (t: Totals) => {
  totals.passed += t.passed;
  totals.failed += t.failed;
  totals.skipped += t.skipped;
};
if (which === "all" || which === "unit") add(await runSuite("unit", specs("unit"), { timeout: 10_000 }));
if (which === "all" || which === "integration") {
  const hooks = (await import("./integration/hooks.ts")).mochaHooks;
  add(await runSuite("integration (one shared cluster)", specs("integration"), { timeout: 600_000, rootHooks: hooks, bail: false }));
}
process.stdout.write(`\n${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped\n`);
process.exit(totals.failed > 0 || totals.passed === 0 ? 1 : 0);
