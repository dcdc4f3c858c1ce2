# shellcheck shell=bash
# Shared helpers of scripts/cluster/*.sh (sourced, never run).
#
#   cache (binaries, image archives):  ${CHAT4ALL_CACHE:-$HOME/.cache/chat4all}/cluster/
#   state (engine, snapshots, logs):   ${CHAT4ALL_STATE:-<repo>/.run}/cluster/
#
# Versions of everything built or downloaded live in scripts/cluster/versions.sh.

CLUSTER_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$CLUSTER_LIB_DIR/../.." && pwd)
CACHE_ROOT=${CHAT4ALL_CACHE:-$HOME/.cache/chat4all}
CCACHE=$CACHE_ROOT/cluster
STATE_ROOT=${CHAT4ALL_STATE:-$REPO_ROOT/.run}
mkdir -p "$STATE_ROOT"
STATE_ROOT=$(cd "$STATE_ROOT" && pwd)
CSTATE=$STATE_ROOT/cluster
# shellcheck source=scripts/cluster/versions.sh
source "$CLUSTER_LIB_DIR/versions.sh"

log() { printf '[cluster] %s\n' "$*" >&2; }
warn() { printf '[cluster] WARNING: %s\n' "$*" >&2; }
die() {
  printf '[cluster] ERROR: %s\n' "$*" >&2
  exit 1
}
now() { date +%s; }

# log_tail FILE: the end of a log, to stderr.
log_tail() {
  [[ -s $1 ]] || return 0
  printf '[cluster] ---- last lines of %s ----\n' "$1" >&2
  tail -n "${2:-40}" "$1" >&2 || true
}

# with_lock NAME CMD...: run CMD holding $CCACHE/NAME.lock (one builder of a cache entry at a time).
with_lock() {
  local name=$1
  shift
  mkdir -p "$CCACHE"
  (
    flock -w 7200 9 || die "timed out waiting for $CCACHE/$name.lock"
    "$@"
  ) 9>"$CCACHE/$name.lock"
}

# need_debs PACKAGE...: install Debian packages that are missing (apt-get, as root).
need_debs() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  ((${#missing[@]} == 0)) && return 0
  [[ $(id -u) == 0 ]] || die "Debian packages missing: ${missing[*]} (install them as root)"
  log "installing Debian packages: ${missing[*]}"
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >"$CSTATE/apt.log" 2>&1; then
    apt-get update -q >>"$CSTATE/apt.log" 2>&1 || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >>"$CSTATE/apt.log" 2>&1 ||
      { log_tail "$CSTATE/apt.log"; die "apt-get install ${missing[*]} failed"; }
  fi
}

# find_go: the Go toolchain (go on PATH, CHAT4ALL_GO, or /usr/local/go).
find_go() {
  if [[ -n ${CHAT4ALL_GO:-} ]]; then echo "$CHAT4ALL_GO"; return; fi
  if command -v go >/dev/null 2>&1; then command -v go; return; fi
  if [[ -x /usr/local/go/bin/go ]]; then echo /usr/local/go/bin/go; return; fi
  die "no Go toolchain: put go on PATH, set CHAT4ALL_GO, or install Go at /usr/local/go"
}

# inputs_hash FILE...: a short digest of files' contents and the pinned versions, for cache keys.
inputs_hash() {
  { cat "$CLUSTER_LIB_DIR/versions.sh"; cat "$@"; } | sha256sum | cut -c1-16
}
