# shellcheck shell=bash disable=SC2034
# Pinned versions for scripts/kube.sh (sourced, not executed).
#
# Changing a value here changes the install stamp, so the next
# `scripts/kube.sh install` rebuilds into the cache.

# k8s.io/kubernetes release that kube-apiserver and kubectl are built from.
# Its staging modules (k8s.io/api, k8s.io/client-go, ...) are pinned to the
# matching v0.<minor>.<patch> tags by the generated wrapper go.mod.
KUBE_K8S_VERSION="${KUBE_K8S_VERSION:-v1.34.4}"

# etcd is built from go.etcd.io/etcd/server/v3 in the same `go build` as the
# Kubernetes binaries. Empty = the version k8s.io/kubernetes itself requires
# (read from its go.mod), which is the etcd that release is tested against.
KUBE_ETCD_VERSION="${KUBE_ETCD_VERSION:-}"

# helm, installed with `go install helm.sh/helm/v3/cmd/helm@<version>`.
# v3.19.x is built against k8s.io/* v0.34, matching the server above.
KUBE_HELM_VERSION="${KUBE_HELM_VERSION:-v3.19.5}"

# Build tags Kubernetes' own hack/lib/golang.sh uses for release binaries.
KUBE_BUILD_TAGS="selinux,notest,grpcnotrace"
