/**
 * `--report html=PATH`: one self-contained page (inline CSS, no scripts, no external
 * resources; a Content-Security-Policy that forbids both) with the score, every check
 * with its status and feedback, and an SVG picture of the pod timeline.
 *
 * The timeline has one lane per pod name; each incarnation (uid) is a bar from created
 * to deleted (or to the end of the grade), amber while not Ready and green while
 * Ready, with marks where it was scheduled and became Ready. The grader's own steps
 * (deleting pods, scaling, patching) are dashed vertical markers with labels.
 *
 * Every string from the report is escaped: feedback, notes and the submission are the
 * student's words.
 */
import type { CheckResult, GradeReport, ReportStep, ReportTimelineEvent } from "../model.ts";
import { STATUS_WORD, feedbackLines, formatPoints, formatSeconds, formatWhere, saysNotRun, verdict, type Verdict } from "./text.ts";

export function toHtml(report: GradeReport): string {
  const v = verdict(report);
  const parts: string[] = [];
  parts.push(
    "<!DOCTYPE html>",
    '<html lang="en">',
    "<head>",
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`,
    `<title>${esc(`kubegrade: ${report.exercise}: ${formatPoints(report.score)}/${formatPoints(report.maxScore)} points, ${v}`)}</title>`,
    `<style>${CSS}</style>`,
    "</head>",
    "<body>",
    "<main>",
  );
  parts.push(header(report, v));
  if (report.infrastructureError !== undefined) parts.push(infrastructure(report.infrastructureError));
  if (report.refused) parts.push(refusals(report));
  if (report.notes.length > 0) parts.push(notes(report.notes));
  // A grade that failed says why once, above: its checks show their status alone.
  if (report.checks.length > 0) parts.push(checks(report.infrastructureError === undefined ? report.checks : report.checks.map((c) => (c.status === "error" ? { ...c, feedback: [] } : c))));
  if (!report.refused) parts.push(timelineSection(report));
  parts.push(
    `<footer>kubegrade report, schema version ${esc(String(report.schemaVersion))}; grading started ${esc(report.startedAt)}</footer>`,
    "</main>",
    "</body>",
    "</html>",
  );
  return `${parts.join("\n")}\n`;
}

/** Text and attribute values alike. */
export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => ENTITIES[ch] ?? ch);
}

const ENTITIES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

function header(report: GradeReport, v: Verdict): string {
  const meta: string[] = [
    `<span>exercise <code>${esc(report.exercise)}</code></span>`,
    `<span>submission <code>${esc(report.submission)}</code></span>`,
  ];
  if (report.commit !== undefined) meta.push(`<span>commit <code>${esc(report.commit)}</code></span>`);
  if (report.cluster) meta.push(`<span>${esc(report.cluster.provider)} · Kubernetes ${esc(report.cluster.kubernetesVersion)}</span>`);
  meta.push(`<span>took ${esc(formatSeconds(report.durationMs))}</span>`);
  return [
    `<header class="verdict ${verdictClass(v)}">`,
    "<div>",
    `<h1>${esc(report.exerciseTitle)}</h1>`,
    `<p class="meta">${meta.join(" ")}</p>`,
    "</div>",
    `<div class="score"><span class="points">${esc(formatPoints(report.score))}</span><span class="of">/ ${esc(formatPoints(report.maxScore))} points</span>`,
    `<span class="badge">${esc(v)}</span></div>`,
    "</header>",
  ].join("\n");
}

function verdictClass(v: Verdict): string {
  return { passed: "v-passed", "not passed": "v-failed", refused: "v-failed", "grader error": "v-error" }[v];
}

function infrastructure(message: string): string {
  return [
    '<section class="box error">',
    "<h2>The grader failed</h2>",
    "<p>This is not a problem with the submission, and the score is not final: ask your instructor to re-run the grader.</p>",
    `<pre>${esc(message)}</pre>`,
    "</section>",
  ].join("\n");
}

function refusals(report: GradeReport): string {
  const rows = report.refusals.map((r) => {
    return `<tr><td><code>${breakable(formatWhere(r), "/")}</code></td><td>${esc(r.object ?? "")}</td><td><code>${breakable(r.field ?? "", ".")}</code></td><td>${esc(r.message)}</td></tr>`;
  });
  return [
    '<section class="box refused">',
    "<h2>Submission refused</h2>",
    "<p>The submission was refused before grading; nothing ran on a cluster. Fix these and submit again.</p>",
    "<table><thead><tr><th>Where</th><th>Object</th><th>Field</th><th>Problem</th></tr></thead><tbody>",
    ...rows,
    "</tbody></table>",
    "</section>",
  ].join("\n");
}

/** Escaped, with a line-break opportunity after each `separator`, so paths wrap at their parts. */
function breakable(s: string, separator: "/" | "."): string {
  return esc(s).split(separator).join(`${separator}<wbr>`);
}

function notes(list: string[]): string {
  return ['<section class="box notes">', "<h2>Notes</h2>", "<ul>", ...list.map((n) => `<li>${esc(n)}</li>`), "</ul>", "</section>"].join("\n");
}

function checks(list: CheckResult[]): string {
  return ['<section class="checks">', "<h2>Checks</h2>", ...list.map(check), "</section>"].join("\n");
}

function check(c: CheckResult): string {
  const lines = feedbackLines(c);
  const intro =
    c.status === "error"
      ? "<p class=\"intro\">The grader could not run this check; this is not a problem with the submission.</p>"
      : c.status === "skipped" && !saysNotRun(c)
        ? '<p class="intro">Not run because a prerequisite is missing:</p>'
        : "";
  const body = c.status === "passed" || lines.length === 0 ? "" : `${intro}<pre class="feedback">${esc(lines.join("\n"))}</pre>`;
  const evidence =
    c.evidence !== undefined && c.evidence.length > 0
      ? `<details><summary>Evidence</summary><pre>${esc(c.evidence.join("\n"))}</pre></details>`
      : "";
  return [
    `<article class="check s-${c.status}">`,
    '<div class="head">',
    `<span class="pill">${esc(STATUS_WORD[c.status])}</span>`,
    `<h3>${esc(c.title)}</h3>`,
    `<code class="id">${esc(c.id)}</code>`,
    `<span class="pts">${esc(formatPoints(c.score))}/${esc(formatPoints(c.maxScore))}</span>`,
    `<span class="dur">${esc(formatSeconds(c.durationMs))}</span>`,
    "</div>",
    body + evidence,
    "</article>",
  ]
    .filter((s) => s !== "")
    .join("\n");
}

// ---- the pod timeline ----------------------------------------------------------------

interface Segment {
  from: number;
  to: number;
  ready: boolean;
}

interface Incarnation {
  pod: string;
  uid: string;
  start: number;
  end: number;
  deleted: boolean;
  scheduled: number[];
  ready: number[];
  segments: Segment[];
  row: number;
}

interface Lane {
  pod: string;
  incarnations: Incarnation[];
  rows: number;
}

const COLOURS = {
  notReady: "#f59f00",
  ready: "#2f9e44",
  scheduled: "#1864ab",
  readyMark: "#ffffff",
  deleted: "#212529",
  step: "#c92a2a",
  grid: "#e9ecef",
  axis: "#495057",
  laneA: "#f8f9fa",
  laneB: "#ffffff",
};

function timelineSection(report: GradeReport): string {
  const out = ['<section class="timeline">', "<h2>Pod timeline</h2>"];
  if (report.timeline.length === 0) {
    out.push('<p class="empty">No pod events were recorded.</p>');
  } else {
    out.push(timelineSvg(report.timeline, report.steps, Date.parse(report.startedAt) + report.durationMs));
    out.push(legend());
  }
  out.push("</section>");
  return out.join("\n");
}

function legend(): string {
  const swatch = (colour: string) => `<svg width="22" height="12" aria-hidden="true"><rect x="0" y="0" width="22" height="12" fill="${colour}"/></svg>`;
  const items = [
    `${swatch(COLOURS.notReady)} created, not Ready`,
    `${swatch(COLOURS.ready)} Ready`,
    `<svg width="12" height="16" aria-hidden="true"><line x1="6" y1="0" x2="6" y2="16" stroke="${COLOURS.scheduled}" stroke-width="2.5"/></svg> scheduled`,
    `<svg width="14" height="14" aria-hidden="true"><circle cx="7" cy="7" r="4.5" fill="${COLOURS.readyMark}" stroke="${COLOURS.ready}" stroke-width="2"/></svg> became Ready`,
    `<svg width="8" height="16" aria-hidden="true"><rect x="2" y="0" width="3" height="16" fill="${COLOURS.deleted}"/></svg> deleted`,
    `<svg width="12" height="16" aria-hidden="true"><line x1="6" y1="0" x2="6" y2="16" stroke="${COLOURS.step}" stroke-width="1.5" stroke-dasharray="4 3"/></svg> grader step`,
  ];
  return `<p class="legend">${items.map((i) => `<span>${i}</span>`).join("")}</p>`;
}

const WIDTH = 960;
const ROW_HEIGHT = 26;
const BAR_HEIGHT = 14;
const LANE_PAD = 8;
const STEP_ROW_HEIGHT = 16;
const CHAR_WIDTH = 6.6; // at 11px, a safe over-estimate for label layout
const MAX_STEP_LABEL = 48;

function timelineSvg(events: ReportTimelineEvent[], steps: ReportStep[], gradeEnd: number): string {
  const times = [...events.map((e) => Date.parse(e.at)), ...steps.map((s) => Date.parse(s.at))].filter((t) => !Number.isNaN(t));
  const t0 = Math.min(...times);
  const last = Math.max(...times);
  // Bars of pods still there at the end run to the end of the grade (or the last thing
  // recorded): a pod whose last event is becoming Ready, as in most grades, is seen Ready
  // for a while, not as a bar that never turned green. A little room after it keeps the
  // final marks off the edge.
  const end = Math.max(last, t0 + 1000, Number.isNaN(gradeEnd) ? last : gradeEnd);
  const span = (end - t0) * 1.03;

  const lanes = buildLanes(events, end);
  const longestName = Math.max(...lanes.map((l) => l.pod.length));
  const x0 = Math.round(Math.min(220, Math.max(70, 16 + longestName * 7.4)));
  const x1 = WIDTH - 24;
  const x = (t: number) => x0 + ((t - t0) / span) * (x1 - x0);

  // Step labels sit in rows above the lanes; a label moves down a row when it would
  // overlap the one before it.
  const placed = placeStepLabels(steps, x, x1);
  const labelRows = Math.max(0, ...placed.map((p) => p.row + 1));
  const top = 8 + labelRows * STEP_ROW_HEIGHT + (labelRows > 0 ? 6 : 0);
  let y = top;
  const laneTops: number[] = [];
  for (const lane of lanes) {
    laneTops.push(y);
    y += lane.rows * ROW_HEIGHT + LANE_PAD;
  }
  const lanesBottom = y;
  const height = lanesBottom + 44;

  const svg: string[] = [];
  svg.push(
    `<svg class="timeline-svg" viewBox="0 0 ${WIDTH} ${height}" width="${WIDTH}" height="${height}" role="img" aria-label="Pod timeline" xmlns="http://www.w3.org/2000/svg" font-family="system-ui, -apple-system, 'Segoe UI', sans-serif" font-size="11">`,
  );

  // lane stripes and names
  lanes.forEach((lane, i) => {
    const ly = laneTops[i] ?? 0;
    const lh = lane.rows * ROW_HEIGHT + LANE_PAD;
    svg.push(`<rect x="0" y="${n(ly)}" width="${WIDTH}" height="${n(lh)}" fill="${i % 2 === 0 ? COLOURS.laneA : COLOURS.laneB}"/>`);
    svg.push(
      `<text class="pod" x="${n(x0 - 10)}" y="${n(ly + lh / 2 + 4)}" text-anchor="end" font-family="ui-monospace, SFMono-Regular, Menlo, Consolas, monospace" font-size="12" fill="#212529">${esc(lane.pod)}</text>`,
    );
  });

  // time grid and axis
  const step = tickStep(span);
  svg.push(`<line x1="${n(x0)}" y1="${n(lanesBottom)}" x2="${n(x1)}" y2="${n(lanesBottom)}" stroke="${COLOURS.axis}"/>`);
  for (let t = 0; t <= span + 1e-6; t += step) {
    const tx = x(t0 + t);
    svg.push(`<line x1="${n(tx)}" y1="${n(top)}" x2="${n(tx)}" y2="${n(lanesBottom)}" stroke="${COLOURS.grid}"/>`);
    svg.push(`<line x1="${n(tx)}" y1="${n(lanesBottom)}" x2="${n(tx)}" y2="${n(lanesBottom + 5)}" stroke="${COLOURS.axis}"/>`);
    svg.push(`<text class="tick" x="${n(tx)}" y="${n(lanesBottom + 18)}" text-anchor="middle" fill="${COLOURS.axis}">${esc(formatTick(t))}</text>`);
  }
  svg.push(`<text x="${n(x1)}" y="${n(lanesBottom + 36)}" text-anchor="end" fill="${COLOURS.axis}">seconds since the first event</text>`);

  // incarnations
  lanes.forEach((lane, i) => {
    const ly = (laneTops[i] ?? 0) + LANE_PAD / 2;
    for (const inc of lane.incarnations) {
      const by = ly + inc.row * ROW_HEIGHT + (ROW_HEIGHT - BAR_HEIGHT) / 2;
      const mid = by + BAR_HEIGHT / 2;
      svg.push(`<g class="incarnation"><title>${esc(describe(inc, t0))}</title>`);
      for (const seg of inc.segments) {
        const w = Math.max(x(seg.to) - x(seg.from), 1);
        svg.push(
          `<rect class="${seg.ready ? "ready" : "not-ready"}" x="${n(x(seg.from))}" y="${n(by)}" width="${n(w)}" height="${BAR_HEIGHT}" fill="${seg.ready ? COLOURS.ready : COLOURS.notReady}"/>`,
        );
      }
      if (inc.deleted) svg.push(`<rect class="deleted" x="${n(x(inc.end) - 1.5)}" y="${n(by - 3)}" width="3" height="${BAR_HEIGHT + 6}" fill="${COLOURS.deleted}"/>`);
      for (const t of inc.scheduled) {
        svg.push(`<line class="scheduled" x1="${n(x(t))}" y1="${n(by - 4)}" x2="${n(x(t))}" y2="${n(by + BAR_HEIGHT + 4)}" stroke="${COLOURS.scheduled}" stroke-width="2.5"/>`);
      }
      for (const t of inc.ready) {
        svg.push(`<circle class="became-ready" cx="${n(x(t))}" cy="${n(mid)}" r="4.5" fill="${COLOURS.readyMark}" stroke="${COLOURS.ready}" stroke-width="2"/>`);
      }
      svg.push("</g>");
    }
  });

  // grader steps, drawn last so they stay visible over the bars
  for (const p of placed) {
    const ly = 8 + p.row * STEP_ROW_HEIGHT;
    svg.push(`<g class="step"><title>${esc(`${p.full} at ${formatTick(p.t - t0)}`)}</title>`);
    svg.push(`<line class="step-line" x1="${n(p.x)}" y1="${n(ly + 4)}" x2="${n(p.x)}" y2="${n(lanesBottom)}" stroke="${COLOURS.step}" stroke-width="1.5" stroke-dasharray="4 3"/>`);
    svg.push(
      `<text class="step-label" x="${n(p.anchor === "start" ? p.x + 4 : p.x - 4)}" y="${n(ly + 11)}" text-anchor="${p.anchor}" fill="${COLOURS.step}" font-weight="600">${esc(p.label)}</text>`,
    );
    svg.push("</g>");
  }

  svg.push("</svg>");
  return `<div class="svg-wrap">\n${svg.join("\n")}\n</div>`;
}

function buildLanes(events: ReportTimelineEvent[], end: number): Lane[] {
  // Stable sort by time: events the grader received in the same millisecond keep their order.
  const sorted = events
    .map((e, i) => ({ e, t: Date.parse(e.at), i }))
    .filter((x) => !Number.isNaN(x.t))
    .sort((a, b) => a.t - b.t || a.i - b.i);
  const byUid = new Map<string, Incarnation>();
  const open = new Map<string, Segment>();
  for (const { e, t } of sorted) {
    let inc = byUid.get(e.uid);
    if (inc === undefined) {
      // A pod that existed before the watch started begins at its first event.
      inc = { pod: e.pod, uid: e.uid, start: t, end, deleted: false, scheduled: [], ready: [], segments: [], row: 0 };
      byUid.set(e.uid, inc);
      const seg = { from: t, to: end, ready: false };
      inc.segments.push(seg);
      open.set(e.uid, seg);
    }
    if (inc.deleted) continue;
    const seg = open.get(e.uid);
    switch (e.event) {
      case "created":
        break;
      case "scheduled":
        inc.scheduled.push(t);
        break;
      case "ready":
      case "unready": {
        const ready = e.event === "ready";
        if (ready) inc.ready.push(t);
        if (seg !== undefined && seg.ready !== ready) {
          seg.to = t;
          const next = { from: t, to: end, ready };
          inc.segments.push(next);
          open.set(e.uid, next);
        }
        break;
      }
      case "deleted":
        if (seg !== undefined) seg.to = t;
        inc.end = t;
        inc.deleted = true;
        break;
    }
  }
  for (const inc of byUid.values()) inc.segments = inc.segments.filter((s) => s.to > s.from || inc.segments.length === 1);

  const lanes = new Map<string, Lane>();
  for (const inc of byUid.values()) {
    let lane = lanes.get(inc.pod);
    if (lane === undefined) {
      lane = { pod: inc.pod, incarnations: [], rows: 1 };
      lanes.set(inc.pod, lane);
    }
    lane.incarnations.push(inc);
  }
  // Incarnations that overlap in time (a replacement created while the old pod is still
  // terminating) go on separate rows of the lane.
  for (const lane of lanes.values()) {
    lane.incarnations.sort((a, b) => a.start - b.start);
    const rowEnds: number[] = [];
    for (const inc of lane.incarnations) {
      let row = rowEnds.findIndex((rowEnd) => rowEnd <= inc.start);
      if (row === -1) {
        row = rowEnds.length;
        rowEnds.push(inc.end);
      } else rowEnds[row] = inc.end;
      inc.row = row;
    }
    lane.rows = Math.max(1, rowEnds.length);
  }
  return [...lanes.values()].sort((a, b) => naturalCompare(a.pod, b.pod));
}

interface PlacedStep {
  /** As drawn (long labels are cut); `full` goes into the tooltip. */
  label: string;
  full: string;
  t: number;
  x: number;
  row: number;
  anchor: "start" | "end";
}

function placeStepLabels(steps: ReportStep[], x: (t: number) => number, xMax: number): PlacedStep[] {
  const sorted = steps
    .map((s) => ({ label: s.label, t: Date.parse(s.at) }))
    .filter((s) => !Number.isNaN(s.t))
    .sort((a, b) => a.t - b.t);
  const rowRight: number[] = [];
  return sorted.map((s) => {
    const sx = x(s.t);
    const label = s.label.length > MAX_STEP_LABEL ? `${s.label.slice(0, MAX_STEP_LABEL - 1)}…` : s.label;
    const w = label.length * CHAR_WIDTH + 8;
    const anchor: "start" | "end" = sx + w > xMax + 20 ? "end" : "start";
    const left = anchor === "start" ? sx : sx - w;
    const right = anchor === "start" ? sx + w : sx;
    // The label fits in its row, and the marker line, which runs down from that row,
    // crosses no label in the rows below it.
    let row = rowRight.findIndex((r, i) => r + 6 <= left && rowRight.slice(i + 1).every((below) => below + 2 <= sx));
    if (row === -1) {
      row = rowRight.length;
      rowRight.push(right);
    } else rowRight[row] = Math.max(rowRight[row] ?? 0, right);
    return { label, full: s.label, t: s.t, x: sx, row, anchor };
  });
}

function describe(inc: Incarnation, t0: number): string {
  const at = (t: number) => formatTick(t - t0);
  const parts = [`${inc.pod} (uid ${inc.uid})`, `from ${at(inc.start)}`];
  if (inc.scheduled.length > 0) parts.push(`scheduled ${inc.scheduled.map(at).join(", ")}`);
  if (inc.ready.length > 0) parts.push(`Ready ${inc.ready.map(at).join(", ")}`);
  parts.push(inc.deleted ? `deleted ${at(inc.end)}` : "still there at the end");
  return parts.join("; ");
}

/** A tick every 0.5, 1, 2, 5, 10, … seconds: at most about ten ticks. */
function tickStep(spanMs: number): number {
  const candidates = [500, 1000, 2000, 5000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 1_200_000, 1_800_000, 3_600_000];
  return candidates.find((c) => spanMs / c <= 10) ?? 3_600_000;
}

function formatTick(ms: number): string {
  const s = ms / 1000;
  return `${Number.isInteger(s) ? s : s.toFixed(1)} s`;
}

/** "web-2" before "web-10". */
function naturalCompare(a: string, b: string): number {
  return a.localeCompare(b, "en", { numeric: true });
}

/** SVG coordinates with at most one decimal, so golden files are stable. */
function n(v: number): string {
  return String(Math.round(v * 10) / 10);
}

const CSS = `
:root { color-scheme: light; --pass: #2f9e44; --fail: #e03131; --err: #f08c00; --skip: #868e96; --ink: #212529; --muted: #495057; --line: #dee2e6; }
* { box-sizing: border-box; }
body { margin: 0; background: #f1f3f5; color: var(--ink); font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
main { max-width: 1040px; margin: 0 auto; padding: 24px; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 13px; }
h1 { margin: 0 0 4px; font-size: 24px; }
h2 { font-size: 18px; margin: 0 0 12px; }
h3 { font-size: 15px; margin: 0; }
.verdict { display: flex; justify-content: space-between; align-items: center; gap: 24px; background: #fff; border-radius: 10px; padding: 20px 24px; border-left: 8px solid var(--skip); margin-bottom: 20px; box-shadow: 0 1px 2px rgba(0,0,0,.06); }
.verdict.v-passed { border-left-color: var(--pass); }
.verdict.v-failed { border-left-color: var(--fail); }
.verdict.v-error { border-left-color: var(--err); }
.meta { margin: 0; color: var(--muted); display: flex; flex-wrap: wrap; gap: 4px 16px; }
.meta code { background: #f1f3f5; padding: 0 4px; border-radius: 4px; overflow-wrap: anywhere; }
.score { text-align: right; white-space: nowrap; }
.score .points { font-size: 40px; font-weight: 700; line-height: 1; }
.score .of { font-size: 16px; color: var(--muted); margin-left: 6px; }
.badge { display: block; margin-top: 8px; font-weight: 700; text-transform: uppercase; letter-spacing: .04em; font-size: 13px; }
.v-passed .badge { color: var(--pass); } .v-failed .badge { color: var(--fail); } .v-error .badge { color: var(--err); }
section { margin-bottom: 20px; }
.box, .checks, .timeline { background: #fff; border-radius: 10px; padding: 18px 24px; box-shadow: 0 1px 2px rgba(0,0,0,.06); }
.box.error { border-left: 6px solid var(--err); }
.box.refused { border-left: 6px solid var(--fail); }
.box.notes { border-left: 6px solid #1c7ed6; }
.box p { margin: 0 0 10px; }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
td code { overflow-wrap: anywhere; }
.check { border: 1px solid var(--line); border-left: 6px solid var(--skip); border-radius: 8px; padding: 10px 14px; margin-bottom: 10px; }
.check.s-passed { border-left-color: var(--pass); }
.check.s-failed { border-left-color: var(--fail); }
.check.s-error { border-left-color: var(--err); }
.head { display: flex; align-items: baseline; gap: 10px; flex-wrap: wrap; }
.head h3 { flex: 1 1 300px; }
.pill { font-size: 12px; font-weight: 700; text-transform: uppercase; letter-spacing: .03em; color: #fff; background: var(--skip); border-radius: 999px; padding: 1px 9px; white-space: nowrap; }
.s-passed .pill { background: var(--pass); } .s-failed .pill { background: var(--fail); } .s-error .pill { background: var(--err); }
.id { color: var(--muted); }
.pts { font-weight: 700; min-width: 48px; text-align: right; }
.dur { color: var(--muted); font-size: 13px; min-width: 48px; text-align: right; }
.intro { margin: 8px 0 0; color: var(--muted); }
pre { white-space: pre-wrap; overflow-wrap: anywhere; background: #f8f9fa; border: 1px solid var(--line); border-radius: 6px; padding: 8px 10px; margin: 8px 0 0; }
details { margin-top: 8px; } summary { cursor: pointer; color: var(--muted); }
.svg-wrap { overflow-x: auto; }
.timeline-svg { display: block; max-width: 100%; height: auto; }
.legend { display: flex; flex-wrap: wrap; gap: 6px 18px; margin: 10px 0 0; color: var(--muted); font-size: 13px; }
.legend span { display: inline-flex; align-items: center; gap: 6px; }
.empty { color: var(--muted); }
footer { color: var(--muted); font-size: 12px; text-align: center; }
`;
