#!/usr/bin/env bash
# Makes the built-in busybox bundle: DIR/rootfs from Debian's busybox-static,
# DIR/config.json from `ringc spec` with no terminal and the given command.
#   scripts/make-bundle.sh DIR RINGC [ARG...]     (default command: true)
set -euo pipefail
dir=$1; ringc=$(realpath "$(command -v "$2" || echo "$2")"); shift 2
[ $# -gt 0 ] || set -- true
busybox=${BUSYBOX:-/bin/busybox}
[ -x "$busybox" ] || { echo "make-bundle: $busybox missing (apt-get install busybox-static)" >&2; exit 1; }
rm -rf "$dir"
mkdir -p "$dir/rootfs"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,etc,root}
cp "$busybox" "$dir/rootfs/bin/busybox"
for applet in $("$busybox" --list); do
  [ "$applet" = busybox ] || ln -sf busybox "$dir/rootfs/bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' > "$dir/rootfs/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$dir/rootfs/etc/group"
chmod 1777 "$dir/rootfs/tmp"
(cd "$dir" && "$ringc" spec)
# JSON-quote each argument (no python on a bare Debian), then edit the two
# fields of `ringc spec`'s fixed output.
json_args=""
for a in "$@"; do
  q=${a//\\/\\\\}; q=${q//\"/\\\"}; q=${q//$'\t'/\\t}; q=${q//$'\n'/\\n}
  json_args+="${json_args:+, }\"$q\""
done
ARGS="$json_args" awk '
  /"terminal": true/ { sub(/true/, "false") }
  /"args": \[/ { print "\t\t\"args\": [" ENVIRON["ARGS"] "],"; skip = 1; next }
  skip && /\],/ { skip = 0; next }
  skip { next }
  { print }
' "$dir/config.json" > "$dir/config.json.new"
mv "$dir/config.json.new" "$dir/config.json"
