#!/usr/bin/env bash
# Foreground `run` by one CLI process per container, K in flight (xargs -P),
# in one run: ringc alone, the same ringc CLI through a daemon (the
# client hands its stdio over, the daemon's engine creates, starts and
# reaps, the client waits and deletes), runc and crun. Busybox `true`, the
# default config, every root on one tmpfs, all in the host's legacy-v1
# view (crun refuses hybrid cgroups). Rounds interleave the four.
#   COUNT=500 PARALLEL="1 32" ROUNDS=2 scripts/bench-clients.sh
set -euo pipefail
source "$(dirname "$0")/bench-setup.sh"

inner() {
  set -euo pipefail
  if mountpoint -q /sys/fs/cgroup/unified; then umount /sys/fs/cgroup/unified; fi
  # The daemon says when it listens: its first line.
  local ready daemon
  exec {ready}< <(exec "$ringc" --root "$root/daemon" daemon --socket "$root/d.sock" 2>"$root/d.log")
  daemon=$!
  read -r _ <&"$ready"
  # runs/s of COUNT foreground runs of the contestant "$@" at K in flight.
  rate() {
    local name=$1 k=$2; shift 2
    local t0 t1 bad
    t0=$(date +%s.%N)
    seq "$COUNT" | xargs -P "$k" -I{} "$@" run -b "$bundle" "$name-{}" >/dev/null \
      2>"$root/$name.err" || true
    t1=$(date +%s.%N)
    bad=$(grep -c . "$root/$name.err" || true)
    awk -v n=$((COUNT - bad)) -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", n / (b - a) }'
  }
  printf '%-6s %-6s %8s %14s %8s %8s\n' round K ringc ringc-daemon runc crun
  for k in $PARALLEL; do
    for round in $(seq "$ROUNDS"); do
      printf '%-6s %-6s %8s %14s %8s %8s\n' "$round" "$k" \
        "$(rate ringc "$k" "$ringc" --root "$root/ringc")" \
        "$(rate ringcd "$k" "$ringc" --daemon "$root/d.sock")" \
        "$(rate runc "$k" runc --root "$root/runc")" \
        "$(rate crun "$k" crun --root "$root/crun")"
    done
  done
  kill "$daemon"
  wait "$daemon" || true
}
export -f inner
export ringc bundle root COUNT=${COUNT:-500} PARALLEL=${PARALLEL:-1 32} ROUNDS=${ROUNDS:-2}
unshare -m --propagation private bash -c inner
