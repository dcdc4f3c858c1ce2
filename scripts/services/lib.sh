# shellcheck shell=bash
# Shared helpers for scripts/services.sh and scripts/services/*.sh (sourced, never run).
#
#   cache (downloads, builds):      ${CHAT4ALL_CACHE:-$HOME/.cache/chat4all}
#   runtime state (data, pids...):  ${CHAT4ALL_STATE:-<repo>/.run}/services/<name>/
#
# Every wait has a deadline; every process we start has a pid file; processes are
# stopped by pid only (SIGTERM, then SIGKILL after a timeout).

SERVICES_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SERVICES_LIB_DIR/../.." && pwd)
CACHE_DIR=${CHAT4ALL_CACHE:-$HOME/.cache/chat4all}
STATE_ROOT=${CHAT4ALL_STATE:-$REPO_ROOT/.run}/services
BIND_HOST=127.0.0.1
# File descriptors of the per-service state locks (scripts/services.sh take_locks).
# shellcheck disable=SC2034 # used by services.sh
declare -A LOCK_FDS=([redis]=7 [kafka]=8 [cassandra]=9 [objectstore]=6)

# ---------------------------------------------------------------- logging

log() { printf '[services] %s\n' "$*" >&2; }
warn() { printf '[services] WARNING: %s\n' "$*" >&2; }
die() {
  printf '[services] ERROR: %s\n' "$*" >&2
  exit 1
}

# now: seconds since the epoch with fractions (bash 5 EPOCHREALTIME).
now() { printf '%s' "${EPOCHREALTIME/,/.}"; }
# elapsed START: seconds since START, one decimal.
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# show_log_tail FILE [LINES]: print the end of a server log to stderr.
show_log_tail() {
  local file=$1 lines=${2:-40}
  if [[ -s $file ]]; then
    printf '[services] ---- last %s lines of %s ----\n' "$lines" "$file" >&2
    tail -n "$lines" "$file" >&2 || true
    printf '[services] ---- end of %s ----\n' "$file" >&2
  else
    printf '[services] (log %s is empty or missing)\n' "$file" >&2
  fi
}

# ---------------------------------------------------------------- ports

# port_open PORT: true if something accepts TCP connections on 127.0.0.1:PORT.
port_open() {
  (exec 3<>"/dev/tcp/$BIND_HOST/$1") 2>/dev/null
}

# require_port_free NAME PORT: fail if a foreign process already listens there.
require_port_free() {
  if port_open "$2"; then
    die "$1: port $BIND_HOST:$2 is already in use by another process (not started by these scripts); stop it or choose another port"
  fi
}

# ---------------------------------------------------------------- pids

# read_pid PIDFILE: print the pid stored in PIDFILE (nothing if absent/garbage).
read_pid() {
  local pid=
  if [[ -f $1 ]]; then read -r pid <"$1" 2>/dev/null || true; fi
  [[ $pid =~ ^[0-9]+$ ]] && printf '%s' "$pid"
  return 0
}

# pid_alive PID: the process exists and is not a finished zombie. (A JVM's main thread
# shows as a zombie while its other threads still shut down and hold the ports; that
# still counts as alive.)
pid_alive() {
  local pid=$1 state threads
  [[ -n $pid ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  state=$(awk '$1 == "State:" { print $2 }' "/proc/$pid/status" 2>/dev/null) || return 1
  [[ $state != Z && $state != X ]] && return 0
  threads=$(awk '$1 == "Threads:" { print $2 }' "/proc/$pid/status" 2>/dev/null || echo 0)
  ((${threads:-0} > 1))
}

# pid_matches PID MARKER: the process's command line or executable mentions MARKER
# (guards against a recycled pid from a stale pid file).
pid_matches() {
  local pid=$1 marker=$2 cmd exe
  cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
  exe=$(readlink "/proc/$pid/exe" 2>/dev/null || true)
  [[ $cmd == *"$marker"* || $exe == *"$marker"* ]]
}

# running_pid PIDFILE MARKER: print the pid if that process is alive and ours.
running_pid() {
  local pid
  pid=$(read_pid "$1")
  if [[ -n $pid ]] && pid_alive "$pid" && pid_matches "$pid" "$2"; then
    printf '%s' "$pid"
    return 0
  fi
  return 1
}

# stop_pidfile LABEL PIDFILE MARKER [TIMEOUT_S]: SIGTERM, wait, SIGKILL; idempotent.
stop_pidfile() {
  local label=$1 pidfile=$2 marker=$3 timeout=${4:-20} pid deadline
  if ! pid=$(running_pid "$pidfile" "$marker"); then
    rm -f "$pidfile"
    return 0
  fi
  log "$label: stopping pid $pid (SIGTERM)"
  kill -TERM "$pid" 2>/dev/null || true
  deadline=$((SECONDS + timeout))
  while pid_alive "$pid" && ((SECONDS < deadline)); do sleep 0.2; done
  if pid_alive "$pid"; then
    warn "$label: pid $pid still alive after ${timeout}s, sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    deadline=$((SECONDS + 10))
    while pid_alive "$pid" && ((SECONDS < deadline)); do sleep 0.1; done
    pid_alive "$pid" && die "$label: pid $pid survived SIGKILL"
  fi
  rm -f "$pidfile"
}

# spawn PIDFILE OUTFILE CMD...: start CMD detached (own session, stdin closed,
# stdout+stderr appended to OUTFILE) and record its pid in PIDFILE. The pid is the
# pid of CMD itself (the wrapper shell execs it).
spawn() {
  local pidfile=$1 out=$2 deadline
  shift 2
  rm -f "$pidfile"
  # shellcheck disable=SC2016 # expanded by the inner bash
  setsid -f bash -c 'echo $$ >"$0.tmp" && mv -f "$0.tmp" "$0" && exec "$@"' "$pidfile" "$@" \
    </dev/null >>"$out" 2>&1 6>&- 7>&- 8>&- 9>&- # the state locks: servers must not inherit them
  deadline=$((SECONDS + 10))
  until [[ -s $pidfile ]]; do
    ((SECONDS < deadline)) || die "could not start: $* (no pid file $pidfile)"
    sleep 0.05
  done
}

# rotate_logs FILE...: keep the previous run's log as FILE.prev (used by `up`; `start`
# appends, so a stop/start cycle reads as one story).
rotate_logs() {
  local f
  for f in "$@"; do
    if [[ -s $f ]]; then mv -f "$f" "$f.prev"; fi
  done
}

# ---------------------------------------------------------------- waiting

# wait_until LABEL TIMEOUT_S PID LOGFILE CHECK...: run CHECK until it succeeds.
# Fails (with the log's tail) when the deadline passes or when PID dies first.
# PID may be empty (no liveness check).
wait_until() {
  local label=$1 timeout=$2 pid=$3 logfile=$4 deadline
  shift 4
  deadline=$((SECONDS + timeout))
  while :; do
    if "$@" >/dev/null 2>&1; then return 0; fi
    if [[ -n $pid ]] && ! pid_alive "$pid"; then
      show_log_tail "$logfile"
      die "$label: the process (pid $pid) exited before it became ready; log: $logfile"
    fi
    if ((SECONDS >= deadline)); then
      show_log_tail "$logfile"
      die "$label: not ready after ${timeout}s; log: $logfile"
    fi
    sleep 0.25
  done
}

# ---------------------------------------------------------------- dirs

# service_dir NAME: the state dir of one service (created).
service_dir() {
  mkdir -p "$STATE_ROOT/$1"
  printf '%s' "$STATE_ROOT/$1"
}

# wipe_data_unless_kept DIR...: remove data dirs unless CHAT4ALL_KEEP_DATA=1.
wipe_data_unless_kept() {
  local d
  if [[ ${CHAT4ALL_KEEP_DATA:-0} == 1 ]]; then return 0; fi
  for d in "$@"; do
    [[ -n $d && $d == "$STATE_ROOT"/* ]] || die "refusing to wipe $d (outside $STATE_ROOT)"
    rm -rf "$d"
  done
}

# ---------------------------------------------------------------- Java / Maven

# sha_of FILE...: a short content hash (to key caches on the files that made them).
sha_of() { cat "$@" | sha256sum | cut -c1-16; }

require_java() {
  command -v java >/dev/null || die "java (JDK 17) is not on PATH"
}

# maven_fetch LABEL POM OUTDIR: copy the runtime dependencies of POM into OUTDIR
# once; Maven's local repository is $CACHE_DIR/m2. Keyed on the pom's content, so a
# changed pom refetches and an unchanged one never touches the network.
maven_fetch() {
  local label=$1 pom=$2 out=$3 key tmp mvnlog start
  key=$(sha_of "$pom")
  if [[ -f $out/.complete && $(cat "$out/.complete") == "$key" ]]; then
    return 0
  fi
  command -v mvn >/dev/null || die "$label: mvn (Maven) is not on PATH"
  require_java
  start=$(now)
  log "$label: fetching jars with Maven (first use; cache $out)"
  mkdir -p "$(dirname "$out")" "$CACHE_DIR/m2"
  tmp="$out.tmp.$$"
  mvnlog="$(dirname "$out")/mvn.log"
  rm -rf "$tmp"
  if ! mvn -B -q -Dstyle.color=never -f "$pom" \
    -Dmaven.repo.local="$CACHE_DIR/m2" \
    dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$tmp" \
    >"$mvnlog" 2>&1; then
    show_log_tail "$mvnlog"
    rm -rf "$tmp"
    die "$label: Maven could not fetch the jars (log: $mvnlog)"
  fi
  printf '%s\n' "$key" >"$tmp/.complete"
  rm -rf "$out"
  mv "$tmp" "$out"
  log "$label: jars ready ($(find "$out" -name '*.jar' | wc -l) jars, $(elapsed "$start")s)"
}

# javac_build LABEL SRC LIBDIR OUTDIR: compile one Java source against LIBDIR/*
# into OUTDIR once (keyed on the source and the jar set).
javac_build() {
  local label=$1 src=$2 lib=$3 out=$4 key tmp
  key="$(sha_of "$src")-$(cat "$lib/.complete")"
  if [[ -f $out/.complete && $(cat "$out/.complete") == "$key" ]]; then
    return 0
  fi
  command -v javac >/dev/null || die "$label: javac (JDK 17) is not on PATH"
  tmp="$out.tmp.$$"
  rm -rf "$tmp"
  mkdir -p "$tmp"
  if ! javac -nowarn -encoding UTF-8 -d "$tmp" -cp "$lib/*" "$src" >"$tmp.log" 2>&1; then
    show_log_tail "$tmp.log"
    rm -rf "$tmp" "$tmp.log"
    die "$label: could not compile $src"
  fi
  rm -f "$tmp.log"
  printf '%s\n' "$key" >"$tmp/.complete"
  rm -rf "$out"
  mv "$tmp" "$out"
}

# rss_of PID: resident memory of a process, e.g. "412 MiB".
rss_of() {
  local kb
  kb=$(awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || true)
  [[ -n $kb ]] && printf '%d MiB' $((kb / 1024)) || printf '?'
}

# status_line NAME STATE PID PORT [EXTRA]: one aligned line for `status`.
status_line() {
  printf '%-18s %-8s pid=%-8s port=%-6s %s\n' "$1" "$2" "${3:--}" "$4" "${5:-}"
}
