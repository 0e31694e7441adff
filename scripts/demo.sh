#!/usr/bin/env bash
# The main job on the built-in default: build ringc, make the busybox
# bundle, then start, list and stop a few hundred containers, saying what
# happened and how fast, first one `ringc` process per operation (as a
# runc user would), then all of them on one reactor (`ringc batch`).
# COUNT (default 300) and PARALLEL (default 8) tune it.
set -euo pipefail
cd "$(dirname "$0")/.."
count=${COUNT:-300}
parallel=${PARALLEL:-8}
scripts/deps.sh
scripts/build.sh build/release -DCMAKE_BUILD_TYPE=RelWithDebInfo
ringc=$PWD/build/release/cli/ringc
bundle=$PWD/build/bundle
root=/run/ringc-demo
scripts/make-bundle.sh "$bundle" "$ringc" sleep 3600 >/dev/null
echo "bundle: $bundle (busybox $(/bin/busybox 2>&1 | sed -n '1s/^BusyBox \(v[^ ]*\).*/\1/p'), sleep 3600)"

now() { date +%s.%N; }
rate() { awk -v n="$1" -v a="$2" -v b="$3" 'BEGIN { d = b - a; printf "%d containers in %.2f s: %.0f/s, %.1f ms each\n", n, d, n / d, 1000 * d / n }'; }


echo "== starting $count containers ($parallel at a time): ringc run -d"
t0=$(now)
ids=$(mktemp)
out=$(mktemp)
# Whatever happens, no demo container outlives the script.
cleanup() {
  "$ringc" --root "$root" list -q 2>/dev/null | xargs -r -P "$parallel" -I{} "$ringc" --root "$root" delete --force {} </dev/null
  rm -f "$ids" "$out"
}
trap cleanup EXIT
seq -f "demo-%04g" "$count" > "$ids"
# The containers inherit ringc's stdio: give them /dev/null, keep errors.
xargs -a "$ids" -P "$parallel" -I{} "$ringc" --root "$root" run -d -b "$bundle" {} </dev/null >/dev/null
t1=$(now)
rate "$count" "$t0" "$t1"

"$ringc" --root "$root" list > "$out"
echo "== ringc list (first 5 of $(($(wc -l < "$out") - 1)))"
head -6 "$out"
"$ringc" --root "$root" list --format json > "$out"
running=$(grep -o '"status":"running"' "$out" | wc -l)
echo "running: $running of $count"

echo "== state of one"
"$ringc" --root "$root" state demo-0001

echo "== stopping: ringc kill KILL, then delete"
t2=$(now)
"$ringc" --root "$root" list -q > "$ids"
xargs -a "$ids" -P "$parallel" -I{} "$ringc" --root "$root" kill {} KILL </dev/null
xargs -a "$ids" -P "$parallel" -I{} "$ringc" --root "$root" delete --force {} </dev/null
t3=$(now)
rate "$count" "$t2" "$t3"
left=$("$ringc" --root "$root" list -q | wc -l)
echo "left after delete: $left containers"

echo "== the same number on one reactor: ringc batch (busybox true, 32 in flight)"
scripts/make-bundle.sh "$bundle-true" "$ringc" true >/dev/null
"$ringc" --root "$root" batch -b "$bundle-true" --count "$count" --parallel 32 </dev/null
batch_left=$("$ringc" --root "$root" list -q | wc -l)
[ "$running" -eq "$count" ] && [ "$left" -eq 0 ] && [ "$batch_left" -eq 0 ]
