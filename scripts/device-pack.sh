#!/usr/bin/env bash
# Packs what the bare test host (pure cgroup v2, no packages) needs into the
# ignored devpkg/: stripped ringc and test binaries, their shared libraries,
# busybox, runc and crun with theirs, and two entry points:
#   devpkg/run.sh        unit + priv tests there
#   devpkg/bench.sh [N]  sequential run: ringc, runc, crun
# Build first (scripts/build.sh build/release ...); BUILD picks the tree.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD:-build/release}
rm -rf devpkg && mkdir -p devpkg/lib devpkg/rt
cp "$build/cli/ringc" "$build/tests/priv_tests" "$build/tests/unit_tests" \
   "$build/bench/ringc-bench-run" /bin/busybox devpkg/
strip devpkg/ringc devpkg/priv_tests devpkg/unit_tests devpkg/ringc-bench-run
libs() { ldd "$1" | awk '$3 ~ /^\// {print $3}' | grep -v -e '/libc.so' -e '/libm.so' -e '/libstdc++' -e '/libgcc_s'; }
for bin in devpkg/ringc $(command -v crun) $(command -v runc); do
  for l in $(libs "$bin"); do cp -L "$l" devpkg/lib/; done
done
cp "$(command -v crun)" devpkg/rt/ && cp -L "$(command -v runc)" devpkg/rt/
cat > devpkg/run.sh <<'RUN'
#!/bin/bash
cd "$(dirname "$0")/.."
export LD_LIBRARY_PATH=$PWD/devpkg/lib BUSYBOX=$PWD/devpkg/busybox
export RINGC_TEST_BIN=$PWD/devpkg/ringc RINGC_TEST_SOURCE_DIR=$PWD
mount | grep cgroup; uname -r; nproc
./devpkg/unit_tests --gtest_brief=1 2>&1 | tail -3
./devpkg/priv_tests --gtest_brief=1 2>&1 | tail -40
RUN
cat > devpkg/bench.sh <<'BENCH'
#!/bin/bash
cd "$(dirname "$0")/.."
export LD_LIBRARY_PATH=$PWD/devpkg/lib BUSYBOX=$PWD/devpkg/busybox
scripts/make-bundle.sh /tmp/bt "$PWD/devpkg/ringc" true >/dev/null
./devpkg/ringc-bench-run --bundle /tmp/bt --count "${1:-200}" --runtime ringc=$PWD/devpkg/ringc \
  --runtime runc=$PWD/devpkg/rt/runc --runtime crun=$PWD/devpkg/rt/crun --baseline crun
BENCH
chmod +x devpkg/*.sh
du -sh devpkg
