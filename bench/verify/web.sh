#!/usr/bin/env bash
# usage: web.sh NAMESPACE SUBMISSION_DIR — proves with kubectl what the `web` exercise's
# checks prove (npm run bench runs it on the warm cluster beside kubegrade, for the ratio).
source "$(dirname "$0")/lib.sh"
"$KUBECTL" create namespace "$NS" >/dev/null
trap '"$KUBECTL" delete namespace "$NS" --wait=false >/dev/null 2>&1' EXIT
k apply -f "$DIR" >/dev/null
# headless-service, statefulset-spec
[[ "$(field svc/nginx '{.spec.clusterIP}')" == None ]] || fail "Service nginx is not headless"
[[ "$(field svc/nginx '{.spec.selector.app}')" == "$(field sts/web '{.spec.template.metadata.labels.app}')" ]] || fail "Service nginx does not select web's pods"
[[ "$(field sts/web '{.spec.serviceName}')" == nginx ]] || fail "web's serviceName is not nginx"
[[ "$(field sts/web '{.spec.replicas}')" == 3 ]] || fail "web does not ask for 3 replicas"
[[ "$(field sts/web '{.spec.volumeClaimTemplates[0].metadata.name}')" == www ]] || fail "web has no www claim template"
[[ "$(field sts/web '{.spec.template.spec.containers[0].volumeMounts[?(@.name=="www")].mountPath}')" == /usr/share/nginx/html ]] || fail "www is not mounted at /usr/share/nginx/html"
# ordered-creation, per-pod-storage
ordered_ready web 3
own_volumes web www 3 /usr/share/nginx/html
# pod-dns, stable-identity (before)
start_probe
dns_matches web nginx 3
hostnames_match web 3
# data-persistence: a file written before every pod is recreated is there after
k exec web-0 -- sh -c 'echo kept > /usr/share/nginx/html/persist-check.txt'
recreate_all web 3
hostnames_match web 3
dns_matches web nginx 3
[[ "$(k exec web-0 -- cat /usr/share/nginx/html/persist-check.txt)" == kept ]] || fail "the file in web-0 did not survive"
echo "web: all proven"
