import { assert } from "chai";
import type { V1Pod, V1StatefulSet } from "@kubernetes/client-node";
import { defineCheck, type CheckContext } from "./api.ts";
import { isReady, PARAM, seconds } from "./support.ts";

interface Params {
  statefulset: string;
  /** Replicas during the rollout (the exercise scales to 3 first). */
  rolloutReplicas: number;
  partition: number;
  /** The canary's image. */
  newImage: string;
  /** The submitted spec.updateStrategy must itself be RollingUpdate (default false: the grader's patch sets it). */
  requireRollingUpdate?: boolean;
}

const REVISION = "controller-revision-hash";

/** The container the seed patches: the first whose image is nginx, else the first. */
function targetContainer(sts: V1StatefulSet | undefined): string {
  const containers = sts?.spec?.template?.spec?.containers ?? [];
  return (containers.find((c) => /nginx/.test(c.image ?? "")) ?? containers[0])?.name ?? "";
}

function imageOf(pod: V1Pod | undefined, container: string): string | undefined {
  return pod?.spec?.containers.find((c) => c.name === container)?.image;
}

async function updateRevision(ctx: CheckContext<Params>): Promise<string> {
  const sts = await ctx.observed();
  return sts.status?.updateRevision ?? "";
}

function rulesFor(params: Params): string[] {
  const pod = (i: number) => `${params.statefulset}-${i}`;
  const p = params.partition;
  return [
    ...(params.requireRollingUpdate ? ["spec.updateStrategy allows a rolling update"] : []),
    `with partition ${p}, only ${p === params.rolloutReplicas - 1 ? `${pod(p)} gets` : `${pod(p)}..${pod(params.rolloutReplicas - 1)} get`} the new image; the others keep their image and UID`,
    "with partition 0, the other pods are updated in reverse ordinal order, each after the previous is Ready",
  ];
}

/** The submitted StatefulSet allows a rolling update (spec.updateStrategy.type, RollingUpdate when unset). */
async function allowsRollingUpdate(ctx: CheckContext<Params>): Promise<void> {
  const sts = await ctx.statefulSet();
  const type = sts?.spec?.updateStrategy?.type ?? "RollingUpdate";
  assert(
    type === "RollingUpdate",
    `StatefulSet ${ctx.params.statefulset} has spec.updateStrategy.type: ${type}: its pods change only when deleted by hand, so a partitioned (canary) rollout cannot happen. ` +
      "Remove spec.updateStrategy (RollingUpdate is the default) or set type: RollingUpdate.",
  );
}

export default defineCheck<Params>({
  id: "partitioned-rollout",
  title: "A partitioned rolling update changes only the canary, then the rest in reverse order",
  requires: ["statefulset", "pods-ready"],
  params: {
    type: "object",
    properties: {
      rolloutReplicas: { ...PARAM.podCount, description: "Replicas during the rollout: the StatefulSet is scaled to this count first when it has another." },
      partition: { ...PARAM.podCount, description: "The canary step's partition: only the pods with this ordinal or higher get the new image." },
      newImage: { type: "string", minLength: 1, description: "The image the rollout gives the first nginx container (else the first container); one of the exercise's images." },
      requireRollingUpdate: {
        type: "boolean",
        default: false,
        description:
          "The submitted StatefulSet must itself allow rolling updates (spec.updateStrategy.type RollingUpdate, the default when unset). " +
          "With false, the grader's partition patch sets type RollingUpdate, as `kubectl patch` does in a canary tutorial, so the submitted type does not matter.",
      },
    },
    required: ["statefulset", "rolloutReplicas", "partition", "newImage"],
  },
  peakReplicas: (params) => params.rolloutReplicas,
  rules: rulesFor,
  destructive: true,
  budgetMs: 180_000,
  tests: (ctx) => {
    const name = ctx.params.statefulset;
    const n = ctx.params.rolloutReplicas;
    const p = ctx.params.partition;
    const pod = (i: number) => `${name}-${i}`;
    let canaryDone = false;
    let before: Map<string, V1Pod> | undefined;
    let container = "";
    const required = !!ctx.params.requireRollingUpdate;
    const titles = rulesFor(ctx.params);
    const [canaryStep, restStep] = titles.slice(-2);
    return [
      ...(required ? [{ title: titles[0], run: () => allowsRollingUpdate(ctx) }] : []),
      {
        title: canaryStep,
        run: async () => {
          const sts = await ctx.statefulSet();
          // Without the rule, the submitted type does not matter: the partition patch below sets RollingUpdate.
          if (required && (sts?.spec?.updateStrategy?.type ?? "RollingUpdate") !== "RollingUpdate") return; // reported above
          if ((await ctx.podNames()).length !== n) await ctx.scale(n);
          before = await ctx.podsReady();
          container = targetContainer(sts);
          const oldImage = imageOf(before.get(pod(0)), container);
          await ctx.patchStatefulSet(
            { spec: { updateStrategy: { type: "RollingUpdate", rollingUpdate: { partition: p } } } },
            `partition ${p}`,
          );
          await ctx.patchStatefulSet(
            { spec: { template: { spec: { containers: [{ name: container, image: ctx.params.newImage }] } } } },
            `image ${ctx.params.newImage}`,
            "strategic",
          );
          const revision = await updateRevision(ctx);
          const canaries = Array.from({ length: n - p }, (_, i) => pod(p + i));
          const pods = await ctx.waitForPods(`canary ${canaries.join(", ")} updated and Ready`, (all) => {
            const waiting = canaries.filter((c) => {
              const x = all.get(c);
              return !x || x.metadata?.labels?.[REVISION] !== revision || !isReady(x) || !!x.metadata?.deletionTimestamp;
            });
            return waiting.length ? { pending: `${waiting.join(", ")} not updated and Ready yet` } : true;
          });
          for (const c of canaries) {
            assert(imageOf(pods.get(c), container) === ctx.params.newImage, `${c} runs ${imageOf(pods.get(c), container)} after the update, not ${ctx.params.newImage}.`);
          }
          for (let i = 0; i < p; i++) {
            const now = pods.get(pod(i));
            const then = before.get(pod(i));
            assert(now?.metadata?.uid === then?.metadata?.uid, `${pod(i)} was recreated during the canary step, although partition ${p} protects it.`);
            assert(imageOf(now, container) === oldImage, `${pod(i)} runs ${imageOf(now, container)} during the canary step; it should keep ${oldImage}.`);
          }
          canaryDone = true;
        },
      },
      {
        title: restStep,
        run: async () => {
          if (!canaryDone) return; // reported above
          const since = Date.now();
          await ctx.patchStatefulSet({ spec: { updateStrategy: { type: "RollingUpdate", rollingUpdate: { partition: 0 } } } }, "partition 0");
          const revision = await updateRevision(ctx);
          const all = Array.from({ length: n }, (_, i) => pod(i));
          await ctx.waitForPods(`every pod of ${name} updated and Ready`, (pods) => {
            const waiting = all.filter((c) => {
              const x = pods.get(c);
              return !x || x.metadata?.labels?.[REVISION] !== revision || !isReady(x) || !!x.metadata?.deletionTimestamp;
            });
            return waiting.length ? { pending: `${waiting.join(", ")} not updated and Ready yet` } : true;
          });
          // Reverse order: pod i-1 begins terminating only after the new pod i is Ready.
          for (let i = p - 1; i >= 1; i--) {
            const higherReady = ctx.timeline.events.find((e) => e.pod === pod(i) && e.event === "ready" && e.at >= since);
            const lowerStart = ctx.timeline.terminations.find((t) => t.pod === pod(i - 1) && t.at >= since);
            assert(higherReady && lowerStart, `The rollout of ${pod(i)} and ${pod(i - 1)} was not observed.`);
            assert(
              lowerStart.at >= higherReady.at,
              `${pod(i - 1)} was replaced ${seconds(higherReady.at - lowerStart.at)} before the updated ${pod(i)} was Ready: a rolling update goes from the highest ordinal down, one Ready pod at a time.`,
            );
          }
          await ctx.eventually("currentRevision equals updateRevision", 15_000, async () => {
            const sts = await ctx.observed();
            assert(
              sts.status?.currentRevision === sts.status?.updateRevision,
              `After the rollout, StatefulSet ${name} reports currentRevision ${sts.status?.currentRevision} but updateRevision ${sts.status?.updateRevision}.`,
            );
          });
        },
      },
    ];
  },
});
