# Shared by the kubectl verify scripts (bench/verify/*.sh): what an instructor's hand-written
# script uses — kubectl only, one command after the other, failing on the first mistake.
# The caller sets KUBECONFIG; KUBECTL names the kubectl binary (default: kubectl on PATH).
set -euo pipefail
NS="$1"
DIR="$2"
KUBECTL="${KUBECTL:-kubectl}"
k() { "$KUBECTL" -n "$NS" "$@"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
field() { k get "$1" -o "jsonpath=$2"; }
ready_at() { field "pod/$1" '{.status.conditions[?(@.type=="Ready")].lastTransitionTime}'; }
created_at() { field "pod/$1" '{.metadata.creationTimestamp}'; }

# Pods in ordinal order, each Ready; pod N+1 created no earlier than pod N became Ready.
ordered_ready() {
  local sts="$1" n="$2" i
  for ((i = 0; i < n; i++)); do
    k wait --for=create "pod/$sts-$i" --timeout=120s >/dev/null
    k wait --for=condition=Ready "pod/$sts-$i" --timeout=120s >/dev/null
  done
  for ((i = 1; i < n; i++)); do
    [[ ! "$(created_at "$sts-$i")" < "$(ready_at "$sts-$((i - 1))")" ]] || fail "$sts-$i was created before $sts-$((i - 1)) was Ready"
  done
}

# A busybox pod to resolve names from, as the tutorials' `kubectl run -it … nslookup`.
start_probe() {
  k run probe --image=busybox:1.28 --restart=Never --command -- sleep 3600 >/dev/null
  k wait --for=condition=Ready pod/probe --timeout=120s >/dev/null
}

# Retries "$@" until it succeeds, for at most 30 s (DNS follows a recreated pod within seconds).
eventually() {
  local deadline=$((SECONDS + 30))
  until "$@"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}

# <pod>.<service> resolves to the pod's IP, and the Service's name lists every pod.
dns_matches() { eventually dns_matches_now "$@" || fail "per-pod DNS names do not resolve to the pods' IPs"; }
dns_matches_now() {
  local sts="$1" svc="$2" n="$3" i ip all
  # Fully qualified names: the kit's busybox nslookup does not apply the search list.
  # nslookup exits 1 when a search domain does not know the name, even when another does.
  all=$(k exec probe -- nslookup "$svc.$NS.svc.cluster.local" 2>/dev/null || true)
  for ((i = 0; i < n; i++)); do
    ip=$(field "pod/$sts-$i" '{.status.podIP}')
    (k exec probe -- nslookup "$sts-$i.$svc.$NS.svc.cluster.local" 2>/dev/null || true) | grep -qw -- "$ip" || return 1
    grep -qw -- "$ip" <<<"$all" || return 1
  done
}

hostnames_match() {
  local sts="$1" n="$2" i
  for ((i = 0; i < n; i++)); do
    [[ "$(k exec "$sts-$i" -- hostname 2>/dev/null)" == "$sts-$i" ]] || fail "the hostname of $sts-$i is not its name"
  done
}

# One Bound claim per pod, each on a volume of its own; a file in pod 0 not seen in pod 1.
own_volumes() {
  local sts="$1" claim="$2" n="$3" path="$4" i volumes=""
  for ((i = 0; i < n; i++)); do
    [[ "$(field "pvc/$claim-$sts-$i" '{.status.phase}')" == Bound ]] || fail "claim $claim-$sts-$i is not Bound"
    volumes+="$(field "pvc/$claim-$sts-$i" '{.spec.volumeName}')"$'\n'
  done
  [[ "$(sort -u <<<"$volumes" | grep -c .)" == "$n" ]] || fail "pods share a volume"
  k exec "$sts-0" -- sh -c "echo isolated > $path/isolation-check.txt" 2>/dev/null
  if k exec "$sts-1" -- test -e "$path/isolation-check.txt" 2>/dev/null; then fail "$sts-1 sees $sts-0's file"; fi
  k exec "$sts-0" -- rm -f "$path/isolation-check.txt" 2>/dev/null
}

# Deletes every pod and waits until each is back (new UID) and Ready.
recreate_all() {
  local sts="$1" n="$2" i pods=() uids=()
  for ((i = 0; i < n; i++)); do pods+=("pod/$sts-$i"); uids+=("$(field "pod/$sts-$i" '{.metadata.uid}')"); done
  k delete "${pods[@]}" --grace-period=1 >/dev/null
  for ((i = 0; i < n; i++)); do
    k wait --for=create "pod/$sts-$i" --timeout=120s >/dev/null
    k wait --for=condition=Ready "pod/$sts-$i" --timeout=120s >/dev/null
    [[ "$(field "pod/$sts-$i" '{.metadata.uid}')" != "${uids[$i]}" ]] || fail "$sts-$i was not recreated"
  done
}

# GET / of each pod through its DNS name, from the probe: "$@" is what the lines must be.
index_of() { k exec probe -- wget -qO- "http://$1.$2.$NS.svc.cluster.local/" 2>/dev/null; }

# Exactly pods 0..n-1 exist and are Ready.
exactly_ready() {
  local sts="$1" n="$2" i
  k wait --for=jsonpath='{.status.readyReplicas}'="$n" "sts/$sts" --timeout=120s >/dev/null
  eventually has_pods "$sts" "$n" || fail "$sts does not have exactly $n pods"
}
has_pods() { [[ "$(k get pods -o name | grep -c "^pod/$1-[0-9]*$")" -eq "$2" ]]; }
uid_is_not() { [[ "$(field "pod/$1" '{.metadata.uid}' 2>/dev/null)" != "$2" ]]; }
