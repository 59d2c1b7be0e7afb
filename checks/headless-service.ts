import { assert } from "chai";
import type { V1Service } from "@kubernetes/client-node";
import { defineCheck } from "./api.ts";
import { formatLabels, labelsMatch, PARAM } from "./support.ts";

interface Params {
  /** The Service's name when the exercise fixes it; otherwise the StatefulSet's serviceName. */
  service?: string;
  statefulset: string;
  /**
   * The port the exercise names. `name`: that exact name is required; `named: true`: the
   * port must have a name (any name), as when the exercise asks for "a named port".
   */
  port: { port: number; name?: string; named?: boolean };
}

function rulesFor(params: Params): string[] {
  const wanted = params.service ? `Service ${params.service}` : "the Service named by the StatefulSet's spec.serviceName";
  const port = params.port;
  return [
    `${wanted} exists and is headless`,
    "its selector matches the pod template's labels",
    `it has port ${port.port}${port.name ? ` named ${port.name}` : port.named ? " with a name" : ""}`,
  ];
}

export default defineCheck<Params>({
  id: "headless-service",
  title: "A headless Service governs the StatefulSet's pods",
  requires: [],
  establishes: ["service"],
  params: {
    type: "object",
    properties: {
      port: {
        type: "object", additionalProperties: false, required: ["port"],
        properties: {
          port: { ...PARAM.port, description: "The port number the Service must list." },
          name: { type: "string", description: "The name that port must have. Absent: any name, or none." },
          named: { type: "boolean", default: false, description: "The port must have a name, whichever (a pod's named port is what a tutorial's targetPort refers to)." },
        },
        description: "A port the Service must have (a rule of its own: `it has port 80 named http`).",
      },
    },
    required: ["statefulset", "port"],
  },
  rules: rulesFor,
  destructive: false,
  budgetMs: 30_000,
  tests: (ctx) => {
    let loaded: { name?: string; service?: V1Service } | undefined;
    const load = async () => {
      if (!loaded) {
        const name = await ctx.serviceName();
        const service = name ? await ctx.core.readNamespacedService({ name, namespace: ctx.namespace }).catch(() => undefined) : undefined;
        loaded = { name, service };
      }
      return loaded;
    };
    const port = ctx.params.port;
    const titles = rulesFor(ctx.params);
    return [
      {
        title: titles[0],
        run: async () => {
          const { name, service: svc } = await load();
          assert(
            svc,
            name
              ? `No Service named ${name} was found${ctx.params.service ? "" : ` (StatefulSet ${ctx.params.statefulset} names it in spec.serviceName)`}. Add a Service with metadata.name: ${name} and spec.clusterIP: None.`
              : `No headless Service was found: add a Service with spec.clusterIP: None and name it in the StatefulSet's spec.serviceName.`,
          );
          assert(
            svc.spec?.clusterIP === "None",
            `Service ${name} is not headless: spec.clusterIP is ${svc.spec?.clusterIP ?? "unset"} (type ${svc.spec?.type ?? "ClusterIP"}). ` +
              "Set spec.clusterIP: None so that each pod gets its own DNS name.",
          );
        },
      },
      {
        title: titles[1],
        run: async () => {
          const { name, service: svc } = await load();
          if (!svc) return; // reported once, by the first test
          const selector = svc.spec?.selector;
          assert(selector && Object.keys(selector).length, `Service ${name} has no spec.selector; select the StatefulSet's pods by their labels.`);
          const sts = await ctx.statefulSet();
          const labels = sts?.spec?.template?.metadata?.labels;
          if (sts) {
            assert(
              labelsMatch(selector, labels),
              `Service ${name} selects ${formatLabels(selector)}, but the pods of StatefulSet ${ctx.params.statefulset} are labelled ${formatLabels(labels)}. ` +
                "Make spec.selector of the Service match spec.template.metadata.labels of the StatefulSet.",
            );
          } else {
            // No StatefulSet: compare with what the submission declares (pod templates and
            // bare pods), not with pods that controllers may not have created yet.
            const [deployments, replicaSets, pods] = await Promise.all([
              ctx.apps.listNamespacedDeployment({ namespace: ctx.namespace }),
              ctx.apps.listNamespacedReplicaSet({ namespace: ctx.namespace }),
              ctx.core.listNamespacedPod({ namespace: ctx.namespace }),
            ]);
            const declared = [
              ...deployments.items.map((d) => d.spec?.template?.metadata?.labels),
              ...replicaSets.items.map((r) => r.spec?.template?.metadata?.labels),
              ...pods.items.filter((p) => !p.metadata?.labels?.["kubegrade.dev/probe"]).map((p) => p.metadata?.labels),
            ];
            assert(
              declared.some((labels) => labelsMatch(selector, labels)),
              `Service ${name} selects ${formatLabels(selector)}, which matches no pod template or pod of the submission.`,
            );
          }
        },
      },
      {
        title: titles[2],
        run: async () => {
          const { name, service: svc } = await load();
          if (!svc) return; // reported once, by the first test
          const ports = svc.spec?.ports ?? [];
          const found = ports.map((p) => `${p.port}${p.name ? ` (${p.name})` : ""}`).join(", ") || "none";
          const entry = ports.find((p) => p.port === port.port);
          assert(entry, `Service ${name} should expose port ${port.port}; its spec.ports are: ${found}.`);
          if (port.name) {
            assert(
              entry.name === port.name,
              `Port ${port.port} of Service ${name} should be named "${port.name}" (found ${entry.name ? `"${entry.name}"` : "no name"}). Add name: ${port.name} to that entry of spec.ports.`,
            );
          } else if (port.named) {
            assert(
              entry.name,
              `Port ${port.port} of Service ${name} has no name; the exercise asks for a named port. Add a name (for example name: web) to that entry of spec.ports, and the same name to the container's port.`,
            );
          }
        },
      },
    ];
  },
});
