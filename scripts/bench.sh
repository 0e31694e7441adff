#!/usr/bin/env bash
# Sequential `run` of the busybox `true` bundle: ringc against runc and
# crun in one interleaved run, then the micro-benchmarks.
#   COUNT=200 scripts/bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh runc crun
scripts/build.sh build/release -DCMAKE_BUILD_TYPE=RelWithDebInfo
bundle=$PWD/build/bundle-true
scripts/make-bundle.sh "$bundle" build/release/cli/ringc true >/dev/null
# On a hybrid host crun refuses to run: all three run in a private mount
# namespace that hides /sys/fs/cgroup/unified (a legacy-v1 view).
hide=()
if [ "$(stat -f -c %T /sys/fs/cgroup)" != cgroup2fs ] && [ -d /sys/fs/cgroup/unified ]; then hide=(--hide-unified); fi
build/release/bench/ringc-bench-run --bundle "$bundle" --count "${COUNT:-200}" "${hide[@]}" \
  --runtime ringc="$PWD/build/release/cli/ringc" --runtime runc="$(command -v runc)" \
  --runtime crun="$(command -v crun)" --baseline crun
[ -x build/release/bench/ringc-micro ] && build/release/bench/ringc-micro --benchmark_min_time=0.2
