#!/usr/bin/env bash
# Runs one benchmark script (TypeScript, through tsx) with the highest open-file limit this shell
# can have, and says what it got: a gateway and the load generators hold one descriptor per
# connection. Usage: bench/run.sh bench/workloads/connections.ts
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
want=${BENCH_NOFILE_WANT:-1048576}
if ulimit -n "$want" 2>/dev/null; then
  echo "bench: open-file limit raised to $(ulimit -n)" >&2
else
  ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
  echo "bench: could not raise the open-file limit to $want (hard limit $(ulimit -Hn); raising it needs CAP_SYS_RESOURCE); running with $(ulimit -n): at most about $(($(ulimit -n) - 100)) connections per process" >&2
fi
export BENCH_NOFILE
BENCH_NOFILE=$(ulimit -n)
exec node --import tsx "$@"
