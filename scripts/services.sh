#!/usr/bin/env bash
# Real servers for the integration tests, as plain processes on 127.0.0.1:
#   redis      Redis 7.0 master + 1 replica + 3 Sentinels (Debian packages)
#   kafka      Kafka 3.9 single node, KRaft (Maven Central)
#   cassandra  Cassandra 5.0 single node (Maven Central)
#   objectstore  an S3-compatible object store: versitygw (built with the Go module proxy)
#
# Usage: scripts/services.sh COMMAND [redis|kafka|cassandra|objectstore ...]   (no names = all)
#   up        install on first use, start what is not running (fresh data unless
#             CHAT4ALL_KEEP_DATA=1), wait until every server is truly ready
#   down      stop (SIGTERM, then SIGKILL after a timeout); keeps the logs
#   start     like up, but keeps the data dirs (e.g. `start kafka` after `stop kafka`)
#   stop      same as down
#   restart   stop, then start (data kept)
#   status    one line per server process: running/stopped, pid, port
#   env       `export` lines for the tests (eval "$(scripts/services.sh env)")
#   install   only download/build into the cache
#   kill redis-master [--wait]
#             SIGKILL the current master as the Sentinels report it
#             (--wait: also wait for and print the promoted replica)
#   redis-cli ARGS...     Redis's CLI from the cache (e.g. redis-cli -p 26391 PING)
#   kafka-topics ARGS...  Kafka's TopicCommand against the test broker (e.g. kafka-topics --list)
#   nodetool ARGS...      Cassandra's nodetool over the test node's loopback JMX port
#
# Cache: ${CHAT4ALL_CACHE:-$HOME/.cache/chat4all}; state: ${CHAT4ALL_STATE:-<repo>/.run}/services/.
# Ports: REDIS_PORT (16379) REDIS_REPLICA_PORT (16380) REDIS_SENTINEL_PORTS ("26391 26392 26393")
#        KAFKA_PORT (19092) KAFKA_CONTROLLER_PORT (19093)
#        CASSANDRA_PORT (19042) CASSANDRA_STORAGE_PORT (17000) CASSANDRA_JMX_PORT (17199)
#        OBJECTSTORE_PORT (19070)
#   read when a service starts from stopped and saved in its state dir, so later
#   status/env/down agree with what runs. Readiness deadlines: KAFKA_READY_TIMEOUT (90),
#   CASSANDRA_READY_TIMEOUT (180) seconds; heaps: KAFKA_HEAP_OPTS, CASSANDRA_HEAP_OPTS.
set -euo pipefail

# shellcheck source=services/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/services/lib.sh"
# shellcheck source=services/redis.sh
source "$SERVICES_LIB_DIR/redis.sh"
# shellcheck source=services/kafka.sh
source "$SERVICES_LIB_DIR/kafka.sh"
# shellcheck source=services/cassandra.sh
source "$SERVICES_LIB_DIR/cassandra.sh"
# shellcheck source=services/objectstore.sh
source "$SERVICES_LIB_DIR/objectstore.sh"

ALL_SERVICES=(redis kafka cassandra objectstore)

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '/^set -euo/d' -e 's/^# \{0,1\}//' >&2
  exit "${1:-2}"
}

# pick NAME...: validate names; set PICKED to them in the canonical order (all when none).
pick() {
  local n s want=()
  PICKED=()
  (($# > 0)) || set -- all
  for n in "$@"; do
    case $n in
      redis | kafka | cassandra | objectstore) want+=("$n") ;;
      all) want+=("${ALL_SERVICES[@]}") ;;
      *) die "unknown service '$n' (expected: ${ALL_SERVICES[*]})" ;;
    esac
  done
  for s in "${ALL_SERVICES[@]}"; do
    for n in "${want[@]}"; do
      if [[ $n == "$s" ]]; then
        PICKED+=("$s")
        break
      fi
    done
  done
}

# picked NAME: NAME is in PICKED.
picked() { [[ " ${PICKED[*]} " == *" $1 "* ]]; }

# take_locks: serialise commands that change the state of the PICKED services (two
# `up`s from parallel test runners), one lock per service so that e.g. `start redis`
# does not wait for another runner's Cassandra start-up. Taken in canonical order.
# fds 6/7/8/9 (see LOCK_FDS in lib.sh) are closed in every process we spawn.
take_locks() {
  local s fd file
  mkdir -p "$STATE_ROOT"
  command -v flock >/dev/null || return 0
  for s in "${PICKED[@]}"; do
    fd=${LOCK_FDS[$s]}
    file="$STATE_ROOT/.$s.lock"
    eval "exec $fd>\"\$file\""
    if ! flock -n "$fd"; then
      log "$s: waiting for another scripts/services.sh to finish (lock $file)"
      flock -w 600 "$fd" || die "$s: timed out waiting for the lock $file"
    fi
  done
}

cmd_up() { # MODE NAME...
  local mode=$1 s start
  shift
  pick "$@"
  take_locks
  start=$(now)
  for s in "${PICKED[@]}"; do "${s}_install"; done
  # Launch the slowest first so their start-ups overlap, then wait for each.
  for s in cassandra kafka redis objectstore; do
    if picked "$s"; then "${s}_launch" "$mode"; fi
  done
  # Wait for all of them at once; each wait has its own deadline.
  local pids=() failed=() i
  for s in "${PICKED[@]}"; do
    "${s}_wait" 6>&- 7>&- 8>&- 9>&- &
    pids+=("$!")
  done
  for i in "${!pids[@]}"; do
    wait "${pids[$i]}" || failed+=("${PICKED[$i]}")
  done
  ((${#failed[@]} == 0)) || die "not ready: ${failed[*]} (see the messages above; \`$0 down\` stops everything)"
  log "ready: ${PICKED[*]} ($(elapsed "$start")s)"
}

cmd_down() {
  local s
  pick "$@"
  take_locks
  for s in "${PICKED[@]}"; do "${s}_stop"; done
  log "stopped: ${PICKED[*]}"
}

main() {
  (($# >= 1)) || usage
  local cmd=$1 s
  shift
  case $cmd in
    up) cmd_up up "$@" ;;
    start) cmd_up start "$@" ;;
    down | stop) cmd_down "$@" ;;
    restart)
      cmd_down "$@"
      cmd_up start "$@"
      ;;
    status)
      pick "$@"
      for s in "${PICKED[@]}"; do "${s}_status"; done
      ;;
    env)
      pick "$@"
      for s in "${PICKED[@]}"; do "${s}_env"; done
      ;;
    install)
      pick "$@"
      take_locks
      for s in "${PICKED[@]}"; do "${s}_install"; done
      ;;
    kill)
      [[ ${1:-} == redis-master ]] || die "usage: scripts/services.sh kill redis-master [--wait]"
      shift
      pick redis
      take_locks
      redis_kill_master "$@"
      ;;
    redis-cli)
      redis_install
      exec "$REDIS_HOME/bin/redis-cli" "$@"
      ;;
    kafka-topics) kafka_topics "$@" ;;
    nodetool) cassandra_nodetool "$@" ;;
    -h | --help | help) usage 0 ;;
    *)
      log "unknown command '$cmd'"
      usage
      ;;
  esac
}

main "$@"
