// Child process for the cleanup tests: starts a kit node, prints its container id, and holds
// it until Ctrl-C / SIGTERM, then releases it the way every command does (await using).
import { once } from "node:events";
import { startKitCluster } from "../../runner/cluster/providers/kit.ts";
import { handleInterrupts, interruption, type Interrupted } from "../../runner/util/interrupt.ts";

handleInterrupts();
{
  await using cluster = await startKitCluster();
  process.stdout.write(`CONTAINER ${cluster.containerId}\n`);
  const alive = setInterval(() => {}, 1 << 30); // nothing else keeps the process waiting
  await once(interruption, "abort");
  clearInterval(alive);
}
process.exit((interruption.reason as Interrupted).exitCode);
