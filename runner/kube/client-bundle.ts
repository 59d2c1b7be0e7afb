/**
 * The Kubernetes client as one file. @kubernetes/client-node is about two thousand modules
 * (its generated models), and loading them one by one costs a command that talks to the
 * cluster ~0.4 s of CPU before its first request (0.45–0.8 s wall on 2 cores); the same code
 * bundled into one file loads in ~0.15 s. `kubegrade setup` bundles it with esbuild (an
 * optional dependency) into the cache, keyed by the client's version, and the command line
 * resolves the package to that file (`module.registerHooks`). Without the bundle (esbuild
 * not installed, setup not run, or KUBEGRADE_CLIENT_BUNDLE=0) the package loads as usual.
 */
import { existsSync, readFileSync } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import { createRequire, registerHooks } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { cacheDir } from "../config.ts";

const PACKAGE = "@kubernetes/client-node";
/** Bumped when the bundle's recipe changes. */
const RECIPE = "1";
const require = createRequire(import.meta.url);

function clientVersion(): string | undefined {
  try {
    return (JSON.parse(readFileSync(require.resolve(`${PACKAGE}/package.json`), "utf8")) as { version?: string }).version;
  } catch {
    return undefined;
  }
}

/** Where the bundle of the installed client lives (whether or not it was built). */
export function clientBundlePath(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const version = clientVersion();
  return version ? join(cacheDir(env), "client-node", `client-node-${version}-r${RECIPE}.mjs`) : undefined;
}

let registered = false;

/** Makes this process load the bundle for `@kubernetes/client-node`; false when there is none. */
export function useClientBundle(env: NodeJS.ProcessEnv = process.env): boolean {
  if (registered) return true;
  if (env.KUBEGRADE_CLIENT_BUNDLE === "0") return false;
  const path = clientBundlePath(env);
  if (!path || !existsSync(path)) return false;
  const url = pathToFileURL(path).href;
  registerHooks({
    resolve: (specifier, context, next) =>
      specifier === PACKAGE ? { url, format: "module", shortCircuit: true } : next(specifier, context),
  });
  registered = true;
  return true;
}

/**
 * Builds the bundle when it is missing; "absent" when esbuild is not installed (it is an
 * optional dependency). Written to a temporary file and renamed: whole or not at all.
 */
export async function buildClientBundle(env: NodeJS.ProcessEnv = process.env): Promise<{ path: string; built: boolean } | "absent"> {
  const path = clientBundlePath(env);
  if (!path) throw new Error(`${PACKAGE} is not installed`);
  if (existsSync(path)) return { path, built: false };
  let esbuild: typeof import("esbuild");
  try {
    esbuild = await import("esbuild");
  } catch {
    return "absent";
  }
  await mkdir(dirname(path), { recursive: true });
  const partial = `${path}.${process.pid}.partial`;
  try {
    await esbuild.build({
      entryPoints: [require.resolve(PACKAGE)],
      outfile: partial,
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node22",
      minify: true,
      keepNames: true, // error messages and logs name the client's classes as the package does
      logLevel: "silent",
      // The client's CommonJS dependencies require Node's built-ins (and ws its optional
      // native helpers, which it does without when absent): give the bundle a require.
      banner: { js: "import { createRequire as __kubegradeRequire } from 'node:module'; const require = __kubegradeRequire(import.meta.url);" },
    });
    await rename(partial, path);
  } finally {
    await rm(partial, { force: true });
  }
  return { path, built: true };
}
