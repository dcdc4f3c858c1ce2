#!/usr/bin/env bash
# The Centrifugo binary the benchmarks measure: built once from the Go module proxy with
# `go install` (static, CGO off) into $CHAT4ALL_CACHE/centrifugo/<version>/, never committed.
# Prints the binary's path. Usage: bench/peer/centrifugo.sh
set -euo pipefail
CENTRIFUGO_VERSION="${CENTRIFUGO_VERSION:-6.9.1}"
cache="${CHAT4ALL_CACHE:-$HOME/.cache/chat4all}/centrifugo/$CENTRIFUGO_VERSION"
bin="$cache/centrifugo"
if [[ ! -x "$bin" ]]; then
  command -v go >/dev/null || { echo "centrifugo: Go is needed to build Centrifugo $CENTRIFUGO_VERSION" >&2; exit 1; }
  echo "centrifugo: building $CENTRIFUGO_VERSION with go install (first use, about 3 minutes on 2 cores)" >&2
  mkdir -p "$cache"
  tmp="$(mktemp -d "$cache/build.XXXXXX")"
  trap 'rm -rf "$tmp"' EXIT
  GOBIN="$tmp" CGO_ENABLED=0 GOFLAGS=-trimpath go install \
    -ldflags="-s -w -X github.com/centrifugal/centrifugo/v6/internal/build.Version=$CENTRIFUGO_VERSION" \
    "github.com/centrifugal/centrifugo/v6@v$CENTRIFUGO_VERSION" >&2
  mv "$tmp/centrifugo" "$bin"
fi
echo "$bin"
