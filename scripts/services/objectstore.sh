# shellcheck shell=bash
# The object store for attachments: Versity's S3 gateway (versitygw, Apache-2.0) on 127.0.0.1, its
# POSIX backend storing each object as a file (sourced by scripts/services.sh).
#
# Binary: built once from the Go module proxy with `go install` (static, CGO off) into
# $CACHE_DIR/objectstore/versitygw-$VERSITYGW_VERSION; the cluster's image copies the same binary.
# Object metadata lives in a sidecar directory, so the data directory needs no extended attributes.
# Readiness: the gateway's health path answers and an authenticated ListBuckets succeeds.
#
# Port (override with the env var): OBJECTSTORE_PORT=19070. Credentials (tests only):
# OBJECTSTORE_ACCESS_KEY / OBJECTSTORE_SECRET_KEY, default chat4all / chat4all-object-store-secret.

VERSITYGW_VERSION=v1.8.0
OBJECTSTORE_HOME="$CACHE_DIR/objectstore"
OBJECTSTORE_DIR="$STATE_ROOT/objectstore"
OBJECTSTORE_ACCESS_KEY=${OBJECTSTORE_ACCESS_KEY:-chat4all}
OBJECTSTORE_SECRET_KEY=${OBJECTSTORE_SECRET_KEY:-chat4all-object-store-secret}
OBJECTSTORE_HEALTH_PATH=/healthz

objectstore_load_ports() {
  OBJECTSTORE_LISTEN_PORT=${OBJECTSTORE_PORT:-19070}
  if [[ -f $OBJECTSTORE_DIR/ports.env && ${1:-} != fresh ]]; then
    # shellcheck disable=SC1091
    source "$OBJECTSTORE_DIR/ports.env"
  fi
}

objectstore_binary() { printf '%s' "$OBJECTSTORE_HOME/versitygw-$VERSITYGW_VERSION"; }
objectstore_pidfile() { printf '%s' "$OBJECTSTORE_DIR/objectstore.pid"; }
objectstore_marker() { printf '%s' "$OBJECTSTORE_DIR/data"; }
objectstore_pid() { running_pid "$(objectstore_pidfile)" "$(objectstore_marker)"; }
objectstore_logfile() { printf '%s' "$OBJECTSTORE_DIR/objectstore.log"; }

# ---------------------------------------------------------------- install

objectstore_install() {
  local bin tmp start
  bin=$(objectstore_binary)
  [[ -x $bin ]] && return 0
  command -v go >/dev/null || die "objectstore: go is not on PATH (needed once, to build versitygw)"
  start=$(now)
  log "objectstore: building versitygw $VERSITYGW_VERSION with go install (first use; cache $OBJECTSTORE_HOME)"
  mkdir -p "$OBJECTSTORE_HOME"
  tmp="$OBJECTSTORE_HOME/build.$$"
  rm -rf "$tmp"
  if ! GOBIN="$tmp" CGO_ENABLED=0 GOFLAGS=-trimpath go install -ldflags='-s -w' \
    "github.com/versity/versitygw/cmd/versitygw@$VERSITYGW_VERSION" >"$OBJECTSTORE_HOME/build.log" 2>&1; then
    show_log_tail "$OBJECTSTORE_HOME/build.log"
    rm -rf "$tmp"
    die "objectstore: could not build versitygw $VERSITYGW_VERSION (log: $OBJECTSTORE_HOME/build.log)"
  fi
  mv -f "$tmp/versitygw" "$bin"
  rm -rf "$tmp"
  log "objectstore: versitygw $VERSITYGW_VERSION built ($(elapsed "$start")s)"
}

# ---------------------------------------------------------------- start / wait

# objectstore_launch MODE: MODE=up starts with no objects (unless CHAT4ALL_KEEP_DATA=1), start keeps them.
objectstore_launch() {
  local mode=$1 pid d=$OBJECTSTORE_DIR
  objectstore_install
  objectstore_load_ports
  if pid=$(objectstore_pid); then
    log "objectstore: already running (pid $pid)"
    return 0
  fi
  objectstore_load_ports fresh
  mkdir -p "$d"
  printf 'OBJECTSTORE_LISTEN_PORT=%s\n' "$OBJECTSTORE_LISTEN_PORT" >"$d/ports.env"
  require_port_free objectstore "$OBJECTSTORE_LISTEN_PORT"
  if [[ $mode == up ]]; then
    wipe_data_unless_kept "$d/data" "$d/meta"
    rotate_logs "$(objectstore_logfile)"
  fi
  mkdir -p "$d/data" "$d/meta"
  log "objectstore: starting versitygw on $BIND_HOST:$OBJECTSTORE_LISTEN_PORT"
  ROOT_ACCESS_KEY_ID=$OBJECTSTORE_ACCESS_KEY ROOT_SECRET_ACCESS_KEY=$OBJECTSTORE_SECRET_KEY \
    spawn "$(objectstore_pidfile)" "$(objectstore_logfile)" \
    "$(objectstore_binary)" --port "$BIND_HOST:$OBJECTSTORE_LISTEN_PORT" --health "$OBJECTSTORE_HEALTH_PATH" --quiet \
    posix --sidecar "$d/meta" "$d/data"
}

# objectstore_signed_list: an authenticated ListBuckets (AWS signature v4 by curl) answers 200.
objectstore_signed_list() {
  curl -fsS -o /dev/null --max-time 3 --aws-sigv4 'aws:amz:us-east-1:s3' \
    -H "x-amz-content-sha256: $(printf '' | sha256sum | cut -d' ' -f1)" --user "$OBJECTSTORE_ACCESS_KEY:$OBJECTSTORE_SECRET_KEY" "http://$BIND_HOST:$OBJECTSTORE_LISTEN_PORT/"
}

objectstore_ready() {
  curl -fsS -o /dev/null --max-time 2 "http://$BIND_HOST:$OBJECTSTORE_LISTEN_PORT$OBJECTSTORE_HEALTH_PATH" && objectstore_signed_list
}

objectstore_wait() {
  local pid start
  start=$(now)
  objectstore_load_ports
  pid=$(objectstore_pid) || {
    show_log_tail "$(objectstore_logfile)"
    die "objectstore: not running"
  }
  wait_until objectstore "${OBJECTSTORE_READY_TIMEOUT:-30}" "$pid" "$(objectstore_logfile)" objectstore_ready
  log "objectstore: ready in $(elapsed "$start")s"
}

# ---------------------------------------------------------------- stop / status / env

objectstore_stop() {
  objectstore_load_ports
  stop_pidfile objectstore "$(objectstore_pidfile)" "$(objectstore_marker)" 10
}

objectstore_status() {
  local pid
  objectstore_load_ports
  if pid=$(objectstore_pid); then
    status_line objectstore running "$pid" "$OBJECTSTORE_LISTEN_PORT" "versitygw $VERSITYGW_VERSION rss=$(rss_of "$pid")"
  else
    status_line objectstore stopped "" "$OBJECTSTORE_LISTEN_PORT" "versitygw $VERSITYGW_VERSION"
  fi
}

objectstore_env() {
  objectstore_load_ports
  printf 'export S3_ENDPOINT=http://%s:%s\n' "$BIND_HOST" "$OBJECTSTORE_LISTEN_PORT"
  printf 'export S3_ACCESS_KEY_ID=%s\n' "$OBJECTSTORE_ACCESS_KEY"
  printf 'export S3_SECRET_ACCESS_KEY=%s\n' "$OBJECTSTORE_SECRET_KEY"
}
