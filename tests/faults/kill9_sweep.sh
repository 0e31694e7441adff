#!/usr/bin/env bash
# kill -9 at swept delays during `create`, `run -d` and `delete --force`,
# each followed by one `delete --force` of the id, as an operator would:
# nothing of the id may be left (state entry, cgroup directory in any
# hierarchy, process), and the id must be usable again.
#   tests/faults/kill9_sweep.sh RINGC SOURCE_DIR [RUNS_PER_VERB]
set -uo pipefail
ringc=$1; src=$2; runs=${3:-40}
work=$(mktemp -d /tmp/ringc-sweep.XXXXXX)
root=$work/root
trap 'for id in $("$ringc" --root "$root" list -q 2>/dev/null); do "$ringc" --root "$root" delete --force "$id"; done; rm -rf "$work"' EXIT
bash "$src/scripts/make-bundle.sh" "$work/b" "$ringc" sleep 600 >/dev/null || exit 1
cd "$work/b"
rc() { "$ringc" --root "$root" "$@"; }
# What is left of id: its state entry, cgroup directories, and processes
# that carry the marker in their environment (ringc, and an init that has
# not yet exec'd: a clone of ringc).
left_of() {
  local id=$1 out=""
  [ -e "$root/$id" ] && out+=" state"
  for c in /sys/fs/cgroup/*/ringc/"$id" /sys/fs/cgroup/ringc/"$id"; do
    [ -e "$c" ] && out+=" $c"
  done
  for e in /proc/[0-9]*/environ; do
    grep -qz "^RINGC_SWEEP=$id\$" "$e" 2>/dev/null && out+=" process:${e#/proc/}"
  done
  echo "$out"
}
bad=0 total=0 hit=0
for verb in create run delete; do
  for i in $(seq 1 "$runs"); do
    id=$verb-$i
    # 0 to 4 ms in 0.1 ms steps (a create takes 2-4 ms here), then up to 32.
    if [ "$i" -le 40 ]; then d=$(printf '0.%04d' $(( (i * 7) % 41 )));
    else d=$(printf '0.%03d' $(( i % 33 ))); fi
    [ "$verb" = delete ] && { rc run -d "$id" >/dev/null 2>&1 || { echo "run -d $id failed"; bad=$((bad+1)); continue; }; }
    # ringc itself in the background (not a function's subshell): $! is it.
    case $verb in
      create) RINGC_SWEEP=$id "$ringc" --root "$root" create "$id" >/dev/null 2>&1 & ;;
      run) RINGC_SWEEP=$id "$ringc" --root "$root" run -d "$id" >/dev/null 2>&1 & ;;
      delete) RINGC_SWEEP=$id "$ringc" --root "$root" delete --force "$id" >/dev/null 2>&1 & ;;
    esac
    p=$!
    sleep "$d"
    kill -9 "$p" 2>/dev/null && hit=$((hit+1))
    wait "$p" 2>/dev/null
    total=$((total+1))
    if ! err=$(rc delete --force "$id" 2>&1); then
      echo "$id (kill at $d s): delete --force failed: $err"; bad=$((bad+1)); continue
    fi
    what=$(left_of "$id")
    # A process killed by the delete may take a moment to leave /proc.
    for _ in 1 2 3 4 5 6 7 8 9 10; do [ -z "$what" ] && break; sleep 0.1; what=$(left_of "$id"); done
    if [ -n "$what" ]; then echo "$id (kill at $d s): left$what"; bad=$((bad+1)); continue; fi
    # The id is free again.
    if ! rc run -d "$id" >/dev/null 2>&1 || ! rc delete --force "$id" >/dev/null 2>&1; then
      echo "$id: not reusable"; bad=$((bad+1))
    fi
  done
done
echo "kill -9 sweep: $total runs, $hit killed mid-command, $bad left something"
[ "$bad" -eq 0 ]
