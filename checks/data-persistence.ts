import { assert } from "chai";
import { defineCheck } from "./api.ts";
import { isReady, mountAt, volumeKind, PARAM } from "./support.ts";

interface Params {
  statefulset: string;
  dataPath: string;
}

const RULE = "a file written in pod 0 is still there after pod 0 is recreated";

export default defineCheck<Params>({
  id: "data-persistence",
  title: "Data written in a pod survives the pod's deletion",
  requires: ["statefulset", "pods-ready"],
  params: {
    type: "object",
    properties: {
      dataPath: {
        ...PARAM.absolutePath,
        description: "A directory on the pod's claimed volume: a file written there in the first pod right before every pod is recreated must still be there after.",
      },
    },
    required: ["statefulset", "dataPath"],
  },
  rules: () => [RULE],
  destructive: true,
  budgetMs: 90_000,
  tests: (ctx) => {
    // The file is written right before the grade's one recreation of every pod (shared with
    // stable-identity and pod-dns) and read after it: no deletion of its own.
    const written = ctx.beforeRecreateAll(async () => {
      const [first] = await ctx.podNames();
      const before = (await ctx.podsReady()).get(first)?.metadata?.uid;
      const sts = await ctx.statefulSet();
      const mount = mountAt(sts?.spec?.template?.spec, ctx.params.dataPath);
      assert(mount, `No container of ${ctx.params.statefulset} mounts a volume at ${ctx.params.dataPath}, so nothing written there can persist.`);
      const token = `kubegrade-${Math.random().toString(36).slice(2, 10)}`;
      const file = `${ctx.params.dataPath.replace(/\/+$/, "")}/${token}.txt`;
      const write = await ctx.exec(first, ["sh", "-c", `echo ${token} > ${file} && cat ${file}`], { container: mount.container });
      assert(write.stdout.includes(token), `Could not write ${file} in ${first}: ${write.stderr.trim() || write.stdout.trim()}`);
      return { first, before, sts, mount, token, file };
    });
    return [
      {
        title: RULE,
        run: async () => {
          // Another pod failing to come back is other checks' failure (stable-identity's): this one
          // needs only pod 0 back.
          const recreation = await ctx.recreateAllOnce().then(() => undefined, (error: unknown) => error);
          const { first, before, sts, mount, token, file } = await written();
          if (recreation) {
            await ctx.waitForPods(`${first} recreated and Ready`, (pods) => {
              const pod = pods.get(first);
              if (!pod) return { pending: `${first} not created again` };
              if (pod.metadata?.uid === before) return { pending: `${first} not deleted yet` };
              return isReady(pod) ? true : { pending: `${first} not Ready` };
            });
          }
          // "missing" only when the file is not there: an empty answer means the command did not run
          // (a pod whose pids limit is full cannot start cat), which is not a lost file.
          const read = await ctx.exec(first, ["sh", "-c", `if [ -e ${file} ]; then cat ${file}; else echo kubegrade-missing; fi`], { container: mount.container });
          assert(
            read.stdout.includes(token) || read.stdout.includes("kubegrade-missing"),
            `Could not read ${file} in ${first} after it was recreated: the command printed nothing${read.stderr.trim() ? ` (${read.stderr.trim().slice(0, 200)})` : ""} — ` +
              "the pod may have no room for another process (the pids limit per pod: a container that keeps starting processes, such as a fork bomb, fills it).",
          );
          assert(
            read.stdout.includes(token),
            `A file written to ${ctx.params.dataPath} in ${first} was gone after ${first} was recreated: ${ctx.params.dataPath} is on ` +
              `${volumeKind(sts?.spec?.template?.spec, sts, mount.volume)}, which lives and dies with the pod. Mount a volumeClaimTemplate there.`,
          );
          await ctx.exec(first, ["rm", "-f", file], { container: mount.container }).catch(() => undefined);
        },
      },
    ];
  },
});
