import { assert } from "chai";
import { defineCheck } from "./api.ts";
import { seconds } from "./support.ts";

interface Params {
  statefulset: string;
}

const RULES = ["every pod becomes Ready", "pod N+1 is created only after pod N is Running and Ready"] as const;

export default defineCheck<Params>({
  id: "ordered-creation",
  title: "Pods are created in order, each after the previous one is Ready",
  requires: ["statefulset"],
  establishes: ["pods-ready"],
  params: { type: "object", properties: {}, required: ["statefulset"] },
  rules: () => [...RULES],
  destructive: false,
  budgetMs: 180_000,
  tests: (ctx) => [
    {
      title: RULES[0],
      run: async () => {
        await ctx.podsReady();
      },
    },
    {
      title: RULES[1],
      run: async () => {
        const names = await ctx.podNames();
        await ctx.podsReady();
        // The first incarnation of each pod, from the timeline recorded since before the apply.
        for (let i = 1; i < names.length; i++) {
          const previous = names[i - 1];
          const created = ctx.timeline.first(names[i], "created");
          const previousCreated = ctx.timeline.first(previous, "created");
          const previousReady = ctx.timeline.first(previous, "ready");
          assert(created && previousCreated, `The timeline has no creation of ${created ? previous : names[i]}.`);
          if (!previousReady || previousReady.at > created.at) {
            const readyPart = previousReady
              ? `${previous} became Ready only ${seconds(previousReady.at - created.at)} later`
              : `${previous} was not Ready yet`;
            assert.fail(
              `${names[i]} was created ${seconds(created.at - previousCreated.at)} after ${previous}, before ${previous} was Ready (${readyPart}). ` +
                `StatefulSet ${ctx.params.statefulset} starts its pods all at once: remove spec.podManagementPolicy: Parallel (OrderedReady is the default).`,
            );
          }
        }
      },
    },
  ],
});
