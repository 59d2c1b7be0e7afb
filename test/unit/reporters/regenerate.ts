/**
 * Regenerates test/unit/reporters/fixtures/*.json — the reports every writer's test reads —
 * from real grades of the `web` exercise's fixtures, so that they change when the report
 * model does and never drift into a shape grade() does not produce:
 *
 *   node runner/cli.ts cluster start            # once: a warm cluster (the grades use --reuse)
 *   node test/unit/reporters/regenerate.ts      # about 5 minutes, 2 of them waiting on the unreachable cluster
 *   UPDATE_GOLDEN=1 KUBEGRADE_TEST=unit node test/run.ts   # then review `git diff test/unit/reporters/golden`
 *
 * Each grade runs `kubegrade grade web students/alice --report json=…` exactly as a user
 * would, from a temporary directory holding the submission as students/alice (the report's
 * `submission`); the script checks each grade's exit code before it replaces a fixture.
 *
 *   passing         fixtures/web/reference
 *   failing         fixtures/web/crash-loop, its container printing HOSTILE before it exits
 *   refused         fixtures/web/privileged-hostpath
 *   infrastructure  fixtures/web/reference on a kubeconfig whose API server never answers
 */
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FIXTURES, HERE, HOSTILE, REPO, type FixtureName } from "./support.ts";

const CLI = join(REPO, "runner", "cli.ts");
const STUDENT = join("students", "alice");

/** The crash-loop fixture, its container printing the hostile string as its last log line. */
function hostileCrashLoop(into: string): void {
  cpSync(join(REPO, "fixtures/web/crash-loop/submission"), into, { recursive: true });
  const file = join(into, "web.yaml");
  const yaml = readFileSync(file, "utf8");
  const command = /^(\s*command: )\["sh", "-c", "echo cannot start; exit 1"\]$/m;
  if (!command.test(yaml)) throw new Error(`${file}: the crash-loop fixture's command changed; update ${import.meta.filename}`);
  // JSON's string escapes are YAML's double-quoted ones; HOSTILE holds no single quote.
  writeFileSync(file, yaml.replace(command, (_, indent: string) => `${indent}["sh", "-c", ${JSON.stringify(`echo '${HOSTILE}'; exit 1`)}]`));
}

/** A kubeconfig whose API server never answers (port 9, discard): the grade's cluster fails. */
function unreachableKubeconfig(dir: string): string {
  const path = join(dir, "unreachable.yaml");
  writeFileSync(
    path,
    [
      "apiVersion: v1",
      "kind: Config",
      "clusters: [{name: unreachable, cluster: {server: 'https://127.0.0.1:9', insecure-skip-tls-verify: true}}]",
      "users: [{name: nobody, user: {token: none}}]",
      "contexts: [{name: unreachable, context: {cluster: unreachable, user: nobody}}]",
      "current-context: unreachable",
      "",
    ].join("\n"),
  );
  return path;
}

interface Grade {
  submission: (into: string) => void;
  /** Where to grade, besides the default --reuse. */
  cluster?: (dir: string) => string[];
  exitCode: number;
}

const fixtureSubmission = (name: string) => (into: string) => cpSync(join(REPO, "fixtures/web", name, "submission"), into, { recursive: true });

const GRADES: Record<FixtureName, Grade> = {
  passing: { submission: fixtureSubmission("reference"), exitCode: 0 },
  failing: { submission: hostileCrashLoop, exitCode: 1 },
  refused: { submission: fixtureSubmission("privileged-hostpath"), exitCode: 2 },
  infrastructure: { submission: fixtureSubmission("reference"), cluster: (dir) => ["--kubeconfig", unreachableKubeconfig(dir)], exitCode: 3 },
};

const only = process.argv.slice(2);
for (const name of only) if (!(FIXTURES as readonly string[]).includes(name)) throw new Error(`unknown fixture ${name}; known: ${FIXTURES.join(", ")}`);

for (const name of FIXTURES.filter((f) => only.length === 0 || only.includes(f))) {
  const grade = GRADES[name];
  const dir = mkdtempSync(join(tmpdir(), `kubegrade-fixture-${name}-`));
  try {
    mkdirSync(join(dir, "students"));
    grade.submission(join(dir, STUDENT));
    const out = join(dir, "report.json");
    const where = grade.cluster?.(dir) ?? ["--reuse"];
    process.stdout.write(`\n== ${name}: kubegrade grade web ${STUDENT} ${where.join(" ")}\n`);
    const run = spawnSync(process.execPath, [CLI, "grade", "web", STUDENT, ...where, "--report", `json=${out}`], { cwd: dir, stdio: "inherit", env: { ...process.env, NO_COLOR: "1" } });
    if (run.status !== grade.exitCode) throw new Error(`${name}: kubegrade exited with ${run.status ?? run.signal}, expected ${grade.exitCode}; fixtures/${name}.json left as it was`);
    writeFileSync(join(HERE, "fixtures", `${name}.json`), readFileSync(out, "utf8"));
    process.stdout.write(`wrote test/unit/reporters/fixtures/${name}.json\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
process.stdout.write("\nNow: UPDATE_GOLDEN=1 KUBEGRADE_TEST=unit node test/run.ts, and review git diff test/unit/reporters/\n");
