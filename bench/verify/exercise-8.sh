#!/usr/bin/env bash
# usage: exercise-8.sh NAMESPACE SUBMISSION_DIR — proves with kubectl what the `exercise-8`
# checks prove (npm run bench runs it on the warm cluster beside kubegrade, for the ratio).
source "$(dirname "$0")/lib.sh"
"$KUBECTL" create namespace "$NS" >/dev/null
trap '"$KUBECTL" delete namespace "$NS" --wait=false >/dev/null 2>&1' EXIT
k apply -f "$DIR" >/dev/null
SVC=$(field sts/web '{.spec.serviceName}')
N=$(field sts/web '{.spec.replicas}')
# headless-service, statefulset-spec
[[ "$(field "svc/$SVC" '{.spec.clusterIP}')" == None ]] || fail "Service $SVC is not headless"
[[ "$(field "svc/$SVC" '{.spec.selector.app}')" == "$(field sts/web '{.spec.template.metadata.labels.app}')" ]] || fail "Service $SVC does not select web's pods"
[[ "$N" == 2 || "$N" == 3 ]] || fail "web asks for $N replicas, not 2 or 3"
CLAIM=$(field sts/web '{.spec.volumeClaimTemplates[0].metadata.name}')
[[ "$(field sts/web "{.spec.template.spec.containers[0].volumeMounts[?(@.name==\"$CLAIM\")].mountPath}")" == /usr/share/nginx/html ]] || fail "no claim is mounted at /usr/share/nginx/html"
[[ -n "$(field sts/web '{.spec.template.spec.containers[0].ports[?(@.containerPort==80)].name}')" ]] || fail "port 80 has no name"
# ordered-creation, per-pod-storage
ordered_ready web "$N"
own_volumes web "$CLAIM" "$N" /usr/share/nginx/html
# pod-dns, stable-identity, http-content (before)
start_probe
dns_matches web "$SVC" "$N"
hostnames_match web "$N"
for ((i = 0; i < N; i++)); do
  [[ "$(index_of "web-$i" "$SVC")" == "web-$i" ]] || fail "web-$i does not serve its own hostname"
done
# every pod recreated: names, hostnames, DNS, and the initContainer appended a second line
recreate_all web "$N"
hostnames_match web "$N"
dns_matches web "$SVC" "$N"
for ((i = 0; i < N; i++)); do
  [[ "$(index_of "web-$i" "$SVC" | grep -cx "web-$i")" -ge 2 ]] || fail "web-$i's index.html does not hold its hostname twice"
done
# scaling-order: up to 3 in order, down to 1 highest first, back up to 3 in order
k scale sts/web --replicas=3 >/dev/null
ordered_ready web 3
exactly_ready web 3
k scale sts/web --replicas=1 >/dev/null
exactly_ready web 1
gone2=$(k get events --field-selector involvedObject.name=web -o jsonpath='{range .items[?(@.reason=="SuccessfulDelete")]}{.message}{"\n"}{end}')
[[ "$(grep -o 'Pod web-[0-9]' <<<"$gone2" | tail -2 | tr '\n' ' ')" == "Pod web-2 Pod web-1 " ]] || fail "scaling down did not remove web-2 before web-1"
k scale sts/web --replicas=3 >/dev/null
ordered_ready web 3
exactly_ready web 3
# partitioned-rollout: partition 2 updates only web-2; partition 0 then web-1, then web-0
old0=$(field pod/web-0 '{.metadata.uid}'); old1=$(field pod/web-1 '{.metadata.uid}'); old2=$(field pod/web-2 '{.metadata.uid}')
k patch sts/web -p '{"spec":{"updateStrategy":{"type":"RollingUpdate","rollingUpdate":{"partition":2}}}}' >/dev/null
k patch sts/web --type=json -p '[{"op":"replace","path":"/spec/template/spec/containers/0/image","value":"nginx:1.13.12"}]' >/dev/null
eventually uid_is_not web-2 "$old2" || fail "web-2 was not updated"
k wait --for=create pod/web-2 --timeout=120s >/dev/null
k wait --for=condition=Ready pod/web-2 --timeout=120s >/dev/null
[[ "$(field pod/web-2 '{.spec.containers[0].image}')" == nginx:1.13.12 ]] || fail "web-2 does not run nginx:1.13.12"
[[ "$(field pod/web-1 '{.metadata.uid}')" == "$old1" && "$(field pod/web-0 '{.metadata.uid}')" == "$old0" ]] || fail "the partition did not protect web-0 and web-1"
k patch sts/web -p '{"spec":{"updateStrategy":{"rollingUpdate":{"partition":0}}}}' >/dev/null
k wait --for=jsonpath='{.status.updatedReplicas}'=3 sts/web --timeout=120s >/dev/null
exactly_ready web 3
[[ ! "$(created_at web-0)" < "$(ready_at web-1)" ]] || fail "web-0 was updated before web-1 was Ready"
echo "exercise-8: all proven"
