#!/usr/bin/env bash
# The Docker engine that builds Chat4All's images and runs its kind nodes.
#
#   scripts/cluster/docker.sh up       use the machine's engine if one answers; otherwise install
#                                      Debian's docker.io and start a private dockerd
#   scripts/cluster/docker.sh down     stop the private dockerd, remove its data, networks, bridges
#                                      and iptables chains: the host as it was before `up`
#   scripts/cluster/docker.sh env      `export DOCKER_HOST=... PATH=...` for the engine in use
#   scripts/cluster/docker.sh status   which engine, and whether it answers
#
# DOCKER_ENGINE chooses: `auto` (default: the machine's engine when `docker info` answers,
# else private), `system` (fail when it does not answer), `private` (always our own).
#
# The private engine: dockerd from Debian's docker.io, storage driver overlay2, iptables on, every
# path of its own under ${CHAT4ALL_STATE:-<repo>/.run}/cluster/docker (socket, data, exec root,
# pid), its bridge (docker0, 172.28.0.1/24) and address pool (172.29.0.0/16: kind's network) in
# ranges no interface of the machine uses.
# It runs containers through a runc wrapper that drops CAP_SYS_RESOURCE from each container's
# capabilities: `--privileged` (which kind's nodes need) asks for every capability, and a sandbox
# without CAP_SYS_RESOURCE refuses that. Debian's `docker` client (with BuildKit) is put first on
# PATH: a newer client without buildx cannot build.
set -euo pipefail
# shellcheck source=scripts/cluster/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DOCKER_ENGINE=${DOCKER_ENGINE:-auto}
DDIR=$CSTATE/docker
SOCK=$DDIR/docker.sock
PIDFILE=$DDIR/dockerd.pid
BIN=$DDIR/bin
HOST_SNAPSHOT=$CSTATE/host-before-docker
BIP=172.28.0.1/24
POOL=172.29.0.0/16

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '/^set -euo/d' -e 's/^# \{0,1\}//' >&2
  exit 2
}

private_pid() {
  [[ -s $PIDFILE ]] || return 1
  local pid
  pid=$(cat "$PIDFILE")
  [[ -r /proc/$pid/cmdline ]] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "dockerd .*$SOCK" && echo "$pid"
}

private_answers() { DOCKER_HOST=unix://$SOCK /usr/bin/docker info >/dev/null 2>&1; }

system_answers() {
  [[ -z ${DOCKER_HOST:-} || $DOCKER_HOST != "unix://$SOCK" ]] && command -v docker >/dev/null 2>&1 &&
    timeout 10 docker info >/dev/null 2>&1
}

# mode: which engine `env` and the other scripts use.
mode() {
  case $DOCKER_ENGINE in
    system) echo system ;;
    private) echo private ;;
    auto)
      if [[ -f $DDIR/mode ]]; then cat "$DDIR/mode"
      elif system_answers; then echo system
      else echo private; fi
      ;;
    *) die "DOCKER_ENGINE must be auto, system or private, got '$DOCKER_ENGINE'" ;;
  esac
}

write_runc_wrapper() {
  mkdir -p "$BIN"
  cat >"$BIN/runc-chat4all" <<'EOF'
#!/bin/sh
# runc, minus CAP_SYS_RESOURCE (which this sandbox lacks) in the capability sets of a container's
# process (`create`/`run`: the bundle's config.json) and of a process run in it (`exec --process`).
bundle=
process=
prev=
for a in "$@"; do
  case "$prev" in --bundle | -b) bundle=$a ;; --process | -p) process=$a ;; esac
  case "$a" in --bundle=*) bundle=${a#--bundle=} ;; --process=*) process=${a#--process=} ;; esac
  prev=$a
done
drop() { # drop FILE JQ-PATH
  jq -c "($2 // {}) |= with_entries(.value |= map(select(. != \"CAP_SYS_RESOURCE\")))" "$1" >"$1.chat4all" && mv "$1.chat4all" "$1"
}
if [ -n "$bundle" ] && [ -f "$bundle/config.json" ]; then drop "$bundle/config.json" .process.capabilities; fi
if [ -n "$process" ] && [ -f "$process" ]; then drop "$process" .capabilities; fi
exec /usr/bin/runc "$@"
EOF
  chmod 755 "$BIN/runc-chat4all"
  ln -sf /usr/bin/docker "$BIN/docker"
}

# snapshot_host: what `down` puts back (iptables, sysctls that dockerd and kubelet change, links),
# written whole or not at all: a snapshot that exists is complete, and is never overwritten.
snapshot_host() {
  [[ -d $HOST_SNAPSHOT ]] && return 0
  local tmp=$HOST_SNAPSHOT.tmp
  rm -rf "$tmp"
  mkdir -p "$tmp"
  iptables-save >"$tmp/iptables" 2>/dev/null || true
  ip6tables-save >"$tmp/ip6tables" 2>/dev/null || true
  sysctl -e vm.overcommit_memory kernel.panic kernel.panic_on_oops kernel.keys.root_maxkeys \
    kernel.keys.root_maxbytes kernel.keys.maxkeys kernel.keys.maxbytes net.ipv4.ip_forward \
    net.ipv6.conf.all.forwarding net.bridge.bridge-nf-call-iptables net.bridge.bridge-nf-call-ip6tables \
    fs.inotify.max_user_watches fs.inotify.max_user_instances 2>/dev/null |
    sed 's/ = /=/' >"$tmp/sysctl" || true
  ip -o link show | awk -F': ' '{ print $2 }' | cut -d@ -f1 | sort >"$tmp/links"
  mv "$tmp" "$HOST_SNAPSHOT"
}

# restore_table CMD SAVED: the table set of CMD (iptables or ip6tables) back to SAVED: chains and
# rules that were not there are removed, so nothing of Docker or kind remains.
restore_tables() {
  local cmd=$1 saved=$2 t family=ip
  [[ $cmd == ip6tables ]] && family=ip6
  # Policies first: setting one makes iptables-nft create the filter table, which may have to go.
  for t in INPUT FORWARD OUTPUT; do "$cmd" -P "$t" ACCEPT 2>/dev/null || true; done
  for t in filter nat mangle raw; do
    "$cmd" -t "$t" -F 2>/dev/null || true
    "$cmd" -t "$t" -X 2>/dev/null || true
    # A table the machine did not have goes altogether (iptables-nft keeps an empty one otherwise).
    if ! grep -q "^\*$t\$" "$saved" 2>/dev/null && "$cmd" --version 2>/dev/null | grep -q nf_tables; then
      nft delete table "$family" "$t" 2>/dev/null || true
    fi
  done
  [[ -s $saved ]] && "${cmd}-restore" <"$saved"
  return 0
}

restore_host() {
  [[ -d $HOST_SNAPSHOT ]] || return 0
  restore_tables iptables "$HOST_SNAPSHOT/iptables"
  restore_tables ip6tables "$HOST_SNAPSHOT/ip6tables"
  local kv
  if [[ -f $HOST_SNAPSHOT/sysctl ]]; then
    while IFS= read -r kv; do
      [[ -n $kv ]] && sysctl -q -w "$kv" >/dev/null 2>&1 || true
    done <"$HOST_SNAPSHOT/sysctl"
  fi
  rm -rf "$HOST_SNAPSHOT"
}

start_private() {
  if private_pid >/dev/null && private_answers; then
    log "private dockerd already runs (DOCKER_HOST=unix://$SOCK)"
    return 0
  fi
  need_debs docker.io containerd runc iptables nftables jq
  mkdir -p "$DDIR/data" "$DDIR/exec"
  write_runc_wrapper
  snapshot_host
  log "starting a private dockerd (data in $DDIR/data, log $DDIR/dockerd.log)"
  # A dockerd of its own needs a containerd of its own: --containerd is left unset, so dockerd
  # starts one under its exec root.
  # Its own session, and none of our descriptors: a lock held by this script (lib.sh's with_lock,
  # on descriptor 9) must not be held by the engine for as long as it runs.
  setsid /usr/sbin/dockerd \
    -H "unix://$SOCK" --data-root "$DDIR/data" --exec-root "$DDIR/exec" --pidfile "$PIDFILE" \
    --storage-driver overlay2 --iptables=true --ip-masq=true --userland-proxy=true \
    --bip "$BIP" --default-address-pool "base=$POOL,size=24" \
    --add-runtime "chat4all=$BIN/runc-chat4all" --default-runtime chat4all \
    --log-level warn </dev/null >"$DDIR/dockerd.log" 2>&1 9>&- &
  local deadline=$(($(now) + 60))
  until private_answers; do
    (($(now) < deadline)) || { log_tail "$DDIR/dockerd.log"; die "dockerd did not answer within 60 s"; }
    sleep 0.5
  done
  echo private >"$DDIR/mode"
  log "private dockerd up: $(DOCKER_HOST=unix://$SOCK /usr/bin/docker version -f '{{.Server.Version}}')"
}

stop_private() {
  local pid
  if pid=$(private_pid); then
    # Containers first (kind's nodes), so their mounts and veths go with them.
    local ids
    ids=$(DOCKER_HOST=unix://$SOCK /usr/bin/docker ps -aq 2>/dev/null || true)
    [[ -n $ids ]] && DOCKER_HOST=unix://$SOCK /usr/bin/docker rm -f -v $ids >/dev/null 2>&1 || true
    DOCKER_HOST=unix://$SOCK /usr/bin/docker network prune -f >/dev/null 2>&1 || true
    log "stopping the private dockerd (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    local deadline=$(($(now) + 60))
    while kill -0 "$pid" 2>/dev/null; do
      if (($(now) >= deadline)); then kill -KILL "$pid" 2>/dev/null || true; sleep 1; break; fi
      sleep 0.5
    done
  fi
  # What a killed engine can leave: its containerd, mounts under its directories, bridges.
  pkill -f "containerd --config $DDIR/exec" 2>/dev/null || true
  local m
  for m in $(awk -v d="$DDIR" '$2 ~ "^"d { print $2 }' /proc/mounts | sort -r); do umount -l "$m" 2>/dev/null || true; done
  # Bridges and veths that were not there before `up` (docker0, kind's network, containers' ends).
  local link
  if [[ -s $HOST_SNAPSHOT/links ]]; then
    for link in $(ip -o link show | awk -F': ' '{ print $2 }' | cut -d@ -f1 | sort | comm -13 "$HOST_SNAPSHOT/links" -); do
      case $(ip -d -o link show "$link" 2>/dev/null) in
        *" bridge "* | *" veth "* | *"link/ether"*" veth"*) ip link delete "$link" 2>/dev/null || true ;;
      esac
    done
  fi
  restore_host
  rm -rf "$DDIR"
}

do_env() {
  case $(mode) in
    private)
      printf 'export DOCKER_HOST=%q\n' "unix://$SOCK"
      # shellcheck disable=SC2016 # expanded by the shell that evals this
      printf 'export PATH=%q:"$PATH"\n' "$BIN"
      ;;
    system) : ;;
  esac
  printf 'export DOCKER_BUILDKIT=1\n'
}

case ${1:-} in
  up)
    case $(mode) in
      system) system_answers || die "DOCKER_ENGINE=system, but \`docker info\` does not answer"; log "using the machine's Docker engine" ;;
      private) start_private ;;
    esac
    ;;
  down) if [[ $(mode) == private ]]; then stop_private; else log "the machine's Docker engine is left running"; fi ;;
  env) do_env ;;
  status)
    if [[ $(mode) == private ]]; then
      if pid=$(private_pid) && private_answers; then echo "private dockerd running, pid $pid, DOCKER_HOST=unix://$SOCK"
      else echo "private dockerd stopped"; exit 1; fi
    else
      system_answers && echo "the machine's Docker engine answers" || { echo "the machine's Docker engine does not answer"; exit 1; }
    fi
    ;;
  *) usage ;;
esac
