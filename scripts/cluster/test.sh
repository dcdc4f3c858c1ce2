#!/usr/bin/env bash
# `make test-cluster`: the platform on a real kind cluster, from nothing and back to nothing.
#
#   1. the host's state (containers, networks, links, iptables, sysctls, mounts) is recorded;
#   2. make kind-up images kind-load deploy, each step timed (docs/kubernetes.md's walkthrough);
#   3. the cluster tests (cdk8s/test/cluster/*.cluster.test.ts), through the ingress only;
#   4. the Helm chart installed in place of the cdk8s manifests (make undeploy, then
#      helm install), every pod Ready, and the message scenario again;
#   5. make undeploy kind-down, and the host's state compared with step 1: anything left fails.
#
# CLUSTER_KEEP=1 leaves the cluster up at the end (and skips 5) for a look around.
set -euo pipefail
# shellcheck source=scripts/cluster/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

cd "$REPO_ROOT"
TIMES=$CSTATE/test-times
NODE_TEST=(node --import tsx --test --test-concurrency=1 --test-timeout=3600000)
mkdir -p "$CSTATE"
: >"$TIMES"

# step NAME CMD...: runs and times a step.
step() {
  local name=$1 t0
  shift
  t0=$(now)
  log "== $name"
  "$@"
  printf '%-40s %5d s\n' "$name" "$(($(now) - t0))" | tee -a "$TIMES" >&2
}

# host_state: what the cluster may change on the machine, normalized for comparison.
host_state() {
  {
    echo "# links"; ip -o link show | awk -F': ' '{ print $2 }' | cut -d@ -f1 | sort
    echo "# iptables"; iptables-save 2>/dev/null | grep -v '^#' | sed 's/\[[0-9]*:[0-9]*\]//' | sort
    echo "# ip6tables"; ip6tables-save 2>/dev/null | grep -v '^#' | sed 's/\[[0-9]*:[0-9]*\]//' | sort
    echo "# sysctls"; sysctl -e vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops \
      kernel.keys.root_maxkeys kernel.keys.root_maxbytes kernel.keys.maxkeys kernel.keys.maxbytes \
      net.ipv4.ip_forward net.netfilter.nf_conntrack_max fs.inotify.max_user_watches \
      fs.inotify.max_user_instances 2>/dev/null
    echo "# mounts"; awk '{ print $2, $3 }' /proc/mounts | grep -v -e '^/proc' -e '^/sys' | sort
    echo "# processes"; pgrep -a -f 'dockerd|containerd|kind' | grep -v -e pgrep -e 'test.sh' | awk '{ $1 = ""; print }' | sort
  }
}

cluster_tests() {
  local files=(platform network-policies faults operator prometheus)
  local f
  for f in "${files[@]}"; do
    step "test: $f" "${NODE_TEST[@]}" "cdk8s/test/cluster/$f.cluster.test.ts"
  done
}

helm_install() {
  eval "$("$CLUSTER_LIB_DIR/kind.sh" env)"
  local ns=${NAMESPACE:-chat4all}
  NAMESPACE=$ns "$CLUSTER_LIB_DIR/deploy.sh" down
  # The TLS secret and the namespace, as `make deploy` makes them; the rest from the chart.
  kubectl create namespace "$ns"
  kubectl -n "$ns" create secret tls chat4all-tls --cert="$CSTATE/tls/tls.crt" --key="$CSTATE/tls/tls.key" >/dev/null
  helm install chat4all charts/chat4all -n "$ns" -f charts/chat4all/values-kind.yaml --wait=false
  NAMESPACE=$ns "$CLUSTER_LIB_DIR/deploy.sh" wait
}

main() {
  local before=$CSTATE/host-before-test
  host_state >"$before"
  step "make kind-up" make --no-print-directory kind-up
  step "make images" make --no-print-directory images
  step "make kind-load" make --no-print-directory kind-load
  step "make deploy" make --no-print-directory deploy
  cluster_tests
  step "helm install" helm_install
  step "test: platform (Helm chart)" "${NODE_TEST[@]}" cdk8s/test/cluster/platform.cluster.test.ts
  if [[ ${CLUSTER_KEEP:-0} == 1 ]]; then
    log "CLUSTER_KEEP=1: the cluster stays up"
    cat "$TIMES" >&2
    return 0
  fi
  step "make undeploy" make --no-print-directory undeploy
  step "make kind-down" make --no-print-directory kind-down
  if ! diff -u "$before" <(host_state) >"$CSTATE/host-diff" 2>&1; then
    cat "$CSTATE/host-diff" >&2
    die "make kind-down left the machine changed (above: - before, + after)"
  fi
  log "the machine is as it was before make kind-up"
  cat "$TIMES" >&2
}

# A failed run takes the cluster down too (unless asked to keep it), so CI leaves nothing behind.
on_exit() {
  local rc=$?
  if ((rc != 0)) && [[ ${CLUSTER_KEEP:-0} != 1 ]]; then
    log "failed (exit $rc): taking the cluster down"
    "$CLUSTER_LIB_DIR/kind.sh" down >/dev/null 2>&1 || true
  fi
  exit "$rc"
}
trap on_exit EXIT
main
