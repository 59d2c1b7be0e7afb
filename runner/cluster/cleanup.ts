/**
 * Cleanup that runs on normal exit, on errors, and on Ctrl-C / SIGTERM. Testcontainers'
 * reaper (Ryuk) cannot be pulled on the machines kubegrade is built on, so the grader
 * removes what it started itself; what a killed process leaves behind is swept on the
 * next start (see sweep.ts).
 */
type CleanupFn = () => Promise<void>;

const pending = new Map<number, { what: string; run: CleanupFn }>();
let nextId = 0;
let handlersInstalled = false;
let shuttingDown = false;

/** Registers a cleanup; returns a function that unregisters it (after a normal stop). */
export function onProcessExit(what: string, run: CleanupFn): () => void {
  installHandlers();
  const id = nextId++;
  pending.set(id, { what, run });
  return () => {
    pending.delete(id);
  };
}

/** Runs every registered cleanup, last registered first; errors are collected, not thrown. */
export async function runAllCleanups(): Promise<string[]> {
  const errors: string[] = [];
  for (const id of [...pending.keys()].sort((a, b) => b - a)) {
    const entry = pending.get(id);
    pending.delete(id);
    if (!entry) continue;
    try {
      await entry.run();
    } catch (error) {
      errors.push(`${entry.what}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return errors;
}

function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.on(signal, () => {
      if (shuttingDown) {
        process.stderr.write(`\nkubegrade: ${signal} again, exiting without finishing cleanup\n`);
        process.exit(130);
      }
      shuttingDown = true;
      process.stderr.write(`\nkubegrade: ${signal} received, removing what this run started…\n`);
      void runAllCleanups().then((errors) => {
        for (const e of errors) process.stderr.write(`kubegrade: cleanup: ${e}\n`);
        process.exit(signal === "SIGINT" ? 130 : 143);
      });
    });
  }
}
