import { KubernetesObjectApi, PatchStrategy, type KubeConfig, type KubernetesObject } from "@kubernetes/client-node";
import { parseAllDocuments } from "yaml";

export const FIELD_MANAGER = "kubegrade";

/** Server-side apply of each object into the namespace, in order. */
export async function applyObjects(kc: KubeConfig, namespace: string, objects: KubernetesObject[]): Promise<KubernetesObject[]> {
  const api = KubernetesObjectApi.makeApiClient(kc);
  const applied: KubernetesObject[] = [];
  for (const object of objects) {
    const spec = { ...object, metadata: { ...object.metadata, namespace } };
    applied.push(await api.patch(spec, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply));
  }
  return applied;
}

/** Objects from a multi-document YAML string written by us (tests, probe pods). */
export function objectsFromYaml(text: string): KubernetesObject[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS() as KubernetesObject | null)
    .filter((o): o is KubernetesObject => !!o);
}
