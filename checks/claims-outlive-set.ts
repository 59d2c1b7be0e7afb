import { assert } from "chai";
import { defineCheck } from "./api.ts";
import { listing, mountAt, volumeKind, PARAM } from "./support.ts";

interface Params {
  statefulset: string;
  dataPath: string;
}

const RULE = "deleting the StatefulSet keeps its claims Bound with their data; re-creating it gives each pod its own claim back";

export default defineCheck<Params>({
  id: "claims-outlive-set",
  title: "Claims outlive the StatefulSet and come back to the same pods",
  requires: ["statefulset", "pods-ready"],
  params: {
    type: "object",
    properties: {
      dataPath: {
        ...PARAM.absolutePath,
        description: "A directory on the claimed volume: what is written there must survive the deletion of the whole StatefulSet and come back with its pod.",
      },
    },
    required: ["statefulset", "dataPath"],
  },
  rules: () => [RULE],
  destructive: true,
  budgetMs: 150_000,
  tests: (ctx) => [
    {
      title: RULE,
      run: async () => {
        const name = ctx.params.statefulset;
        const pods = await ctx.podsReady();
        const sts = await ctx.statefulSet();
        const mount = mountAt(sts?.spec?.template?.spec, ctx.params.dataPath);
        assert(mount, `No container of ${name} mounts a volume at ${ctx.params.dataPath}.`);
        const claimOf = new Map<string, string>();
        for (const [podName, pod] of pods) {
          const claim = pod.spec?.volumes?.find((v) => v.name === mount.volume)?.persistentVolumeClaim?.claimName;
          assert(
            claim,
            `${podName} keeps ${ctx.params.dataPath} on ${volumeKind(sts?.spec?.template?.spec, sts, mount.volume)}, not on a claim: nothing can outlive the StatefulSet. Use a volumeClaimTemplate.`,
          );
          claimOf.set(podName, claim);
        }
        const tokens = new Map<string, string>();
        for (const podName of pods.keys()) {
          const token = `kubegrade-${podName}-${Math.random().toString(36).slice(2, 8)}`;
          const file = `${ctx.params.dataPath.replace(/\/+$/, "")}/kubegrade-outlive.txt`;
          const write = await ctx.exec(podName, ["sh", "-c", `echo ${token} > ${file} && cat ${file}`], { container: mount.container });
          assert(write.stdout.includes(token), `Could not write ${file} in ${podName}: ${write.stderr.trim() || write.stdout.trim()}`);
          tokens.set(podName, token);
        }
        const claimsBefore = await ctx.core.listNamespacedPersistentVolumeClaim({ namespace: ctx.namespace });
        const volumeOf = new Map(claimsBefore.items.map((c) => [c.metadata?.name ?? "", c.spec?.volumeName]));

        await ctx.deleteStatefulSet(`deleted StatefulSet ${name}`);
        const claimsAfter = await ctx.core.listNamespacedPersistentVolumeClaim({ namespace: ctx.namespace });
        const left = new Map(claimsAfter.items.filter((c) => !c.metadata?.deletionTimestamp).map((c) => [c.metadata?.name ?? "", c]));
        const lost = [...claimOf.values()].filter((c) => !left.has(c));
        assert(
          !lost.length,
          `Deleting StatefulSet ${name} also deleted the claims ${listing(lost)}. ` +
            "Claims should outlive the StatefulSet: remove spec.persistentVolumeClaimRetentionPolicy.whenDeleted: Delete (Retain is the default).",
        );
        for (const claim of claimOf.values()) {
          const pvc = left.get(claim);
          assert(pvc?.status?.phase === "Bound", `After the StatefulSet was deleted, claim ${claim} is ${pvc?.status?.phase}, not Bound.`);
          assert(pvc.spec?.volumeName === volumeOf.get(claim), `Claim ${claim} is bound to another volume after the StatefulSet was deleted.`);
        }

        await ctx.reapplyStatefulSet(`re-created StatefulSet ${name}`);
        const again = await ctx.podsReady();
        for (const [podName, token] of tokens) {
          const pod = again.get(podName);
          const claim = pod?.spec?.volumes?.find((v) => v.name === mount.volume)?.persistentVolumeClaim?.claimName;
          assert(claim === claimOf.get(podName), `Re-created, ${podName} uses claim ${claim}, not its old claim ${claimOf.get(podName)}.`);
          const file = `${ctx.params.dataPath.replace(/\/+$/, "")}/kubegrade-outlive.txt`;
          const read = await ctx.exec(podName, ["sh", "-c", `cat ${file} 2>/dev/null || true`], { container: mount.container });
          assert(
            read.stdout.includes(token),
            `Re-created, ${podName} does not find the file written in it before the StatefulSet was deleted (found ${JSON.stringify(read.stdout.trim().slice(0, 80))}).`,
          );
        }
      },
    },
  ],
});
