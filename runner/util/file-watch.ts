/**
 * Saves below a directory, as `kubegrade watch` needs them: Node's own recursive fs.watch
 * (inotify on Linux, FSEvents on macOS; new subdirectories are watched as they appear), the
 * paths a caller cares about kept, and a burst of events — an editor's save is several: a
 * write, a rename over the old file, a backup — told once, after the directory has been quiet
 * for `quietMs`. No dependency: on Node 22 and 24 the built-in watcher does all of this.
 */
import { watch, type FSWatcher } from "node:fs";
import { sep } from "node:path";

export interface SaveWatchOptions {
  /** Whether a "/"-separated path relative to the directory is one to tell of. */
  accept(path: string): boolean;
  /** Quiet time after the last event before the saves are told. */
  quietMs: number;
  /** The paths saved (changed, made, removed or renamed), each once, sorted. */
  onSaved(paths: string[]): void;
  /** The directory cannot be watched any more (removed, or the system's watch limit). */
  onError(error: Error): void;
}

export interface SaveWatcher {
  close(): void;
}

export function watchSaves(dir: string, options: SaveWatchOptions): SaveWatcher {
  const saved = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  const tell = () => {
    timer = undefined;
    const paths = [...saved].sort();
    saved.clear();
    if (paths.length) options.onSaved(paths);
  };
  const watcher: FSWatcher = watch(dir, { recursive: true, persistent: true }, (_event, filename) => {
    const path = filename ? String(filename).split(sep).join("/") : undefined;
    // No name (some platforms, some events): something changed, so it counts.
    if (path !== undefined && !options.accept(path)) return;
    saved.add(path ?? "a file");
    clearTimeout(timer);
    timer = setTimeout(tell, options.quietMs);
  });
  watcher.on("error", (error: Error) => options.onError(error));
  return {
    close() {
      clearTimeout(timer);
      watcher.close();
    },
  };
}
