#!/usr/bin/env bash
# Runs schemathesis against the api's /openapi.json with a real access token: every answer must be
# documented (status, content type, headers, body schema) and none may be a 5xx.
#
# Usage: scripts/schemathesis.sh [extra `st run` options]   (settings: scripts/schemathesis/schemathesis.toml)
#   Starts chat4all-server (role all, in-memory adapters) on a free port, registers a user, logs in,
#   and runs `st run` with `Authorization: Bearer <token>` for at most SCHEMATHESIS_MAX_TIME seconds
#   of generation (default 120; the whole script is cut off at three times that).
#
# Schemathesis is installed on first use into a virtualenv under $CHAT4ALL_CACHE, exactly as pinned
# in scripts/schemathesis/requirements.txt (pip's cache is there too). Needs python3 (3.11+) with
# the venv module, and node.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

CACHE=${CHAT4ALL_CACHE:-$HOME/.cache/chat4all}
REQUIREMENTS=scripts/schemathesis/requirements.txt
MAX_TIME=${SCHEMATHESIS_MAX_TIME:-120}
VENV="$CACHE/schemathesis/$(sha256sum "$REQUIREMENTS" | cut -c1-16)"
STATE=$(mkdir -p "${CHAT4ALL_STATE:-.run}/schemathesis" && cd "${CHAT4ALL_STATE:-.run}/schemathesis" && pwd)
log() { printf '[schemathesis] %s\n' "$*" >&2; }

install() {
  [[ -f $VENV/.installed ]] && return
  log "installing into $VENV"
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  PIP_CACHE_DIR="$CACHE/pip" "$VENV/bin/pip" install --quiet --disable-pip-version-check --no-deps -r "$REQUIREMENTS"
  "$VENV/bin/pip" check --disable-pip-version-check >/dev/null
  touch "$VENV/.installed"
}

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

install
API_PORT=$(free_port)
BASE="http://127.0.0.1:$API_PORT"
JWT_SECRET=$(python3 -c 'import secrets; print(secrets.token_hex(32))')
export JWT_SECRET
ROLE=all HOST=127.0.0.1 API_PORT=$API_PORT WEBSOCKET_PORT=0 METRICS_PORT=0 LOG_FORMAT=json LOG_LEVEL=warn \
  node --import tsx services/server/src/main.ts >"$STATE/server.log" 2>&1 &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true' EXIT

# Waits for the server, registers a user and prints its access token.
TOKEN=$(python3 - "$BASE" <<'PY'
import json, secrets, sys, time, urllib.request
base = sys.argv[1]
def call(path, body=None):
    req = urllib.request.Request(base + path, data=None if body is None else json.dumps(body).encode(), headers={"content-type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.load(r)
for _ in range(300):
    try:
        call("/healthz")
        break
    except OSError:
        time.sleep(0.2)
user = {"username": "fuzz_" + secrets.token_hex(6), "password": secrets.token_hex(12)}
call("/auth/register", user)
token = call("/auth/token", user)["access_token"]
# The token every request carries is accepted (else every authenticated operation tests only 401).
me = urllib.request.Request(base + "/v1/me", headers={"authorization": "Bearer " + token})
with urllib.request.urlopen(me, timeout=10) as r:
    assert r.status == 200, f"GET /v1/me with the token answered {r.status}"
print(token)
PY
)
log "api on $BASE; generating for at most ${MAX_TIME}s"
# From the state dir: schemathesis keeps what it found (.schemathesis/) where it runs.
CONFIG=$PWD/scripts/schemathesis/schemathesis.toml
cd "$STATE"
timeout --signal=INT --kill-after=30 "$((MAX_TIME * 3))" \
  "$VENV/bin/st" --config-file "$CONFIG" run "$BASE/openapi.json" \
  --header "Authorization: Bearer $TOKEN" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance \
  --phases examples,coverage,fuzzing \
  --max-time "$MAX_TIME" \
  --request-timeout 10 \
  --no-color \
  "$@"
