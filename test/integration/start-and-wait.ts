// Child process for the cleanup tests: starts a kit node, prints its container id, waits.
import { startKitCluster } from "../../runner/cluster/kit.ts";

const cluster = await startKitCluster();
process.stdout.write(`CONTAINER ${cluster.containerId}\n`);
// Stay alive until a signal: cleanup.ts removes the node on SIGINT/SIGTERM.
setInterval(() => {}, 1 << 30);
