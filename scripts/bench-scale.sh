#!/usr/bin/env bash
# One daemon supervising more and more running containers (busybox sleep):
# its RSS, the RSS growth per container, and the launch latency of a probe
# batch at each level; then kill -9 and the time the next daemon takes to
# adopt them all; then everything is deleted.
#   LEVELS="10 1000 10000" scripts/bench-scale.sh
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh build/release -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ringc=$PWD/build/release/cli/ringc
scripts/make-bundle.sh build/bundle-sleep "$ringc" sleep 100000 >/dev/null
scripts/make-bundle.sh build/bundle-true "$ringc" true >/dev/null
root=$(mktemp -d /run/ringc-scale.XXXXXX)
sock=$root.sock
ulimit -n "$(ulimit -Hn)"  # adopted containers hold a pidfd each
"$ringc" --root "$root" daemon --socket "$sock" >"$root.log" 2>&1 &
daemon=$!
until grep -q listening "$root.log"; do sleep 0.1; done
r() { "$ringc" --daemon "$sock" "$@"; }
field() { sed "s/.*\"$1\":\([0-9.]*\).*/\1/"; }
cleanup() {
  r list -q | xargs -r -P 8 -n 1 "$ringc" --daemon "$sock" delete --force || true
  kill "$daemon" 2>/dev/null || true
  rm -rf "$root" "$root".*
}
trap cleanup EXIT

base=$(r stats | field rss_kib)
printf '%-12s %10s %16s %18s %18s\n' supervised rss_kib kib_per_container probe_p50_ms probe_p99_ms
have=0
for n in ${LEVELS:-10 1000 10000}; do
  if [ "$n" -gt "$have" ]; then
    r batch -b build/bundle-sleep --count $((n - have)) --parallel 64 --keep --id-prefix "s$n" \
      --json >/dev/null
    have=$n
  fi
  rss=$(r stats | field rss_kib)
  probe=$(r batch -b build/bundle-true --count 200 --parallel 1 --id-prefix "p$n" --json)
  printf '%-12s %10s %16s %18s %18s\n' "$n" "$rss" \
    "$(awk -v a="$rss" -v b="$base" -v n="$n" 'BEGIN { printf "%.2f", (a - b) / n }')" \
    "$(field p50_ms <<<"$probe")" "$(field p99_ms <<<"$probe")"
done

kill -9 "$daemon"
wait "$daemon" 2>/dev/null || true
"$ringc" --root "$root" daemon --socket "$sock" >"$root.log" 2>&1 &
daemon=$!
until grep -q listening "$root.log"; do sleep 0.1; done
echo "after kill -9: $(grep recovered "$root.log")"
