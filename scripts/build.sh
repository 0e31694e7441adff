#!/usr/bin/env bash
# Configures and builds one tree: scripts/build.sh DIR [cmake args...]
# TARGETS="a b" builds only those targets (the test command's ASan tree
# needs the unit tests alone).
set -euo pipefail
dir=$1; shift
cmake -S "$(dirname "$0")/.." -B "$dir" -G Ninja "$@" >/dev/null
# shellcheck disable=SC2086  # TARGETS is a list
cmake --build "$dir" -- -j"$(nproc)" ${TARGETS:-}
