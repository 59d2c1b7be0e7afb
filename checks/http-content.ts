import { assert } from "chai";
import { assertAnswer, defineCheck, type CheckContext } from "./api.ts";
import { PARAM } from "./support.ts";

interface Params {
  service?: string;
  statefulset: string;
  /** Port nginx serves on. */
  httpPort?: number;
}

/** What GET / on a pod's DNS name answered: the lines of index.html, or why there are none. */
async function fetchIndex(ctx: CheckContext<Params>, pod: string): Promise<{ url: string; ok: boolean; lines: string[]; error: string }> {
  const service = await ctx.serviceName();
  const port = ctx.params.httpPort ?? 80;
  const url = `http://${pod}.${service}.${ctx.namespace}.svc.cluster.local${port === 80 ? "" : `:${port}`}/`;
  // busybox wget crashes with -T; `timeout` bounds it instead.
  const answer = await ctx.probe(["timeout", "5", "wget", "-q", "-O", "-", url]);
  const lines = answer.stdout.split("\n").map((l) => l.trim()).filter(Boolean);
  return { url, ok: answer.exitCode === 0, lines, error: (answer.stderr || answer.stdout).trim() };
}

/**
 * `fetch` for every pod at once; the answers in the pods' order, or the failure of the
 * first pod (in that order) that failed — the same message a one-by-one loop would give.
 */
async function inOrder<T>(names: string[], fetch: (name: string) => Promise<T>): Promise<[string, T][]> {
  const settled = await Promise.allSettled(names.map(fetch));
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) throw failed.reason;
  return names.map((name, i) => [name, (settled[i] as PromiseFulfilledResult<T>).value]);
}

/**
 * The page was fetched: an answer whatever it says. An HTTP error status is nginx's answer too
 * (stable once repeated); a failure to connect or resolve is no answer yet.
 */
function assertServed(answer: { ok: boolean; error: string }, message: string): void {
  const status = /HTTP\/\d(?:\.\d)? (\d{3})/.exec(answer.error)?.[1];
  if (status) assertAnswer(answer.ok, `status ${status}`, message);
  else assert(answer.ok, message);
}

function explainFailure(url: string, error: string): string {
  if (/403|404/.test(error)) {
    return (
      `GET ${url} answered ${/403/.test(error) ? "403 Forbidden" : "404 Not Found"}: nginx found no index.html in /usr/share/nginx/html. ` +
      "The initContainer must write index.html to the same claim that nginx mounts at /usr/share/nginx/html (mounted at /work-dir in the initContainer)."
    );
  }
  return `GET ${url} failed: ${error || "no answer"}. Does the pod's DNS name resolve, and does nginx listen on port 80?`;
}

const RULES = [
  "wget <pod>.<service> returns that pod's hostname",
  "after the pod is recreated, index.html holds its hostname twice (appended)",
] as const;

export default defineCheck<Params>({
  id: "http-content",
  title: "Each pod serves its own hostname, written by the initContainer",
  requires: ["statefulset", "pods-ready", "service"],
  params: {
    type: "object",
    properties: {
      httpPort: { ...PARAM.port, default: 80, description: "The port nginx serves on: GET / there on each pod's DNS name must return that pod's hostname." },
    },
    required: ["statefulset"],
  },
  rules: () => [...RULES],
  destructive: true,
  budgetMs: 120_000,
  tests: (ctx) => {
    let servedBefore = false;
    return [
      {
        title: RULES[0],
        run: async () => {
          const pods = await ctx.podsReady();
          const answers = await inOrder([...pods.keys()], (name) =>
            ctx.eventually(`index of ${name}`, ctx.deadlines.dnsMs, async () => {
              const answer = await fetchIndex(ctx, name);
              assertServed(answer, explainFailure(answer.url, answer.error));
              return answer;
            }),
          );
          for (const [name, got] of answers) {
            assert(
              got.lines.includes(name),
              `GET ${got.url} returned ${JSON.stringify(got.lines.join("\n").slice(0, 200))}, not ${name}'s hostname. ` +
                "The initContainer should append $(hostname) to index.html on the pod's own volume.",
            );
            const others = got.lines.filter((l) => l !== name);
            assert(!others.length, `GET ${got.url} returned other lines besides ${name}: ${others.slice(0, 3).join(", ")}; each pod's volume should hold only its own hostname.`);
          }
          servedBefore = true;
        },
      },
      {
        title: RULES[1],
        run: async () => {
          if (!servedBefore) return; // reported above; recreating proves nothing more
          const { after } = await ctx.recreateAllOnce();
          const answers = await inOrder([...after.keys()], (name) =>
            ctx.eventually(`index of ${name} after recreation`, ctx.deadlines.dnsMs, async () => {
              const a = await fetchIndex(ctx, name);
              assertServed(a, `After ${name} was recreated, ${explainFailure(a.url, a.error)}`);
              return a;
            }),
          );
          for (const [name, answer] of answers) {
            const mine = answer.lines.filter((l) => l === name).length;
            assert(mine > 0, `After ${name} was recreated, GET ${answer.url} no longer returns its hostname: ${JSON.stringify(answer.lines.join("\n").slice(0, 200))}.`);
            assert(
              mine >= 2,
              `After ${name} was recreated, its index.html holds its hostname once: the initContainer overwrote the file (>) instead of appending (>>), ` +
                "or the file is not on a persistent volume. Use echo $(hostname) >> /work-dir/index.html on the claimed volume.",
            );
          }
        },
      },
    ];
  },
});
