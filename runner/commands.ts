import type { Command } from "commander";
import type { ExitCode } from "./errors.ts";

export interface CommandContext {
  env: NodeJS.ProcessEnv;
  setExitCode: (code: ExitCode) => void;
}

/** grade, list, explain: registered here once the grader exists. */
export function registerGradeCommands(_program: Command, _context: CommandContext): void {}
