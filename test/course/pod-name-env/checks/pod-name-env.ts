// A course's own check, written against kubegrade's public check API.
import { assert, defineCheck } from "kubegrade/checks";

interface Params {
  statefulset: string;
  /** The environment variable that must hold the pod's own name. */
  variable: string;
}

export default defineCheck<Params>({
  id: "pod-name-env",
  title: "Each pod knows its own name from the downward API",
  requires: ["statefulset", "pods-ready"],
  params: {
    type: "object",
    properties: { variable: { type: "string", pattern: "^[A-Z_][A-Z0-9_]*$", description: "The environment variable that must hold the pod's own name." } },
    required: ["statefulset", "variable"],
  },
  destructive: false,
  budgetMs: 60_000,
  tests: (ctx) => [
    {
      title: "$VARIABLE in each pod is that pod's name",
      run: async () => {
        for (const pod of (await ctx.podsReady()).keys()) {
          const result = await ctx.exec(pod, ["sh", "-c", `printf %s "$${ctx.params.variable}"`]);
          const value = result.stdout.trim();
          assert(
            value === pod,
            value
              ? `In pod ${pod}, ${ctx.params.variable} is "${value}", not the pod's name. Set it with valueFrom.fieldRef.fieldPath: metadata.name.`
              : `Pod ${pod} has no ${ctx.params.variable}. Add it to the container's env with valueFrom.fieldRef.fieldPath: metadata.name.`,
          );
        }
      },
    },
  ],
});
