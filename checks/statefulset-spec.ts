import { assert } from "chai";
import { defineCheck, type CheckContext } from "./api.ts";
import { listing, mountAt, type ClaimParam, PARAM } from "./support.ts";

interface Params {
  /** The Service's name when the exercise fixes it; otherwise any existing Service will do. */
  service?: string;
  statefulset: string;
  /** spec.serviceName must name the governing Service (default true). */
  governingService?: boolean;
  /** The replica count asked for, or the counts accepted (exercise-8: 2, or 3 after its scaling step). */
  replicas?: number | number[];
  /** The spec.podManagementPolicy the exercise asks for; absent, any. */
  podManagementPolicy?: "OrderedReady" | "Parallel";
  claims?: ClaimParam[];
}

type Ctx = CheckContext<Params>;

/**
 * One rule of the check: what explain lists and the test's title, and the test. Which rules
 * apply is decided by the parameters alone (rulesFor), so explain and the grade agree.
 */
interface Rule {
  title: string;
  run: (ctx: Ctx) => Promise<void>;
}

async function exists(ctx: Ctx): Promise<void> {
  const name = ctx.params.statefulset;
  const sts = await ctx.statefulSet();
  if (sts) return;
  // Say what was found instead, so the fix is obvious.
  const [deployments, replicaSets, pods] = await Promise.all([
    ctx.apps.listNamespacedDeployment({ namespace: ctx.namespace }),
    ctx.apps.listNamespacedReplicaSet({ namespace: ctx.namespace }),
    ctx.core.listNamespacedPod({ namespace: ctx.namespace }),
  ]);
  if (deployments.items.some((d) => d.metadata?.name === name)) {
    assert.fail(
      `${name} is a Deployment, not a StatefulSet. A Deployment's pods get random names and share one volume; ` +
        `change kind to StatefulSet (apiVersion apps/v1) and add spec.serviceName and spec.volumeClaimTemplates.`,
    );
  }
  if (replicaSets.items.some((r) => r.metadata?.name === name && !r.metadata?.ownerReferences?.length)) {
    assert.fail(`${name} is a ReplicaSet, not a StatefulSet; change kind to StatefulSet.`);
  }
  const plain = pods.items.filter((p) => new RegExp(`^${name}-\\d+$`).test(p.metadata?.name ?? "") && !p.metadata?.ownerReferences?.length);
  if (plain.length) {
    assert.fail(
      `Found plain Pods ${listing(plain.map((p) => p.metadata?.name ?? ""))} but no StatefulSet ${name}. ` +
        "Pods named by hand get no stable identity or storage from Kubernetes; define one StatefulSet instead.",
    );
  }
  assert.fail(`No StatefulSet named ${name} was found. Add a StatefulSet with metadata.name: ${name}.`);
}

async function governed(ctx: Ctx): Promise<void> {
  const name = ctx.params.statefulset;
  const sts = await ctx.statefulSet();
  if (!sts) return; // reported once, by the first test
  const given = sts.spec?.serviceName;
  if (ctx.params.service) {
    assert(
      given === ctx.params.service,
      `StatefulSet ${name} has spec.serviceName: ${given || "(empty)"}; it must name the headless Service ${ctx.params.service}, which gives the pods their DNS names.`,
    );
    return;
  }
  assert(given, `StatefulSet ${name} has no spec.serviceName; set it to the name of your headless Service.`);
  const svc = await ctx.core.readNamespacedService({ name: given, namespace: ctx.namespace }).catch(() => undefined);
  const services = (await ctx.core.listNamespacedService({ namespace: ctx.namespace })).items.map((x) => x.metadata?.name ?? "");
  assert(svc, `StatefulSet ${name} has spec.serviceName: ${given}, but no Service has that name (found: ${listing(services) || "none"}).`);
}

async function selectorMatches(ctx: Ctx): Promise<void> {
  const sts = await ctx.statefulSet();
  if (!sts) return; // reported once, by the first test
  const selector = sts.spec?.selector?.matchLabels ?? {};
  const labels = sts.spec?.template?.metadata?.labels ?? {};
  const mismatched = Object.entries(selector).filter(([k, v]) => labels[k] !== v).map(([k, v]) => `${k}=${v}`);
  assert(!mismatched.length, `spec.selector.matchLabels of StatefulSet ${ctx.params.statefulset} (${mismatched.join(", ")}) is not among spec.template.metadata.labels.`);
}

async function replicaCount(ctx: Ctx): Promise<void> {
  const sts = await ctx.statefulSet();
  if (!sts) return; // reported once, by the first test
  const replicas = sts.spec?.replicas ?? 1;
  const accepted = [ctx.params.replicas ?? []].flat();
  assert(
    accepted.includes(replicas),
    `StatefulSet ${ctx.params.statefulset} has spec.replicas: ${replicas}${sts.spec?.replicas === undefined ? " (unset, so 1)" : ""}; the exercise asks for ${accepted.join(" or ")}.`,
  );
}

async function podManagement(ctx: Ctx): Promise<void> {
  const sts = await ctx.statefulSet();
  if (!sts) return; // reported once, by the first test
  const name = ctx.params.statefulset;
  const policy = sts.spec?.podManagementPolicy ?? "OrderedReady";
  if (ctx.params.podManagementPolicy === "Parallel") {
    assert(
      policy === "Parallel",
      `StatefulSet ${name} has spec.podManagementPolicy: ${policy}${sts.spec?.podManagementPolicy ? "" : " (unset, so the default)"}, which starts its pods one at a time. ` +
        "The exercise asks for all pods at once: set spec.podManagementPolicy: Parallel.",
    );
    return;
  }
  assert(
    policy === "OrderedReady",
    `StatefulSet ${name} has spec.podManagementPolicy: ${policy}, which starts all pods at once. ` +
      "The exercise wants ordered start-up: remove the field (OrderedReady is the default) or set it to OrderedReady.",
  );
}

async function claimMounted(ctx: Ctx, claim: ClaimParam): Promise<void> {
  const name = ctx.params.statefulset;
  const sts = await ctx.statefulSet();
  if (!sts) return; // reported once, by the first test
  const templates = (sts.spec?.volumeClaimTemplates ?? []).map((t) => t.metadata?.name ?? "");
  const mount = mountAt(sts.spec?.template?.spec, claim.mountPath);
  assert(
    templates.length > 0,
    `StatefulSet ${name} has no spec.volumeClaimTemplates, so its pods share no per-pod storage. ` +
      `Add a volumeClaimTemplate${claim.name ? ` named ${claim.name}` : ""} and mount it at ${claim.mountPath}.`,
  );
  assert(
    mount,
    `No container of StatefulSet ${name} mounts anything at ${claim.mountPath}. Add a volumeMount with name: ${templates[0]} and mountPath: ${claim.mountPath}.`,
  );
  assert(
    templates.includes(mount.volume),
    `Container ${mount.container} mounts volume ${mount.volume} at ${claim.mountPath}, but that is not one of the volumeClaimTemplates (${templates.join(", ")}). ` +
      `Mount the claim template (name: ${templates[0]}) there instead.`,
  );
}

const POLICY_TITLES = {
  OrderedReady: "pods are managed OrderedReady (one at a time, in order)",
  Parallel: "pods are managed Parallel (all at once)",
} as const;

/** The rules the parameters ask for, in the order they are graded. */
function rulesFor(params: Params): Rule[] {
  const rules: Rule[] = [{ title: `a StatefulSet named ${params.statefulset} exists`, run: exists }];
  if (params.governingService !== false) {
    rules.push({ title: params.service ? `spec.serviceName names the Service ${params.service}` : "spec.serviceName names an existing Service", run: governed });
  }
  // Not a parameter: the API server refuses a StatefulSet whose selector misses its template,
  // so every StatefulSet that exists meets it (the rule only says so).
  rules.push({ title: "its selector matches its pod template", run: selectorMatches });
  if (params.replicas !== undefined) rules.push({ title: `it asks for ${[params.replicas].flat().join(" or ")} replicas`, run: replicaCount });
  if (params.podManagementPolicy) rules.push({ title: POLICY_TITLES[params.podManagementPolicy], run: podManagement });
  for (const claim of params.claims ?? []) {
    rules.push({ title: `a volumeClaimTemplate is mounted at ${claim.mountPath}`, run: (ctx) => claimMounted(ctx, claim) });
  }
  return rules;
}

export default defineCheck<Params>({
  id: "statefulset-spec",
  title: "The StatefulSet is specified as the exercise asks",
  requires: [],
  establishes: ["statefulset"],
  params: {
    type: "object",
    properties: {
      governingService: {
        type: "boolean",
        default: true,
        description: "spec.serviceName must name the governing Service: the `service` parameter when the exercise fixes it, else any existing Service. false drops the rule.",
      },
      replicas: {
        oneOf: [PARAM.podCount, { type: "array", minItems: 1, items: PARAM.podCount }],
        description: "spec.replicas must be this count (or one of these counts). Absent: any count.",
      },
      podManagementPolicy: {
        enum: ["OrderedReady", "Parallel"],
        description: "spec.podManagementPolicy must be this (unset counts as OrderedReady). Set it where the exercise asks for ordered (or parallel) start-up; absent: any policy.",
      },
      claims: {
        ...PARAM.claims,
        description:
          "Each claim's mountPath must be mounted from a volumeClaimTemplate (a rule per claim): an emptyDir (or any other volume) there fails this check, " +
          "besides per-pod-storage, which reads the same parameter. Absent: no claim is asked for.",
      },
    },
    required: ["statefulset"],
  },
  peakReplicas: (params) => (params.replicas === undefined ? undefined : Math.max(...[params.replicas].flat())),
  rules: (params) => rulesFor(params).map((r) => r.title),
  destructive: false,
  budgetMs: 30_000,
  tests: (ctx) => rulesFor(ctx.params).map((rule) => ({ title: rule.title, run: () => rule.run(ctx) })),
});
