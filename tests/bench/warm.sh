#!/usr/bin/env bash
# Warm runs measured: `ringc bench` with a daemon contestant, cold and with
# a pool (--daemon, --daemon-pool), runs every container of each through
# the daemon it starts and stops; ringc-warm-run against a daemon of our
# own counts pool hits, and nothing of either daemon is left after.
#   tests/bench/warm.sh RINGC RINGC-WARM-RUN SOURCE_DIR
set -euo pipefail
ringc=$1
warm=$2
src=$3
work=$(mktemp -d /tmp/ringc-warm-test.XXXXXX)
pid=
cleanup() {
  [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && wait "$pid" || true
  rm -rf "$work"
}
trap cleanup EXIT
out=$("$ringc" bench --workload run --workload lifecycle --count 6 --rounds 1 --json \
      --runtime ringc="$ringc" --daemon --daemon-pool 2)
echo "$out"
for rt in ringc daemon warm; do
  for w in run lifecycle; do
    echo "$out" | grep -q "\"runtime\":\"$rt\",\"workload\":\"$w\",\"count\":6,\"failed\":0" ||
      { echo "FAIL: $rt $w did not run all six"; exit 1; }
  done
done

bash "$src/scripts/make-bundle.sh" "$work/bundle" "$ringc" true >/dev/null
"$ringc" --root "$work/root" daemon --socket "$work/sock" > "$work/log" 2>&1 &
pid=$!
for _ in $(seq 200); do grep -q listening "$work/log" && break; sleep 0.05; done
r=$("$warm" --socket "$work/sock" --bundle "$work/bundle" --count 20 --pool 2 --interval-ms 20)
echo "$r"
echo "$r" | grep -q '"failed":0' || { echo "FAIL: warm runs failed"; exit 1; }
echo "$r" | grep -Eq '"hits":[1-9]' || { echo "FAIL: no run took a parked init"; exit 1; }
kill -TERM "$pid"
wait "$pid"
pid=
left=$("$ringc" --root "$work/root" list -q)
[ -z "$left" ] || { echo "FAIL: left after the daemon: $left"; exit 1; }
echo "ok: warm runs through the daemon"
