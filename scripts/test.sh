#!/usr/bin/env bash
# The test command: install, build, run every test with CTest.
# Unit tests run under ASan+UBSan; the priv (root) integration tests drive
# the release binary through real containers.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh podman containerd runc  # the engines and bench tests drive them
TARGETS=unit_tests scripts/build.sh build/asan -DCMAKE_BUILD_TYPE=Debug -DRINGC_SANITIZE=ON
scripts/build.sh build/release -DCMAKE_BUILD_TYPE=RelWithDebInfo
(cd build/asan && ctest -L unit --output-on-failure --timeout 120)
(cd build/release && ctest -LE unit --output-on-failure --timeout 300)
