#!/usr/bin/env bash
# The kind cluster of Chat4All, from kind-config.yaml, on a machine with no registry.
#
#   scripts/cluster/kind.sh up      Docker engine (scripts/cluster/docker.sh), kind, the node image,
#                                   `kind create cluster`, then kube-router (network and
#                                   NetworkPolicies) and Traefik (ingress); waits until every node
#                                   and add-on is ready
#   scripts/cluster/kind.sh down    delete the cluster, put back the host settings kubelet changed,
#                                   stop the private Docker engine: the machine as it was
#   scripts/cluster/kind.sh load [--workers] IMAGE...   `kind load docker-image` into every node (or
#                                   only the workers, where the platform runs)
#   scripts/cluster/kind.sh env     `export KUBECONFIG=... PATH=...` (kubectl, helm, kind, docker)
#   scripts/cluster/kind.sh status  nodes and add-ons
#
# KIND_NODE_IMAGE chooses the node image: `local` (default: assembled here by
# scripts/cluster/node-image.sh) or a published one, e.g. kindest/node:v1.34.0, on a machine that
# can pull. KIND_CLUSTER (chat4all) names the cluster; its kubeconfig is
# ${CHAT4ALL_STATE:-<repo>/.run}/cluster/kubeconfig, so the user's ~/.kube/config is never touched.
set -euo pipefail
# shellcheck source=scripts/cluster/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=images/catalog.env
source "$REPO_ROOT/images/catalog.env"

KIND_CLUSTER=${KIND_CLUSTER:-chat4all}
KIND_NODE_IMAGE=${KIND_NODE_IMAGE:-local}
KIND_CONFIG=${KIND_CONFIG:-$REPO_ROOT/kind-config.yaml}
KUBECONFIG_FILE=$CSTATE/kubeconfig
SYSCTL_SNAPSHOT=$CSTATE/sysctl-before-kind
ADDONS=$CSTATE/addons
KUBE_BIN=$CACHE_ROOT/kube/bin
READY_TIMEOUT=${KIND_READY_TIMEOUT:-300}

# Host settings kubelet and kube-proxy change from inside the nodes (they are not namespaced).
HOST_SYSCTLS=(vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops
  kernel.keys.root_maxkeys kernel.keys.root_maxbytes kernel.keys.maxkeys kernel.keys.maxbytes
  net.netfilter.nf_conntrack_max net.netfilter.nf_conntrack_tcp_timeout_established
  net.netfilter.nf_conntrack_tcp_timeout_close_wait fs.inotify.max_user_watches
  fs.inotify.max_user_instances net.core.somaxconn)

engine_env() { eval "$("$CLUSTER_LIB_DIR/docker.sh" env)"; }

kind_bin() {
  "$CLUSTER_LIB_DIR/tools.sh" install kind >&2
  "$CLUSTER_LIB_DIR/tools.sh" path kind
}

kctl() { "$KUBE_BIN/kubectl" --kubeconfig "$KUBECONFIG_FILE" "$@"; }

cluster_exists() { "$KIND" get clusters 2>/dev/null | grep -qx "$KIND_CLUSTER"; }

snapshot_sysctls() {
  [[ -s $SYSCTL_SNAPSHOT ]] && return 0
  sysctl -e "${HOST_SYSCTLS[@]}" 2>/dev/null | sed 's/ = /=/' >"$SYSCTL_SNAPSHOT.tmp"
  [[ -r /sys/module/nf_conntrack/parameters/hashsize ]] &&
    echo "hashsize=$(cat /sys/module/nf_conntrack/parameters/hashsize)" >>"$SYSCTL_SNAPSHOT.tmp"
  mv "$SYSCTL_SNAPSHOT.tmp" "$SYSCTL_SNAPSHOT"
}

restore_sysctls() {
  [[ -s $SYSCTL_SNAPSHOT ]] || return 0
  local kv
  while IFS= read -r kv; do
    case $kv in
      hashsize=*) echo "${kv#hashsize=}" >/sys/module/nf_conntrack/parameters/hashsize 2>/dev/null || true ;;
      ?*) sysctl -q -w "$kv" >/dev/null 2>&1 || true ;;
    esac
  done <"$SYSCTL_SNAPSHOT"
  rm -f "$SYSCTL_SNAPSHOT"
}

# wait_until DESCRIPTION TIMEOUT CMD...: retry CMD every 2 s until it succeeds.
wait_until() {
  local what=$1 timeout=$2
  shift 2
  local deadline=$(($(now) + timeout))
  until "$@" >/dev/null 2>&1; do
    (($(now) < deadline)) || die "$what: not within ${timeout} s"
    sleep 2
  done
}

addons() {
  log "installing the cluster's add-ons: kube-router (network, NetworkPolicies) and Traefik (ingress)"
  rm -rf "$ADDONS"
  (cd "$REPO_ROOT" && node --import tsx cdk8s/src/cluster/main.ts "$ADDONS") 2>/dev/null ||
    die "could not synthesize the add-ons (cdk8s/src/cluster): run \`make install\` first"
  # The add-ons' images (built by do_up before the cluster) must be in the nodes first.
  do_load "$KUBE_ROUTER_IMAGE" "$TRAEFIK_IMAGE"
  kctl apply --server-side --field-manager=chat4all-kind -f "$ADDONS/network.k8s.yaml" >/dev/null
  kctl -n kube-system rollout status daemonset/kube-router --timeout="${READY_TIMEOUT}s" >&2
  kctl wait --for=condition=Ready nodes --all --timeout="${READY_TIMEOUT}s" >&2
  kctl apply --server-side --field-manager=chat4all-kind -f "$ADDONS/ingress.k8s.yaml" >/dev/null
  # Available, not `rollout status`: a Deployment that waited long for the network has passed its
  # progress deadline, which rollout status reports as a failure though its pods then start.
  kctl -n kube-system wait --for=condition=Available deployment/coredns --timeout="${READY_TIMEOUT}s" >&2
  kctl -n local-path-storage wait --for=condition=Available deployment/local-path-provisioner --timeout="${READY_TIMEOUT}s" >&2
  kctl -n traefik wait --for=condition=Available deployment/traefik --timeout="${READY_TIMEOUT}s" >&2
}

do_up() {
  local t0 node_image
  t0=$(now)
  mkdir -p "$CSTATE"
  "$CLUSTER_LIB_DIR/docker.sh" up
  engine_env
  KIND=$(kind_bin)
  "$REPO_ROOT/scripts/kube.sh" install
  if [[ $KIND_NODE_IMAGE == local ]]; then
    "$CLUSTER_LIB_DIR/node-image.sh" build
    node_image=$("$CLUSTER_LIB_DIR/node-image.sh" ref)
  else
    node_image=$KIND_NODE_IMAGE
  fi
  # The add-ons' images before the cluster: its nodes have no network until kube-router runs, and
  # CoreDNS must not wait for a build.
  "$CLUSTER_LIB_DIR/images.sh" build kube-router traefik
  snapshot_sysctls
  if cluster_exists; then
    log "kind cluster $KIND_CLUSTER exists"
    "$KIND" get kubeconfig --name "$KIND_CLUSTER" >"$KUBECONFIG_FILE"
  else
    log "creating kind cluster $KIND_CLUSTER from $(basename "$KIND_CONFIG") with $node_image"
    "$KIND" create cluster --name "$KIND_CLUSTER" --config "$KIND_CONFIG" --image "$node_image" \
      --kubeconfig "$KUBECONFIG_FILE" --wait 0s >&2
  fi
  chmod 600 "$KUBECONFIG_FILE"
  addons
  log "cluster $KIND_CLUSTER ready in $(($(now) - t0)) s: $(kctl get nodes --no-headers | wc -l) nodes; KUBECONFIG=$KUBECONFIG_FILE"
}

do_down() {
  engine_env
  if "$CLUSTER_LIB_DIR/docker.sh" status >/dev/null 2>&1; then
    KIND=$(kind_bin)
    if cluster_exists; then
      log "deleting kind cluster $KIND_CLUSTER"
      "$KIND" delete cluster --name "$KIND_CLUSTER" --kubeconfig "$KUBECONFIG_FILE" >&2
    fi
  fi
  rm -f "$KUBECONFIG_FILE"
  rm -rf "$ADDONS" "$CSTATE/build"
  restore_sysctls
  "$CLUSTER_LIB_DIR/docker.sh" down
}

# do_load [--workers] IMAGE...: `kind load docker-image` of every image at once (one archive per
# node), into every node or, with --workers, into the nodes that run the platform (not the
# control plane, which it does not schedule on).
do_load() {
  engine_env
  KIND=$(kind_bin)
  local nodes=()
  if [[ ${1:-} == --workers ]]; then
    shift
    local workers
    workers=$("$KIND" get nodes --name "$KIND_CLUSTER" | grep -v -- '-control-plane$' | paste -sd, -)
    [[ -n $workers ]] && nodes=(--nodes "$workers")
  fi
  "$KIND" load docker-image "$@" --name "$KIND_CLUSTER" "${nodes[@]}" >/dev/null || die "kind load docker-image $* failed"
  log "loaded into the nodes: $*"
}

do_env() {
  "$CLUSTER_LIB_DIR/docker.sh" env
  printf 'export KUBECONFIG=%q\n' "$KUBECONFIG_FILE"
  # kubectl, kubeadm and helm of scripts/kube.sh; kind (when built) as `kind`.
  local kind
  mkdir -p "$CSTATE/bin"
  if kind=$("$CLUSTER_LIB_DIR/tools.sh" path kind); then ln -sf "$kind" "$CSTATE/bin/kind"; fi
  # shellcheck disable=SC2016 # expanded by the shell that evals this
  printf 'export PATH=%q:%q:"$PATH"\n' "$CSTATE/bin" "$KUBE_BIN"
}

case ${1:-} in
  up) with_lock kind-cluster do_up ;;
  down) with_lock kind-cluster do_down ;;
  load) shift; do_load "$@" ;;
  env) do_env ;;
  status) kctl get nodes -o wide && kctl get pods -A ;;
  *) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '/^set -euo/d' -e 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
