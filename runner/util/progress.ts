import pc from "picocolors";
import { colourEnabled } from "./colour.ts";

/**
 * Progress for long operations, written to stderr so that stdout stays for results.
 * On a terminal: a spinner with the elapsed time on the running step's line, replaced by
 * ✓/✗ and the duration when it ends; colour unless NO_COLOR. Under CI or when piped:
 * plain, timestamped lines (start, details at most every 5 s, end), never colour.
 */
export interface ActiveStep {
  /** What the step is doing now ("API server ready"). */
  update(detail: string): void;
  /** Ends the step with a line of its own (already formatted), or ✓/✗ and the duration. */
  end(outcome: { ok: boolean; line?: string }): void;
}

export interface Progress {
  info(message: string): void;
  begin(title: string): ActiveStep;
  step<T>(title: string, run: (update: (detail: string) => void) => Promise<T>): Promise<T>;
}

export interface ProgressOptions {
  stream?: NodeJS.WriteStream;
  env?: NodeJS.ProcessEnv;
  quiet?: boolean;
}

const FRAMES = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

export function createProgress(options: ProgressOptions = {}): Progress {
  const stream = options.stream ?? process.stderr;
  const env = options.env ?? process.env;
  const plain = !stream.isTTY || env.CI === "true" || env.CI === "1";
  const c = pc.createColors(colourEnabled(env, !!stream.isTTY));
  const width = () => Math.max(20, (stream.columns || 80) - 1);
  let live: { render: () => string } | undefined;
  let timer: NodeJS.Timeout | undefined;

  const clearLive = () => {
    if (live && !plain) stream.write("\r\x1b[2K");
  };
  const drawLive = () => {
    if (live && !plain) stream.write(live.render().slice(0, width()));
  };
  const write = (line: string) => {
    if (options.quiet) return;
    clearLive();
    const stamp = plain ? `${new Date().toISOString()} ` : "";
    stream.write(`${stamp}${line}\n`);
    drawLive();
  };

  const begin = (title: string): ActiveStep => {
    const started = performance.now();
    const elapsed = () => `${((performance.now() - started) / 1000).toFixed(1)} s`;
    let detail = "";
    let frame = 0;
    let lastDetail = -Infinity; // the first detail is always shown
    if (plain || options.quiet) {
      write(`› ${title}`);
    } else {
      live = { render: () => `${c.cyan(FRAMES[frame % FRAMES.length])} ${title} ${c.dim(`(${elapsed()})${detail ? ` ${detail}` : ""}`)}` };
      clearInterval(timer);
      timer = setInterval(() => {
        frame++;
        clearLive();
        drawLive();
      }, 100);
      timer.unref();
      drawLive();
    }
    return {
      update(text) {
        if (plain || options.quiet) {
          const now = performance.now();
          if (now - lastDetail < 5000) return;
          lastDetail = now;
          write(`  ${title}: ${text} (${elapsed()})`);
        } else {
          detail = text;
        }
      },
      end({ ok, line }) {
        if (!plain && !options.quiet) {
          clearLive();
          live = undefined;
          clearInterval(timer);
        }
        write(line ?? `${ok ? c.green("✓") : c.red("✗")} ${title} ${c.dim(`(${elapsed()})`)}`);
      },
    };
  };

  return {
    info: (message) => write(message),
    begin,
    async step(title, run) {
      const active = begin(title);
      try {
        const result = await run((detail) => active.update(detail));
        active.end({ ok: true });
        return result;
      } catch (error) {
        active.end({ ok: false });
        throw error;
      }
    },
  };
}

/**
 * `progress` until `signal` is aborted, then silent: a grade stopped by a newer save (`watch`)
 * says nothing more of its own, though its last steps may still end after the next one began.
 * Steps begun before keep their line's end, so that a spinner on a terminal stops.
 */
export function silencedBy(progress: Progress, signal: AbortSignal): Progress {
  const quiet: ActiveStep = { update() {}, end() {} };
  return {
    info: (message) => {
      if (!signal.aborted) progress.info(message);
    },
    begin: (title) => (signal.aborted ? quiet : progress.begin(title)),
    step: (title, run) => (signal.aborted ? run(() => {}) : progress.step(title, run)),
  };
}
