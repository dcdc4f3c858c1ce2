#!/usr/bin/env bash
# Runs a command (the steps of `make test`) while the programs that its later steps need (the
# Kubernetes binaries of `scripts/kube.sh install`, about 11 minutes of compiling on 2 cores when
# CHAT4ALL_CACHE is empty, then kube-score and the cluster's Go programs of
# `scripts/cluster/tools.sh install`) are built in the background at the lowest CPU and I/O priority. The build then takes the
# CPU the earlier steps leave idle (they mostly wait on Cassandra, Kafka and timers) instead of
# adding its time after them, and yields it whenever a test wants it.
#
# Nothing waits for it here: the first step that needs a program installs it itself, which waits on
# that program's build lock and then finds it installed. A build still running when the command ends
# is stopped with its whole process group; both scripts build into a directory of their own and
# move the result into the cache whole, so a stopped build leaves nothing half-done.
# PREBUILD=0 leaves it out. Exits with the command's status.
#
# Usage: scripts/prebuild-scope.sh COMMAND [ARGS...]
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

log=.run/prebuild-kube.log
pid=
if [[ ${PREBUILD:-1} != 0 ]]; then
  mkdir -p .run
  # Its own session (setsid), so it and every compiler it starts can be stopped as one group.
  # kube-score first: test-kube, the first step after the Kubernetes binaries, needs it.
  setsid nice -n 19 ionice -c 3 bash -c 'scripts/kube.sh install && scripts/cluster/tools.sh install kube-score && scripts/cluster/tools.sh install' >"$log" 2>&1 </dev/null &
  pid=$!
  printf '[prebuild] the Kubernetes binaries and the cluster tools build in the background at the lowest priority, if not cached (log: %s)\n' "$log" >&2
fi

stop_build() {
  [[ -n $pid ]] || return 0
  if kill -0 "$pid" 2>/dev/null; then
    printf '[prebuild] stopping the background build (%s)\n' "$log" >&2
    kill -TERM -- "-$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}
trap stop_build EXIT
trap 'exit 130' INT TERM
"$@"
