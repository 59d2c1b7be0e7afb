/**
 * images push: the images only the kit builds, copied to a registry for clusters that are
 * not the kit (k3s, an existing cluster). Registered on the CLI; the work is in runner/images/.
 */
import type { Command } from "commander";
import { EXIT, type ExitCode } from "./errors.ts";
import { parseImageRegistry, pushPlan } from "./images/names.ts";
import type { CommandContext } from "./commands.ts";
import { createProgress } from "./util/progress.ts";
import { interruption } from "./util/interrupt.ts";

interface PushCliOptions {
  registry: string;
  all?: boolean;
  debug?: boolean;
}

export async function imagesPushCommand(opts: PushCliOptions, context: CommandContext): Promise<ExitCode> {
  const registry = parseImageRegistry(opts.registry, "--registry");
  const progress = createProgress({ env: context.env });
  const plan = pushPlan(registry, opts.all ?? false);
  progress.info(`Copying ${plan.reduce((n, p) => n + p.names.length, 0)} image name(s) of ${plan.length} image(s) to ${registry}`);
  const { pushImages } = await import("./images/push.ts");
  const pushed = await pushImages({ registry, all: opts.all, progress, signal: interruption });
  for (const p of pushed) process.stdout.write(`${p.name} → ${p.target}${p.digest ? `  ${p.digest}` : ""}\n`);
  process.stdout.write(`Grade with: --image-registry ${registry} (or KUBEGRADE_IMAGE_REGISTRY=${registry})\n`);
  return EXIT.passed;
}

export function registerImageCommands(program: Command, context: CommandContext): void {
  const images = program.command("images").description("the images only the kit builds, for clusters that are not the kit");
  images
    .command("push")
    .description(
      "copy the images only the kit builds (demo's kubegrade/hello-api, cassandra's gcr.io/google-samples/cassandra) " +
        "to a registry; then grade with --image-registry. Exit 0 pushed, 2 bad usage, 3 the kit image, Docker or the registry failed",
    )
    .requiredOption("--registry <host/path>", "HOST[:PORT][/PATH] to push to, e.g. registry.example.edu/course: kubegrade/hello-api:1.0 → HOST/PATH/kubegrade/hello-api:1.0, gcr.io/google-samples/cassandra:v13 → HOST/PATH/google-samples/cassandra:v13 (the registry host dropped, the rest kept); uses your `docker login`")
    .option("--all", "every image of the kit (nginx, busybox, alpine, nginx-slim, pause too), for clusters that cannot pull from Docker Hub or registry.k8s.io")
    .option("--debug", "stack traces on errors")
    .action(async (opts: PushCliOptions) => {
      context.setExitCode(await imagesPushCommand(opts, context));
    });
}
