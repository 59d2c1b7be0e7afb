/**
 * kubegrade's command line, run by runner/cli.ts. Commands are plain async functions over an
 * options object; this file parses argv, runs one and prints expected failures as messages
 * (stack traces only with --debug); cli.ts ends the process with the exit code it returns.
 */
import { Command, CommanderError } from "commander";
import { packageVersion } from "./config.ts";
import { useClientBundle } from "./kube/client-bundle.ts";
import { EXIT, InfrastructureError, UsageError, errorMessage, exitCodeOf, type ExitCode } from "./errors.ts";
import { handleInterrupts, interruptedBy } from "./util/interrupt.ts";
import { createProgress } from "./util/progress.ts";
import { registerGradeCommands } from "./commands.ts";
import { registerBatchCommands } from "./commands-batch.ts";
import { registerExerciseCommands } from "./commands-exercise.ts";
import { registerImageCommands } from "./commands-images.ts";
import { NODE_IMAGE_OPTION, NODES_OPTION, withNodeImage } from "./cluster-cli.ts";

export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<ExitCode> {
  let debug = argv.includes("--debug");
  let exitCode: ExitCode = EXIT.passed;
  handleInterrupts();
  // The Kubernetes client from one bundled file when setup made it (kube/client-bundle.ts).
  useClientBundle(env);
  const program = new Command()
    .name("kubegrade")
    .description("Grades Kubernetes StatefulSet exercises on a real, throwaway cluster.")
    .version(packageVersion(), "-V, --version", "print kubegrade's version")
    .exitOverride()
    .configureOutput({ writeErr: (text) => process.stderr.write(text) })
    .showHelpAfterError("(run with --help for usage)");

  program
    .command("setup")
    .description("install and start Docker if needed, build the kit node image — or pull the course's (--node-image) — (idempotent)")
    .option("--kit", "build the offline kit node image even where rancher/k3s can be pulled")
    .option("--rebuild", "rebuild the node image even if its inputs are unchanged")
    .option(...NODE_IMAGE_OPTION)
    .option("--debug", "stack traces on errors")
    .action(async (opts: { rebuild?: boolean; kit?: boolean; nodeImage?: string }) => {
      const progress = createProgress({ env });
      const { setup } = await import("./setup/setup.ts");
      const result = await setup({ progress, rebuild: opts.rebuild, kit: opts.kit, env: withNodeImage(opts, env) });
      const what = result.node ? `${result.node.image} ${result.node.built ? "built" : "already up to date"}` : `${result.pulled} pulled`;
      progress.info(`Setup done in ${(result.durationMs / 1000).toFixed(1)} s: ${what}.`);
    });

  const cluster = program.command("cluster").description("a warm cluster kept between grades");
  cluster
    .command("start")
    .description("start a kit cluster and keep it running; `grade --reuse` uses it")
    .option(...NODES_OPTION)
    .option(...NODE_IMAGE_OPTION)
    .option("--debug", "stack traces on errors")
    .action(async (opts: { nodes?: string; nodeImage?: string }) => {
      const progress = createProgress({ env });
      const { parseNodes, startWarmCluster, warmKubeconfigPath } = await import("./cluster/index.ts");
      const c = await startWarmCluster(progress, withNodeImage(opts, env), parseNodes(opts.nodes, "--nodes"));
      const path = warmKubeconfigPath(env);
      process.stdout.write(`Warm cluster ready: ${c.description}\nKubernetes ${c.kubernetesVersion}\nkubectl access: export KUBECONFIG=${path}\n`);
    });
  cluster
    .command("stop")
    .description("remove the warm cluster")
    .action(async () => {
      const { stopWarmCluster } = await import("./cluster/index.ts");
      const id = await stopWarmCluster(env);
      process.stdout.write(id ? `Removed the warm cluster ${id}.\n` : "No warm cluster was running.\n");
    });
  cluster
    .command("status")
    .description("show the warm cluster and any other kubegrade containers")
    .action(async () => {
      const { listManaged } = await import("./cluster/sweep.ts");
      const { warmCluster } = await import("./cluster/index.ts");
      const managed = await listManaged();
      if (!managed.length) {
        process.stdout.write("No kubegrade cluster is running.\n");
        return;
      }
      for (const c of managed) {
        process.stdout.write(`${c.id}  ${c.state.padEnd(8)} ${c.warm ? "warm" : `run of pid ${c.ownerPid ?? "?"}`}${c.worker ? " (worker)" : ""}  ${c.image}\n`);
      }
      if (managed.some((c) => c.warm && c.state === "running")) {
        const warm = await warmCluster(createProgress({ env, quiet: true }), { startIfMissing: false, env });
        process.stdout.write(`Warm cluster ready: Kubernetes ${warm.kubernetesVersion}, ${warm.description}\n`);
      }
    });

  registerGradeCommands(program, {
    env,
    setExitCode: (code) => {
      exitCode = code;
    },
  });
  registerBatchCommands(program, { env, setExitCode: (code) => { exitCode = code; } });
  registerExerciseCommands(program, { env, setExitCode: (code) => { exitCode = code; } });
  registerImageCommands(program, { env, setExitCode: (code) => { exitCode = code; } });

  for (const command of program.commands) command.exitOverride();

  try {
    await program.parseAsync(argv, { from: "user" });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here too, with exit code 0.
      return error.exitCode === 0 ? EXIT.passed : EXIT.usage;
    }
    const interrupted = interruptedBy(error);
    if (interrupted) {
      process.stderr.write(`kubegrade: ${interrupted.message}: nothing was graded or written.\n`);
      return interrupted.exitCode;
    }
    printError(error, debug);
    return exitCodeOf(error);
  }
}

export function printError(error: unknown, debug: boolean): void {
  const prefix =
    error instanceof UsageError ? "kubegrade:" : error instanceof InfrastructureError ? "kubegrade: infrastructure error (not your submission's fault):" : "kubegrade: internal error (not your submission's fault):";
  process.stderr.write(`${prefix} ${errorMessage(error)}\n`);
  if (error instanceof InfrastructureError && error.hint) process.stderr.write(`  ${error.hint}\n`);
  if (error instanceof UsageError && typeof error.cause === "string") process.stderr.write(`  ${error.cause}\n`);
  if (debug && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  else if (!(error instanceof UsageError)) process.stderr.write("  (run with --debug for details)\n");
}

