/** The node image build's log file: every command run, with its output, under a timestamp. */
import { execa, type Options as ExecaOptions } from "execa";
import { createWriteStream, type WriteStream } from "node:fs";
import { InfrastructureError } from "../errors.ts";

export class BuildLog {
  readonly path: string;
  private readonly stream: WriteStream;
  constructor(path: string) {
    this.path = path;
    this.stream = createWriteStream(path, { flags: "a" });
  }
  line(text: string) {
    this.stream.write(`${new Date().toISOString()} ${text}\n`);
  }
  /** Runs a command with its output in the log; a failure names the log and shows its tail. */
  async run(file: string, args: string[], options: ExecaOptions = {}): Promise<string> {
    this.line(`$ ${[file, ...args].join(" ")}`);
    const result = await execa(file, args, { ...options, all: true, reject: false, stdin: "ignore" });
    const output = String(result.all ?? "");
    this.stream.write(output.endsWith("\n") || output === "" ? output : `${output}\n`);
    if (result.exitCode !== 0 || result.failed) {
      const tail = output.split("\n").slice(-15).join("\n");
      throw new InfrastructureError(
        `${file} ${args.slice(0, 3).join(" ")} failed (exit ${result.exitCode ?? "?"}):\n${tail}`,
        { hint: `Full build log: ${this.path}` },
      );
    }
    return String(result.stdout ?? "");
  }
  close(): Promise<void> {
    return new Promise((resolve) => this.stream.end(resolve));
  }
}
