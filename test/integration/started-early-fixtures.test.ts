/**
 * The fixtures of the exercises graded from the start of the run, beside the other tests
 * (hooks.ts EARLY_FIXTURES: cassandra's rings). This file sorts near the end, so mocha
 * waits for their outcomes only once the other tests are done.
 */
import { describeFixtures } from "./fixture-suite.ts";
import { EARLY_FIXTURES } from "./hooks.ts";

for (const id of EARLY_FIXTURES) await describeFixtures(id);
