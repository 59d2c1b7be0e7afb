/**
 * gradebook.html: the class at a glance, one self-contained page (inline CSS and one small
 * inline script; a Content-Security-Policy that allows nothing else, so it never reaches the
 * network). It shows the score distribution, every check's pass rate, the most frequent
 * failure causes with how many students hit each, pairs of submissions that look alike
 * (flagged for a person, never scored), and one row per student linking to their own HTML
 * report — sortable by any column, filterable by check and by cause.
 *
 * A pure function of the gradebook's rows, what each student's report.json says (their
 * feedback, reduced to StudentFeedback) and the similar pairs: dashboardModel() computes the
 * figures, dashboardHtml() renders them. Every string from a report or a roster is escaped.
 */
import type { GradeReport } from "../report/model.ts";
import { esc } from "../report/writers/html.ts";
import { failureCauses, type Cause, type StudentFeedback } from "./causes.ts";
import type { Gradebook, GradebookRow } from "./gradebook-model.ts";
import type { SimilarPair } from "./similarity.ts";

export const GRADEBOOK_HTML = "gradebook.html";
/** Each student's HTML report, beside report.json, the dashboard's link. */
export const STUDENT_PAGE = "report.html";

/** What the dashboard needs of one report: its failed checks' feedback and its refusals. */
export function studentFeedback(report: Pick<GradeReport, "checks" | "refusals">): StudentFeedback {
  return {
    failures: report.checks
      .filter((c) => c.status === "failed" || c.status === "error")
      .map((c) => ({ check: c.id, feedback: [...c.feedback] })),
    refusals: report.refusals.map((r) => [r.object, r.field, r.message].filter(Boolean).join(": ")),
  };
}

export type RowVerdict = "passed" | "not passed" | "refused" | "error";

export function rowVerdict(row: GradebookRow): RowVerdict {
  if (row.infrastructureError !== undefined) return "error";
  if (row.refused) return "refused";
  return row.passed ? "passed" : "not passed";
}

export interface HistogramBin {
  label: string;
  count: number;
}

export interface CheckRate {
  id: string;
  passed: number;
  failed: number;
  error: number;
  skipped: number;
  /** passed / graded submissions, 0..1 (0 when none was graded). */
  rate: number;
}

export interface DashboardRow {
  student: string;
  score: number;
  maxScore: number;
  verdict: RowVerdict;
  checks: Record<string, string>;
  /** Checks failed or in error. */
  failedChecks: string[];
  /** Ids of the causes this student hit. */
  causes: string[];
  /** Relative link to the student's HTML report. */
  href: string;
}

export interface DashboardModel {
  exercise: string;
  checkIds: string[];
  students: number;
  /** Graded to the end (not refused, no infrastructure error). */
  graded: number;
  passed: number;
  refused: number;
  errors: number;
  /** Mean score of the graded submissions in percent of the maximum, one decimal. */
  meanPercent: number | undefined;
  /** Score in percent of the maximum: 0–9, 10–19, …, 90–99, 100; graded submissions only. */
  histogram: HistogramBin[];
  checks: CheckRate[];
  causes: Cause[];
  rows: DashboardRow[];
  pairs: SimilarPair[];
}

export interface DashboardInput {
  book: Gradebook;
  /** By student: from their report.json; a student without one contributes no causes. */
  feedback: ReadonlyMap<string, StudentFeedback>;
  pairs?: readonly SimilarPair[];
}

function percentOf(row: GradebookRow): number {
  return row.maxScore > 0 ? (100 * row.score) / row.maxScore : 0;
}

export function dashboardModel(input: DashboardInput): DashboardModel {
  const { book } = input;
  const rows = book.rows;
  const graded = rows.filter((r) => rowVerdict(r) === "passed" || rowVerdict(r) === "not passed");
  const histogram: HistogramBin[] = [
    ...Array.from({ length: 10 }, (_, i) => ({ label: `${i * 10}–${i * 10 + 9}`, count: 0 })),
    { label: "100", count: 0 },
  ];
  for (const row of graded) histogram[Math.min(10, Math.floor(percentOf(row) / 10))].count++;
  const checkIds = [...book.checkIds];
  for (const row of rows) for (const id of Object.keys(row.checks)) if (!checkIds.includes(id)) checkIds.push(id);
  const checks = checkIds.map((id) => {
    const count = (status: string) => graded.filter((r) => r.checks[id] === status).length;
    const passed = count("passed");
    return { id, passed, failed: count("failed"), error: count("error"), skipped: count("skipped"), rate: graded.length ? passed / graded.length : 0 };
  });
  const feedback = new Map([...input.feedback].filter(([student]) => rows.some((r) => r.student === student)));
  const causes = failureCauses(feedback);
  const causesOf = new Map<string, string[]>();
  for (const cause of causes) for (const s of cause.students) causesOf.set(s, [...(causesOf.get(s) ?? []), cause.id]);
  const meanPercent = graded.length ? Math.round((10 * graded.reduce((sum, r) => sum + percentOf(r), 0)) / graded.length) / 10 : undefined;
  return {
    exercise: book.exercise,
    checkIds,
    students: rows.length,
    graded: graded.length,
    passed: rows.filter((r) => r.passed).length,
    refused: rows.filter((r) => rowVerdict(r) === "refused").length,
    errors: rows.filter((r) => rowVerdict(r) === "error").length,
    meanPercent,
    histogram,
    checks,
    causes,
    rows: rows.map((r) => ({
      student: r.student,
      score: r.score,
      maxScore: r.maxScore,
      verdict: rowVerdict(r),
      checks: { ...r.checks },
      failedChecks: Object.entries(r.checks).filter(([, s]) => s === "failed" || s === "error").map(([id]) => id),
      causes: causesOf.get(r.student) ?? [],
      href: `${encodeURIComponent(r.student)}/${STUDENT_PAGE}`,
    })),
    pairs: [...(input.pairs ?? [])],
  };
}

const pct = (x: number) => `${Math.round(x * 100)}%`;
const MAX_CAUSES = 30;

export function dashboardHtml(model: DashboardModel): string {
  const peak = Math.max(1, ...model.histogram.map((b) => b.count));
  const title = `kubegrade: ${model.exercise}: ${model.students} student(s), ${model.passed} passed`;
  const shownCauses = model.causes.slice(0, MAX_CAUSES);
  const parts: string[] = [
    "<!DOCTYPE html>",
    '<html lang="en">',
    "<head>",
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">`,
    `<title>${esc(title)}</title>`,
    `<style>${CSS}</style>`,
    "</head>",
    "<body>",
    "<main>",
    `<h1>Exercise <code>${esc(model.exercise)}</code>: the class</h1>`,
    '<section class="box figures" id="figures">',
    figure("students", String(model.students)),
    figure("graded", String(model.graded)),
    figure("passed", String(model.passed)),
    figure("refused", String(model.refused)),
    figure("infrastructure errors", String(model.errors)),
    figure("mean score", model.meanPercent === undefined ? "–" : `${model.meanPercent}%`),
    "</section>",
    '<section class="box" id="histogram">',
    `<h2>Scores <span class="muted">(graded submissions, percent of the maximum)</span></h2>`,
    '<div class="bars">',
    ...model.histogram.map((b) =>
      `<div class="bin" data-label="${esc(b.label)}" data-count="${b.count}" title="${esc(`${b.label}%: ${b.count} student(s)`)}">` +
        `<span class="n">${b.count}</span><span class="bar" style="height:${Math.round((b.count / peak) * 140)}px"></span><span class="lbl">${esc(b.label)}</span></div>`),
    "</div>",
    "</section>",
    '<section class="box" id="checks">',
    "<h2>Checks <span class=\"muted\">(pass rate among graded submissions; click one to list who failed it)</span></h2>",
    '<table><thead><tr><th>check</th><th>pass rate</th><th class="num">passed</th><th class="num">failed</th><th class="num">error</th><th class="num">not run</th></tr></thead><tbody>',
    ...model.checks.map((c) =>
      `<tr class="pick" data-check="${esc(c.id)}" data-rate="${pct(c.rate)}"><td><code>${esc(c.id)}</code></td>` +
        `<td><span class="meter"><span style="width:${Math.round(c.rate * 100)}%"></span></span> <span class="rate">${pct(c.rate)}</span></td>` +
        `<td class="num">${c.passed}</td><td class="num">${c.failed}</td><td class="num">${c.error}</td><td class="num">${c.skipped}</td></tr>`),
    "</tbody></table>",
    "</section>",
    '<section class="box" id="causes">',
    `<h2>Most frequent failure causes <span class="muted">(feedback with names, namespaces, addresses and times taken out; click one to list its students)</span></h2>`,
    shownCauses.length
      ? [
          '<table><thead><tr><th class="num">students</th><th>check</th><th>cause</th></tr></thead><tbody>',
          ...shownCauses.map((c) =>
            `<tr class="pick" data-cause="${c.id}" data-count="${c.students.length}"><td class="num">${c.students.length}</td><td><code>${esc(c.check)}</code></td><td>${esc(c.text)}</td></tr>`),
          "</tbody></table>",
          model.causes.length > MAX_CAUSES ? `<p class="muted">and ${model.causes.length - MAX_CAUSES} rarer cause(s), each in the students' own reports.</p>` : "",
        ].join("\n")
      : '<p class="muted">No failures.</p>',
    "</section>",
    similaritySection(model.pairs),
    '<section class="box" id="students">',
    "<h2>Students</h2>",
    '<div class="filters">',
    '<label>failed check <select id="filter-check"><option value="">any</option>' +
      model.checkIds.map((id) => `<option value="${esc(id)}">${esc(id)}</option>`).join("") + "</select></label>",
    '<label>cause <select id="filter-cause"><option value="">any</option>' +
      model.causes.map((c) => `<option value="${c.id}">${esc(`${c.students.length} × ${c.check}: ${truncate(c.text, 90)}`)}</option>`).join("") + "</select></label>",
    '<button type="button" id="filter-clear">show all</button>',
    `<span id="shown" class="muted">${model.rows.length} of ${model.rows.length} shown</span>`,
    "</div>",
    '<table id="roster"><thead><tr>',
    '<th data-sort="student" class="sortable">student</th><th data-sort="score" data-type="number" class="sortable num">score</th>' +
      '<th data-sort="verdict" class="sortable">verdict</th>' +
      model.checkIds.map((id) => `<th data-sort="check-${esc(id)}" class="sortable c" title="${esc(id)}">${esc(abbreviate(id))}</th>`).join("") +
      '<th data-sort="causes" data-type="number" class="sortable num">causes</th>',
    "</tr></thead><tbody>",
    ...model.rows.map((r) => studentRow(r, model.checkIds)),
    "</tbody></table>",
    "</section>",
    `<footer>kubegrade class dashboard, rebuilt as each submission is graded. Similar pairs are for a person to look at; they never change a score.</footer>`,
    "</main>",
    `<script>${SCRIPT}</script>`,
    "</body>",
    "</html>",
  ];
  return `${parts.filter((p) => p !== "").join("\n")}\n`;
}

function figure(label: string, value: string): string {
  return `<div class="figure" data-figure="${esc(label)}"><span class="value">${esc(value)}</span><span class="label">${esc(label)}</span></div>`;
}

function truncate(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

/** A check id short enough for a column head: the initials of its words ("per-pod-storage" → "pps"). */
function abbreviate(id: string): string {
  return id.split("-").map((w) => w[0] ?? "").join("");
}

const MARK: Record<string, string> = { passed: "✓", failed: "✗", error: "!", skipped: "–" };

function studentRow(r: DashboardRow, checkIds: readonly string[]): string {
  const score = r.verdict === "refused" || r.verdict === "error" ? -1 : r.score;
  return (
    `<tr data-student="${esc(r.student)}" data-score="${score}" data-verdict="${esc(r.verdict)}" data-causes="${r.causes.length}" ` +
    `data-failed="${esc(r.failedChecks.join(" "))}" data-cause-ids="${r.causes.join(" ")}"` +
    checkIds.map((id) => ` data-check-${esc(id)}="${esc(r.checks[id] ?? "")}"`).join("") +
    `><td><a href="${esc(r.href)}">${esc(r.student)}</a></td>` +
    `<td class="num">${r.verdict === "refused" || r.verdict === "error" ? "–" : `${r.score}/${r.maxScore}`}</td>` +
    `<td class="v-${r.verdict.replace(" ", "-")}">${esc(r.verdict)}</td>` +
    checkIds.map((id) => {
      const status = r.checks[id] ?? "";
      return `<td class="c s-${esc(status)}" title="${esc(`${id}: ${status || "absent"}`)}">${MARK[status] ?? ""}</td>`;
    }).join("") +
    `<td class="num">${r.causes.length}</td></tr>`
  );
}

function similaritySection(pairs: readonly SimilarPair[]): string {
  const head = `<h2>Submissions that look alike <span class="muted">(what each wrote beyond the handed-out manifests, normalised; for a person to look at, never scored)</span></h2>`;
  if (!pairs.length) return `<section class="box" id="similarity">${head}<p class="muted">No pair above the threshold.</p></section>`;
  return [
    '<section class="box" id="similarity">',
    head,
    '<table><thead><tr><th>students</th><th class="num">similarity</th><th class="num">shared lines</th><th>shared parts, side by side</th></tr></thead><tbody>',
    ...pairs.map((p) =>
      `<tr class="pair" data-a="${esc(p.a)}" data-b="${esc(p.b)}"><td>${esc(p.a)} · ${esc(p.b)}</td><td class="num">${pct(p.similarity)}</td><td class="num">${p.shared.length}</td>` +
        `<td><details><summary>${p.shared.length} line(s)</summary><table class="side"><thead><tr><th>${esc(p.a)}</th><th>${esc(p.b)}</th></tr></thead><tbody>` +
        p.shared.map((s) => `<tr><td><span class="where">${esc(s.a)}</span><code>${esc(s.text)}</code></td><td><span class="where">${esc(s.b)}</span><code>${esc(s.text)}</code></td></tr>`).join("") +
        "</tbody></table></details></td></tr>"),
    "</tbody></table>",
    "</section>",
  ].join("\n");
}

/** Sorting by a column head, filtering by check and by cause; nothing else. */
const SCRIPT = `
(function () {
  var body = document.querySelector('#roster tbody');
  var rows = Array.prototype.slice.call(body.rows);
  var byCheck = document.getElementById('filter-check');
  var byCause = document.getElementById('filter-cause');
  var shown = document.getElementById('shown');
  function apply() {
    var check = byCheck.value, cause = byCause.value, n = 0;
    rows.forEach(function (row) {
      var ok = (!check || (' ' + row.getAttribute('data-failed') + ' ').indexOf(' ' + check + ' ') >= 0) &&
               (!cause || (' ' + row.getAttribute('data-cause-ids') + ' ').indexOf(' ' + cause + ' ') >= 0);
      row.hidden = !ok;
      if (ok) n++;
    });
    shown.textContent = n + ' of ' + rows.length + ' shown';
  }
  byCheck.addEventListener('change', apply);
  byCause.addEventListener('change', apply);
  document.getElementById('filter-clear').addEventListener('click', function () { byCheck.value = ''; byCause.value = ''; apply(); });
  Array.prototype.forEach.call(document.querySelectorAll('tr.pick'), function (tr) {
    tr.addEventListener('click', function () {
      if (tr.hasAttribute('data-check')) { byCheck.value = tr.getAttribute('data-check'); byCause.value = ''; }
      else { byCause.value = tr.getAttribute('data-cause'); byCheck.value = ''; }
      apply();
      document.getElementById('students').scrollIntoView();
    });
  });
  Array.prototype.forEach.call(document.querySelectorAll('#roster th.sortable'), function (th) {
    th.addEventListener('click', function () {
      var key = 'data-' + th.getAttribute('data-sort');
      var numeric = th.getAttribute('data-type') === 'number';
      var dir = th.getAttribute('aria-sort') === 'ascending' ? -1 : 1;
      Array.prototype.forEach.call(document.querySelectorAll('#roster th'), function (h) { h.removeAttribute('aria-sort'); });
      th.setAttribute('aria-sort', dir === 1 ? 'ascending' : 'descending');
      rows.sort(function (x, y) {
        var a = x.getAttribute(key) || '', b = y.getAttribute(key) || '';
        var c = numeric ? Number(a) - Number(b) : a.localeCompare(b);
        return dir * (c || x.getAttribute('data-student').localeCompare(y.getAttribute('data-student')));
      });
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });
})();
`;

const CSS = `
:root { color-scheme: light; --pass: #2f9e44; --fail: #e03131; --err: #f08c00; --skip: #868e96; --ink: #212529; --muted: #495057; --line: #dee2e6; --accent: #1c7ed6; }
* { box-sizing: border-box; }
body { margin: 0; background: #f1f3f5; color: var(--ink); font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
main { max-width: 1200px; margin: 0 auto; padding: 24px; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 13px; }
h1 { margin: 0 0 16px; font-size: 24px; }
h2 { font-size: 18px; margin: 0 0 12px; }
.muted { color: var(--muted); font-weight: normal; font-size: 14px; }
.box { background: #fff; border-radius: 10px; padding: 18px 24px; box-shadow: 0 1px 2px rgba(0,0,0,.06); margin-bottom: 20px; }
.figures { display: flex; flex-wrap: wrap; gap: 12px 36px; }
.figure { display: flex; flex-direction: column; }
.figure .value { font-size: 30px; font-weight: 700; line-height: 1.1; }
.figure .label { color: var(--muted); font-size: 13px; }
.bars { display: flex; align-items: flex-end; gap: 6px; height: 190px; }
.bin { flex: 1; display: flex; flex-direction: column; align-items: center; justify-content: flex-end; height: 100%; }
.bin .bar { width: 100%; background: var(--accent); border-radius: 4px 4px 0 0; min-height: 1px; }
.bin .n { font-size: 13px; font-weight: 700; }
.bin .lbl { font-size: 12px; color: var(--muted); white-space: nowrap; }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
.num { text-align: right; }
tr.pick { cursor: pointer; } tr.pick:hover { background: #e7f5ff; }
.meter { display: inline-block; width: 120px; height: 10px; background: #ffe3e3; border-radius: 5px; overflow: hidden; vertical-align: middle; }
.meter span { display: block; height: 100%; background: var(--pass); }
.filters { display: flex; flex-wrap: wrap; gap: 8px 16px; align-items: center; margin-bottom: 10px; }
.filters select { max-width: 420px; }
th.sortable { cursor: pointer; user-select: none; white-space: nowrap; }
th[aria-sort=ascending]::after { content: " ▲"; } th[aria-sort=descending]::after { content: " ▼"; }
td.c, th.c { text-align: center; width: 34px; }
.s-passed { color: var(--pass); } .s-failed { color: var(--fail); font-weight: 700; } .s-error { color: var(--err); font-weight: 700; } .s-skipped { color: var(--skip); }
.v-passed { color: var(--pass); font-weight: 700; } .v-not-passed { color: var(--fail); } .v-refused { color: var(--fail); font-style: italic; } .v-error { color: var(--err); }
.side td { width: 50%; } .where { display: block; color: var(--muted); font-size: 12px; }
details summary { cursor: pointer; color: var(--muted); }
footer { color: var(--muted); font-size: 12px; text-align: center; }
`;
