// One grade at a time in a pre-created namespace, across Gradescope's containers.
//
//   node namespace-lock.mjs acquire NAMESPACE   exit 0: ours; 3: held by another grade; 1: cannot use it
//   node namespace-lock.mjs release NAMESPACE
//
// Gradescope grades several submissions at once, each in its own container, and two
// `kubegrade grade --namespace` in one namespace would trip over each other (the second
// would take the first one's objects for the remains of an interrupted grade). The lock is
// a RoleBinding `kubegrade-lock` without subjects (it grants nothing) to the namespace's
// Role `kubegrade-grader`: docs/clusters.md's Role lets the grader create and delete RoleBindings
// there, creating one is atomic (409 when it exists), and kubegrade leaves RoleBindings it
// did not make alone. A lock older than KUBEGRADE_LOCK_MINUTES (default 60: longer than any
// grade) was left by a container that died, and is taken over.
//
// It uses the Kubernetes client that kubegrade itself depends on, from kubegrade's install
// ($KUBEGRADE_HOME, made by setup.sh), and the kubeconfig in $KUBECONFIG.
import { realpathSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const [action, namespace] = process.argv.slice(2);
const LOCK = "kubegrade-lock";
const home = process.env.KUBEGRADE_HOME;
if (!home || !namespace || !["acquire", "release"].includes(action)) {
  console.error("usage: KUBEGRADE_HOME=DIR node namespace-lock.mjs acquire|release NAMESPACE");
  process.exit(1);
}
const require = createRequire(realpathSync(join(home, "node_modules", ".bin", "kubegrade")));
const k8s = await import(pathToFileURL(require.resolve("@kubernetes/client-node")).href);
const kc = new k8s.KubeConfig();
kc.loadFromFile(process.env.KUBECONFIG);
if (process.env.KUBEGRADE_CONTEXT) kc.setCurrentContext(process.env.KUBEGRADE_CONTEXT);
const rbac = kc.makeApiClient(k8s.RbacAuthorizationV1Api);
const code = (error) => error?.code ?? error?.statusCode;

async function create() {
  await rbac.createNamespacedRoleBinding({
    namespace,
    body: {
      metadata: { name: LOCK, annotations: { "kubegrade.dev/holder": process.env.HOSTNAME ?? "" } },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "kubegrade-grader" },
      subjects: [],
    },
  });
}

try {
  if (action === "release") {
    await rbac.deleteNamespacedRoleBinding({ name: LOCK, namespace }).catch((e) => {
      if (code(e) !== 404) throw e;
    });
    process.exit(0);
  }
  try {
    await create();
    process.exit(0);
  } catch (error) {
    if (code(error) !== 409) throw error;
  }
  const held = await rbac.readNamespacedRoleBinding({ name: LOCK, namespace });
  const since = Date.parse(held.metadata?.creationTimestamp ?? "");
  const ttlMs = Number(process.env.KUBEGRADE_LOCK_MINUTES || 60) * 60_000;
  if (Number.isNaN(since) || Date.now() - since < ttlMs) process.exit(3);
  // Left by a container that died: take it over (one of two racing takers wins the create).
  await rbac.deleteNamespacedRoleBinding({ name: LOCK, namespace, body: { preconditions: { uid: held.metadata?.uid } } }).catch(() => {});
  try {
    await create();
    process.exit(0);
  } catch (error) {
    if (code(error) === 409) process.exit(3);
    throw error;
  }
} catch (error) {
  console.error(`namespace ${namespace}: ${action} ${LOCK} failed: ${error?.body ?? error?.message ?? error}`);
  process.exit(1);
}
