#!/usr/bin/env bash
# Chat4All on the current cluster (the kind cluster's kubeconfig unless KUBECONFIG says otherwise).
#
#   scripts/cluster/deploy.sh up      synthesize the manifests (cdk8s, PROFILE, default `kind`) into
#                                     cdk8s/dist; the namespace, the CRD, the generated Secrets (only
#                                     when missing: a redeploy keeps the JWT key), a self-signed TLS
#                                     certificate for INGRESS_HOST (when missing), then everything
#                                     else, server-side applied; waits until every pod is Ready
#   scripts/cluster/deploy.sh down    delete the namespace (volumes included) and the CRD
#   scripts/cluster/deploy.sh wait    wait until every pod of the namespace is Ready
#
# NAMESPACE (chat4all), PROFILE (kind), INGRESS_HOST (chat4all.localhost), DEPLOY_TIMEOUT (900 s).
set -euo pipefail
# shellcheck source=scripts/cluster/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

NAMESPACE=${NAMESPACE:-chat4all}
PROFILE=${PROFILE:-kind}
INGRESS_HOST=${INGRESS_HOST:-chat4all.localhost}
DEPLOY_TIMEOUT=${DEPLOY_TIMEOUT:-900}
DIST=$REPO_ROOT/cdk8s/dist
eval "$("$CLUSTER_LIB_DIR/kind.sh" env)"
if [[ -n ${DEPLOY_KUBECONFIG:-} ]]; then export KUBECONFIG=$DEPLOY_KUBECONFIG; fi
APPLY=(apply --server-side --field-manager=chat4all --force-conflicts)

# wait_ready: every pod of the namespace Ready (and none pending), or fail naming those that are not.
wait_ready() {
  local t0 deadline line
  t0=$(now)
  deadline=$((t0 + DEPLOY_TIMEOUT))
  log "waiting until every pod of $NAMESPACE is Ready (at most ${DEPLOY_TIMEOUT} s)"
  while :; do
    line=$(kubectl -n "$NAMESPACE" get pods --no-headers 2>/dev/null | awk '{ split($2, r, "/"); if (r[1] != r[2] || $3 != "Running") print $1 " " $2 " " $3 }')
    if [[ -z $line ]] && [[ $(kubectl -n "$NAMESPACE" get pods --no-headers 2>/dev/null | wc -l) -gt 0 ]]; then break; fi
    if (($(now) >= deadline)); then
      kubectl -n "$NAMESPACE" get pods -o wide >&2 || true
      die "not every pod of $NAMESPACE was Ready within ${DEPLOY_TIMEOUT} s: ${line//$'\n'/, }"
    fi
    sleep 3
  done
  log "every pod of $NAMESPACE Ready, $(($(now) - t0)) s after the wait began: $(kubectl -n "$NAMESPACE" get pods --no-headers | wc -l) pods"
}

up() {
  local t0 s
  t0=$(now)
  rm -rf "$DIST"
  (cd "$REPO_ROOT" && PROFILE=$PROFILE INGRESS_HOST=$INGRESS_HOST node --import tsx cdk8s/src/main.ts "$DIST")
  kubectl create namespace "$NAMESPACE" --dry-run=client -o yaml | kubectl "${APPLY[@]}" -f - >/dev/null
  kubectl "${APPLY[@]}" -f "$DIST/crds.k8s.yaml" >/dev/null
  kubectl wait --for condition=established --timeout=60s crd/chat4alls.chat4all.io >/dev/null
  # Generated secrets are created when missing and never replaced: a redeploy keeps the JWT key.
  for s in $(awk '/^  name: /{ print $2 }' "$DIST/secrets.k8s.yaml"); do
    if kubectl -n "$NAMESPACE" get secret "$s" >/dev/null 2>&1; then log "secret/$s exists, kept"
    else kubectl -n "$NAMESPACE" create -f "$DIST/secrets.k8s.yaml" -l "app.kubernetes.io/name=$s" >/dev/null; fi
  done
  if ! kubectl -n "$NAMESPACE" get secret chat4all-tls >/dev/null 2>&1; then
    local tls=$CSTATE/tls
    mkdir -p "$tls"
    openssl req -x509 -newkey rsa:2048 -nodes -days 365 -subj "/CN=$INGRESS_HOST" \
      -addext "subjectAltName=DNS:$INGRESS_HOST" -keyout "$tls/tls.key" -out "$tls/tls.crt" 2>/dev/null
    kubectl -n "$NAMESPACE" create secret tls chat4all-tls --cert="$tls/tls.crt" --key="$tls/tls.key" >/dev/null
  else
    log "secret/chat4all-tls exists, kept"
  fi
  kubectl -n "$NAMESPACE" "${APPLY[@]}" -f "$DIST/network.k8s.yaml" -f "$DIST/infrastructure.k8s.yaml" \
    -f "$DIST/platform.k8s.yaml" -f "$DIST/observability.k8s.yaml" -f "$DIST/operator.k8s.yaml" >/dev/null
  log "applied profile $PROFILE to namespace $NAMESPACE"
  wait_ready
  log "deployed in $(($(now) - t0)) s"
}

down() {
  kubectl delete namespace "$NAMESPACE" --ignore-not-found --wait=true --timeout=300s
  kubectl delete crd chat4alls.chat4all.io --ignore-not-found
}

case ${1:-} in
  up) up ;;
  down) down ;;
  wait) wait_ready ;;
  *) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '/^set -euo/d' -e 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
