/**
 * Phase 1 of a grade: read and validate the submission, before any cluster, and refuse what
 * cannot be graded (exit 2). Nothing here loads the Kubernetes client or a container library,
 * so the command line can validate first, then start the cluster, and load the rest of the
 * grader (run.ts, imported by run()) while the node boots.
 */
import { existsSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { UsageError } from "../errors.ts";
import { loadExercise } from "../exercise.ts";
import { objectLocations } from "../submission/locations.ts";
import { loadSubmission } from "../submission/load.ts";
import { validateSubmission } from "../submission/validate.ts";
import { conclude, emptyReport, refuse } from "./score.ts";
import type { PreparedGrade, SubmissionInput } from "./types.ts";

export { MAX_REFUSALS } from "./score.ts";

const loadRun = () => import("./run.ts");

export async function prepareGrade(input: SubmissionInput): Promise<PreparedGrade> {
  const started = performance.now();
  const exercise = await loadExercise(input.exercise, input.exercises);
  const dir = resolve(input.submission);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new UsageError(`submission ${input.submission}: not a directory`);
  }
  const report = emptyReport(exercise, { submission: input.submissionLabel ?? input.submission, commit: input.commit }, new Date());
  const loaded = await input.progress.step("Reading the submission", async () => loadSubmission(dir, { env: input.env }));
  report.objects = objectLocations(loaded.objects);
  const validation = validateSubmission(loaded.objects, exercise);
  report.notes.push(...(input.sourceNotes ?? []), ...loaded.notes, ...validation.notes);
  const refusals = [...loaded.refusals, ...validation.refusals];
  if (refusals.length) {
    conclude(refuse(report, refusals), exercise, started);
    return { exercise, refused: true, report, run: async () => report };
  }
  let ran = false;
  return {
    exercise,
    refused: false,
    report,
    async run(options) {
      if (ran) throw new Error("a prepared grade runs once");
      ran = true;
      return (await loadRun()).runGrade({ exercise, report, objects: loaded.objects, input }, options);
    },
  };
}
