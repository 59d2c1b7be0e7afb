/**
 * `npm run docs`: what is generated from the code, so that it cannot drift from it —
 *
 * - docs/check-api.md, the check API reference for course authors: TypeDoc with
 *   typedoc-plugin-markdown (typedoc.json) from the declarations and TSDoc of checks/api.ts;
 * - the `params` of exercises/exercise.schema.json: the context's parameters and every built-in
 *   check's, from the schemas that validate them (runner/exercise-params.ts).
 *
 * test/unit/generated-docs.test.ts fails when either differs from what this writes.
 */
import { execa } from "execa";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { CHECKS } from "../checks/index.ts";
import { exerciseParamsSchema } from "../runner/exercise-params.ts";

export const ROOT = fileURLToPath(new URL("..", import.meta.url));
export const CHECK_API_REFERENCE = "docs/check-api.md";
const SCHEMA = join(ROOT, "exercises/exercise.schema.json");

/** Writes the check API reference into `outDir` (check-api.md there), as `npm run docs` does into docs/. */
export async function writeCheckApiReference(outDir: string): Promise<string> {
  const typedoc = join(ROOT, "node_modules/typedoc/bin/typedoc");
  await execa(process.execPath, [typedoc, "--out", outDir, "--logLevel", "Warn"], { cwd: ROOT });
  return join(outDir, "check-api.md");
}

/** exercise.schema.json with its `params` as the checks declare them. */
export function exerciseSchema(): { properties: { params: unknown } } & Record<string, unknown> {
  const schema = JSON.parse(readFileSync(SCHEMA, "utf8")) as { properties: { params: unknown } } & Record<string, unknown>;
  schema.properties.params = exerciseParamsSchema(CHECKS.values());
  return schema;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const written = await writeCheckApiReference(join(ROOT, "docs"));
  writeFileSync(SCHEMA, `${JSON.stringify(exerciseSchema(), null, 2)}\n`);
  process.stdout.write(`Wrote ${written.slice(ROOT.length)} and exercises/exercise.schema.json (params).\n`);
}
