/**
 * The kit's registry, served for a moment from the kit node image itself: a throwaway
 * container of `kubegrade/node` whose entrypoint is the node's own `docker-registry`, serving
 * the image's /var/lib/kubegrade/registry read-only (the node's registry.yml) on a port
 * published on 127.0.0.1 only. Docker treats 127.0.0.0/8 as an insecure registry, so the
 * engine pulls from it over plain HTTP with no configuration, and nothing is exposed beyond
 * this machine. The container is labelled like every container kubegrade starts, so one left
 * by a killed run is swept on the next start (cluster/sweep.ts).
 */
import { hostname } from "node:os";
import { LABELS, TIMEOUTS } from "../config.ts";
import { InfrastructureError, errorMessage } from "../errors.ts";
import { waitUntil } from "../util/wait.ts";
import { dockerClient, imagePresent } from "../util/docker.ts";
import { readyKitNodeImage } from "./node-image.ts";

export interface KitRegistry extends AsyncDisposable {
  /** 127.0.0.1:PORT */
  readonly address: string;
  readonly containerId: string;
  stop(): Promise<void>;
}

/** Served from the kit node image this run uses (images/node-image.ts): the published one is pulled when absent. */
export async function startKitRegistry(options: { signal?: AbortSignal; env?: NodeJS.ProcessEnv } = {}): Promise<KitRegistry> {
  const image = await readyKitNodeImage({ env: options.env, signal: options.signal });
  if (!(await imagePresent(image))) {
    throw new InfrastructureError(`The kit node image ${image} is not built here, and the images only the kit builds are in it.`, {
      hint: "Build it with `npx kubegrade setup --kit` (about 11 minutes the first time), or pull the course's with KUBEGRADE_NODE_IMAGE, then run this again.",
    });
  }
  const docker = (await dockerClient()).client.container.dockerode;
  const container = await docker.createContainer({
    Image: image,
    Entrypoint: ["/usr/bin/docker-registry"],
    Cmd: ["serve", "/etc/kubegrade/registry.yml"],
    Env: ["REGISTRY_HTTP_ADDR=0.0.0.0:5000"],
    Labels: { [LABELS.managed]: "true", [LABELS.ownerHost]: hostname(), [LABELS.ownerPid]: String(process.pid) },
    ExposedPorts: { "5000/tcp": {} },
    HostConfig: { PortBindings: { "5000/tcp": [{ HostIp: "127.0.0.1", HostPort: "" }] }, AutoRemove: true },
  });
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await container.remove({ force: true, v: true }).catch((error: { statusCode?: number }) => {
      if (error?.statusCode !== 404 && error?.statusCode !== 409) throw error;
    });
  };
  try {
    await container.start();
    const inspect = await container.inspect();
    const port = inspect.NetworkSettings.Ports?.["5000/tcp"]?.[0]?.HostPort;
    if (!port) throw new InfrastructureError("the kit's registry container publishes no port");
    const address = `127.0.0.1:${port}`;
    await waitUntil("the kit's registry answering on " + address, TIMEOUTS.registryReadyMs, async () => {
      const state = await container.inspect().catch(() => undefined);
      if (!state?.State.Running) throw new InfrastructureError(`the kit's registry container exited (${state?.State.Status ?? "removed"})`);
      const answer = await fetch(`http://${address}/v2/`, { signal: AbortSignal.timeout(2_000) }).catch((e: unknown) => errorMessage(e));
      return typeof answer !== "string" && answer.ok ? true : { pending: typeof answer === "string" ? answer : `HTTP ${answer.status}` };
    }, { signal: options.signal });
    return { address, containerId: container.id, stop, [Symbol.asyncDispose]: stop };
  } catch (error) {
    await stop().catch(() => {});
    throw error;
  }
}
