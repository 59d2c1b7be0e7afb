/**
 * The result table printed at the end of `kubegrade grade`: one line per check (status
 * symbol, title, points), the wrapped feedback of every check that did not pass, then a
 * total. A refused submission lists its refusals instead of checks. Notes and the text of
 * an infrastructure error are not part of the table: the caller prints those itself.
 * Every line fits in 80 columns, with or without colour; colour comes from picocolors and
 * is decided by the caller (runner/util/colour.ts).
 *
 * Report text can hold student strings: control characters and escape sequences are
 * removed before anything reaches the terminal.
 */
import { createColors } from "picocolors";
import type { CheckResult, CheckStatus, GradeReport } from "./model.ts";
import { STATUS_WORD, feedbackLines, formatPoints, formatRefusal, formatSeconds, saysNotRun, scoreLine, verdict } from "./writers/text.ts";

export const TERMINAL_WIDTH = 80;

export interface TableOptions {
  colour: boolean;
}

type Colors = ReturnType<typeof createColors>;

const SYMBOL: Record<CheckStatus, string> = {
  passed: "✓",
  failed: "✗",
  error: "!",
  skipped: "-",
};

export function renderTable(report: GradeReport, options: TableOptions): string {
  const c = createColors(options.colour);
  const W = TERMINAL_WIDTH;
  const out: string[] = [];
  const tint = statusTint(c);

  out.push(c.bold(truncate(clean(`${report.exercise}: ${report.exerciseTitle}`), W)));
  out.push(c.dim(truncate(clean(`submission ${report.submission}${report.commit ? ` @ ${report.commit}` : ""}`), W)));

  if (report.refused) {
    out.push(c.red(c.bold("✗ Submission refused before grading; nothing ran on a cluster:")));
    for (const r of report.refusals) {
      for (const line of wrap(clean(formatRefusal(r)), W, "    ", "  - ")) out.push(line);
    }
  }

  const points = report.checks.map((ch) => `${formatPoints(ch.score)}/${formatPoints(ch.maxScore)}`);
  const pointsWidth = Math.max(0, ...points.map((p) => p.length));
  report.checks.forEach((check, i) => {
    const pts = points[i] ?? "";
    // "  ✓ " + title + " " + points, right-aligned to the last column.
    const titleWidth = W - 4 - 1 - pointsWidth;
    const title = checkLabel(check, titleWidth);
    const gap = " ".repeat(Math.max(1, W - 4 - displayWidth(title) - pts.length));
    const paint = tint[check.status];
    out.push(`  ${paint(SYMBOL[check.status])} ${title}${gap}${paint(pts)}`);
    // A grade that failed says why once (its caller prints it); its checks show their status alone.
    if (check.status !== "passed" && !(check.status === "error" && report.infrastructureError !== undefined)) out.push(...feedback(check, c));
  });

  out.push(c.dim("─".repeat(W)));
  const v = verdict(report);
  const total = `Total: ${scoreLine(report)}, ${v} (${formatSeconds(report.durationMs)})`;
  const paint = v === "passed" ? c.green : v === "grader error" ? c.yellow : c.red;
  out.push(c.bold(paint(total)));
  return `${out.join("\n")}\n`;
}

function statusTint(c: Colors): Record<CheckStatus, (s: string) => string> {
  return { passed: c.green, failed: c.red, error: c.yellow, skipped: c.dim };
}

/** "Title (id)", keeping the id when there is room for a useful part of the title too. */
function checkLabel(check: CheckResult, width: number): string {
  const title = clean(check.title);
  const id = ` (${clean(check.id)})`;
  if (displayWidth(title) + displayWidth(id) <= width) return title + id;
  if (width - displayWidth(id) >= 24) return truncate(title, width - displayWidth(id)) + id;
  return truncate(title, width);
}

function feedback(check: CheckResult, c: Colors): string[] {
  const indent = "      ";
  const lines: string[] = [];
  if (check.status === "error") lines.push(...wrap(`${STATUS_WORD.error}, not a problem with the submission:`, TERMINAL_WIDTH, indent, indent).map(c.yellow));
  if (check.status === "skipped" && !saysNotRun(check)) lines.push(...wrap(`${STATUS_WORD.skipped}:`, TERMINAL_WIDTH, indent, indent).map(c.dim));
  for (const line of feedbackLines(check)) {
    if (line.trim() === "") continue;
    lines.push(...wrap(clean(line), TERMINAL_WIDTH, indent, indent));
  }
  return lines;
}

/** Removes escape sequences and control characters; tabs become spaces. */
export function clean(s: string): string {
  return s
    .replace(/\x1b\[[0-?]*[ -/]*[@-~]/g, "")
    .replace(/\x1b\][^\x07\x1b]*(\x07|\x1b\\)?/g, "")
    .replace(/\t/g, "  ")
    .replace(/[\x00-\x09\x0b-\x1f\x7f-\x9f]/g, "");
}

/** Columns a string takes in a terminal: wide East Asian and emoji take 2, combining marks 0. */
export function displayWidth(s: string): number {
  let width = 0;
  for (const ch of s.replace(/\x1b\[[0-9;]*m/g, "")) width += charWidth(ch.codePointAt(0) ?? 0);
  return width;
}

function charWidth(cp: number): number {
  if ((cp >= 0x0300 && cp <= 0x036f) || (cp >= 0x200b && cp <= 0x200f) || (cp >= 0xfe00 && cp <= 0xfe0f)) return 0;
  if (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0xa4cf) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1faff) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  )
    return 2;
  return 1;
}

/** Cuts a string to `width` columns, ending with … when it was longer. */
export function truncate(s: string, width: number): string {
  if (displayWidth(s) <= width) return s;
  let out = "";
  let used = 0;
  for (const ch of s) {
    const w = charWidth(ch.codePointAt(0) ?? 0);
    if (used + w > width - 1) break;
    out += ch;
    used += w;
  }
  return `${out}…`;
}

/**
 * Wraps text at spaces into lines of at most `width` columns; the first line starts with
 * `first` (default: `indent`), the others with `indent`. Words longer than a line are split.
 */
export function wrap(text: string, width: number, indent: string, first: string = indent): string[] {
  // A line that fits is left alone, so aligned text ("expected: …" / "found:    …") stays aligned.
  if (displayWidth(first) + displayWidth(text) <= width) return [first + text];
  // Text that starts indented keeps that indentation on its continuation lines.
  const lead = /^ */.exec(text)?.[0] ?? "";
  first += lead;
  indent += lead;
  const lines: string[] = [];
  let prefix = first;
  let line = "";
  const flush = () => {
    lines.push(prefix + line);
    prefix = indent;
    line = "";
  };
  for (const word of text.split(/ +/).filter((w) => w !== "")) {
    const room = () => width - displayWidth(prefix);
    const sep = line === "" ? "" : " ";
    if (displayWidth(line) + sep.length + displayWidth(word) <= room()) {
      line += sep + word;
      continue;
    }
    if (line !== "") flush();
    let rest = word;
    while (displayWidth(rest) > room()) {
      let head = "";
      let used = 0;
      for (const ch of rest) {
        const w = charWidth(ch.codePointAt(0) ?? 0);
        if (used + w > room()) break;
        head += ch;
        used += w;
      }
      if (head === "") head = String.fromCodePoint(rest.codePointAt(0) ?? 32); // no room at all: still make progress
      line = head;
      rest = rest.slice(head.length);
      flush();
    }
    line = rest;
  }
  if (line !== "" || lines.length === 0) flush();
  return lines;
}
