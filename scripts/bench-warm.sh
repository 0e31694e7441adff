#!/usr/bin/env bash
# Latency of `run` through a ringc daemon, from the request to the reply
# that the program has exec'd (bench/warm_run.cc), cold (the daemon makes
# the container) against warm (`--pool`: the run takes a parked init), in
# one run: paced (one request every INTERVAL ms, default 10, the load a
# pool can refill behind) and back to back (the refills' CPU bounds the
# rate). Busybox `true`, each run removed after its exit ("rm").
#   COUNT=300 POOL=8 scripts/bench-warm.sh
# The daemons' roots are on the tmpfs of bench-setup.sh (as /run is on
# most hosts); STATE=DIR puts them under DIR instead (this VM's ext4 /run:
# every record synced).
set -euo pipefail
source "$(dirname "$0")/bench-setup.sh"
warm=${WARM:-$(dirname "$ringc")/../bench/ringc-warm-run}
count=${COUNT:-300}
pool=${POOL:-8}
state=${STATE:-$root}
mkdir -p "$state"

measure() {  # pool interval label
  local sock dir pid
  dir=$(mktemp -d "$state/warm.XXXXXX")
  sock=$dir.sock
  "$ringc" --root "$dir" daemon --socket "$sock" >"$dir.log" 2>&1 &
  pid=$!
  for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.05; done
  local r
  r=$("$warm" --socket "$sock" --bundle "$bundle" --count "$count" --pool "$1" \
    --interval-ms "$2" --prefix "w$1-$2")
  # Each run is answered at its exec and removed after its exit: the
  # daemon leaves what it has not removed yet to the next one (SIGTERM
  # keeps containers), and this one's root goes below. Wait until it has
  # none, for at most 10 s.
  for _ in $(seq 200); do
    [ -z "$("$ringc" --root "$dir" list -q 2>/dev/null)" ] && break
    sleep 0.05
  done
  kill -TERM "$pid"
  wait "$pid" || true
  rm -rf "$dir" "$dir.log"
  local f
  f() { grep -o "\"$1\":[0-9.]*" <<<"$r" | head -1 | cut -d: -f2; }
  printf '%-22s %9s %9s %9s %9s %7s %7s\n' "$3" "$(f p50_ms)" "$(f p95_ms)" "$(f p99_ms)" \
    "$(f runs_per_second)" "$(f hits)" "$(f misses)"
}

printf '%-22s %9s %9s %9s %9s %7s %7s\n' daemon p50_ms p95_ms p99_ms runs/s hits misses
interval=${INTERVAL:-10}
measure 0 "$interval" "cold, every ${interval} ms"
measure "$pool" "$interval" "warm, every ${interval} ms"
measure 0 0 "cold, back to back"
measure "$pool" 0 "warm, back to back"
