#!/usr/bin/env bash
# A real, local Kubernetes API server for the tests, envtest style:
# etcd + kube-apiserver as plain processes on 127.0.0.1 (no kubelet, no
# controllers, no Docker), plus kubectl and helm.
#
#   scripts/kube.sh install   build the binaries into the cache (no-op when cached)
#   scripts/kube.sh up        install if needed, start etcd + kube-apiserver, wait until ready
#   scripts/kube.sh down      stop both by pid (TERM, then KILL after a timeout)
#   scripts/kube.sh status    one line per process; exit 0 only when both are up
#   scripts/kube.sh env       print `export ...` lines; use: eval "$(scripts/kube.sh env)"
#
# Where things live
#   binaries   $CHAT4ALL_CACHE/kube/bin/{etcd,kube-apiserver,kubectl,helm}
#              (CHAT4ALL_CACHE defaults to $HOME/.cache/chat4all). The Go module
#              and build caches used to build them are $CHAT4ALL_CACHE/kube/{gomod,gocache};
#              gocache is deleted after a successful install unless
#              CHAT4ALL_KUBE_KEEP_GOCACHE=1. Module cache files are read-only: remove it
#              with `chmod -R u+w` first (or `GOMODCACHE=... go clean -modcache`).
#   state      ${CHAT4ALL_STATE:-<repo>/.run}/kube/: certs/, etcd-data/, logs/,
#              *.pid and kubeconfig (admin: client cert in group system:masters).
#
# How the binaries are made (versions in scripts/kube/versions.sh)
#   kube-apiserver, kubectl and etcd come out of ONE `go build` of a wrapper module
#   (scripts/kube/wrapper.go.mod.in) that requires k8s.io/kubernetes vX.Y.Z and
#   replaces each k8s.io staging module with its v0.Y.Z tag; etcd is
#   go.etcd.io/etcd/server/v3 at the version k8s.io/kubernetes requires.
#   helm: `go install helm.sh/helm/v3/cmd/helm@vX`. Everything comes from the Go
#   module proxy; the Go toolchain is `go` on PATH or /usr/local/go/bin/go.
#
# Endpoints (override with the variables in brackets)
#   etcd            http://127.0.0.1:12379, peer 12380 [CHAT4ALL_KUBE_ETCD_PORT, CHAT4ALL_KUBE_ETCD_PEER_PORT]
#   kube-apiserver  https://127.0.0.1:16443               [CHAT4ALL_KUBE_API_PORT]
#
# The "kubernetes" Service exists but gets no Endpoints: the apiserver's own
# reconciler is off (--endpoint-reconciler-type=none) because it would try to
# publish 127.0.0.1, which Endpoints validation rejects, every 10s in the log.
#
# `up` wipes etcd's data each time (fresh cluster) unless CHAT4ALL_KEEP_DATA=1.
# Like controller-runtime's envtest, the apiserver runs with the ServiceAccount
# admission plugin disabled, so Pods can be created without a token controller;
# nothing schedules or runs them, but their status can be patched by hand.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "$SCRIPT_DIR/.." && pwd)"
HELPERS="$SCRIPT_DIR/kube"
# shellcheck source=scripts/kube/versions.sh
source "$HELPERS/versions.sh"

CACHE_DIR="${CHAT4ALL_CACHE:-$HOME/.cache/chat4all}"
KCACHE="$CACHE_DIR/kube"
BIN_DIR="$KCACHE/bin"
STATE_ROOT="${CHAT4ALL_STATE:-$REPO_DIR/.run}"
mkdir -p "$STATE_ROOT"
STATE_ROOT="$(cd "$STATE_ROOT" && pwd)"
STATE="$STATE_ROOT/kube"
CERTS="$STATE/certs"
LOGS="$STATE/logs"
KUBECONFIG_FILE="$STATE/kubeconfig"

HOST=127.0.0.1
ETCD_PORT="${CHAT4ALL_KUBE_ETCD_PORT:-12379}"
ETCD_PEER_PORT="${CHAT4ALL_KUBE_ETCD_PEER_PORT:-12380}"
API_PORT="${CHAT4ALL_KUBE_API_PORT:-16443}"
ETCD_URL="http://$HOST:$ETCD_PORT"
API_URL="https://$HOST:$API_PORT"

ETCD_START_TIMEOUT="${CHAT4ALL_KUBE_ETCD_TIMEOUT:-30}"
API_START_TIMEOUT="${CHAT4ALL_KUBE_API_TIMEOUT:-120}"
STOP_TIMEOUT="${CHAT4ALL_KUBE_STOP_TIMEOUT:-20}"

# The API server tests need etcd, kube-apiserver, kubectl and helm; the kind node image
# (scripts/kind/node-image.sh) takes the rest from the same build.
KUBE_CMDS=(kube-apiserver kube-controller-manager kube-scheduler kube-proxy kubelet kubeadm kubectl)
BINARIES=(etcd "${KUBE_CMDS[@]}" helm)
# Bump when the way the binaries are built changes, to force a rebuild.
BUILD_RECIPE=2
STAMP_WANT="recipe=$BUILD_RECIPE k8s=$KUBE_K8S_VERSION etcd=${KUBE_ETCD_VERSION:-from-k8s} helm=$KUBE_HELM_VERSION tags=$KUBE_BUILD_TAGS"

log() { printf 'kube: %s\n' "$*" >&2; }
die() { printf 'kube: ERROR: %s\n' "$*" >&2; exit 1; }

log_tail() { # log_tail <file>
  if [[ -s "$1" ]]; then
    printf 'kube: --- last lines of %s ---\n' "$1" >&2
    tail -n 40 "$1" >&2 || true
    printf 'kube: ---\n' >&2
  fi
}

now() { date +%s; }

# ---------------------------------------------------------------- install

find_go() {
  if [[ -n "${CHAT4ALL_GO:-}" ]]; then echo "$CHAT4ALL_GO"; return; fi
  if command -v go >/dev/null 2>&1; then command -v go; return; fi
  if [[ -x /usr/local/go/bin/go ]]; then echo /usr/local/go/bin/go; return; fi
  die "no Go toolchain: put go on PATH, set CHAT4ALL_GO, or install Go at /usr/local/go"
}

installed() {
  local b
  for b in "${BINARIES[@]}"; do [[ -x "$BIN_DIR/$b" ]] || return 1; done
  [[ -f "$BIN_DIR/.stamp" && "$(cat "$BIN_DIR/.stamp")" == "$STAMP_WANT" ]]
}

go_env() {
  GO="$(find_go)"
  export GOMODCACHE="$KCACHE/gomod"
  export GOCACHE="$KCACHE/gocache"
  export GOFLAGS=-mod=mod
  export GOTOOLCHAIN=local
  export CGO_ENABLED=0
  export GOWORK=off
  mkdir -p "$GOMODCACHE" "$GOCACHE"
}

# Field of `go mod download -json` output, e.g. GoMod or Dir.
json_field() { sed -n "s/^[[:space:]]*\"$1\": \"\(.*\)\",\{0,1\}$/\1/p" | head -n 1; }

mod_file_of() { # mod_file_of <module@version> -> path of its go.mod in the module cache
  local out
  out="$(cd "$KCACHE" && "$GO" mod download -json "$1")" || die "go mod download $1 failed"
  printf '%s\n' "$out" | json_field GoMod
}

do_install() {
  if installed; then
    log "binaries cached in $BIN_DIR ($KUBE_K8S_VERSION, helm $KUBE_HELM_VERSION)"
    return 0
  fi
  mkdir -p "$KCACHE"
  exec 9>"$KCACHE/.install.lock"
  if ! flock -w 3600 9; then die "timed out waiting for another install (lock $KCACHE/.install.lock)"; fi
  if installed; then
    log "binaries cached in $BIN_DIR (installed by a concurrent run)"
    exec 9>&-
    return 0
  fi

  go_env
  local t0 t1 t2 t3
  t0="$(now)"
  log "installing into $KCACHE with $("$GO" env GOVERSION)"

  # 1. The wrapper module.
  local k8s="$KUBE_K8S_VERSION" k8s_mod staging_ver k8s_minor
  [[ "$k8s" =~ ^v1\.([0-9]+)\.([0-9]+)$ ]] || die "KUBE_K8S_VERSION must look like v1.Y.Z, got $k8s"
  k8s_minor="${BASH_REMATCH[1]}"
  staging_ver="v0.${BASH_REMATCH[1]}.${BASH_REMATCH[2]}"
  log "fetching k8s.io/kubernetes@$k8s go.mod"
  k8s_mod="$(mod_file_of "k8s.io/kubernetes@$k8s")"
  [[ -s "$k8s_mod" ]] || die "could not find the go.mod of k8s.io/kubernetes@$k8s"

  # Staging modules: replaced with ./staging/... in k8s' go.mod and required
  # there at v0.0.0. Each one gets pinned to its published v0.Y.Z tag.
  local replaces
  replaces="$(awk -v ver="$staging_ver" '
    $0 ~ /=> \.\/staging\// { for (i = 1; i <= NF; i++) if ($i == "=>") staging[$(i-1)] = 1 }
    /^require[[:space:]]*\(/ { inreq = 1; next }
    inreq && /^\)/ { inreq = 0; next }
    inreq && $2 == "v0.0.0" { req[$1] = 1 }
    /^require[[:space:]]+[^(]/ && $3 == "v0.0.0" { req[$2] = 1 }
    END { for (m in staging) if (m in req) printf "\t%s => %s %s\n", m, m, ver }
  ' "$k8s_mod" | sort)"
  [[ -n "$replaces" ]] || die "found no staging modules in $k8s_mod"
  log "pinning $(grep -c . <<<"$replaces") staging modules to $staging_ver"

  local etcd_ver="${KUBE_ETCD_VERSION:-}"
  if [[ -z "$etcd_ver" ]]; then
    etcd_ver="$(awk '$1 == "go.etcd.io/etcd/server/v3" { print $2; exit }' "$k8s_mod")"
    [[ -n "$etcd_ver" ]] || die "k8s.io/kubernetes@$k8s does not require go.etcd.io/etcd/server/v3; set KUBE_ETCD_VERSION"
  fi
  local go_ver
  go_ver="$(awk '$1 == "go" { print $2; exit }' "$k8s_mod")"

  local wdir="$KCACHE/build/k8s-$k8s"
  rm -rf "$wdir"
  mkdir -p "$wdir"
  local line
  while IFS= read -r line; do
    case "$line" in
      @REPLACES@) printf '%s\n' "$replaces" ;;
      *) line="${line//@GO_VERSION@/$go_ver}"
         line="${line//@K8S_VERSION@/$k8s}"
         line="${line//@ETCD_VERSION@/$etcd_ver}"
         printf '%s\n' "$line" ;;
    esac
  done <"$HELPERS/wrapper.go.mod.in" >"$wdir/go.mod"

  local out="$KCACHE/bin.new"
  rm -rf "$out"
  mkdir -p "$out"

  # 2. helm, with its own go.mod (go install pkg@version), built in the
  #    background while step 3 runs: the two builds share almost no packages,
  #    and together they keep both cores busier than one after the other.
  local helm="$KUBE_HELM_VERSION" helm_mod cgo_ver hmaj=1 hmin=0 hflags helm_pid
  helm_mod="$(mod_file_of "helm.sh/helm/v3@$helm")"
  cgo_ver="$(awk '$1 == "k8s.io/client-go" { print $2; exit }' "$helm_mod")"
  if [[ "$cgo_ver" =~ ^v0\.([0-9]+)\. ]]; then hmin="${BASH_REMATCH[1]}"; fi
  # The same -X flags as helm's own Makefile (version, and the Kubernetes
  # version that `helm template` and `helm lint` assume).
  hflags="-s -w -X helm.sh/helm/v3/internal/version.version=$helm -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
  hflags+=" -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=$hmaj -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=$hmin"
  hflags+=" -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=$hmaj -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$hmin"
  log "building helm $helm (in the background, log: $KCACHE/build-helm.log)"
  t1="$(now)"
  (cd "$KCACHE" && GOFLAGS='' GOBIN="$out" exec "$GO" install -p 2 -trimpath -ldflags "$hflags" \
    "helm.sh/helm/v3/cmd/helm@$helm") >"$KCACHE/build-helm.log" 2>&1 &
  helm_pid=$!

  # 3. kube-apiserver, kubectl and etcd in one build (shared compile).
  local vpkg ldflags="-s -w" kv
  for vpkg in k8s.io/client-go/pkg/version k8s.io/component-base/version; do
    for kv in "gitVersion=$k8s" "gitMajor=1" "gitMinor=$k8s_minor" "gitTreeState=clean" \
              "buildDate=1970-01-01T00:00:00Z"; do
      ldflags+=" -X $vpkg.$kv"
    done
  done
  local pkgs=() c
  for c in "${KUBE_CMDS[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$c"); done
  log "building ${KUBE_CMDS[*]} ($k8s) and etcd ($etcd_ver): a cold build takes about 14 minutes on 2 cores"
  if ! (cd "$wdir" && exec "$GO" build -p 2 -trimpath -tags "$KUBE_BUILD_TAGS" -ldflags "$ldflags" -o "$out/" \
        "${pkgs[@]}" go.etcd.io/etcd/server/v3) \
        >"$KCACHE/build.log" 2>&1; then
    kill "$helm_pid" 2>/dev/null || true
    wait "$helm_pid" 2>/dev/null || true
    log_tail "$KCACHE/build.log"
    die "go build of the Kubernetes binaries failed (full log: $KCACHE/build.log)"
  fi
  # `go build` names go.etcd.io/etcd/server/v3's binary after "server" (or "v3").
  if [[ -x "$out/server" ]]; then mv "$out/server" "$out/etcd"
  elif [[ -x "$out/v3" ]]; then mv "$out/v3" "$out/etcd"; fi
  t2="$(now)"
  log "built ${KUBE_CMDS[*]} and etcd in $((t2 - t1))s"
  if ! wait "$helm_pid"; then
    log_tail "$KCACHE/build-helm.log"
    die "go install of helm $helm failed (full log: $KCACHE/build-helm.log)"
  fi
  t3="$(now)"
  log "helm done $((t3 - t2))s later"

  # 4. Check and publish.
  local b
  for b in "${BINARIES[@]}"; do
    [[ -x "$out/$b" ]] || die "build produced no $b in $out"
  done
  "$out/kube-apiserver" --version >/dev/null 2>&1 || die "built kube-apiserver does not run"
  "$out/etcd" --version >/dev/null 2>&1 || die "built etcd does not run"
  "$out/kubectl" version --client >/dev/null 2>&1 || die "built kubectl does not run"
  "$out/helm" version --short >/dev/null 2>&1 || die "built helm does not run"
  printf '%s\n' "$STAMP_WANT" >"$out/.stamp"
  rm -rf "$BIN_DIR.old"
  if [[ -d "$BIN_DIR" ]]; then mv "$BIN_DIR" "$BIN_DIR.old"; fi
  mv "$out" "$BIN_DIR"
  rm -rf "$BIN_DIR.old"
  # The build cache (~3 GB) only speeds up a rebuild after a version bump;
  # the module cache (~0.9 GB) is kept so that one needs no downloads.
  if [[ "${CHAT4ALL_KUBE_KEEP_GOCACHE:-0}" != 1 ]]; then
    rm -rf "$GOCACHE"
  fi
  exec 9>&-

  log "installed in $(( $(now) - t0 ))s: $("$BIN_DIR/kube-apiserver" --version), etcd $("$BIN_DIR/etcd" --version | awk '/etcd Version/ { print $3 }'), helm $("$BIN_DIR/helm" version --short)"
  log "binaries: $(cd "$BIN_DIR" && du -sh -- "${BINARIES[@]}" | awk '{ printf "%s %s  ", $2, $1 }')"
}

# ---------------------------------------------------------------- processes

pid_of() { # pid_of <name>: the recorded pid if that process is still our binary
  local f="$STATE/$1.pid" pid exe
  [[ -s "$f" ]] || return 1
  pid="$(cat "$f")"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [[ -r "/proc/$pid/cmdline" ]] || return 1
  exe="$(tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | head -n 1)" || return 1
  [[ "$exe" == "$BIN_DIR/$1" ]] || return 1
  printf '%s\n' "$pid"
}

kctl() { "$BIN_DIR/kubectl" --kubeconfig "$KUBECONFIG_FILE" "$@"; }

etcd_healthy() { curl -fsS --max-time 2 "$ETCD_URL/health" 2>/dev/null | grep -q '"health":"true"'; }

api_ready() {
  [[ -s "$CERTS/admin.crt" ]] || return 1
  [[ "$(curl -sS --max-time 3 --cacert "$CERTS/ca.crt" --cert "$CERTS/admin.crt" \
        --key "$CERTS/admin.key" "$API_URL/readyz" 2>/dev/null)" == "ok" ]]
}

port_in_use() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }

start_detached() { # start_detached <name> <args...>: own session, pid file, log file
  local name="$1"; shift
  local pidf="$STATE/$name.pid" logf="$LOGS/$name.log"
  rm -f "$pidf"
  : >"$logf"
  # The inner shell records its own pid and then execs the binary in place,
  # so the pid file always names the server process itself.
  # It also closes every inherited descriptor above 2, so that a caller
  # waiting for EOF on a pipe of its own is not held open by the server.
  # shellcheck disable=SC2016 # expanded by the inner shell
  setsid bash -c '
    for fd in /proc/$$/fd/*; do
      fd="${fd##*/}"; if (( fd > 2 )); then exec {fd}>&-; fi
    done
    echo $$ >"$1"; shift; exec "$@"' kube-start "$pidf" "$BIN_DIR/$name" "$@" \
    </dev/null >>"$logf" 2>&1 &
  local deadline=$(( $(now) + 5 ))
  until [[ -s "$pidf" ]]; do
    (( $(now) < deadline )) || { log_tail "$logf"; die "$name did not start"; }
    sleep 0.05
  done
}

wait_for() { # wait_for <name> <timeout-s> <check-fn> <what>
  local name="$1" timeout="$2" check="$3" what="$4"
  local deadline=$(( $(now) + timeout ))
  while ! "$check"; do
    if ! pid_of "$name" >/dev/null; then
      log_tail "$LOGS/$name.log"
      die "$name exited before it was $what (log: $LOGS/$name.log)"
    fi
    if (( $(now) >= deadline )); then
      log_tail "$LOGS/$name.log"
      die "$name was not $what within ${timeout}s (log: $LOGS/$name.log)"
    fi
    sleep 0.2
  done
}

default_ns_ok() { kctl get namespace default -o name >/dev/null 2>&1; }

write_kubeconfig() {
  local tmp="$KUBECONFIG_FILE.tmp"
  cat >"$tmp" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: chat4all-local
  cluster:
    server: $API_URL
    certificate-authority-data: $(base64 -w0 "$CERTS/ca.crt")
users:
- name: chat4all-admin
  user:
    client-certificate-data: $(base64 -w0 "$CERTS/admin.crt")
    client-key-data: $(base64 -w0 "$CERTS/admin.key")
contexts:
- name: chat4all-local
  context:
    cluster: chat4all-local
    user: chat4all-admin
    namespace: default
current-context: chat4all-local
EOF
  chmod 600 "$tmp"
  mv -f "$tmp" "$KUBECONFIG_FILE"
}

do_up() {
  do_install
  mkdir -p "$STATE" "$LOGS"

  if pid_of etcd >/dev/null && pid_of kube-apiserver >/dev/null && etcd_healthy && api_ready \
     && [[ -s "$KUBECONFIG_FILE" ]]; then
    log "already up: $API_URL (KUBECONFIG=$KUBECONFIG_FILE)"
    return 0
  fi
  if pid_of etcd >/dev/null || pid_of kube-apiserver >/dev/null; then
    log "found a partial or unhealthy cluster, restarting it"
    do_down
  fi
  local p
  for p in "$ETCD_PORT" "$ETCD_PEER_PORT" "$API_PORT"; do
    if port_in_use "$p"; then
      die "port $HOST:$p is already in use by another process (see: ss -ltnp 'sport = :$p')"
    fi
  done

  local t0
  t0="$(now)"
  # A failed `up` stops whatever it started (the logs stay in $LOGS).
  trap 'if [[ "${UP_DONE:-0}" != 1 ]]; then log "up failed, stopping what it started"; do_down || true; fi' EXIT
  "$HELPERS/gen-certs.sh" "$CERTS" || die "certificate generation failed"
  write_kubeconfig

  if [[ "${CHAT4ALL_KEEP_DATA:-0}" != 1 ]]; then
    rm -rf "$STATE/etcd-data"
  fi
  mkdir -p "$STATE/etcd-data"
  chmod 700 "$STATE/etcd-data"

  log "starting etcd on $ETCD_URL"
  start_detached etcd \
    --name=chat4all \
    --data-dir="$STATE/etcd-data" \
    --listen-client-urls="$ETCD_URL" \
    --advertise-client-urls="$ETCD_URL" \
    --listen-peer-urls="http://$HOST:$ETCD_PEER_PORT" \
    --initial-advertise-peer-urls="http://$HOST:$ETCD_PEER_PORT" \
    --initial-cluster="chat4all=http://$HOST:$ETCD_PEER_PORT" \
    --initial-cluster-state=new \
    --unsafe-no-fsync=true \
    --log-level=warn
  wait_for etcd "$ETCD_START_TIMEOUT" etcd_healthy healthy

  log "starting kube-apiserver on $API_URL"
  start_detached kube-apiserver \
    --etcd-servers="$ETCD_URL" \
    --bind-address="$HOST" \
    --advertise-address="$HOST" \
    --secure-port="$API_PORT" \
    --cert-dir="$CERTS" \
    --tls-cert-file="$CERTS/apiserver.crt" \
    --tls-private-key-file="$CERTS/apiserver.key" \
    --client-ca-file="$CERTS/ca.crt" \
    --authorization-mode=RBAC \
    --service-account-issuer="$API_URL/" \
    --service-account-key-file="$CERTS/sa.pub" \
    --service-account-signing-key-file="$CERTS/sa.key" \
    --service-cluster-ip-range=10.0.0.0/24 \
    --allow-privileged=true \
    --disable-admission-plugins=ServiceAccount \
    --endpoint-reconciler-type=none \
    --profiling=false
  wait_for kube-apiserver "$API_START_TIMEOUT" api_ready ready
  # The apiserver creates the default namespace itself shortly after start.
  wait_for kube-apiserver 60 default_ns_ok "serving the default namespace"
  UP_DONE=1
  trap - EXIT

  log "up in $(( $(now) - t0 ))s: $API_URL, KUBECONFIG=$KUBECONFIG_FILE"
}

stop_one() { # stop_one <name>
  local name="$1" pid deadline
  if ! pid="$(pid_of "$name")"; then
    rm -f "$STATE/$name.pid"
    return 0
  fi
  log "stopping $name (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  deadline=$(( $(now) + STOP_TIMEOUT ))
  while kill -0 "$pid" 2>/dev/null; do
    if (( $(now) >= deadline )); then
      log "$name did not exit within ${STOP_TIMEOUT}s, sending KILL"
      kill -KILL "$pid" 2>/dev/null || true
      deadline=$(( $(now) + 10 ))
      while kill -0 "$pid" 2>/dev/null; do
        (( $(now) < deadline )) || die "$name (pid $pid) survived KILL"
        sleep 0.1
      done
      break
    fi
    sleep 0.1
  done
  rm -f "$STATE/$name.pid"
}

do_down() {
  stop_one kube-apiserver
  stop_one etcd
}

do_status() {
  local ok=0 pid
  if pid="$(pid_of etcd)"; then
    if etcd_healthy; then printf 'etcd            running  pid %-7s %s  healthy\n' "$pid" "$ETCD_URL"
    else printf 'etcd            running  pid %-7s %s  NOT healthy\n' "$pid" "$ETCD_URL"; ok=1; fi
  else
    printf 'etcd            stopped\n'; ok=1
  fi
  if pid="$(pid_of kube-apiserver)"; then
    if api_ready; then printf 'kube-apiserver  running  pid %-7s %s  ready\n' "$pid" "$API_URL"
    else printf 'kube-apiserver  running  pid %-7s %s  NOT ready\n' "$pid" "$API_URL"; ok=1; fi
  else
    printf 'kube-apiserver  stopped\n'; ok=1
  fi
  return "$ok"
}

do_env() {
  printf 'export KUBECONFIG=%q\n' "$KUBECONFIG_FILE"
  # shellcheck disable=SC2016 # $PATH is for the shell that evals this
  printf 'export PATH=%q:"$PATH"\n' "$BIN_DIR"
  printf 'export CHAT4ALL_KUBE_BIN=%q\n' "$BIN_DIR"
  printf 'export CHAT4ALL_KUBE_SERVER=%q\n' "$API_URL"
}

# up and down of one state dir never run at the same time (the servers close
# inherited descriptors, so they do not hold this lock).
lock_state() {
  mkdir -p "$STATE"
  exec 8>"$STATE/.lock"
  flock -w 300 8 || die "timed out waiting for another up/down on $STATE (lock $STATE/.lock)"
}

case "${1:-}" in
  install) do_install ;;
  up) lock_state; do_up ;;
  down) lock_state; do_down ;;
  status) do_status ;;
  env) do_env ;;
  *) echo "usage: $0 install|up|down|status|env" >&2; exit 2 ;;
esac
