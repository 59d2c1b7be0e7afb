/**
 * One cluster for the whole integration run (starting one per test would multiply the
 * suite's wall time). Setup runs first — it only checks when everything is built — so
 * `npm test` works on a fresh machine after `npm ci`.
 */
import type { Cluster } from "../../runner/cluster/index.ts";
import { obtainCluster } from "../../runner/cluster/index.ts";
import { loadExercise } from "../../runner/exercise.ts";
import { setup } from "../../runner/setup/setup.ts";
import { createProgress } from "../../runner/util/progress.ts";
import { fixtureCases, verifyFixtures, type FixtureCase } from "../../runner/verify.ts";

let shared: Cluster | undefined;
let startError: unknown;

export function sharedCluster(): Cluster {
  if (!shared) throw new Error(`the shared test cluster is not running: ${String(startError)}`);
  return shared;
}

/**
 * Exercises whose fixtures are graded from the start of the run, beside every other test,
 * instead of in their turn: cassandra's six take ~14 minutes, one ring at a time (a ring asks
 * for 1.5 of the node's 2 CPUs), mostly waiting on JVMs held to 500m each, while the other
 * tests need the rest of the machine. started-early-fixtures.test.ts takes their outcomes from here.
 */
export const EARLY_FIXTURES = ["cassandra"];
type FixtureRun = Awaited<ReturnType<typeof verifyFixtures>>;
const early = new Map<string, Promise<FixtureRun>>();

/**
 * Whether `namespace` is the grading namespace of one of those early fixture grades
 * (kg-<exercise>-<suffix>): a test that compares what the whole cluster holds before and
 * after its own work must leave those out, since they change beside it.
 */
export function earlyFixtureNamespace(namespace: string): boolean {
  return EARLY_FIXTURES.some((id) => namespace.startsWith(`kg-${id}-`));
}

/** The titles of fixture-suite.ts's suites and tests (mocha's grep matches "<suite> <test>"). */
export const fixtureSuiteTitle = (exercise: string) => `fixtures: ${exercise}`;
export const fixtureTestTitle = (c: FixtureCase) => `${c.name}: ${c.expected.description}`;

/** The fixture run started with the cluster for `exercise`, if there is one. */
export function earlyFixtureRun(exercise: string): Promise<FixtureRun> | undefined {
  return early.get(exercise);
}

/** Starts the early exercises' fixtures that this run's filters (KUBEGRADE_FIXTURES, KUBEGRADE_TEST_GREP) keep. */
async function startEarlyFixtures(cluster: Cluster): Promise<void> {
  const only = process.env.KUBEGRADE_FIXTURES?.split(",");
  const grep = process.env.KUBEGRADE_TEST_GREP;
  for (const id of EARLY_FIXTURES) {
    const exercise = await loadExercise(id);
    // fixture-suite.ts's full titles, which mocha's --grep matches as a substring.
    const titles = fixtureCases(exercise, only).map((c) => `${fixtureSuiteTitle(id)} ${fixtureTestTitle(c)}`);
    if (!titles.length || (grep && !titles.some((t) => t.includes(grep)))) continue;
    const run = verifyFixtures({ exercise, cluster, only });
    run.catch(() => {}); // awaited by started-early-fixtures.test.ts, and by afterAll
    early.set(id, run);
  }
}

export const mochaHooks = {
  async beforeAll(this: Mocha.Context) {
    this.timeout(30 * 60_000);
    const progress = createProgress({ env: { ...process.env, CI: "true" } });
    try {
      if (process.env.KUBEGRADE_TEST_SKIP_SETUP !== "1") await setup({ progress, kit: true });
      shared = await obtainCluster({ progress, provider: "kit" });
      progress.info(`Integration tests run on ${shared.description}, Kubernetes ${shared.kubernetesVersion}`);
      await startEarlyFixtures(shared);
    } catch (error) {
      startError = error;
      throw error;
    }
  },
  async afterAll(this: Mocha.Context) {
    this.timeout(120_000);
    // Normally long settled (started-early-fixtures.test.ts awaited them); never stop the cluster under a grade.
    for (const run of early.values()) await run.then((r) => Promise.allSettled(r.outcomes), () => {});
    await shared?.stop();
  },
};
