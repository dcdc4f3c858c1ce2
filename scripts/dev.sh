#!/usr/bin/env bash
# `make dev`: the platform as production runs it, on one machine: real Kafka, Cassandra and Redis
# with Sentinel (scripts/services.sh), and chat4all-server as separate processes: one api, one
# worker, two gateways. Ctrl-C stops the processes (the servers keep running: make services-down).
#
#   api        http://localhost:8080
#   gateway 1  ws://localhost:8085/notifications   metrics http://localhost:9095/metrics
#   gateway 2  ws://localhost:8086/notifications   metrics http://localhost:9096/metrics
#   worker                                          metrics http://localhost:9097/metrics
set -euo pipefail
cd "$(dirname "$0")/.."
state="${CHAT4ALL_STATE:-$PWD/.run}/dev"
mkdir -p "$state"

CHAT4ALL_KEEP_DATA="${CHAT4ALL_KEEP_DATA:-1}" scripts/services.sh up
set -a
eval "$(scripts/services.sh env)"
set +a
# One JWT secret shared by the api and the gateways, made once, kept out of the repository.
[[ -s "$state/jwt-secret" ]] || (umask 077 && head -c 48 /dev/urandom | base64 | tr -d '\n=' >"$state/jwt-secret")
export JWT_SECRET="$(cat "$state/jwt-secret")"
export LOG_FORMAT="${LOG_FORMAT:-pretty}"
unset REDIS_URL # the platform talks to Redis through the Sentinels

pids=()
run() { # name, then VAR=value... for that process
  local name=$1
  shift
  env "$@" node --import tsx services/server/src/main.ts 2>&1 | sed -u "s/^/[$name] /" &
  pids+=($!)
}
stop() {
  echo "stopping..." >&2
  kill "${pids[@]}" 2>/dev/null || true
  pkill -TERM -f "services/server/src/main.ts" -P $$ 2>/dev/null || true
  wait 2>/dev/null || true
}
trap stop INT TERM EXIT

run api ROLE=api API_PORT=8080
run worker ROLE=worker METRICS_PORT=9097
run gateway-1 ROLE=gateway WEBSOCKET_PORT=8085 METRICS_PORT=9095
run gateway-2 ROLE=gateway WEBSOCKET_PORT=8086 METRICS_PORT=9096

for url in http://127.0.0.1:8080/readyz http://127.0.0.1:9095/readyz http://127.0.0.1:9096/readyz http://127.0.0.1:9097/readyz; do
  for _ in $(seq 1 120); do
    curl -fs "$url" >/dev/null 2>&1 && break
    sleep 0.5
  done
done
echo "chat4all dev: api http://localhost:8080, gateways ws://localhost:8085 and ws://localhost:8086 (path /notifications). Ctrl-C stops." >&2
wait
