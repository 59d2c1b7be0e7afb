import { assert } from "chai";
import { defineCheck, type CheckContext } from "./api.ts";
import { seconds, PARAM } from "./support.ts";

interface Params {
  statefulset: string;
  /** Scaled to this (and left there for later checks). */
  scaleTo: number;
  /** Scaled down to this in between, to watch the order of removal. */
  scaleDownTo?: number;
}

const pod = (ctx: CheckContext<Params>, i: number) => `${ctx.params.statefulset}-${i}`;

/** Pods from..to-1 were created in order, each after the previous was Ready. */
function assertOrderedUp(ctx: CheckContext<Params>, from: number, to: number, since: number, what: string): void {
  for (let i = Math.max(from, 1); i < to; i++) {
    const created = ctx.timeline.first(pod(ctx, i), "created", since);
    assert(created, `${what}: ${pod(ctx, i)} was not created.`);
    // The incarnation of pod i-1 that existed when pod i was created, and whether it was Ready then.
    const incarnation = ctx.timeline.events.filter((e) => e.pod === pod(ctx, i - 1) && e.event === "created" && e.at <= created.at).at(-1);
    const previousReady = incarnation && ctx.timeline.events.find((e) => e.uid === incarnation.uid && e.event === "ready" && e.at <= created.at);
    const previousReadyAfter = ctx.timeline.first(pod(ctx, i - 1), "ready", since);
    if (!previousReady) {
      assert.fail(
        `${what}: ${pod(ctx, i)} was created before ${pod(ctx, i - 1)} was Ready` +
          `${previousReadyAfter ? ` (it became Ready ${seconds(previousReadyAfter.at - created.at)} later)` : ""}. ` +
          "Scaling up should add one pod at a time, each after the previous is Ready: leave spec.podManagementPolicy at OrderedReady.",
      );
    }
  }
}

function rulesFor(params: Params): string[] {
  const target = params.scaleTo;
  const low = params.scaleDownTo ?? 1;
  return [
    `scaling up to ${target} creates each new pod after the previous one is Ready`,
    `scaling down to ${low} removes the highest ordinal first, one pod at a time`,
    `scaling back up to ${target} adds ${params.statefulset}-${low}..${params.statefulset}-${target - 1} in order`,
  ];
}

export default defineCheck<Params>({
  id: "scaling-order",
  title: "Scaling adds pods in ordinal order and removes the highest ordinal first",
  requires: ["statefulset", "pods-ready"],
  params: {
    type: "object",
    properties: {
      scaleTo: { ...PARAM.podCount, description: "Scaled up to this count, and back to it at the end (left there for the checks after this one)." },
      scaleDownTo: { ...PARAM.podCount, default: 1, description: "Scaled down to this count in between, to watch the highest ordinal go first." },
    },
    required: ["statefulset", "scaleTo"],
  },
  peakReplicas: (params) => params.scaleTo,
  rules: rulesFor,
  destructive: true,
  budgetMs: 180_000,
  tests: (ctx) => {
    const target = ctx.params.scaleTo;
    const low = ctx.params.scaleDownTo ?? 1;
    const titles = rulesFor(ctx.params);
    return [
      {
        title: titles[0],
        run: async () => {
          const current = (await ctx.podNames()).length;
          await ctx.podsReady();
          if (current < target) {
            const since = Date.now();
            await ctx.scale(target);
            assertOrderedUp(ctx, current, target, since, `Scaling ${ctx.params.statefulset} from ${current} to ${target}`);
          }
        },
      },
      {
        title: titles[1],
        run: async () => {
          if ((await ctx.podNames()).length !== target) await ctx.scale(target);
          const since = Date.now();
          await ctx.scale(low);
          for (let i = target - 1; i > low; i--) {
            const higherGone = ctx.timeline.first(pod(ctx, i), "deleted", since);
            const lowerStart = ctx.timeline.terminations.find((t) => t.pod === pod(ctx, i - 1) && t.at >= since);
            assert(higherGone && lowerStart, `Scaling down to ${low}: ${pod(ctx, higherGone ? i - 1 : i)} was not removed.`);
            assert(
              lowerStart.at >= higherGone.at,
              `Scaling down to ${low}: ${pod(ctx, i - 1)} began terminating ${seconds(higherGone.at - lowerStart.at)} before ${pod(ctx, i)} was gone. ` +
                "A StatefulSet with OrderedReady management removes one pod at a time, highest ordinal first: leave spec.podManagementPolicy at OrderedReady.",
            );
          }
        },
      },
      {
        title: titles[2],
        run: async () => {
          if ((await ctx.podNames()).length !== low) await ctx.scale(low);
          const since = Date.now();
          await ctx.scale(target);
          assertOrderedUp(ctx, low, target, since, `Scaling ${ctx.params.statefulset} from ${low} to ${target}`);
        },
      },
    ];
  },
});
