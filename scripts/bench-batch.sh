#!/usr/bin/env bash
# Start+stop throughput at the same parallelism, in one run: `ringc batch`
# (one reactor) against runc and crun driven by a shell (xargs -P K of
# `run`, which creates, starts, waits and deletes). Busybox `true`, the
# default config. Beside them the floor, measured the same way: ringc-bare
# (bench/bare.cc), the kernel's work for such a container with no runtime
# around it: as the issue defines it (namespaces, the cgroup directories of
# this host's layout, pivot_root, exec, reap: "bare"), with the six
# filesystems the default config mounts ("+mnt"), and with all that the
# default config asks of the kernel ("+cfg": devices, masked and read-only
# paths, capabilities; bench/bare_child.h). ringc's distance from "+cfg" is
# what it costs as a runtime.
#   COUNT=1000 PARALLEL="1 8 32" scripts/bench-batch.sh
# VIEW=v2 runs all three where /sys/fs/cgroup is the host's cgroup2
# hierarchy alone (a pure-v2 view of a hybrid host, without its v1
# controllers): what the engine pays on a v2 host, v1 directories aside.
# POOL=N adds ringc with both pools (batch --pool-netns N --pool-cgroups N:
# warm network namespaces, recycled cgroup paths) and its ratio to +cfg,
# and the floor of such a container ("pfloor": +cfg with a warm network
# namespace joined and no cgroup made, ringc-bare --netns warm --cgroups
# none): the most any runtime could get from those two pools here.
# "+cfg.vm" is +cfg with each child cloned into the launcher's memory
# (ringc-bare --clone shared: CLONE_VM until the exec, as ringc's engines
# clone their inits) instead of a copy of it: the same kernel work
# without fork's copy of the launcher's page tables.
# "proc" is the payload with no container at all (ringc-bare --setup
# process: posix_spawn of the rootfs's /bin/true, waited for): what this
# machine does for the process alone, the ceiling of every runtime.
set -euo pipefail
source "$(dirname "$0")/bench-setup.sh"
count=${COUNT:-1000}

# crun refuses a hybrid host: everything runs in a private mount namespace
# where /sys/fs/cgroup/unified is unmounted (the host's legacy-v1 view).
inner() {
  set -euo pipefail
  if [ "${VIEW:-}" = v2 ] && [ "$(stat -f -c %T /sys/fs/cgroup)" != cgroup2fs ]; then
    umount -R /sys/fs/cgroup
    mount -t cgroup2 cgroup2 /sys/fs/cgroup
  elif [ "$(stat -f -c %T /sys/fs/cgroup)" != cgroup2fs ] && mountpoint -q /sys/fs/cgroup/unified; then
    umount /sys/fs/cgroup/unified
  fi
  # A runtime that started nothing (crun in the pure-v2 view here) reads "-".
  rate() { awk -v n="$1" -v a="$2" -v b="$3" 'BEGIN { if (n > 0) printf "%.0f", n / (b - a); else printf "-" }'; }
  ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else printf "-" }'; }
  printf '%-9s %8s %8s %8s %8s %8s %9s %8s %8s %8s %8s %10s %10s %13s %12s %10s %11s %11s\n' \
    parallel ringc/s +pool/s bare/s +mnt/s +cfg/s +cfg.vm/s pfloor/s proc/s runc/s crun/s \
    +cfg/ringc pool/+cfg pool/+cfg.vm pfloor/+cfg pool/proc ringc/runc ringc/crun
  per_second() { sed 's/.*"containers_per_second":\([0-9.]*\).*/\1/'; }
  for k in ${PARALLEL:-1 8 32}; do
    r=$("$ringc" --root "$root/ringc" batch -b "$bundle" --count "$count" --parallel "$k" --json)
    ringc_rate=$(per_second <<<"$r")
    pool_rate=-
    if [ -n "${POOL:-}" ]; then
      rp=$("$ringc" --root "$root/ringc" batch -b "$bundle" --count "$count" --parallel "$k" \
        --pool-netns "$POOL" --pool-cgroups "$POOL" --json)
      pool_rate=$(per_second <<<"$rp")
    fi
    declare -A other
    for m in bare mounts config; do
      other[$m]=$("$bare" --rootfs "$bundle/rootfs" --count "$count" --parallel "$k" \
        --setup $m --json | per_second)
    done
    other[cfgvm]=$("$bare" --rootfs "$bundle/rootfs" --count "$count" --parallel "$k" \
      --setup config --clone shared --json | per_second)
    other[proc]=$("$bare" --rootfs "$bundle/rootfs" --count "$count" --parallel "$k" \
      --setup process --json | per_second)
    other[pfloor]=-
    if [ -n "${POOL:-}" ]; then
      other[pfloor]=$("$bare" --rootfs "$bundle/rootfs" --count "$count" --parallel "$k" \
        --setup config --netns warm --cgroups none --json | per_second)
    fi
    for rt in runc crun; do
      bin=$(command -v $rt)
      start=$(date +%s.%N)
      seq "$count" | xargs -P "$k" -I{} "$bin" --root "$root/$rt" run -b "$bundle" "$rt-{}" \
        >/dev/null 2>"$root/$rt.err" || true
      end=$(date +%s.%N)
      ok=$((count - $(grep -c . "$root/$rt.err" || true)))
      other[$rt]=$(rate "$ok" "$start" "$end")
      # A runtime that failed may leave its containers' cgroups (crun in
      # the pure-v2 view does): empty directories, removed here.
      for d in /sys/fs/cgroup/"$rt"-* /sys/fs/cgroup/*/"$rt"-*; do
        [ -d "$d" ] && rmdir "$d" 2>/dev/null || true
      done
    done
    printf '%-9s %8.0f %8s %8.0f %8.0f %8.0f %9.0f %8s %8.0f %8s %8s %10s %10s %13s %12s %10s %11s %11s\n' \
      "$k" "$ringc_rate" "$pool_rate" "${other[bare]}" "${other[mounts]}" "${other[config]}" \
      "${other[cfgvm]}" "${other[pfloor]}" "${other[proc]}" "${other[runc]}" "${other[crun]}" \
      "$(ratio "${other[config]}" "$ringc_rate")" "$(ratio "${pool_rate/-/0}" "${other[config]}")" \
      "$(ratio "${pool_rate/-/0}" "${other[cfgvm]}")" "$(ratio "${other[pfloor]/-/0}" "${other[config]}")" \
      "$(ratio "${pool_rate/-/0}" "${other[proc]}")" "$(ratio "$ringc_rate" "${other[runc]}")" \
      "$(ratio "$ringc_rate" "${other[crun]}")"
    # The figures the README quotes, from ringc's own report.
    grep -o -e '"create_to_running":{"p50_ms":[0-9.]*' -e '"cpu_ms_per_container":[0-9.]*' \
      -e '"reactor_cpu_us_per_container":[0-9.]*' -e '"spawner_cpu_us_per_container":[0-9.]*' \
      -e '"reactor_us_by_phase":{[^}]*}' -e '"init_us_by_phase":{[^}]*}' <<<"$r" | tr '\n' ' ' | sed 's/^/  ringc: /; s/$/\n/'
  done
}
export -f inner
export ringc bare bundle count root PARALLEL VIEW POOL
unshare -m --propagation private bash -c inner
