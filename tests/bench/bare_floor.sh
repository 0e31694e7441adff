#!/usr/bin/env bash
# ringc-bare, the floor the batch benchmark measures ringc against: every
# child it launches must exit 0 (every --setup; with --hold, run until all
# run, then die of its SIGKILL), a rootfs it cannot use
# must count as failures with a reason, and no cgroup directory of its own
# may be left in any hierarchy either way.
#   tests/bench/bare_floor.sh RINGC RINGC-BARE SOURCE_DIR
set -euo pipefail
ringc=$1 bare=$2 src=$3
work=$(mktemp -d /tmp/ringc-bare-test.XXXXXX)
trap 'rm -rf "$work"' EXIT
"$src/scripts/make-bundle.sh" "$work/bundle" "$ringc" >/dev/null
left() { find /sys/fs/cgroup -maxdepth 2 -name 'ringc-bare-*' | wc -l; }
for m in bare mounts config; do
  out=$("$bare" --rootfs "$work/bundle/rootfs" --count 6 --parallel 3 --setup $m --json)
  echo "$out"
  grep -q "\"count\":6,\"failed\":0," <<<"$out" || { echo "FAIL: setup $m: not all exited 0"; exit 1; }
  [ "$(left)" = 0 ] || { echo "FAIL: setup $m left cgroups"; exit 1; }
done
# --netns warm: every child joins the one network namespace made at the
# start (the floor of a container of ringc's pools): each exits 0.
out=$("$bare" --rootfs "$work/bundle/rootfs" --count 6 --parallel 3 --setup config --netns warm \
  --cgroups none --json)
echo "$out"
grep -q '"count":6,"failed":0,' <<<"$out" || { echo "FAIL: --netns warm: not all exited 0"; exit 1; }
# --clone shared: each child cloned into ringc-bare's memory (CLONE_VM),
# as ringc's engines clone their inits; with --hold too (donors given back
# at each exec). Where shared clones are not made (a sanitizer build, no
# clone3 with CLONE_VM), it says so and exits 2: skipped, with why.
for extra in "" "--hold"; do
  set +e
  out=$("$bare" --rootfs "$work/bundle/rootfs" --count 6 --parallel 3 --setup config --clone shared \
    $extra --json 2>"$work/err")
  rc=$?
  set -e
  if [ $rc = 2 ] && grep -q "no shared clones" "$work/err"; then
    echo "skip: --clone shared: $(cat "$work/err")"
    break
  fi
  echo "$out"
  grep -q '"count":6,"failed":0,' <<<"$out" || { echo "FAIL: --clone shared $extra"; cat "$work/err"; exit 1; }
  grep -q '"clone":"shared"' <<<"$out" || { echo "FAIL: --clone shared not reported"; exit 1; }
  [ "$(left)" = 0 ] || { echo "FAIL: --clone shared $extra left cgroups"; exit 1; }
done
# --setup process: the program alone, started from the host, no container.
out=$("$bare" --rootfs "$work/bundle/rootfs" --count 6 --parallel 3 --setup process --json)
echo "$out"
grep -q '"count":6,"failed":0,' <<<"$out" || { echo "FAIL: --setup process"; exit 1; }
grep -q '"cgroup_hierarchies":0,"setup":"process"' <<<"$out" || { echo "FAIL: process made cgroups"; exit 1; }
# Held: each runs `sleep` until all have started, then all are killed.
out=$("$bare" --rootfs "$work/bundle/rootfs" --count 5 --parallel 2 --setup mounts --hold --json)
echo "$out"
grep -q '"count":5,"failed":0,' <<<"$out" || { echo "FAIL: --hold: not all ran and were killed"; exit 1; }
[ "$(left)" = 0 ] || { echo "FAIL: --hold left cgroups"; exit 1; }
mkdir "$work/empty"
if "$bare" --rootfs "$work/empty" --count 4 --parallel 2 --json >"$work/out" 2>"$work/err"; then
  echo "FAIL: an empty rootfs succeeded"; exit 1
fi
cat "$work/out" "$work/err"
grep -q '"count":4,"failed":4,' "$work/out" || { echo "FAIL: failures not counted"; exit 1; }
grep -q "container child: execve /bin/true" "$work/err" || { echo "FAIL: no reason given"; exit 1; }
[ "$(left)" = 0 ] || { echo "FAIL: failed children left cgroups"; exit 1; }
echo "ok: the floor launches, counts failures and cleans up"
