#!/usr/bin/env bash
# Packs what the bare many-core host (pure cgroup v2, no packages) needs
# into the ignored devpkg/: stripped ringc and test binaries, their shared
# libraries, busybox, runc and crun with theirs, and one entry point,
#   devpkg/all.sh OUT   unit and priv tests (the host's own v2), the
#                       floor's test, the side-by-side benchmarks (with
#                       the floor, ringc-bare), the scale run; a log per
#                       part under OUT, each part bounded in time.
#   PARTS="batch clients" PARALLEL=32 devpkg/all.sh OUT   some of them
#   (POOL=N adds the pooled batch; BATCH_LIMIT, PRIV_LIMIT seconds;
#   PRIV_FILTER a gtest filter)
# Build first (scripts/build.sh build/release ...); BUILD picks the tree.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD:-build/release}
rm -rf devpkg && mkdir -p devpkg/lib devpkg/rt
cp "$build/cli/ringc" "$build/bench/ringc-bare" "$build/bench/ringc-warm-run" "$build/tests/priv_tests" "$build/tests/unit_tests" \
  "$build/tests/ringc_payload" "$build/tests/ringc-seccomp-agent" /bin/busybox devpkg/
strip devpkg/ringc devpkg/ringc-bare devpkg/ringc-warm-run devpkg/priv_tests devpkg/unit_tests devpkg/ringc-seccomp-agent
# The priv tests name their helpers by the paths they were built at.
echo "$PWD/$build" >devpkg/built-at
libs() { ldd "$1" | awk '$3 ~ /^\// {print $3}' | grep -v -e '/libc.so' -e '/libm.so' -e '/libstdc++' -e '/libgcc_s'; }
for bin in devpkg/ringc devpkg/priv_tests devpkg/ringc-seccomp-agent $(command -v crun) $(command -v runc); do
  for l in $(libs "$bin"); do cp -L "$l" devpkg/lib/; done
done
cp "$(command -v crun)" devpkg/rt/ && cp -L "$(command -v runc)" devpkg/rt/
cat > devpkg/all.sh <<'ALL'
#!/bin/bash
# On the device host: bash devpkg/all.sh "$OUT"
cd "$(dirname "$0")/.."
out=${1:-/tmp/devout}; mkdir -p "$out"
P=$PWD/devpkg
# ringc where an unprivileged user reaches it too (the rootless tests run
# it as one; the tree may lie under a home only root may enter).
rm -rf /tmp/ringc-dev && mkdir -p /tmp/ringc-dev && cp -a "$P/ringc" "$P/lib" /tmp/ringc-dev/
chmod -R a+rX /tmp/ringc-dev
export LD_LIBRARY_PATH=/tmp/ringc-dev/lib BUSYBOX=$P/busybox PATH=$P/rt:$PATH RINGC=/tmp/ringc-dev/ringc
export RINGC_TEST_BIN=$RINGC RINGC_TEST_SOURCE_DIR=$PWD BARE=$P/ringc-bare WARM=$P/ringc-warm-run
built=$(cat "$P/built-at")  # where the priv tests look for their payload and agent
mkdir -p "$built/tests" && cp "$P/ringc_payload" "$P/ringc-seccomp-agent" "$built/tests/"
# PARTS picks some of them (a short rerun); PARALLEL the batch's.
part() { local name=$1 limit=$2; shift 2
  [[ " ${PARTS:-unit floor batch variants clients warm priv scale} " == *" $name "* ]] || return 0
  echo "== $name ($(date +%T), at most ${limit}s)"
  timeout -k 10 "$limit" "$@" >"$out/$name.log" 2>&1; echo "   exit $?"
  tail -n 40 "$out/$name.log"; }
{ uname -r; nproc; free -g | head -2; stat -f -c %T /sys/fs/cgroup
  cat /sys/fs/cgroup/cgroup.controllers /sys/fs/cgroup/cgroup.subtree_control
  echo "nofile $(ulimit -n)/$(ulimit -Hn) pid_max $(cat /proc/sys/kernel/pid_max)"
  findmnt -n -o FSTYPE /run; "$P/ringc" --version; runc --version | head -1; crun --version | head -1
} 2>&1 | tee "$out/host.log"
part unit 30 "$P/unit_tests" --gtest_brief=1
part floor 30 tests/bench/bare_floor.sh "$P/ringc" "$P/ringc-bare" "$PWD"
part batch "${BATCH_LIMIT:-150}" env COUNT=${COUNT:-3000} PARALLEL="${PARALLEL:-32 64 128}" scripts/bench-batch.sh
# The same batch with the spawner off, and without a network namespace:
# what the reactor's thread and the kernel's netns work each cost.
part variants 60 bash -c 'set -e; b=build/bundle-true; rm -rf /tmp/nonet; cp -a $b /tmp/nonet
  python3 -c "import json; p=\"/tmp/nonet/config.json\"; c=json.load(open(p))
c[\"linux\"][\"namespaces\"]=[n for n in c[\"linux\"][\"namespaces\"] if n[\"type\"]!=\"network\"]
json.dump(c,open(p,\"w\"))"
  for v in "1 $b" "0 $b" "1 /tmp/nonet"; do set -- $v; for k in 32 64; do
    echo "spawner=$1 bundle=$2 parallel=$k"
    RINGC_SPAWNER=$1 "$RINGC" --root /run/ns batch -b $2 --count ${COUNT:-3000} --parallel $k --json
  done; done'
part clients 90 env COUNT=${CLIENTS:-2000} PARALLEL=32 ROUNDS=1 scripts/bench-clients.sh
part warm 90 env COUNT=${WARM_COUNT:-500} POOL=16 scripts/bench-warm.sh
part priv "${PRIV_LIMIT:-150}" "$P/priv_tests" --gtest_brief=1 --gtest_filter="${PRIV_FILTER:-*}"
part scale "${SCALE_LIMIT:-240}" env LEVELS="${LEVELS:-10 1000 10000}" scripts/bench-scale.sh
ALL
chmod +x devpkg/*.sh
du -sh devpkg
