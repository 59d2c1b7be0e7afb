/**
 * The documentation as a reader meets it: README.md, docs/*.md and ci/README.md.
 *
 * - Every relative link reaches a file or directory of the repository, and an `#anchor` a
 *   heading of the Markdown file it names (slugs as GitHub makes them) or an `<a id>` in it.
 * - The README stays a first screen (at most 200 lines), links every page of docs/, and shows
 *   the two commands CI and users rely on (.ci/run runs the README's test command).
 * - Every `sh` block of the README and docs/ is either marked, on the line just before it,
 *   `<!-- not run by a test: why -->`, or holds only kubegrade commands that need no cluster
 *   (`list`, `explain`, `--version`, `--help`), which are run here with `node runner/cli.ts`
 *   and must exit 0. The commands that need a cluster are exercised by test/integration/.
 */
import { expect } from "chai";
import { execa } from "execa";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const README_MAX_LINES = 200;
const NOT_RUN = /^\s*<!-- not run by a test: \S.* -->\s*$/;
const SET_UP_AND_GRADE = "npm ci && npm run setup && npm run grade -- web fixtures/web/reference/submission";
const TEST_COMMAND = "npm test";

/** The pages whose `sh` blocks are checked; ci/README.md's links are checked too. */
const DOC_PAGES = ["README.md", ...readdirSync(join(ROOT, "docs")).filter((f) => f.endsWith(".md")).sort().map((f) => `docs/${f}`)];
const LINKED_PAGES = [...DOC_PAGES, "ci/README.md"];

interface Block {
  info: string;
  /** 1-based line of the opening fence. */
  line: number;
  body: string[];
  /** The line just before the opening fence. */
  before: string;
}

interface Page {
  /** Lines outside fenced blocks, with their 1-based line numbers. */
  prose: { text: string; line: number }[];
  blocks: Block[];
}

function parse(text: string): Page {
  const lines = text.split("\n");
  const page: Page = { prose: [], blocks: [] };
  let open: { fence: string; block: Block } | undefined;
  lines.forEach((text, i) => {
    const fence = /^\s*(`{3,}|~{3,})\s*([^\s`]*)/.exec(text);
    if (open) {
      if (fence && fence[1].startsWith(open.fence) && text.trim() === fence[1]) open = undefined;
      else open.block.body.push(text);
    } else if (fence) {
      const block = { info: fence[2], line: i + 1, body: [], before: lines[i - 1] ?? "" };
      page.blocks.push(block);
      open = { fence: fence[1], block };
    } else {
      page.prose.push({ text, line: i + 1 });
    }
  });
  return page;
}

const pages = new Map<string, Page>();
function page(file: string): Page {
  let found = pages.get(file);
  if (!found) pages.set(file, (found = parse(readFileSync(join(ROOT, file), "utf8"))));
  return found;
}

/** A heading's anchor as GitHub makes it: its text, lowercased, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  const text = heading
    .replace(/`([^`]*)`|<[^>]*>/g, (_tag, code?: string) => code ?? "")
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/\*/g, "");
  return text.trim().toLowerCase().replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, "").replace(/ /g, "-");
}

/**
 * The anchors of a Markdown file: its headings', duplicates numbered as GitHub numbers them, and
 * explicit HTML anchors (`<a id="…">`, which the generated docs/check-api.md puts on table rows;
 * GitHub keeps them, prefixed, and follows a link to them).
 */
function anchors(file: string): Set<string> {
  const seen = new Map<string, number>();
  const result = new Set<string>();
  for (const { text } of page(file).prose) {
    for (const m of text.replace(/`[^`]*`/g, "").matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) result.add(m[1]);
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(text);
    if (!heading) continue;
    const base = slug(heading[1]);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    result.add(n === 0 ? base : `${base}-${n}`);
  }
  return result;
}

/** Inline links outside code: `[text](target)`, with the line they are on. */
function links(file: string): { target: string; line: number }[] {
  const found: { target: string; line: number }[] = [];
  for (const { text, line } of page(file).prose) {
    const withoutCode = text.replace(/`[^`]*`/g, "");
    for (const m of withoutCode.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) found.push({ target: m[1], line });
  }
  return found;
}

/** What is wrong with a relative link (nothing for an absolute URL). */
function brokenLink(file: string, target: string): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:/i.test(target)) return undefined;
  const [path, anchor] = target.split("#", 2) as [string, string | undefined];
  const resolved = path === "" ? join(ROOT, file) : resolve(ROOT, dirname(file), decodeURIComponent(path));
  const shown = relative(ROOT, resolved);
  if (shown.startsWith("..")) return `${target}: outside the repository`;
  if (!existsSync(resolved)) return `${target}: no such file ${shown}`;
  if (anchor === undefined) return undefined;
  if (statSync(resolved).isDirectory() || !resolved.endsWith(".md")) return `${target}: an anchor into ${shown}, which is not a Markdown file`;
  if (!anchors(shown).has(decodeURIComponent(anchor))) return `${target}: no heading of ${shown} has the anchor #${anchor}`;
  return undefined;
}

/** A kubegrade command as the docs write it, as the arguments of `node runner/cli.ts`; undefined if it is not one. */
function kubegradeArgs(command: string): string[] | undefined {
  const m = /^(?:npx kubegrade|npm run kubegrade --|kubegrade)(?:\s+(.*))?$/.exec(command);
  if (!m) return undefined;
  return (m[1] ?? "").split(/\s+/).filter(Boolean);
}

/** The commands this test runs: they need no cluster, Docker, network or files of their own. */
function clusterFree(args: string[]): boolean {
  if (args.some((a) => /[|&;<>$`'"\\*?(){}]/.test(a))) return false;
  const help = ["--help", "-h"];
  if (["list", "explain", "--version", "-V", "help", ...help].includes(args[0] ?? "")) return true;
  return help.includes(args.at(-1) ?? "");
}

interface Shown {
  file: string;
  line: number;
  command: string;
  args?: string[];
}

/** The commands of a page's `sh` blocks that are not marked as not run by a test. */
function shownCommands(file: string): Shown[] {
  const shown: Shown[] = [];
  for (const block of page(file).blocks) {
    if (!["sh", "bash", "shell", "console"].includes(block.info) || NOT_RUN.test(block.before)) continue;
    block.body.forEach((text, i) => {
      const command = text.replace(/\s+#\s.*$/, "").trim();
      if (command === "" || command.startsWith("#")) return;
      const args = kubegradeArgs(command);
      shown.push({ file, line: block.line + 1 + i, command, args: args && clusterFree(args) ? args : undefined });
    });
  }
  return shown;
}

function runCli(args: string[]) {
  return execa(process.execPath, [join(ROOT, "runner/cli.ts"), ...args], {
    cwd: ROOT,
    env: { ...process.env, CI: "true", NO_COLOR: "1", DOCKER_HOST: "unix:///nonexistent/docker.sock" },
    reject: false,
    all: true,
    timeout: 60_000,
  });
}

describe("docs: the README, docs/ and ci/README.md", function () {
  it(`README.md is at most ${README_MAX_LINES} lines`, function () {
    const lines = readFileSync(join(ROOT, "README.md"), "utf8").replace(/\n$/, "").split("\n").length;
    expect(lines, `README.md has ${lines} lines: move the rest to a page of docs/`).to.be.at.most(README_MAX_LINES);
  });

  it("README.md shows the set-up-and-grade command and the test command, each in an sh block of its own", function () {
    const blocks = page("README.md").blocks.filter((b) => b.info === "sh").map((b) => b.body.join("\n").trim());
    expect(blocks).to.include(SET_UP_AND_GRADE);
    expect(blocks).to.include(TEST_COMMAND);
  });

  it("README.md links every page of docs/", function () {
    const linked = new Set(links("README.md").map((l) => l.target.split("#")[0]));
    expect(DOC_PAGES.filter((f) => f.startsWith("docs/") && !linked.has(f))).to.deep.equal([]);
  });

  it("GitHub's anchors: punctuation dropped, spaces to hyphens, code kept as text", function () {
    expect(slug("Pre-created namespaces: `--namespaces FILE` (batch), `--namespace NAME` (grade)")).to.equal(
      "pre-created-namespaces---namespaces-file-batch---namespace-name-grade",
    );
    expect(slug("Similar submissions: `similarity.csv`")).to.equal("similar-submissions-similaritycsv");
    expect(slug("The context: `CheckContext<P>`")).to.equal("the-context-checkcontextp");
    expect(slug("Against a hand-written kubectl script")).to.equal("against-a-hand-written-kubectl-script");
    expect(slug("GitHub Actions (plain)")).to.equal("github-actions-plain");
  });

  for (const file of LINKED_PAGES) {
    it(`${file}: every relative link reaches a file, every #anchor a heading of it`, function () {
      const broken = links(file).flatMap(({ target, line }) => {
        const problem = brokenLink(file, target);
        return problem ? [`${file}:${line}: ${problem}`] : [];
      });
      expect(broken).to.deep.equal([]);
    });
  }

  for (const file of DOC_PAGES) {
    it(`${file}: every sh block is marked "not run by a test" or holds only commands run here`, function () {
      const unrun = shownCommands(file)
        .filter((s) => !s.args)
        .map((s) => `${s.file}:${s.line}: "${s.command}" needs more than this test gives; mark its block <!-- not run by a test: why -->`);
      expect(unrun).to.deep.equal([]);
    });
  }

  const byCommand = new Map<string, { args: string[]; where: string[] }>();
  for (const s of DOC_PAGES.flatMap(shownCommands)) {
    if (!s.args) continue;
    const key = s.args.join(" ");
    const entry = byCommand.get(key) ?? { args: s.args, where: [] };
    entry.where.push(`${s.file}:${s.line}`);
    byCommand.set(key, entry);
  }
  for (const [key, { args, where }] of byCommand) {
    it(`\`kubegrade ${key}\` (${where.join(", ")}) exits 0`, async function () {
      this.timeout(90_000);
      const result = await runCli(args);
      expect(result.exitCode, `node runner/cli.ts ${key}:\n${result.all}`).to.equal(0);
      expect(String(result.stdout).trim(), "it prints something").not.to.equal("");
    });
  }
});
