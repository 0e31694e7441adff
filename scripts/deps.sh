#!/usr/bin/env bash
# Installs what ringc needs to build, test and run its demo on Debian 12.
# Extra package names may be given (e.g. runc crun for the benchmarks).
set -euo pipefail
pkgs=(build-essential cmake ninja-build pkg-config liburing-dev libfmt-dev nlohmann-json3-dev
      libseccomp-dev libboost-dev libgtest-dev libbenchmark-dev busybox-static "$@")
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
