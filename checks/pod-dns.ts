import { assert } from "chai";
import type { V1Pod } from "@kubernetes/client-node";
import { defineCheck, type CheckContext } from "./api.ts";
import { listing, nslookupAddresses } from "./support.ts";

interface Params {
  service: string;
  statefulset: string;
}

/** Every pod's full name resolves to its current IP (one deadline for all of them). */
async function resolves(ctx: CheckContext<Params>, pods: Map<string, V1Pod>, when: string): Promise<void> {
  await ctx.eventually(`pod names resolve ${when}`, ctx.deadlines.dnsMs, async () => {
    for (const [name, pod] of pods) {
      const fqdn = `${name}.${ctx.params.service}.${ctx.namespace}.svc.cluster.local`;
      const ip = pod.status?.podIP;
      const answer = await ctx.probe(["nslookup", fqdn]);
      const addresses = nslookupAddresses(answer.stdout);
      assert(
        addresses.length > 0,
        `${when}, ${fqdn} does not resolve. Pods get such names only when the StatefulSet's spec.serviceName names a headless Service (clusterIP: None) that selects them.`,
      );
      assert(addresses.includes(ip ?? ""), `${when}, ${fqdn} resolves to ${listing(addresses)}, not to ${name}'s IP ${ip}.`);
    }
  });
}

export default defineCheck<Params>({
  id: "pod-dns",
  title: "Each pod is reachable by its own stable DNS name",
  requires: ["statefulset", "pods-ready"],
  destructive: true,
  budgetMs: 120_000,
  tests: (ctx) => {
    let resolvedBefore = false;
    return [
    {
      title: "<pod>.<service> resolves to each pod's IP",
      run: async () => {
        await resolves(ctx, await ctx.podsReady(), "From a pod in the namespace");
        resolvedBefore = true;
      },
    },
    {
      title: "the Service's name lists every Ready pod",
      run: async () => {
        const pods = await ctx.podsReady();
        const fqdn = `${ctx.params.service}.${ctx.namespace}.svc.cluster.local`;
        const expected = [...pods.values()].map((p) => p.status?.podIP ?? "");
        await ctx.eventually(`${fqdn} lists every pod`, ctx.deadlines.dnsMs, async () => {
          const addresses = nslookupAddresses((await ctx.probe(["nslookup", fqdn])).stdout);
          assert(addresses.length > 0, `${fqdn} does not resolve: is there a Service named ${ctx.params.service}?`);
          const missing = [...pods.entries()].filter(([, p]) => !addresses.includes(p.status?.podIP ?? "")).map(([n]) => n);
          const svc = await ctx.core.readNamespacedService({ name: ctx.params.service, namespace: ctx.namespace }).catch(() => undefined);
          const clusterIP = svc?.spec?.clusterIP;
          assert(
            !(missing.length && clusterIP && clusterIP !== "None" && addresses.includes(clusterIP)),
            `${fqdn} resolves to the Service's own cluster IP ${clusterIP}, not to the pods (${listing(expected)}): ` +
              `Service ${ctx.params.service} is not headless. Set spec.clusterIP: None so its name lists every Ready pod.`,
          );
          assert(
            !missing.length,
            `${fqdn} resolves to ${listing(addresses)} but not to ${listing(missing)} (expected ${listing(expected)}). ` +
              "A headless Service's name lists the IP of every Ready pod it selects; check its selector.",
          );
        });
      },
    },
    {
      title: "after every pod is recreated, the names resolve to the new IPs",
      run: async () => {
        // Names that never resolved are reported once, above; recreating proves nothing more.
        if (!resolvedBefore) return;
        const { after } = await ctx.recreateAllOnce();
        await resolves(ctx, after, "After the pods were recreated");
      },
    },
    ];
  },
});
