import { assert } from "chai";
import type { V1Pod } from "@kubernetes/client-node";
import { assertAnswer, defineCheck, type CheckContext, type CheckTest } from "./api.ts";
import { listing, nslookupAddresses, nslookupScript, nslookupSections, PARAM } from "./support.ts";

interface Params {
  service?: string;
  statefulset: string;
  /** Also GET this path on each pod's DNS name; the answer must name the pod (demo's hello API). */
  http?: { port: number; path: string };
  /** The Service's own name must resolve to every Ready pod (default true). */
  serviceListsPods?: boolean;
}

const TITLES = {
  resolves: "<pod>.<service> resolves to each pod's IP",
  lists: "the Service's name lists every Ready pod",
  http: (http: NonNullable<Params["http"]>) => `GET ${http.path} on port ${http.port} of each pod's DNS name answers from that pod`,
  recreated: "after every pod is recreated, the names resolve to the new IPs",
};

/** The rules the parameters ask for, in the order they are graded. */
function rulesFor(params: Params): string[] {
  return [
    TITLES.resolves,
    ...(params.serviceListsPods === false ? [] : [TITLES.lists]),
    ...(params.http ? [TITLES.http(params.http)] : []),
    TITLES.recreated,
  ];
}

async function governing(ctx: CheckContext<Params>): Promise<string> {
  const service = await ctx.serviceName();
  assert(service, "No Service governs the StatefulSet (spec.serviceName is empty): pods have no DNS names.");
  return service;
}

/** Every pod's full name resolves to its current IP (one lookup round, one deadline for all). */
async function resolves(ctx: CheckContext<Params>, pods: Map<string, V1Pod>, when: string): Promise<void> {
  const service = await governing(ctx);
  const fqdn = (name: string) => `${name}.${service}.${ctx.namespace}.svc.cluster.local`;
  await ctx.eventually(`pod names resolve ${when}`, ctx.deadlines.dnsMs, async () => {
    const answer = await ctx.probe(["sh", "-c", nslookupScript([...pods.keys()].map(fqdn))]);
    const sections = nslookupSections(answer.stdout);
    for (const [name, pod] of pods) {
      const ip = pod.status?.podIP;
      const addresses = sections.get(fqdn(name)) ?? [];
      assert(
        addresses.length > 0,
        `${when}, ${fqdn(name)} does not resolve. Pods get such names only when the StatefulSet's spec.serviceName names a headless Service (clusterIP: None) that selects them.`,
      );
      assert(addresses.includes(ip ?? ""), `${when}, ${fqdn(name)} resolves to ${listing(addresses)}, not to ${name}'s IP ${ip}.`);
    }
  });
}

/** The Service's own name resolves to every Ready pod's IP. */
async function listsEveryPod(ctx: CheckContext<Params>): Promise<void> {
  const pods = await ctx.podsReady();
  const service = await governing(ctx);
  const fqdn = `${service}.${ctx.namespace}.svc.cluster.local`;
  const expected = [...pods.values()].map((p) => p.status?.podIP ?? "");
  await ctx.eventually(`${fqdn} lists every pod`, ctx.deadlines.dnsMs, async () => {
    const addresses = nslookupAddresses((await ctx.probe(["nslookup", fqdn])).stdout);
    assert(addresses.length > 0, `${fqdn} does not resolve: is there a Service named ${service}?`);
    const missing = [...pods.entries()].filter(([, p]) => !addresses.includes(p.status?.podIP ?? "")).map(([n]) => n);
    const svc = await ctx.core.readNamespacedService({ name: service, namespace: ctx.namespace }).catch(() => undefined);
    const clusterIP = svc?.spec?.clusterIP;
    // The Service's own cluster IP: its spec says so, and it will not change.
    assertAnswer(
      !(missing.length && clusterIP && clusterIP !== "None" && addresses.includes(clusterIP)),
      `cluster IP ${clusterIP}`,
      `${fqdn} resolves to the Service's own cluster IP ${clusterIP}, not to the pods (${listing(expected)}): ` +
        `Service ${service} is not headless. Set spec.clusterIP: None so its name lists every Ready pod.`,
    );
    assert(
      !missing.length,
      `${fqdn} resolves to ${listing(addresses)} but not to ${listing(missing)} (expected ${listing(expected)}). ` +
        "A headless Service's name lists the IP of every Ready pod it selects; check its selector.",
    );
  });
}

/** GET on each pod's DNS name answers from that pod. */
async function answersFromEachPod(ctx: CheckContext<Params>, http: NonNullable<Params["http"]>): Promise<void> {
  const pods = await ctx.podsReady();
  const service = await governing(ctx);
  for (const name of pods.keys()) {
    const url = `http://${name}.${service}.${ctx.namespace}.svc.cluster.local:${http.port}${http.path}`;
    await ctx.eventually(`GET ${url}`, ctx.deadlines.dnsMs, async () => {
      // busybox wget crashes with -T; `timeout` bounds it instead.
      const answer = await ctx.probe(["timeout", "5", "wget", "-q", "-O", "-", url]);
      const failed = `GET ${url} failed (${(answer.stderr || answer.stdout).trim() || `exit ${answer.exitCode}`}). The container must listen on port ${http.port}, and the pod's name must resolve.`;
      const status = /HTTP\/\d(?:\.\d)? (\d{3})/.exec(answer.stderr)?.[1];
      if (status) assertAnswer(answer.exitCode === 0, `status ${status}`, failed);
      else assert(answer.exitCode === 0, failed);
      assertAnswer(answer.stdout.includes(name), `body ${answer.stdout}`, `GET ${url} answered, but not from ${name}: ${answer.stdout.trim().slice(0, 200)}`);
    });
  }
}

export default defineCheck<Params>({
  id: "pod-dns",
  title: "Each pod is reachable by its own stable DNS name",
  requires: ["statefulset", "pods-ready"],
  params: {
    type: "object",
    properties: {
      http: {
        type: "object", additionalProperties: false, required: ["port", "path"],
        properties: { port: { ...PARAM.port, description: "The port to GET on." }, path: { ...PARAM.absolutePath, description: "The path to GET." } },
        description:
          "Also GET this path on this port of each pod's DNS name (a rule of its own). The answer must contain the pod's own name (its hostname): " +
          "a page that is the same in every pod fails. Absent: no HTTP rule.",
      },
      serviceListsPods: {
        type: "boolean",
        default: true,
        description: "The Service's own name must resolve to the IP of every Ready pod (what a client asks to find the set's members). false drops the rule.",
      },
    },
    required: ["statefulset"],
  },
  rules: rulesFor,
  destructive: true,
  budgetMs: 120_000,
  tests: (ctx) => {
    let resolvedBefore = false;
    const tests: CheckTest[] = [
      {
        title: TITLES.resolves,
        run: async () => {
          await resolves(ctx, await ctx.podsReady(), "From a pod in the namespace");
          resolvedBefore = true;
        },
      },
    ];
    if (ctx.params.serviceListsPods !== false) tests.push({ title: TITLES.lists, run: () => listsEveryPod(ctx) });
    const http = ctx.params.http;
    if (http) tests.push({ title: TITLES.http(http), run: () => answersFromEachPod(ctx, http) });
    tests.push({
      title: TITLES.recreated,
      run: async () => {
        // Names that never resolved are reported once, above; recreating proves nothing more.
        if (!resolvedBefore) return;
        const { after } = await ctx.recreateAllOnce();
        await resolves(ctx, after, "After the pods were recreated");
      },
    });
    return tests;
  },
});
