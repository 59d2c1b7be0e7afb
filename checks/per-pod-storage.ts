import { assert } from "chai";
import { defineCheck } from "./api.ts";
import { listing, mountAt, volumeKind, type ClaimParam, PARAM } from "./support.ts";

interface Params {
  statefulset: string;
  claims: ClaimParam[];
  dataPath: string;
}

const RULES = ["one Bound claim per pod, each on a volume of its own", "a file written in pod 0 is not visible in pod 1"] as const;

export default defineCheck<Params>({
  id: "per-pod-storage",
  title: "Each pod has its own persistent volume",
  requires: ["statefulset", "pods-ready"],
  params: {
    type: "object",
    properties: {
      claims: {
        ...PARAM.claims,
        description:
          "The claims each pod must have: at each mountPath a volumeClaimTemplate, one Bound claim per pod, each on a volume of its own " +
          "(an emptyDir there fails). statefulset-spec reads the same parameter, and then fails an emptyDir too.",
      },
      dataPath: { ...PARAM.absolutePath, description: "A directory on the claimed volume: a file written there in pod 0 must not be visible in pod 1." },
    },
    required: ["statefulset", "claims", "dataPath"],
  },
  rules: () => [...RULES],
  destructive: false,
  budgetMs: 60_000,
  tests: (ctx) => [
    {
      title: RULES[0],
      run: async () => {
        const sts = await ctx.statefulSet();
        const names = await ctx.podNames();
        const pods = await ctx.podsReady();
        const claims = await ctx.core.listNamespacedPersistentVolumeClaim({ namespace: ctx.namespace });
        const byName = new Map(claims.items.map((c) => [c.metadata?.name ?? "", c]));
        for (const claim of ctx.params.claims) {
          const mount = mountAt(sts?.spec?.template?.spec, claim.mountPath);
          const template = mount && sts?.spec?.volumeClaimTemplates?.some((t) => t.metadata?.name === mount.volume) ? mount.volume : undefined;
          assert(
            template,
            `The pods of ${ctx.params.statefulset} keep ${claim.mountPath} on ${mount ? volumeKind(sts?.spec?.template?.spec, sts, mount.volume) : "no volume at all"}, ` +
              `not on a PersistentVolumeClaim of their own. Add a volumeClaimTemplate${claim.name ? ` (${claim.name})` : ""} and mount it at ${claim.mountPath}.`,
          );
          const volumes = new Map<string, string>();
          for (const pod of names) {
            const claimName = `${template}-${pod}`;
            const pvc = byName.get(claimName);
            assert(pvc, `Expected a PersistentVolumeClaim ${claimName} for pod ${pod}; found ${listing([...byName.keys()]) || "none"}.`);
            assert(pvc.status?.phase === "Bound", `PersistentVolumeClaim ${claimName} is ${pvc.status?.phase ?? "Pending"}, not Bound.`);
            const uses = pods.get(pod)?.spec?.volumes?.find((v) => v.persistentVolumeClaim?.claimName === claimName);
            assert(uses, `Pod ${pod} does not use its claim ${claimName}.`);
            const volume = pvc.spec?.volumeName ?? "";
            const sharer = volumes.get(volume);
            assert(!sharer, `Claims ${sharer} and ${claimName} are bound to the same volume ${volume}; each pod needs its own.`);
            volumes.set(volume, claimName);
          }
        }
      },
    },
    {
      title: RULES[1],
      run: async () => {
        const names = await ctx.podNames();
        await ctx.podsReady();
        if (names.length < 2) assert.fail(`StatefulSet ${ctx.params.statefulset} has one pod: there is no second pod to compare with.`);
        const sts = await ctx.statefulSet();
        const mount = mountAt(sts?.spec?.template?.spec, ctx.params.dataPath);
        assert(mount, `No container of ${ctx.params.statefulset} mounts a volume at ${ctx.params.dataPath}.`);
        const token = `kubegrade-${Math.random().toString(36).slice(2, 10)}`;
        const file = `${ctx.params.dataPath.replace(/\/+$/, "")}/${token}.txt`;
        const write = await ctx.exec(names[0], ["sh", "-c", `echo ${token} > ${file} && cat ${file}`], { container: mount.container });
        assert(write.stdout.includes(token), `Could not write ${file} in ${names[0]}: ${write.stderr.trim() || write.stdout.trim()}`);
        // Evidence either way: an answer of "absent" proves isolation; no answer proves nothing
        // (a pod whose pids limit is full cannot start the shell), and is said so.
        const read = await ctx.exec(names[1], ["sh", "-c", `if [ -e ${file} ]; then echo present; else echo absent; fi`], { container: mount.container });
        const answer = read.stdout.trim();
        assert(
          answer === "absent" || answer === "present",
          `Could not look for ${file} in ${names[1]}: the command printed ${answer ? `"${answer.slice(0, 200)}"` : "nothing"}` +
            `${read.stderr.trim() ? ` (${read.stderr.trim().slice(0, 200)})` : ""} — the pod may have no room for another process ` +
            "(the pids limit per pod: a container that keeps starting processes, such as a fork bomb, fills it).",
        );
        assert(
          answer === "absent",
          `A file written to ${ctx.params.dataPath} in ${names[0]} is visible in ${names[1]}: the pods share one volume. Use a volumeClaimTemplate so each pod gets its own.`,
        );
        await ctx.exec(names[0], ["rm", "-f", file], { container: mount.container }).catch(() => undefined);
      },
    },
  ],
});
