/**
 * Pre-created namespaces (`--namespaces FILE`): for a cluster where the grading identity
 * may not create namespaces, an administrator makes some, binds the grader's Role in each,
 * and lists them in a file. Each running grade takes a free one and gives it back, emptied,
 * when it ends; a namespace is used by one grade at a time, so the pool's size caps --jobs.
 */
import { UsageError } from "../errors.ts";
import type { NamespaceLease } from "../grade/index.ts";

/** RFC 1123 label: what Kubernetes accepts as a namespace name. */
const NAMESPACE_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * The namespaces file: one name a line; blank lines and `#` comments (whole-line or after
 * a name) ignored. Errors name the file and the line.
 */
export function parseNamespacesFile(text: string, origin: string): string[] {
  const names: string[] = [];
  const lineOf = new Map<string, number>();
  text.replace(/^\uFEFF/, "").split(/\r?\n/).forEach((raw, index) => {
    const line = index + 1;
    const name = raw.replace(/#.*$/, "").trim();
    if (!name) return;
    if (/\s/.test(name)) throw new UsageError(`${origin}:${line}: one namespace name a line is expected, not "${name}"`);
    if (name.length > 63 || !NAMESPACE_NAME.test(name)) {
      throw new UsageError(`${origin}:${line}: "${name}" is not a namespace name (lower-case letters, digits and "-", at most 63 characters)`);
    }
    const earlier = lineOf.get(name);
    if (earlier !== undefined) throw new UsageError(`${origin}:${line}: namespace ${name} is listed twice (also on line ${earlier})`);
    lineOf.set(name, line);
    names.push(name);
  });
  if (!names.length) throw new UsageError(`${origin}: lists no namespace (one name a line; blank lines and # comments are ignored)`);
  return names;
}

/**
 * Free namespaces handed out one grade at a time. acquire() waits for one to be released;
 * a namespace that could not be emptied is retired instead, and once none is left,
 * acquire() rejects at once (waiting would never end).
 */
export class NamespacePool implements NamespaceLease {
  readonly names: readonly string[];
  private readonly free: string[];
  private readonly busy = new Set<string>();
  private readonly retired = new Map<string, string>();
  private readonly waiting: { resolve: (name: string) => void; reject: (error: Error) => void }[] = [];

  private readonly onRetire?: (name: string, why: string) => void;

  /** `onRetire` is told when a namespace is taken out (a batch says so). */
  constructor(names: readonly string[], options: { onRetire?: (name: string, why: string) => void } = {}) {
    if (!names.length) throw new Error("a namespace pool needs at least one namespace");
    if (new Set(names).size !== names.length) throw new Error("a namespace pool cannot hold a name twice");
    this.names = [...names];
    this.free = [...names];
    this.onRetire = options.onRetire;
  }

  get size(): number {
    return this.free.length + this.busy.size;
  }

  /** Namespaces taken out of the pool, and why. */
  get retiredNamespaces(): ReadonlyMap<string, string> {
    return this.retired;
  }

  acquire(): Promise<string> {
    const name = this.free.shift();
    if (name !== undefined) {
      this.busy.add(name);
      return Promise.resolve(name);
    }
    if (this.busy.size === 0) return Promise.reject(this.exhausted());
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  release(name: string): void {
    this.take(name);
    const next = this.waiting.shift();
    if (next) {
      this.busy.add(name);
      next.resolve(name);
    } else {
      this.free.push(name);
    }
  }

  /** Takes a namespace out for good (it could not be emptied); the waiters fail if none is left. */
  retire(name: string, why: string): void {
    this.take(name);
    this.retired.set(name, why);
    this.onRetire?.(name, why);
    if (this.busy.size === 0 && this.free.length === 0) {
      for (const waiter of this.waiting.splice(0)) waiter.reject(this.exhausted());
    }
  }

  private take(name: string): void {
    if (!this.busy.delete(name)) throw new Error(`namespace ${name} was not taken from the pool`);
  }

  private exhausted(): Error {
    const why = [...this.retired].map(([name, reason]) => `${name}: ${reason}`).join("; ");
    return new Error(`no pre-created namespace is left to grade in${why ? ` (taken out: ${why})` : ""}`);
  }
}
