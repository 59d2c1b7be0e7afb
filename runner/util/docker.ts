import { getContainerRuntimeClient, type ContainerRuntimeClient } from "testcontainers";
import { InfrastructureError, errorMessage } from "../errors.ts";

// Ryuk, testcontainers' reaper, is an image that cannot be pulled on the machines
// kubegrade is built on; the grader removes what it starts itself (each command's AsyncDisposableStack, util/interrupt.ts; cluster/sweep.ts for what a killed run left).
process.env.TESTCONTAINERS_RYUK_DISABLED ??= "true";

let client: Promise<ContainerRuntimeClient> | undefined;

export interface DockerAccess {
  client: ContainerRuntimeClient;
  info: ContainerRuntimeClient["info"];
}

/** The Docker engine, or an InfrastructureError that says how to get one. */
export async function dockerClient(): Promise<DockerAccess> {
  client ??= getContainerRuntimeClient();
  try {
    const c = await client;
    return { client: c, info: c.info };
  } catch (error) {
    client = undefined;
    throw new InfrastructureError(`No Docker engine answers: ${errorMessage(error).split("\n")[0]}`, {
      cause: error,
      hint: "Start Docker (on a fresh Debian machine: `npm run setup` installs and starts it) and try again.",
    });
  }
}

/** Whether the engine holds this image (the kit node image, say). */
export async function imagePresent(image: string): Promise<boolean> {
  const { client } = await dockerClient();
  return client.container.dockerode.getImage(image).inspect().then(() => true, () => false);
}
