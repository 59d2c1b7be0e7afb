/**
 * The actions the templates in ci/ use, each pinned at a major whose action.yml runs on
 * Node 24. GitHub forces actions declaring an older runtime onto Node 24 with a deprecation
 * warning on every run — listed among the student's feedback annotations — and is removing
 * Node 20; a pin back to one of those majors must not return unnoticed.
 *
 * RUNTIMES is what each action's action.yml declares as `runs.using` at that tag, read from
 * the action's repository (git show <tag>:action.yml, the tag's commit noted), not from its
 * release notes. A new pin needs its row here, read the same way.
 */
import { expect } from "chai";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { parse } from "yaml";
import { PROJECT_ROOT } from "../../runner/config.ts";

const RUNTIMES: Record<string, { using: string; commit: string }> = {
  "actions/checkout@v4": { using: "node20", commit: "11d5960a326750d5838078e36cf38b85af677262" },
  "actions/checkout@v5": { using: "node24", commit: "fbc6f3992d24b796d5a048ff273f7fcc4a7b6c09" },
  "actions/setup-node@v4": { using: "node20", commit: "49933ea5288caeca8642d1e84afbd3f7d6820020" },
  "actions/setup-node@v5": { using: "node24", commit: "a0853c24544627f65ddf259abe73b1d18a591444" },
  "actions/upload-artifact@v4": { using: "node20", commit: "ea165f8d65b6e75b540449e92b4886f43607fa02" },
  "actions/upload-artifact@v5": { using: "node20", commit: "330a01c490aca151604b8cf639adc76d48f6c5d4" },
  "actions/upload-artifact@v6": { using: "node24", commit: "b7c566a772e6b6bfb58ed0dc250532a479d7789f" },
  "actions/download-artifact@v4": { using: "node20", commit: "d3f86a106a0bac45b974a628896c90dbdf5c8093" },
  "actions/download-artifact@v5": { using: "node20", commit: "634f93cb2916e3fdff6788551b99b062d0335ce0" },
  "actions/download-artifact@v6": { using: "node20", commit: "018cc2cf5baa6db3ef3c5f8a56943fffe632ef53" },
  "actions/download-artifact@v7": { using: "node24", commit: "37930b1c2abaa49bbe596cd826c3c89aef350131" },
};

const RUNTIME = "node24";

interface Use {
  where: string;
  action: string;
}

/** Every `uses: owner/repo@ref` in a text (a YAML step, or a comment showing one). */
export function usesIn(text: string, file: string): Use[] {
  const found: Use[] = [];
  text.split("\n").forEach((line, i) => {
    const m = /^\s*(?:-\s+)?(?:#\s*)?uses:\s*["']?([^\s"'#]+)/.exec(line);
    if (m && !m[1].startsWith("./") && !m[1].startsWith("docker://")) found.push({ where: `${file}:${i + 1}`, action: m[1] });
  });
  return found;
}

/** Why a pin is not allowed, or undefined. */
export function pinProblem(action: string): string | undefined {
  const known = RUNTIMES[action];
  if (!known) return `${action} is not in the table of pinned actions (its action.yml's runs.using at that tag, read from its repository)`;
  if (known.using !== RUNTIME) return `${action} runs on ${known.using}; pin a major whose action.yml declares runs.using: ${RUNTIME}`;
  return undefined;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]));
}

/** The `uses` of every step of every job, as a YAML parser reads the workflow. */
function stepUses(workflow: unknown): string[] {
  const jobs = (workflow as { jobs?: Record<string, { steps?: { uses?: string }[] }> }).jobs ?? {};
  return Object.values(jobs).flatMap((job) => (job.steps ?? []).map((s) => s.uses).filter((u): u is string => typeof u === "string"));
}

describe("ci: the actions the templates pin", function () {
  const ci = join(PROJECT_ROOT, "ci");
  const files = filesUnder(ci);
  const uses = files.flatMap((f) => usesIn(readFileSync(f, "utf8"), relative(PROJECT_ROOT, f)));

  it(`every action used in ci/ is in the table, at a major that runs on ${RUNTIME}`, function () {
    expect(uses, "the GitHub templates use actions").to.not.be.empty;
    const problems = uses.map((u) => [u.where, pinProblem(u.action)]).filter(([, p]) => p !== undefined);
    expect(problems.map(([where, p]) => `${where}: ${p}`)).to.deep.equal([]);
  });

  it("finds every step's `uses` a YAML parser finds in the GitHub workflows", function () {
    for (const file of files.filter((f) => /\.ya?ml$/.test(f) && f.includes(`${join(ci, "github")}`))) {
      const parsed = stepUses(parse(readFileSync(file, "utf8"))).sort();
      const scanned = usesIn(readFileSync(file, "utf8"), file).map((u) => u.action).sort();
      expect(parsed, file).to.not.be.empty;
      expect(scanned, file).to.deep.equal(parsed);
    }
  });

  it("refuses a Node 20 major and an action missing from the table", function () {
    const sample = ["      - uses: actions/checkout@v4", "        uses: 'actions/upload-artifact@v5'", "      # uses: actions/setup-node@v4", "      - uses: someone/else@v1"].join("\n");
    const found = usesIn(sample, "sample.yml");
    expect(found.map((u) => u.action)).to.deep.equal(["actions/checkout@v4", "actions/upload-artifact@v5", "actions/setup-node@v4", "someone/else@v1"]);
    expect(pinProblem("actions/checkout@v4")).to.contain("runs on node20");
    expect(pinProblem("actions/upload-artifact@v5")).to.contain("runs on node20");
    expect(pinProblem("someone/else@v1")).to.contain("not in the table");
    expect(pinProblem("actions/checkout@v5")).to.equal(undefined);
  });

  it("no checkout, setup-node or upload-artifact pinned @v4 anywhere in ci/", function () {
    for (const file of files) {
      expect(readFileSync(file, "utf8"), relative(PROJECT_ROOT, file)).to.not.match(/actions\/(checkout|setup-node|upload-artifact)@v4\b/);
    }
  });
});
