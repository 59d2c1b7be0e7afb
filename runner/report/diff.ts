/**
 * What changed between two grades of the same exercise (`kubegrade watch`): the score's move,
 * the checks whose verdict changed, and how many kept theirs — then, rendered for a terminal,
 * those changes first and the feedback of every check not passed after them. Pure functions of
 * two reports, so they are unit-tested on hand-made ones.
 */
import { createColors } from "picocolors";
import type { CheckResult, CheckStatus, GradeReport } from "./model.ts";
import { clean, TERMINAL_WIDTH, truncate, wrap } from "./terminal.ts";
import { STATUS_WORD, feedbackLines, formatPoints } from "./writers/text.ts";

/** A check whose verdict is not what it was (or that the previous grade did not have). */
export interface CheckChange {
  id: string;
  title: string;
  /** Undefined on the first grade, or for a check the previous grade did not have. */
  before?: CheckStatus;
  after: CheckStatus;
  /** Points won (positive) or lost (negative) by this change. */
  points: number;
}

/** The score and verdict of one grade. */
export interface Standing {
  score: number;
  maxScore: number;
  passed: boolean;
}

export interface ReportChanges {
  /** The previous grade's standing; undefined for the first grade. */
  before?: Standing;
  after: Standing;
  /** Checks whose status changed, in the current report's order (every check on the first grade). */
  changed: CheckChange[];
  /** Checks with the same status as before. */
  unchanged: number;
}

const standing = (r: GradeReport): Standing => ({ score: r.score, maxScore: r.maxScore, passed: r.passed });

/** What changed from `previous` (undefined: this is the first grade) to `current`; both graded, neither refused. */
export function diffReports(previous: GradeReport | undefined, current: GradeReport): ReportChanges {
  const was = new Map((previous?.checks ?? []).map((c) => [c.id, c]));
  const changed: CheckChange[] = [];
  let unchanged = 0;
  for (const check of current.checks) {
    const old = was.get(check.id);
    if (previous && old?.status === check.status) {
      unchanged++;
      continue;
    }
    changed.push({ id: check.id, title: check.title, ...(old ? { before: old.status } : {}), after: check.status, points: check.score - (old?.score ?? 0) });
  }
  return { ...(previous ? { before: standing(previous) } : {}), after: standing(current), changed, unchanged };
}

const MARK: Record<CheckStatus, string> = { passed: "✓", failed: "✗", error: "!", skipped: "–" };

const verdictWord = (s: Standing) => (s.passed ? "passed" : "not passed");
const signed = (n: number) => (n > 0 ? `+${formatPoints(n)}` : n < 0 ? `−${formatPoints(-n)}` : "±0");

/** "60/100, not passed (−40: was 100/100, passed)", "100/100, passed (no change)", or the first grade's "100/100, passed". */
export function standingLine(changes: ReportChanges): string {
  const { before, after } = changes;
  const now = `${formatPoints(after.score)}/${formatPoints(after.maxScore)}, ${verdictWord(after)}`;
  if (!before) return now;
  if (before.score === after.score && before.passed === after.passed) return `${now} (no change)`;
  const was = `was ${formatPoints(before.score)}/${formatPoints(before.maxScore)}${before.passed !== after.passed ? `, ${verdictWord(before)}` : ""}`;
  return `${now} (${signed(after.score - before.score)}: ${was})`;
}

/**
 * The lines of a grade under `watch`, after its heading: each changed check ("✗ stable-network-id
 * passed → failed −20"), how many kept their verdict, then every check not passed with its
 * feedback, wrapped to the terminal's 80 columns. Student text is cleaned of escape sequences.
 */
export function renderChanges(changes: ReportChanges, current: GradeReport, options: { colour: boolean }): string[] {
  const c = createColors(options.colour);
  const tint: Record<CheckStatus, (s: string) => string> = { passed: c.green, failed: c.red, error: c.yellow, skipped: c.dim };
  const idWidth = Math.max(0, ...changes.changed.map((ch) => ch.id.length));
  const lines = changes.changed.map((ch) => {
    const move = ch.before ? `${STATUS_WORD[ch.before]} → ${STATUS_WORD[ch.after]}` : STATUS_WORD[ch.after];
    const points = ch.before !== undefined && ch.points !== 0 ? ` ${signed(ch.points)}` : "";
    return `  ${tint[ch.after](MARK[ch.after])} ${clean(ch.id).padEnd(idWidth)}  ${move}${points}`;
  });
  if (changes.before && !changes.changed.length) lines.push(c.dim("  no check changed its verdict"));
  else if (changes.unchanged) lines.push(c.dim(`  ${changes.unchanged} check${changes.unchanged === 1 ? "" : "s"} unchanged`));
  for (const check of current.checks.filter((ch) => ch.status !== "passed")) lines.push(...feedbackOf(check, tint[check.status]));
  return lines;
}

/** "✗ stable-network-id (0/20): Stable network identity", then its feedback, indented. */
function feedbackOf(check: CheckResult, paint: (s: string) => string): string[] {
  const head = `  ${paint(MARK[check.status])} ${truncate(`${clean(check.id)} (${formatPoints(check.score)}/${formatPoints(check.maxScore)}): ${clean(check.title)}`, TERMINAL_WIDTH - 4)}`;
  const indent = "      ";
  const body = feedbackLines(check).filter((l) => l.trim() !== "").flatMap((l) => wrap(clean(l), TERMINAL_WIDTH, indent, indent));
  return [head, ...body];
}
