/**
 * The class dashboard in a real headless Chromium (Debian's chromium, driven by
 * playwright-core): a batch of web fixtures on the shared cluster — the reference, two broken
 * ones, two near-identical copies of one solution that goes beyond the handout, and a hostile
 * one (refused) — writes gradebook.html; the page loads with no console error and no
 * request leaving the file, shows the class's figures (checked against gradebook.json),
 * filters by check and by cause, lists the two copies (and no other pair) as alike, and
 * links each student's report. The screenshot is kept in test/artifacts/ (gitignored).
 */
import { expect } from "chai";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { runBatch, type BatchResult } from "../../runner/batch/batch.ts";
import { parseCsv } from "../../runner/batch/csv.ts";
import { PROJECT_ROOT } from "../../runner/config.ts";
import { createProgress } from "../../runner/util/progress.ts";
import { sharedCluster } from "./hooks.ts";
import { withExtras } from "./support.ts";

const CHROMIUM = "/usr/bin/chromium";
const ARTIFACTS = join(PROJECT_ROOT, "test/artifacts");
const fixture = (name: string) => join(PROJECT_ROOT, "fixtures/web", name, "submission");

describe("dashboard: a batch's gradebook.html in headless Chromium", function () {
  let work: string;
  let out: string;
  let result: BatchResult;
  let context: BrowserContext;
  let page: Page;
  const problems: string[] = [];

  before(async function () {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (.ci/run does)`);
    work = mkdtempSync(join(tmpdir(), "kubegrade-dashboard-"));
    out = join(work, "out");
    const reference = readFileSync(join(fixture("reference"), "web.yaml"), "utf8");
    for (const [name, style] of [["copy-a", "block"], ["copy-b", "flow"]] as const) {
      mkdirSync(join(work, name));
      writeFileSync(join(work, name, "web.yaml"), withExtras(reference, style));
    }
    result = await runBatch({
      exercise: "web",
      submissions: [
        { student: "reference", source: fixture("reference") },
        { student: "two-replicas", source: fixture("two-replicas") },
        { student: "not-headless", source: fixture("not-headless") },
        { student: "copy-a", source: join(work, "copy-a") },
        { student: "copy-b", source: join(work, "copy-b") },
        { student: "hostile", source: join(PROJECT_ROOT, "fixtures/hostile/privileged-hostpath/submission") },
      ],
      out,
      jobs: 2,
      cluster: sharedCluster(),
      progress: createProgress({ env: { ...process.env, CI: "true" } }),
    });
    const userDataDir = mkdtempSync(join(tmpdir(), "kubegrade-chromium-"));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
      viewport: { width: 1280, height: 900 },
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on("console", (m) => { if (m.type() === "error" || m.type() === "warning") problems.push(`console ${m.type()}: ${m.text()}`); });
    page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
    page.on("request", (r) => { if (!r.url().startsWith("file:")) problems.push(`request: ${r.url()}`); });
    await page.goto(pathToFileURL(join(out, "gradebook.html")).href, { waitUntil: "load" });
  });

  after(async () => {
    await context?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("grades the class: reference, copy-a and copy-b pass; two-replicas and not-headless do not; hostile is refused", () => {
    const rows = Object.fromEntries(result.gradebook.rows.map((r) => [r.student, r]));
    const summary = JSON.stringify(result.gradebook.rows, null, 2);
    expect(result.exitCode, summary).to.equal(0);
    for (const s of ["reference", "copy-a", "copy-b"]) expect(rows[s], summary).to.include({ score: 100, passed: true });
    expect(rows["two-replicas"], summary).to.include({ score: 85, passed: false });
    expect(rows["not-headless"], summary).to.include({ passed: false, refused: false });
    expect(rows.hostile, summary).to.include({ refused: true });
  });

  it("loads with no console error and no request leaving the file; shows the class's figures", async () => {
    expect(problems).to.deep.equal([]);
    const book = result.gradebook;
    const figure = (label: string) => page.locator(`[data-figure="${label}"] .value`).textContent();
    expect(await figure("students")).to.equal(String(book.rows.length));
    expect(await figure("passed")).to.equal(String(book.rows.filter((r) => r.passed).length));
    expect(await figure("refused")).to.equal("1");
    expect(await figure("graded")).to.equal("5");
    // Histogram: the 100 bin holds the three full marks, the 80–89 bin two-replicas' 85.
    expect(await page.locator('.bin[data-label="100"] .n').textContent()).to.equal("3");
    expect(await page.locator('.bin[data-label="80–89"] .n').textContent()).to.equal(String(book.rows.filter((r) => !r.refused && r.score >= 80 && r.score < 90).length));
    // Pass rates: statefulset-spec failed only by two-replicas (4 of 5), headless-service only by not-headless.
    expect(await page.locator('tr[data-check="statefulset-spec"] .rate').textContent()).to.equal("80%");
    expect(await page.locator('tr[data-check="headless-service"] .rate').textContent()).to.equal("80%");
    expect(await page.locator('tr[data-check="ordered-creation"] .rate').textContent()).to.equal("100%");
    // Causes: not-headless's two failures and two-replicas' one, each hit by one student.
    const causes = await page.locator("#causes tr.pick").count();
    expect(causes).to.be.greaterThan(1);
    await page.screenshot({ path: join((mkdirSync(ARTIFACTS, { recursive: true }), ARTIFACTS), "dashboard.png"), fullPage: true });
  });

  it("filters the students by failed check and by cause; 'show all' brings them back", async () => {
    const visible = () => page.locator("#roster tbody tr:visible").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-student")));
    expect((await visible()).length).to.equal(6);
    await page.locator('tr[data-check="statefulset-spec"]').click();
    expect(await visible()).to.deep.equal(["two-replicas"]);
    expect(await page.locator("#shown").textContent()).to.equal("1 of 6 shown");
    await page.selectOption("#filter-check", "headless-service");
    expect(await visible()).to.deep.equal(["not-headless"]);
    await page.click("#filter-clear");
    expect((await visible()).length).to.equal(6);
    const cause = page.locator('#causes tr.pick:has(code:text-is("statefulset-spec"))').first();
    await cause.click();
    expect(await visible()).to.deep.equal(["two-replicas"]);
    await page.click("#filter-clear");
    // Sorting by score, ascending: the refused one (no score) first, then 85, …
    await page.click('#roster th[data-sort="score"]');
    const order = await visible();
    expect(order[0]).to.equal("hostile");
    expect(order.slice(-3).sort()).to.deep.equal(["copy-a", "copy-b", "reference"]);
    expect(problems).to.deep.equal([]);
  });

  it("lists the two near-identical submissions as alike, and no other pair; similarity.csv says the same", async () => {
    const pairs = await page.locator("#similarity tr.pair").evaluateAll((rows) => rows.map((r) => [r.getAttribute("data-a"), r.getAttribute("data-b")]));
    expect(pairs).to.deep.equal([["copy-a", "copy-b"]]);
    const csv = parseCsv(readFileSync(join(out, "similarity.csv"), "utf8"), "similarity.csv");
    expect(csv.map((r) => r.fields.slice(0, 2))).to.deep.equal([["student_a", "student_b"], ["copy-a", "copy-b"]]);
    expect(csv[1].fields[4]).to.include("copied, comma and all");
  });

  it("links each student's HTML report, which opens", async () => {
    const href = await page.locator('#roster a:text-is("two-replicas")').getAttribute("href");
    expect(href).to.equal("two-replicas/report.html");
    await page.locator('#roster a:text-is("two-replicas")').click();
    await page.waitForURL(/two-replicas\/report\.html$/);
    expect(await page.title()).to.match(/85\/100/);
  });
});
