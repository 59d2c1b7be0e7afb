/**
 * images push: the images only the kit builds, copied to a registry for clusters that are
 * not the kit (k3s, an existing cluster); images push-node: the kit node image itself, for
 * machines that pull it instead of building it. Registered on the CLI; the work is in runner/images/.
 */
import type { Command } from "commander";
import { KIT_IMAGE } from "./config.ts";
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
  const pushed = await pushImages({ registry, all: opts.all, progress, signal: interruption, env: context.env });
  for (const p of pushed) process.stdout.write(`${p.name} → ${p.target}${p.digest ? `  ${p.digest}` : ""}\n`);
  process.stdout.write(`Grade with: --image-registry ${registry} (or KUBEGRADE_IMAGE_REGISTRY=${registry})\n`);
  return EXIT.passed;
}

interface PushNodeCliOptions {
  registry: string;
  debug?: boolean;
}

export async function imagesPushNodeCommand(opts: PushNodeCliOptions, context: CommandContext): Promise<ExitCode> {
  const { nodeImageTarget, pushNodeImage } = await import("./images/push-node.ts");
  const target = nodeImageTarget(opts.registry);
  const progress = createProgress({ env: context.env });
  const started = performance.now();
  const pushed = await pushNodeImage({ target, progress, signal: interruption });
  progress.info(`Pushed in ${((performance.now() - started) / 1000).toFixed(1)} s${pushed.digest ? ` (${pushed.digest})` : ""}.`);
  process.stdout.write(`${pushed.reference}\n`);
  process.stdout.write(`Grade with: KUBEGRADE_NODE_IMAGE=${pushed.reference} (or --node-image ${pushed.reference}) on setup, grade, batch, exercise verify and cluster start\n`);
  return EXIT.passed;
}

export function registerImageCommands(program: Command, context: CommandContext): void {
  const images = program.command("images").description("the kit's images in a registry: its node image (push-node), the images only it builds (push)");
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
  images
    .command("push-node")
    .description(
      `push the kit node image built here (${KIT_IMAGE}, by \`setup --kit\`) to a registry the course owns, once per term and kubegrade version; ` +
        "then setup, grade, batch, exercise verify and cluster start pull it (KUBEGRADE_NODE_IMAGE or --node-image) instead of building it. " +
        "Prints the reference to use. Exit 0 pushed, 2 bad usage, 3 the image is not built here or not this kubegrade's, Docker or the registry failed",
    )
    .requiredOption(
      "--registry <host/path>",
      `HOST[:PORT][/PATH] to push to, e.g. registry.example.edu/course → registry.example.edu/course/${KIT_IMAGE}; or a whole reference with a tag, ` +
        "e.g. docker.io/course/kubegrade-node:fall; uses your `docker login`",
    )
    .option("--debug", "stack traces on errors")
    .action(async (opts: PushNodeCliOptions) => {
      context.setExitCode(await imagesPushNodeCommand(opts, context));
    });
}
