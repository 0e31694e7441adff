#!/usr/bin/env bash
# A contestant that fails every command after leaving state behind: the
# harness reports each failure with its reason, calls its delete --force
# for every container it failed on, and leaves no folder of its own.
#   tests/bench/failing_contestant.sh RINGC
set -euo pipefail
ringc=$1
work=$(mktemp -d /tmp/ringc-bench-test.XXXXXX)
trap 'rm -rf "$work"' EXIT
cat > "$work/bad-runtime" <<SH
#!/bin/sh
# --root ROOT VERB ...: leave something in the root, log the verb, fail
mkdir -p "\$2/left-behind"
echo "\$3 \$4 \$5" >> "$work/calls"
[ "\$3" = delete ] && exit 0
echo "bad-runtime: \$3 refused" >&2
exit 3
SH
chmod +x "$work/bad-runtime"
before=$(ls -d /tmp/ringc-bench.* 2>/dev/null | wc -l || true)
out=$("$ringc" bench --workload burst --count 3 --parallel 2 --rounds 1 --json \
      --runtime bad="$work/bad-runtime" --runtime ringc="$ringc")
echo "$out"
echo "$out" | grep -q '"runtime":"bad","workload":"burst","count":3,"failed":3' || { echo "FAIL: failures not counted"; exit 1; }
echo "$out" | grep -q '"last_error":"bad-runtime: run refused"' || { echo "FAIL: no reason"; exit 1; }
echo "$out" | grep -q '"runtime":"ringc","workload":"burst","count":3,"failed":0' || { echo "FAIL: ringc failed"; exit 1; }
[ "$(grep -c '^delete --force ' "$work/calls")" = 3 ] || { echo "FAIL: not cleaned up"; cat "$work/calls"; exit 1; }
after=$(ls -d /tmp/ringc-bench.* 2>/dev/null | wc -l || true)
[ "$before" = "$after" ] || { echo "FAIL: the harness left its folder"; exit 1; }
echo "ok: failing contestant reported and cleaned up"
