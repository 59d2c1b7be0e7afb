import { assert } from "chai";
import type { V1Pod } from "@kubernetes/client-node";
import { defineCheck, type CheckContext } from "./api.ts";

interface Params {
  statefulset: string;
}

const RULES = [
  "pods <name>-0..N-1 are owned by the StatefulSet",
  "the hostname inside each pod is its name",
  "after every pod is deleted, they come back under the same names with new UIDs",
] as const;

async function hostnamesMatch(ctx: CheckContext<Params>, pods: Map<string, V1Pod>, when: string): Promise<void> {
  const names = [...pods.keys()];
  const results = await Promise.all(names.map((name) => ctx.exec(name, ["hostname"])));
  names.forEach((name, i) => {
    const hostname = results[i].stdout.trim();
    assert(hostname === name, `${when}, the hostname inside ${name} is "${hostname}"; a StatefulSet pod's hostname is its name. Remove any spec.template.spec.hostname setting.`);
  });
}

export default defineCheck<Params>({
  id: "stable-identity",
  title: "Pods keep their names and hostnames when they are recreated",
  requires: ["statefulset", "pods-ready"],
  params: { type: "object", properties: {}, required: ["statefulset"] },
  rules: () => [...RULES],
  destructive: true,
  budgetMs: 120_000,
  tests: (ctx) => [
    {
      title: RULES[0],
      run: async () => {
        const pods = await ctx.podsReady();
        for (const [name, pod] of pods) {
          const owner = pod.metadata?.ownerReferences?.find((o) => o.controller);
          assert(
            owner?.kind === "StatefulSet" && owner.name === ctx.params.statefulset,
            `Pod ${name} is ${owner ? `controlled by ${owner.kind} ${owner.name}` : "not controlled by anything"}, not by StatefulSet ${ctx.params.statefulset}.`,
          );
        }
      },
    },
    {
      title: RULES[1],
      run: async () => {
        await hostnamesMatch(ctx, await ctx.podsReady(), "Before any pod was recreated");
      },
    },
    {
      title: RULES[2],
      run: async () => {
        const { before, after } = await ctx.recreateAllOnce();
        for (const [name, old] of before) {
          const pod = after.get(name);
          assert(pod, `After the pods were deleted, ${name} did not come back.`);
          assert(pod.metadata?.uid !== old.metadata?.uid, `${name} kept its UID after deletion: it was not recreated.`);
        }
        await hostnamesMatch(ctx, after, "After the pods were recreated");
      },
    },
  ],
});
