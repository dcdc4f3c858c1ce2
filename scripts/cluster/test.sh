#!/usr/bin/env bash
# `make test-cluster`: the platform on a real kind cluster, from nothing and back to nothing, as
# docs/kubernetes.md tells a user to do it: its fenced blocks marked `cluster`, `cluster-helm` and
# `cluster-down` are read from the document and run line by line, each line timed.
#
#   1. the host's state (links, iptables, sysctls, mounts, engine processes) is recorded;
#   2. the `cluster` blocks: make kind-up images kind-load deploy, then requests through the ingress;
#   3. the cluster tests (cdk8s/test/cluster/*.cluster.test.ts), through the ingress only;
#   4. the `cluster-helm` block: the Helm chart in place of the cdk8s manifests, every pod Ready,
#      and the message scenario again;
#   5. the `cluster-down` block (make undeploy kind-down), and the host's state compared with
#      step 1: anything left fails.
#
# CLUSTER_KEEP=1 leaves the cluster up at the end (and skips 5) for a look around.
set -euo pipefail
# shellcheck source=scripts/cluster/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

cd "$REPO_ROOT"
TIMES=$CSTATE/test-times
NODE_TEST=(node --import tsx --test --test-concurrency=1 --test-timeout=3600000)
mkdir -p "$CSTATE"
: >"$TIMES"

# step NAME CMD...: runs and times a step.
step() {
  local name=$1 t0
  shift
  t0=$(now)
  log "== $name"
  "$@"
  printf '%-40s %5d s\n' "$name" "$(($(now) - t0))" | tee -a "$TIMES" >&2
}

# host_state: what the cluster may change on the machine, normalized for comparison.
host_state() {
  {
    echo "# links"; ip -o link show | awk -F': ' '{ print $2 }' | cut -d@ -f1 | sort
    # A fresh machine may have no iptables yet (kind-up installs it): no rules is what it has.
    echo "# iptables"; { iptables-save 2>/dev/null || true; } | sed -e '/^#/d' -e 's/\[[0-9]*:[0-9]*\]//' | sort
    echo "# ip6tables"; { ip6tables-save 2>/dev/null || true; } | sed -e '/^#/d' -e 's/\[[0-9]*:[0-9]*\]//' | sort
    echo "# sysctls"; sysctl -e vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops \
      kernel.keys.root_maxkeys kernel.keys.root_maxbytes kernel.keys.maxkeys kernel.keys.maxbytes \
      net.ipv4.ip_forward net.netfilter.nf_conntrack_max fs.inotify.max_user_watches \
      fs.inotify.max_user_instances 2>/dev/null || true
    echo "# mounts"; awk '$2 !~ "^/(proc|sys)" { print $2, $3 }' /proc/mounts | sort
    echo "# processes"; ps -eo args= | awk '/^[^ ]*(dockerd|containerd|kind)( |$)/' | sort
  }
}

DOC=$REPO_ROOT/docs/kubernetes.md

# doc_block TAG: the lines of the document's fenced blocks whose info string is `sh TAG`.
doc_block() {
  awk -v tag="$1" '$0 == "```sh " tag { on = 1; next } on && /^```/ { on = 0 } on { print }' "$DOC"
}

# run_doc TAG: runs a block of the document in one shell (variables carry from line to line),
# each line echoed and timed, stopping at the first that fails.
run_doc() {
  local script=$CSTATE/doc-$1.sh line
  [[ -n $(doc_block "$1") ]] || die "docs/kubernetes.md has no \`\`\`sh $1 block"
  {
    echo 'set -eo pipefail'
    while IFS= read -r line; do
      [[ -z $line ]] && continue
      printf 'printf "\\n[doc] %%s\\n" %q >&2\n' "$line"
      echo 't0=$(date +%s)'
      echo "$line"
      printf 'printf "%%-40.40s %%5d s\\n" %q "$(( $(date +%%s) - t0 ))" | tee -a %q >&2\n' "$line" "$TIMES"
    done < <(doc_block "$1")
  } >"$script"
  (cd "$REPO_ROOT" && eval "$("$CLUSTER_LIB_DIR/kind.sh" env)" && bash "$script")
}

cluster_tests() {
  local files=(platform network-policies attachments faults operator prometheus)
  local f
  for f in "${files[@]}"; do
    step "test: $f" "${NODE_TEST[@]}" "cdk8s/test/cluster/$f.cluster.test.ts"
  done
}

main() {
  local before=$CSTATE/host-before-test
  host_state >"$before"
  run_doc cluster
  cluster_tests
  run_doc cluster-helm
  step "test: platform (Helm chart)" "${NODE_TEST[@]}" cdk8s/test/cluster/platform.cluster.test.ts
  if [[ ${CLUSTER_KEEP:-0} == 1 ]]; then
    log "CLUSTER_KEEP=1: the cluster stays up"
    cat "$TIMES" >&2
    return 0
  fi
  run_doc cluster-down
  if ! diff -u "$before" <(host_state) >"$CSTATE/host-diff" 2>&1; then
    cat "$CSTATE/host-diff" >&2
    die "make kind-down left the machine changed (above: - before, + after)"
  fi
  log "the machine is as it was before make kind-up"
  cat "$TIMES" >&2
}

# A failed run takes the cluster down too (unless asked to keep it), so CI leaves nothing behind.
on_exit() {
  local rc=$?
  if ((rc != 0)) && [[ ${CLUSTER_KEEP:-0} != 1 ]]; then
    log "failed (exit $rc): taking the cluster down"
    "$CLUSTER_LIB_DIR/kind.sh" down >/dev/null 2>&1 || true
  fi
  exit "$rc"
}
trap on_exit EXIT
main
