#!/usr/bin/env bash
# Runs a command (e.g. the steps of `make test`), then stops the real servers of scripts/services.sh
# that the command started: those that were not running when it began. It does so whether the
# command passed, failed or was interrupted, and exits with the command's status.
# KEEP_SERVICES=1 keeps them running (for a next run, or to look at them).
#
# Usage: scripts/services-scope.sh COMMAND [ARGS...]
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# running: the services (redis, kafka, cassandra, objectstore) with at least one process running, one a line.
running() { scripts/services.sh status 2>/dev/null | awk '$2 == "running" { sub(/-.*/, "", $1); print $1 }' | sort -u; }

before=$(running)
stop_started() {
  local started s
  [[ ${KEEP_SERVICES:-0} == 1 ]] && return
  started=$(comm -13 <(printf '%s\n' "$before") <(running) | grep -v '^$' || true)
  [[ -z $started ]] && return
  printf '[services-scope] stopping what this run started: %s (KEEP_SERVICES=1 keeps them)\n' "$(echo $started)" >&2
  for s in $started; do scripts/services.sh down "$s" >&2 || true; done
}
trap stop_started EXIT
trap 'exit 130' INT TERM
"$@"
