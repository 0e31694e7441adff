#!/usr/bin/env bash
# One daemon supervising more and more running containers (busybox sleep):
# its RSS, the RSS growth per container, and at each level a probe of 100
# more launched one at a time (create→running latency, and the reactor's
# own time per launch, clone3 included); then kill -9 and the time the next
# daemon takes to adopt them all; then everything is deleted. Beside each
# probe, the floor's: 100 containers of ringc-bare (bench/bare.cc: what
# the default config asks of the kernel, with no runtime around it) one at
# a time, each left running as the probe's are (--hold), launch to exec
# (its create→running): how much of the growth is the kernel's own.
#   LEVELS="10 1000 10000" scripts/bench-scale.sh
set -euo pipefail
# RINGC=PATH (and BARE=PATH): built elsewhere; nothing is installed or built.
cd "$(dirname "$0")/.."
if [ -n "${RINGC:-}" ]; then
  ringc=$RINGC
  bare=${BARE:-$(dirname "$RINGC")/ringc-bare}
else
  scripts/deps.sh
  scripts/build.sh build/release -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  ringc=$PWD/build/release/cli/ringc
  bare=$PWD/build/release/bench/ringc-bare
fi
scripts/make-bundle.sh build/bundle-sleep "$ringc" sleep 100000 >/dev/null
scripts/make-bundle.sh build/bundle-true "$ringc" true >/dev/null
root=$(mktemp -d /run/ringc-scale.XXXXXX)
# State on a tmpfs, as /run is on standard hosts (this VM's /run is ext4,
# whose inode allocator makes every record create cost 100-400 us).
mount -t tmpfs -o mode=0700 ringc-scale "$root"
sock=$root.sock
ulimit -n "$(ulimit -Hn)"  # adopted containers hold a pidfd each
"$ringc" --root "$root" daemon --socket "$sock" >"$root.log" 2>&1 &
daemon=$!
until grep -q listening "$root.log"; do sleep 0.1; done
r() { "$ringc" --daemon "$sock" "$@"; }
field() { grep -o "\"$1\":[0-9.]*" | head -1 | cut -d: -f2; }
cleanup() {
  local t0=$SECONDS
  r list -q | xargs -r -n 1000 "$ringc" --daemon "$sock" delete --force || true
  echo "deleted them all in $((SECONDS - t0)) s"
  kill "$daemon" 2>/dev/null || true
  wait "$daemon" 2>/dev/null || true
  umount "$root" && rmdir "$root"
  rm -rf "$root".*
}
trap cleanup EXIT

# A kept batch's report. Its containers write where the client's stdout
# goes and stay running, so that is a file, not a pipe whose reader would
# wait for them to exit.
kept() { r batch "$@" --keep --json >"$root.report" </dev/null && cat "$root.report"; }

base=$(r stats | field rss_kib)
printf '%-11s %8s %8s %10s %10s %11s %10s %12s\n' supervised rss_kib kib/ctr p50_ms p99_ms \
  reactor_us clone3_us floor_p50_ms
have=0
for n in ${LEVELS:-10 1000 10000}; do
  if [ "$n" -gt "$have" ]; then
    b=$(kept -b build/bundle-sleep --count $((n - have)) --parallel 64 --id-prefix "s$n")
    echo "  $((n - have)) more running in $(field seconds <<<"$b") s" \
      "($(field containers_per_second <<<"$b")/s, $(field failed <<<"$b") failed)"
    have=$n
  fi
  rss=$(r stats | field rss_kib)
  probe=$(kept -b build/bundle-sleep --count 100 --parallel 1 --id-prefix "p$n")
  # The floor's probe before the daemon's probe containers go: neither runs
  # beside the kernel's teardown of the other's.
  floor=$("$bare" --rootfs build/bundle-true/rootfs --count 100 --parallel 1 --setup config \
    --hold --json)
  r list -q | grep "^p$n-" | xargs -r "$ringc" --daemon "$sock" delete --force
  printf '%-11s %8s %8s %10s %10s %11s %10s %12s\n' "$n" "$rss" \
    "$(awk -v a="$rss" -v b="$base" -v n="$n" 'BEGIN { printf "%.2f", (a - b) / n }')" \
    "$(field p50_ms <<<"$probe")" "$(field p99_ms <<<"$probe")" \
    "$(field reactor_us_per_container <<<"$probe")" "$(field clone3 <<<"$probe")" \
    "$(field to_running_p50_ms <<<"$floor")"
  # Where a launch's time goes: the reactor's phases and the init's own.
  grep -o -e '"reactor_us_by_phase":{[^}]*}' -e '"init_us_by_phase":{[^}]*}' <<<"$probe" |
    sed 's/^/    /'
done

kill -9 "$daemon"
wait "$daemon" 2>/dev/null || true
# A log of its own: the first one's "listening" must not be taken for its.
"$ringc" --root "$root" daemon --socket "$sock" >"$root.log2" 2>&1 &
daemon=$!
until grep -q listening "$root.log2"; do sleep 0.1; done
echo "after kill -9: $(grep recovered "$root.log2")"
