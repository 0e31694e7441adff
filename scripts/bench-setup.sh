# Sourced by the side-by-side benchmarks (bench-batch.sh, bench-clients.sh):
# installs runc and crun, builds ringc, makes the busybox `true` bundle,
# and puts every runtime's state on one tmpfs, as /run is on standard
# hosts (this VM's /run is ext4), removed on exit. Sets ringc, bare (the
# no-runtime floor, bench/bare.cc), bundle, root.
# RINGC=PATH (and BARE=PATH) take binaries built elsewhere and install
# nothing (the bare many-core host of scripts/device-pack.sh, runc and
# crun on its PATH).
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [ -n "${RINGC:-}" ]; then
  ringc=$RINGC
  bare=${BARE:-$(dirname "$RINGC")/ringc-bare}
else
  scripts/deps.sh runc crun
  scripts/build.sh build/release -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  ringc=$PWD/build/release/cli/ringc
  bare=$PWD/build/release/bench/ringc-bare
fi
bundle=$PWD/build/bundle-true
scripts/make-bundle.sh "$bundle" "$ringc" true >/dev/null
root=$(mktemp -d /run/ringc-bench.XXXXXX)
mount -t tmpfs -o mode=0700 ringc-bench "$root"
trap 'umount "$root" 2>/dev/null || umount -l "$root"; rmdir "$root"' EXIT
