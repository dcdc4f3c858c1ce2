#!/usr/bin/env bash
# The kind node image, assembled on this machine as kind's own builder does, from the Go module
# proxy and Debian's packages (no registry):
#
#   scripts/cluster/node-image.sh build   build it (or load it from the cache) as $(... ref)
#   scripts/cluster/node-image.sh ref     its reference: chat4all/kind-node:<kubernetes version>
#
# 1. images/kind-node/Dockerfile on chat4all/debian: systemd, containerd, runc and the CNI plugins
#    from Debian; the node files of the kind module (images/base/files: entrypoint, systemd units,
#    containerd's configuration); kubeadm, kubelet, kubectl (scripts/kube.sh) and crictl
#    (scripts/cluster/tools.sh); /kind/version; /kind/manifests/default-storage.yaml, the
#    local-path-provisioner manifest of kind's Go constants with the images built here.
# 2. A privileged container of that image starts containerd and imports, under the exact names
#    `kubeadm config images list` gives, the control plane's images built here (kube-apiserver,
#    kube-controller-manager, kube-scheduler, kube-proxy, etcd, pause, coredns) and the storage
#    provisioner's; then `docker commit` makes the node image.
#
# The default CNI (kindnetd) cannot be built from a registry: kind-config.yaml disables it and
# scripts/cluster/kind.sh installs kube-router, which also enforces NetworkPolicies.
set -euo pipefail
# shellcheck source=scripts/cluster/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=scripts/kube/versions.sh
source "$REPO_ROOT/scripts/kube/versions.sh"

eval "$("$CLUSTER_LIB_DIR/docker.sh" env)"
DOCKER=${DOCKER:-docker}
KUBE_BIN=$CACHE_ROOT/kube/bin
IMAGES_SH=$CLUSTER_LIB_DIR/images.sh
NODE_REF=chat4all/kind-node:$KUBE_K8S_VERSION
COMPONENTS=(kube-apiserver kube-controller-manager kube-scheduler kube-proxy etcd pause coredns
  local-path-provisioner local-path-helper)

node_key() {
  {
    echo "recipe=1 kind=$KIND_VERSION crictl=$CRICTL_VERSION"
    cat "$KUBE_BIN/.stamp" "${BASH_SOURCE[0]}"
    find "$REPO_ROOT/images/kind-node" -type f | sort | xargs cat
    local c
    for c in base "${COMPONENTS[@]}"; do "$IMAGES_SH" key "$c"; done
  } | sha256sum | cut -c1-16
}

kind_module_dir() {
  local dir=$CCACHE/gomod/sigs.k8s.io/kind@$KIND_VERSION
  if [[ ! -d $dir ]]; then
    (cd "$CCACHE" && GOMODCACHE=$CCACHE/gomod GOFLAGS=-mod=mod "$(find_go)" mod download "sigs.k8s.io/kind@$KIND_VERSION") ||
      die "go mod download sigs.k8s.io/kind@$KIND_VERSION failed"
  fi
  echo "$dir"
}

# storage_manifest: kind's default-storage manifest (a Go raw string in the kind module), with the
# provisioner and helper images built here.
storage_manifest() {
  local src=$1/pkg/build/nodeimage/const_storage.go provisioner helper
  provisioner=$(sed -n 's/^const storageProvisionerImage = "\(.*\)"$/\1/p' "$src")
  helper=$(sed -n 's/^const storageHelperImage = "\(.*\)"$/\1/p' "$src")
  [[ -n $provisioner && -n $helper ]] || die "kind $KIND_VERSION: no storage images in $src"
  awk '/^const defaultStorageManifest = `/ { on = 1; next } on && /^`/ { exit } on { print }' "$src" |
    sed -e "s#\` + storageProvisionerImage + \`#$("$IMAGES_SH" ref local-path-provisioner)#g" \
        -e "s#\` + storageHelperImage + \`#$("$IMAGES_SH" ref local-path-helper)#g" \
        -e "s#$provisioner#$("$IMAGES_SH" ref local-path-provisioner)#g" \
        -e "s#$helper#$("$IMAGES_SH" ref local-path-helper)#g"
}

build_node() {
  local t0 ctx kind_dir builder key
  t0=$(now)
  "$REPO_ROOT/scripts/kube.sh" install
  "$CLUSTER_LIB_DIR/tools.sh" install crictl
  "$IMAGES_SH" build base "${COMPONENTS[@]}"
  kind_dir=$(kind_module_dir)
  key=$(node_key)

  ctx=$CSTATE/build/kind-node
  rm -rf "$ctx"
  mkdir -p "$ctx/bin" "$ctx/kind/manifests"
  cp -a "$REPO_ROOT/images/kind-node/Dockerfile" "$ctx/"
  cp -r "$kind_dir/images/base/files" "$ctx/kind-files"
  chmod -R u+w "$ctx/kind-files"
  cp "$KUBE_BIN/kubeadm" "$KUBE_BIN/kubelet" "$KUBE_BIN/kubectl" "$ctx/bin/"
  cp "$("$CLUSTER_LIB_DIR/tools.sh" path crictl)" "$ctx/bin/crictl"
  printf '%s' "$KUBE_K8S_VERSION" >"$ctx/kind/version"
  storage_manifest "$kind_dir" >"$ctx/kind/manifests/default-storage.yaml"
  grep -q 'kind: StorageClass' "$ctx/kind/manifests/default-storage.yaml" || die "could not read kind's storage manifest"

  log "building the node image's file system (log: $CSTATE/build-kind-node.log)"
  $DOCKER build --build-arg "BASE_IMAGE=$("$IMAGES_SH" ref base)" -t chat4all/kind-node-build:latest "$ctx" \
    >"$CSTATE/build-kind-node.log" 2>&1 || { log_tail "$CSTATE/build-kind-node.log"; die "docker build of the node image failed"; }

  log "importing the control plane's images into the node's containerd"
  builder=$($DOCKER run -d --privileged --entrypoint /bin/sleep chat4all/kind-node-build:latest infinity)
  # shellcheck disable=SC2064 # the id is known now
  trap "$DOCKER rm -f -v $builder >/dev/null 2>&1 || true" EXIT
  $DOCKER exec -d "$builder" sh -c 'containerd >/var/log/containerd-build.log 2>&1'
  local deadline=$(($(now) + 60))
  until $DOCKER exec "$builder" ctr version >/dev/null 2>&1; do
    (($(now) < deadline)) || die "containerd did not start in the build container"
    sleep 0.5
  done
  local c ref
  for c in "${COMPONENTS[@]}"; do
    ref=$("$IMAGES_SH" ref "$c")
    $DOCKER save "$ref" | $DOCKER exec -i "$builder" ctr -n k8s.io images import --all-platforms - >/dev/null ||
      die "import of $ref into the node failed"
  done
  # The sandbox image containerd's configuration names, if kubeadm's pause tag differs.
  local sandbox pause
  sandbox=$($DOCKER exec "$builder" sed -n 's/^ *sandbox_image = "\(.*\)"/\1/p' /etc/containerd/config.toml)
  pause=$("$IMAGES_SH" ref pause)
  if [[ -n $sandbox && $sandbox != "$pause" ]]; then
    $DOCKER exec "$builder" ctr -n k8s.io images tag "$pause" "$sandbox" >/dev/null
  fi
  $DOCKER exec "$builder" ctr -n k8s.io images ls -q | sed 's/^/[cluster]   /' >&2
  $DOCKER exec "$builder" sh -c 'pkill containerd; while pgrep -x containerd >/dev/null; do sleep 0.2; done; rm -f /var/log/containerd-build.log'
  $DOCKER commit \
    --change 'ENTRYPOINT [ "/usr/local/bin/entrypoint", "/sbin/init" ]' --change 'CMD []' \
    --change "LABEL io.chat4all.key=$key" \
    "$builder" "$NODE_REF" >/dev/null
  $DOCKER rm -f -v "$builder" >/dev/null
  trap - EXIT
  $DOCKER rmi chat4all/kind-node-build:latest >/dev/null 2>&1 || true
  log "node image $NODE_REF built in $(($(now) - t0)) s"
}

ensure_node() {
  local key archive
  key=$(node_key)
  if $DOCKER image inspect "$NODE_REF" >/dev/null 2>&1 &&
    [[ $($DOCKER image inspect -f '{{ index .Config.Labels "io.chat4all.key" }}' "$NODE_REF") == "$key" ]]; then
    return 0
  fi
  archive=$CCACHE/images/kind-node-$key.tar
  if [[ -s $archive ]]; then
    $DOCKER load -q -i "$archive" >/dev/null || die "docker load of $archive failed"
    log "node image $NODE_REF loaded from the cache"
    return 0
  fi
  build_node
  rm -f "$CCACHE"/images/kind-node-*.tar
  $DOCKER save -o "$archive.tmp" "$NODE_REF" && mv "$archive.tmp" "$archive"
}

case ${1:-} in
  build) "$CLUSTER_LIB_DIR/docker.sh" up; with_lock kind-node ensure_node ;;
  ref) echo "$NODE_REF" ;;
  *) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '/^set -euo/d' -e 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
