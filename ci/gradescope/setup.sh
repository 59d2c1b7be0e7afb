#!/usr/bin/env bash
# Gradescope runs this once, when it builds the autograder image: Node 24 and kubegrade.
# Nothing here starts a cluster (Gradescope offers no privileged Docker); grades run on the
# course's cluster through the kubeconfig shipped beside this script (see ci/README.md).
set -euo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"   # overridable for testing the template locally
# shellcheck source=kubegrade.env
source "$ROOT/source/kubegrade.env"

node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if [ "$(node_major)" -lt 24 ]; then
  # Gradescope's images are Ubuntu: Node 24 from NodeSource's apt repository.
  apt-get update
  apt-get install -y --no-install-recommends ca-certificates curl gnupg
  curl -fsSL https://deb.nodesource.com/setup_24.x | bash -
  apt-get install -y --no-install-recommends nodejs
fi

mkdir -p "$ROOT/kubegrade"
npm install --no-save --no-audit --no-fund --prefix "$ROOT/kubegrade" "$KUBEGRADE_PACKAGE"
"$ROOT/kubegrade/node_modules/.bin/kubegrade" list >/dev/null
