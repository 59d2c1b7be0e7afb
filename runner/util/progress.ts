import pc from "picocolors";

/**
 * Progress for long operations: one line per step with its elapsed time. On a TTY the
 * lines are coloured; under CI or when piped they are plain and timestamped. Written to
 * stderr so that stdout stays for results.
 */
export interface Progress {
  info(message: string): void;
  step<T>(title: string, run: (update: (detail: string) => void) => Promise<T>): Promise<T>;
}

export interface ProgressOptions {
  stream?: NodeJS.WriteStream;
  env?: NodeJS.ProcessEnv;
  quiet?: boolean;
}

export function createProgress(options: ProgressOptions = {}): Progress {
  const stream = options.stream ?? process.stderr;
  const env = options.env ?? process.env;
  const plain = !stream.isTTY || env.CI === "true" || env.CI === "1";
  const colour = !plain && !("NO_COLOR" in env);
  const c = pc.createColors(colour);
  const write = (line: string) => {
    if (options.quiet) return;
    const stamp = plain ? `${new Date().toISOString()} ` : "";
    stream.write(`${stamp}${line}\n`);
  };
  return {
    info: (message) => write(message),
    async step(title, run) {
      const started = performance.now();
      const elapsed = () => `${((performance.now() - started) / 1000).toFixed(1)} s`;
      write(`${c.cyan("›")} ${title}`);
      let lastDetail = 0;
      const update = (detail: string) => {
        // At most one detail line every 5 s: progress, not noise.
        const now = performance.now();
        if (now - lastDetail < 5000) return;
        lastDetail = now;
        write(`  ${c.dim(`${title}: ${detail} (${elapsed()})`)}`);
      };
      try {
        const result = await run(update);
        write(`${c.green("✓")} ${title} ${c.dim(`(${elapsed()})`)}`);
        return result;
      } catch (error) {
        write(`${c.red("✗")} ${title} ${c.dim(`(${elapsed()})`)}`);
        throw error;
      }
    },
  };
}
