/**
 * Every fixture of every built-in exercise graded on the shared cluster (fixture-suite.ts),
 * but those started with the cluster (hooks.ts EARLY_FIXTURES): their suite is
 * started-early-fixtures.test.ts, which mocha reaches near the end of the run.
 */
import { listExercises } from "../../runner/exercise.ts";
import { describeFixtures } from "./fixture-suite.ts";
import { EARLY_FIXTURES } from "./hooks.ts";

for (const id of listExercises()) {
  if (!EARLY_FIXTURES.includes(id)) await describeFixtures(id);
}
