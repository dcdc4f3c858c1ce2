# shellcheck shell=bash
# Redis 7.0 master + 1 replica + 3 Sentinels on 127.0.0.1 (sourced by scripts/services.sh).
#
# Binaries come from Debian's packages, downloaded once with `apt-get download` and
# unpacked with `dpkg -x` into $CACHE_DIR/redis (nothing is installed system-wide and
# no system redis service is started). Debian ships the one multi-call binary in
# redis-tools (redis-server and redis-sentinel are symlinks to it); our wrappers in
# $CACHE_DIR/redis/bin run it under the right name with the unpacked libraries.
#
# Ports (override with env vars): REDIS_PORT=16379 (initial master),
# REDIS_REPLICA_PORT=16380, REDIS_SENTINEL_PORTS="26391 26392 26393".
#
# Nodes: redis-1 starts as master, redis-2 as its replica. After a failover the roles
# swap; `status` shows the current role and `start redis` brings a stopped node back as
# a replica of whichever node the Sentinels say is master now.

REDIS_MASTER_NAME=mymaster
REDIS_HOME="$CACHE_DIR/redis"
REDIS_DIR="$STATE_ROOT/redis"
REDIS_DEB_PACKAGES=(redis-tools libjemalloc2 liblzf1)
# Libraries redis links against that a minimal Debian 12 may lack.
REDIS_MAYBE_MISSING=(libatomic1 libssl3 libsystemd0)

redis_load_ports() {
  REDIS_PORT_1=${REDIS_PORT:-16379}
  REDIS_PORT_2=${REDIS_REPLICA_PORT:-16380}
  # shellcheck disable=SC2206
  REDIS_SENTINEL_PORT_LIST=(${REDIS_SENTINEL_PORTS:-26391 26392 26393})
  # The ports of the last start win, so status/env/down agree with what runs.
  if [[ -f $REDIS_DIR/ports.env && ${1:-} != fresh ]]; then
    # shellcheck disable=SC1091
    source "$REDIS_DIR/ports.env"
  fi
  REDIS_NODES=(redis-1 redis-2)
  REDIS_SENTINELS=()
  local i
  for i in "${!REDIS_SENTINEL_PORT_LIST[@]}"; do REDIS_SENTINELS+=("sentinel-$((i + 1))"); done
}

redis_save_ports() {
  mkdir -p "$REDIS_DIR"
  {
    printf 'REDIS_PORT_1=%s\nREDIS_PORT_2=%s\n' "$REDIS_PORT_1" "$REDIS_PORT_2"
    printf 'REDIS_SENTINEL_PORT_LIST=(%s)\n' "${REDIS_SENTINEL_PORT_LIST[*]}"
  } >"$REDIS_DIR/ports.env"
}

# redis_port_of NODE
redis_port_of() {
  case $1 in
    redis-1) printf '%s' "$REDIS_PORT_1" ;;
    redis-2) printf '%s' "$REDIS_PORT_2" ;;
    sentinel-*) printf '%s' "${REDIS_SENTINEL_PORT_LIST[$((${1#sentinel-} - 1))]}" ;;
    *) die "unknown redis node $1" ;;
  esac
}

redis_pidfile() { printf '%s' "$REDIS_DIR/$1/$1.pid"; }
redis_logfile() { printf '%s' "$REDIS_DIR/$1/$1.log"; }
# Redis rewrites its process title to "redis-server 127.0.0.1:PORT ..."
redis_marker() { printf '%s:%s' "$BIND_HOST" "$(redis_port_of "$1")"; }
# redis_label NODE: the name shown by status/logs (redis-1, redis-sentinel-1, ...).
redis_label() { [[ $1 == sentinel-* ]] && printf 'redis-%s' "$1" || printf '%s' "$1"; }
redis_node_pid() { running_pid "$(redis_pidfile "$1")" "$(redis_marker "$1")"; }

# rcli PORT ARGS...: redis-cli with a hard time limit (a paused server must not hang us).
rcli() {
  local port=$1
  shift
  timeout 3 "$REDIS_HOME/bin/redis-cli" -h "$BIND_HOST" -p "$port" "$@" 2>/dev/null
}

# ---------------------------------------------------------------- install

redis_installed() {
  [[ -f $REDIS_HOME/.complete && -x $REDIS_HOME/bin/redis-server && -x $REDIS_HOME/bin/redis-cli ]]
}

redis_install() {
  redis_installed && return 0
  if ! command -v apt-get >/dev/null || ! command -v dpkg >/dev/null; then
    die "redis: apt-get and dpkg are needed to fetch Debian's redis packages"
  fi
  local start pkgs p tmp root dllog missing
  start=$(now)
  pkgs=("${REDIS_DEB_PACKAGES[@]}")
  for p in "${REDIS_MAYBE_MISSING[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || pkgs+=("$p")
  done
  log "redis: downloading Debian packages ${pkgs[*]} (first use; cache $REDIS_HOME)"
  mkdir -p "$REDIS_HOME"
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/chat4all-redis.XXXXXX")
  chmod 777 "$tmp" # apt's download sandbox user must be able to write here
  dllog="$REDIS_HOME/apt-download.log"
  if ! (cd "$tmp" && apt-get download "${pkgs[@]}") >"$dllog" 2>&1; then
    log "redis: package not found in apt's lists; running apt-get update"
    if ! apt-get update >>"$dllog" 2>&1 || ! (cd "$tmp" && apt-get download "${pkgs[@]}") >>"$dllog" 2>&1; then
      show_log_tail "$dllog"
      rm -rf "$tmp"
      die "redis: could not download ${pkgs[*]} (apt-get update needs root)"
    fi
  fi
  root="$REDIS_HOME/root.tmp.$$"
  rm -rf "$root" "$REDIS_HOME/bin.tmp.$$"
  for p in "$tmp"/*.deb; do dpkg -x "$p" "$root"; done
  mkdir -p "$REDIS_HOME/debs" && mv -f "$tmp"/*.deb "$REDIS_HOME/debs/" && rm -rf "$tmp"
  [[ -x $root/usr/bin/redis-check-rdb ]] || die "redis: redis-tools did not contain usr/bin/redis-check-rdb"
  rm -rf "$REDIS_HOME/root" && mv "$root" "$REDIS_HOME/root"

  mkdir -p "$REDIS_HOME/bin"
  # Debian's redis-server is a symlink to redis-check-rdb: the binary picks its mode
  # from argv[0], hence `exec -a`.
  local name target
  for name in redis-server redis-sentinel redis-cli; do
    target=redis-check-rdb
    [[ $name == redis-cli ]] && target=redis-cli
    cat >"$REDIS_HOME/bin/$name" <<EOF
#!/usr/bin/env bash
# Generated by scripts/services/redis.sh: runs Debian's $name unpacked in the cache.
root=\$(cd "\$(dirname "\${BASH_SOURCE[0]}")/../root" && pwd)
libs=
for d in "\$root"/usr/lib/*-linux-gnu "\$root"/lib/*-linux-gnu; do [[ -d \$d ]] && libs="\$libs\${libs:+:}\$d"; done
export LD_LIBRARY_PATH="\$libs\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}"
exec -a $name "\$root/usr/bin/$target" "\$@"
EOF
    chmod +x "$REDIS_HOME/bin/$name"
  done
  missing=$(
    libs=$(printf '%s:' "$REDIS_HOME"/root/usr/lib/*-linux-gnu)
    LD_LIBRARY_PATH="$libs" ldd "$REDIS_HOME/root/usr/bin/redis-check-rdb" | grep 'not found' || true
  )
  [[ -z $missing ]] || die "redis: unresolved libraries: $missing"
  "$REDIS_HOME/bin/redis-server" --version >/dev/null || die "redis: the unpacked redis-server does not run"
  printf '%s\n' "$("$REDIS_HOME/bin/redis-server" --version)" >"$REDIS_HOME/.complete"
  log "redis: installed $("$REDIS_HOME/bin/redis-server" --version | awk '{ print $3 }') ($(elapsed "$start")s)"
}

# ---------------------------------------------------------------- topology

# redis_sentinel_master: print the master port as the first answering Sentinel sees it.
redis_sentinel_master() {
  local s port addr
  for s in "${REDIS_SENTINELS[@]}"; do
    port=$(redis_port_of "$s")
    addr=$(rcli "$port" SENTINEL get-master-addr-by-name "$REDIS_MASTER_NAME" | tr '\n' ' ') || continue
    read -r _ port <<<"$addr"
    if [[ $port =~ ^[0-9]+$ ]]; then
      printf '%s' "$port"
      return 0
    fi
  done
  return 1
}

# redis_role PORT: master|slave|... from INFO replication.
redis_role() {
  rcli "$1" INFO replication | tr -d '\r' | awk -F: '$1 == "role" { print $2 }'
}

# redis_current_master: the Sentinels' answer, else a running node that says it is
# master, else the configured one.
redis_current_master() {
  local port n
  if port=$(redis_sentinel_master); then
    printf '%s' "$port"
    return 0
  fi
  for n in "${REDIS_NODES[@]}"; do
    port=$(redis_port_of "$n")
    if redis_node_pid "$n" >/dev/null && [[ $(redis_role "$port") == master ]]; then
      printf '%s' "$port"
      return 0
    fi
  done
  printf '%s' "$REDIS_PORT_1"
}

# ---------------------------------------------------------------- start / wait

redis_start_node() { # NODE MASTER_PORT
  local node=$1 master=$2 dir port args
  dir="$REDIS_DIR/$node"
  port=$(redis_port_of "$node")
  mkdir -p "$dir/data"
  require_port_free "redis $node" "$port"
  args=(--port "$port" --bind "$BIND_HOST" --daemonize no --save '' --appendonly no
    --dir "$dir/data" --enable-debug-command local --protected-mode no)
  if [[ $port != "$master" ]]; then
    args+=(--replicaof "$BIND_HOST" "$master")
    log "redis: starting $node on $port (replica of $master)"
  else
    log "redis: starting $node on $port (master)"
  fi
  spawn "$(redis_pidfile "$node")" "$(redis_logfile "$node")" "$REDIS_HOME/bin/redis-server" "${args[@]}"
}

redis_start_sentinel() { # NODE MASTER_PORT
  local node=$1 master=$2 dir port
  dir="$REDIS_DIR/$node"
  port=$(redis_port_of "$node")
  mkdir -p "$dir"
  require_port_free "redis $node" "$port"
  # Sentinel rewrites its config file, so each one gets its own, written fresh here.
  cat >"$dir/sentinel.conf" <<EOF
port $port
bind $BIND_HOST
protected-mode no
daemonize no
dir $dir
sentinel monitor $REDIS_MASTER_NAME $BIND_HOST $master 2
sentinel down-after-milliseconds $REDIS_MASTER_NAME 1000
sentinel failover-timeout $REDIS_MASTER_NAME 5000
sentinel parallel-syncs $REDIS_MASTER_NAME 1
EOF
  log "redis: starting $node on $port (monitoring $master)"
  spawn "$(redis_pidfile "$node")" "$(redis_logfile "$node")" \
    "$REDIS_HOME/bin/redis-server" "$dir/sentinel.conf" --sentinel
}

# redis_launch MODE: MODE=up wipes data dirs of stopped nodes (unless
# CHAT4ALL_KEEP_DATA=1); MODE=start keeps them. Running nodes are left alone.
redis_launch() {
  local mode=$1 master n any_running=0 pid
  redis_install
  redis_load_ports
  for n in "${REDIS_NODES[@]}" "${REDIS_SENTINELS[@]}"; do
    redis_node_pid "$n" >/dev/null && any_running=1
  done
  if ((any_running == 0)); then
    redis_load_ports fresh
    redis_save_ports
  fi
  master=$(redis_current_master)
  REDIS_LAUNCH_START=$(now)
  for n in "${REDIS_NODES[@]}"; do
    if pid=$(redis_node_pid "$n"); then
      log "redis: $n already running (pid $pid)"
      continue
    fi
    if [[ $mode == up ]]; then
      wipe_data_unless_kept "$REDIS_DIR/$n/data"
      rotate_logs "$(redis_logfile "$n")"
    fi
    redis_start_node "$n" "$master"
  done
  # Sentinels start once the master answers, so their first INFO already lists the replica.
  for n in "${REDIS_NODES[@]}"; do
    if [[ $(redis_port_of "$n") == "$master" ]]; then
      wait_until "redis $n" 20 "$(redis_node_pid "$n" || true)" "$(redis_logfile "$n")" redis_check_ping "$master"
    fi
  done
  for n in "${REDIS_SENTINELS[@]}"; do
    if pid=$(redis_node_pid "$n"); then
      log "redis: $n already running (pid $pid)"
      continue
    fi
    [[ $mode == up ]] && rotate_logs "$(redis_logfile "$n")"
    redis_start_sentinel "$n" "$master"
  done
}

redis_check_ping() { [[ $(rcli "$1" PING) == PONG ]]; }

redis_check_replica() { # PORT: a replica whose link to its master is up
  local info
  info=$(rcli "$1" INFO replication | tr -d '\r') || return 1
  grep -qx 'role:slave' <<<"$info" && grep -qx 'master_link_status:up' <<<"$info"
}

redis_check_sentinel() { # PORT MASTER_PORT NREPLICAS NOTHERS
  local port=$1 master=$2 nrep=$3 nothers=$4 out addr ok_replicas others
  out=$(rcli "$port" SENTINEL CKQUORUM "$REDIS_MASTER_NAME") || return 1
  [[ $out == OK* ]] || return 1
  addr=$(rcli "$port" SENTINEL get-master-addr-by-name "$REDIS_MASTER_NAME" | tr '\n' ' ')
  [[ $addr == "$BIND_HOST $master " ]] || return 1
  # replicas this Sentinel knows and sees healthy (flags exactly "slave")
  ok_replicas=$(rcli "$port" SENTINEL REPLICAS "$REDIS_MASTER_NAME" |
    awk 'prev == "flags" && $0 == "slave" { n++ } { prev = $0 } END { print n + 0 }')
  ((ok_replicas >= nrep)) || return 1
  others=$(rcli "$port" SENTINEL MASTER "$REDIS_MASTER_NAME" |
    awk 'prev == "num-other-sentinels" { print; exit } { prev = $0 }')
  ((${others:-0} >= nothers))
}

redis_wait() {
  local n port master start=${REDIS_LAUNCH_START:-$(now)}
  redis_load_ports
  master=$(redis_current_master)
  for n in "${REDIS_NODES[@]}"; do
    port=$(redis_port_of "$n")
    wait_until "redis $n" 20 "$(redis_node_pid "$n" || true)" "$(redis_logfile "$n")" redis_check_ping "$port"
    if [[ $port != "$master" ]]; then
      wait_until "redis $n (replication link)" 30 "$(redis_node_pid "$n" || true)" "$(redis_logfile "$n")" \
        redis_check_replica "$port"
    fi
  done
  for n in "${REDIS_SENTINELS[@]}"; do
    port=$(redis_port_of "$n")
    wait_until "redis $n (CKQUORUM $REDIS_MASTER_NAME)" 40 "$(redis_node_pid "$n" || true)" "$(redis_logfile "$n")" \
      redis_check_sentinel "$port" "$master" $((${#REDIS_NODES[@]} - 1)) $((${#REDIS_SENTINELS[@]} - 1))
  done
  log "redis: ready in $(elapsed "$start")s (master 127.0.0.1:$master, replica up, ${#REDIS_SENTINELS[@]} sentinels agree, CKQUORUM OK)"
}

# ---------------------------------------------------------------- stop / status / env

redis_stop() {
  local n
  redis_load_ports
  # Sentinels first, so they do not fail over while the data nodes go down.
  for n in "${REDIS_SENTINELS[@]}" "${REDIS_NODES[@]}"; do
    stop_pidfile "redis $n" "$(redis_pidfile "$n")" "$(redis_marker "$n")" 10
  done
}

redis_status() {
  local n pid port role master
  redis_load_ports
  for n in "${REDIS_NODES[@]}"; do
    port=$(redis_port_of "$n")
    if pid=$(redis_node_pid "$n"); then
      role=$(redis_role "$port" || true)
      [[ $role == slave ]] && role=replica
      status_line "$(redis_label "$n")" running "$pid" "$port" "role=${role:-?} rss=$(rss_of "$pid")"
    else
      status_line "$(redis_label "$n")" stopped "" "$port"
    fi
  done
  for n in "${REDIS_SENTINELS[@]}"; do
    port=$(redis_port_of "$n")
    if pid=$(redis_node_pid "$n"); then
      master=$(rcli "$port" SENTINEL get-master-addr-by-name "$REDIS_MASTER_NAME" | tr '\n' ':' || true)
      status_line "$(redis_label "$n")" running "$pid" "$port" "master=${master%:} rss=$(rss_of "$pid")"
    else
      status_line "$(redis_label "$n")" stopped "" "$port"
    fi
  done
}

redis_env() {
  local s list=()
  redis_load_ports
  # The configured master (redis-1), not the current one: tests compare against it to
  # restore the topology after a failover (SENTINEL FAILOVER back).
  for s in "${REDIS_SENTINEL_PORT_LIST[@]}"; do list+=("$BIND_HOST:$s"); done
  printf 'export REDIS_URL=redis://%s:%s\n' "$BIND_HOST" "$REDIS_PORT_1"
  printf 'export REDIS_SENTINELS=%s\n' "$(
    IFS=,
    echo "${list[*]}"
  )"
  printf 'export REDIS_SENTINEL_NAME=%s\n' "$REDIS_MASTER_NAME"
}

# redis_kill_master [--wait]: SIGKILL the node the Sentinels currently call master.
redis_kill_master() {
  local wait=${1:-} master n pid victim="" infopid start newmaster
  redis_load_ports
  master=$(redis_sentinel_master) || die "redis: no Sentinel answers; is redis up?"
  for n in "${REDIS_NODES[@]}"; do
    [[ $(redis_port_of "$n") == "$master" ]] && victim=$n
  done
  [[ -n $victim ]] || die "redis: the Sentinels' master 127.0.0.1:$master is not one of our nodes"
  pid=$(redis_node_pid "$victim") || die "redis: master $victim (port $master) is not running (failover still in progress?)"
  infopid=$(rcli "$master" INFO server | tr -d '\r' | awk -F: '$1 == "process_id" { print $2 }')
  [[ -z $infopid || $infopid == "$pid" ]] || die "redis: port $master answers as pid $infopid, pid file says $pid"
  kill -KILL "$pid"
  start=$(now)
  echo "redis: killed master $victim 127.0.0.1:$master (pid $pid) with SIGKILL"
  if [[ $wait == --wait ]]; then
    local deadline=$((SECONDS + 30))
    while :; do
      newmaster=$(redis_sentinel_master || true)
      if [[ -n $newmaster && $newmaster != "$master" ]]; then
        echo "redis: sentinels promoted 127.0.0.1:$newmaster after $(elapsed "$start")s"
        return 0
      fi
      ((SECONDS < deadline)) || die "redis: no failover within 30s"
      sleep 0.2
    done
  fi
}
