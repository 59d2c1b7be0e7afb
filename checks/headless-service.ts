import { assert } from "chai";
import type { V1Service } from "@kubernetes/client-node";
import { defineCheck } from "./api.ts";
import { formatLabels, labelsMatch } from "./support.ts";

interface Params {
  service: string;
  statefulset: string;
  /** The port the exercise names; `name` only when the exercise asks for a named port. */
  port: { port: number; name?: string };
}

export default defineCheck<Params>({
  id: "headless-service",
  title: "A headless Service governs the StatefulSet's pods",
  requires: [],
  destructive: false,
  budgetMs: 30_000,
  tests: (ctx) => {
    let service: V1Service | undefined;
    const load = async () => {
      service ??= await ctx.core.readNamespacedService({ name: ctx.params.service, namespace: ctx.namespace }).catch(() => undefined);
      return service;
    };
    return [
      {
        title: `Service ${ctx.params.service} exists and is headless`,
        run: async () => {
          const svc = await load();
          assert(svc, `No Service named ${ctx.params.service} was found. Add a Service with metadata.name: ${ctx.params.service} and spec.clusterIP: None.`);
          assert(
            svc.spec?.clusterIP === "None",
            `Service ${ctx.params.service} is not headless: spec.clusterIP is ${svc.spec?.clusterIP ?? "unset"} (type ${svc.spec?.type ?? "ClusterIP"}). ` +
              "Set spec.clusterIP: None so that each pod gets its own DNS name.",
          );
        },
      },
      {
        title: "its selector matches the pod template's labels",
        run: async () => {
          const svc = await load();
          assert(svc, `No Service named ${ctx.params.service}: nothing to compare.`);
          const selector = svc.spec?.selector;
          assert(selector && Object.keys(selector).length, `Service ${ctx.params.service} has no spec.selector; select the StatefulSet's pods by their labels (for example app: ${ctx.params.service}).`);
          const sts = await ctx.statefulSet();
          const labels = sts?.spec?.template?.metadata?.labels;
          if (sts) {
            assert(
              labelsMatch(selector, labels),
              `Service ${ctx.params.service} selects ${formatLabels(selector)}, but the pods of StatefulSet ${ctx.params.statefulset} are labelled ${formatLabels(labels)}. ` +
                "Make spec.selector of the Service match spec.template.metadata.labels of the StatefulSet.",
            );
          } else {
            const pods = await ctx.core.listNamespacedPod({ namespace: ctx.namespace });
            const selected = pods.items.filter((p) => labelsMatch(selector, p.metadata?.labels) && !p.metadata?.labels?.["kubegrade.dev/probe"]);
            assert(selected.length > 0, `Service ${ctx.params.service} selects ${formatLabels(selector)}, which matches no pod of the submission.`);
          }
        },
      },
      {
        title: `it has port ${ctx.params.port.port}${ctx.params.port.name ? ` named ${ctx.params.port.name}` : ""}`,
        run: async () => {
          const svc = await load();
          assert(svc, `No Service named ${ctx.params.service}: no ports to check.`);
          const ports = svc.spec?.ports ?? [];
          const found = ports.map((p) => `${p.port}${p.name ? ` (${p.name})` : ""}`).join(", ") || "none";
          const port = ports.find((p) => p.port === ctx.params.port.port);
          assert(port, `Service ${ctx.params.service} should expose port ${ctx.params.port.port}; its spec.ports are: ${found}.`);
          if (ctx.params.port.name) {
            assert(
              port.name === ctx.params.port.name,
              `Port ${ctx.params.port.port} of Service ${ctx.params.service} should be named "${ctx.params.port.name}" (found ${port.name ? `"${port.name}"` : "no name"}). Add name: ${ctx.params.port.name} to that entry of spec.ports.`,
            );
          }
        },
      },
    ];
  },
});
