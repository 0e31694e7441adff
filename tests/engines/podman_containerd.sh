#!/usr/bin/env bash
# podman (through conmon) and containerd (through its io.containerd.runc.v2
# shim) run ringc as their OCI runtime, unchanged: the calls and flags they
# make are theirs. Each gets its own storage under a temporary folder.
#   tests/engines/podman_containerd.sh RINGC SOURCE_DIR
# Exit 77 (a CTest skip) when neither engine is installed.
set -euo pipefail
ringc=$1 src=$2
have_podman=$(command -v podman || true)
have_ctr=$(command -v containerd || true)
if [ -z "$have_podman" ] && [ -z "$have_ctr" ]; then
  echo "SKIP: neither podman nor containerd is installed (apt-get install podman containerd)"
  exit 77
fi
work=$(mktemp -d /tmp/ringc-engines.XXXXXX)
cd_pid=""
tag=$$
cleanup() {
  for id in c1-$tag c2-$tag; do "$ringc" --root /run/containerd/runc/default delete --force $id 2>/dev/null; done
  [ -n "$cd_pid" ] && kill "$cd_pid" 2>/dev/null && wait "$cd_pid" 2>/dev/null
  for m in $(grep "$work" /proc/mounts | awk '{print $2}' | sort -r); do umount "$m" 2>/dev/null; done
  [ -n "$have_podman" ] && $P rm -af >/dev/null 2>&1 || true
  [ -n "$have_podman" ] && $P system reset -f >/dev/null 2>&1 || true
  rm -rf "$work" 2>/dev/null || true
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }
# What the host's freezer says of a process's cgroup: v1 freezer.state where
# a freezer hierarchy is mounted (what podman, containerd and cAdvisor
# read), else FROZEN/THAWED from v2's cgroup.freeze.
freezer_of() {
  local v1 v2
  v1=$(awk -F: '$2 ~ /(^|,)freezer(,|$)/ {print $3}' "/proc/$1/cgroup")
  if [ -n "$v1" ] && [ -d /sys/fs/cgroup/freezer ]; then cat "/sys/fs/cgroup/freezer$v1/freezer.state"; return; fi
  v2=$(awk -F: '$1 == "0" {print $3}' "/proc/$1/cgroup")
  [ "$(cat "/sys/fs/cgroup$v2/cgroup.freeze")" = 1 ] && echo FROZEN || echo THAWED
}
expect() {  # expect NAME WANT GOT
  [ "$2" = "$3" ] || fail "$1: want $(printf %q "$2"), got $(printf %q "$3")"
  echo "ok: $1"
}

bash "$src/scripts/make-bundle.sh" "$work/bundle" "$ringc" true >/dev/null
tar -C "$work/bundle/rootfs" -cf "$work/rootfs.tar" .
# This host's root cannot raise rlimits past its hard limits, and the
# engines ask for more by default: runc fails the same way without these.
limits="--ulimit nofile=1024:1024 --ulimit nproc=1024:1024"

if [ -n "$have_podman" ]; then
  P="podman --root $work/storage --runroot $work/run --cgroup-manager cgroupfs --events-backend none --runtime $ringc"
  $P import -q "$work/rootfs.tar" localhost/ringc-test:latest >/dev/null 2>&1
  img=localhost/ringc-test:latest
  expect "podman run" $'hi\nSeccomp:\t2' \
    "$($P run --rm --network none $limits $img sh -c 'echo hi; grep Seccomp: /proc/self/status')"
  $P run -d --name web --network none $limits $img sh -c 'echo started; exec sleep 60' >/dev/null
  expect "podman exec" "exec-ok 1" "$($P exec web sh -c 'echo exec-ok $(pidof sleep | wc -w)')"
  expect "podman exec --tty" $'/dev/pts/0\r' "$($P exec -t web tty)"
  $P pause web >/dev/null
  expect "podman pause" "paused" "$($P inspect --format '{{.State.Status}}' web)"
  expect "podman pause, the host's freezer" "FROZEN" "$(freezer_of "$($P inspect --format '{{.State.Pid}}' web)")"
  $P unpause web >/dev/null
  expect "podman top" "sleep 60" "$($P top web args | tail -1 | tr -s ' ' | sed 's/ *$//')"
  expect "podman logs" "started" "$($P logs web)"
  expect "podman ps" "web" "$($P ps --format '{{.Names}}')"
  $P update --memory 32m web >/dev/null
  expect "podman update" "33554432" "$($P exec web sh -c \
    'cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max')"
  $P kill web >/dev/null
  expect "podman wait" "137" "$($P wait web)"
  $P rm web >/dev/null
  $P run -d --name stopme --network none $limits $img sh -c 'trap "exit 0" TERM; sleep 60 & wait' >/dev/null
  $P stop -t 10 stopme >/dev/null
  expect "podman stop" "0" "$($P inspect --format '{{.State.ExitCode}}' stopme)"
  $P rm stopme >/dev/null
  set +e
  $P run --rm --network none $limits $img sh -c 'exit 42'
  code=$?
  set -e
  expect "podman run exit code" "42" "$code"
  expect "podman run --memory --pids-limit" $'67108864\n50' "$($P run --rm --network none $limits \
    --memory 64m --pids-limit 50 $img sh -c '
      cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max
      cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max')"
  # podman's own flags: device modes with file-type bits, tmpcopyup
  # tmpfs mounts on a read-only root, and drop ALL.
  expect "podman run --privileged" "privileged $(grep CapBnd /proc/self/status | cut -f2)" \
    "$($P run --rm --privileged --network none $limits $img \
      sh -c 'test -c /dev/null && echo privileged $(grep CapBnd /proc/self/status | cut -f2)')"
  expect "podman run --read-only" "read-only" "$($P run --rm --read-only --network none $limits $img \
    sh -c 'touch /run/a /tmp/b /var/tmp/c && ! touch /d 2>/dev/null && echo read-only')"
  expect "podman run --cap-drop all" $'CapPrm:\t0000000000000000\nCapBnd:\t0000000000000000' \
    "$($P run --rm --cap-drop all --network none $limits $img grep -E 'CapPrm|CapBnd' /proc/self/status)"
  expect "podman leaves nothing" "" "$("$ringc" list -q)"
fi

if [ -n "$have_ctr" ]; then
  cat > "$work/cd.toml" <<TOML
version = 2
root = "$work/cd-root"
state = "$work/cd-state"
[grpc]
  address = "$work/cd.sock"
[ttrpc]
  address = "$work/cd.sock.ttrpc"
TOML
  containerd --config "$work/cd.toml" >"$work/containerd.log" 2>&1 &
  cd_pid=$!
  C="ctr --address $work/cd.sock"
  for _ in $(seq 100); do $C version >/dev/null 2>&1 && break; sleep 0.1; done
  podman_free=$work/image.tar
  # An image archive ctr can import, made without network: one layer.
  mkdir -p "$work/oci/blobs/sha256"
  layer=$(sha256sum "$work/rootfs.tar" | cut -d' ' -f1)
  cp "$work/rootfs.tar" "$work/oci/blobs/sha256/$layer"
  size=$(stat -c %s "$work/rootfs.tar")
  printf '{"architecture":"amd64","os":"linux","config":{"Cmd":["sh"]},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' "$layer" >"$work/config.json"
  cfg=$(sha256sum "$work/config.json" | cut -d' ' -f1); cfgsize=$(stat -c %s "$work/config.json")
  mv "$work/config.json" "$work/oci/blobs/sha256/$cfg"
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:%s","size":%s}]}' "$cfg" "$cfgsize" "$layer" "$size" >"$work/manifest.json"
  man=$(sha256sum "$work/manifest.json" | cut -d' ' -f1); mansize=$(stat -c %s "$work/manifest.json")
  mv "$work/manifest.json" "$work/oci/blobs/sha256/$man"
  printf '{"imageLayoutVersion":"1.0.0"}' >"$work/oci/oci-layout"
  printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"localhost/ringc-test:latest"}}]}' "$man" "$mansize" >"$work/oci/index.json"
  tar -C "$work/oci" -cf "$podman_free" .
  $C image import --base-name localhost/ringc-test "$podman_free" >/dev/null
  img=localhost/ringc-test:latest
  R="--runc-binary $ringc"
  expect "ctr run" "hi" "$($C run --rm $R $img c1-$tag sh -c 'echo hi')"
  # After every exit the shim sends `kill --all ID 9`: it must succeed on
  # the stopped container for the exit to be recorded.
  set +e
  $C run --rm $R $img c1-$tag sh -c 'exit 3'
  code=$?
  set -e
  expect "ctr run exit code" "3" "$code"
  $C run -d $R $img c2-$tag sleep 60 >/dev/null
  expect "ctr exec" "exec-ok" "$($C task exec --exec-id e1 c2-$tag echo exec-ok)"
  expect "ctr task ps" "1" "$($C task ps c2-$tag | tail -n +2 | wc -l)"
  $C task pause c2-$tag
  expect "ctr pause" "PAUSED" "$($C task ls | awk '$1=="c2-'$tag'"{print $3}')"
  expect "ctr pause, the host's freezer" "FROZEN" "$(freezer_of "$($C task ls | awk '$1=="c2-'$tag'"{print $2}')")"
  $C task resume c2-$tag
  $C task kill -s KILL c2-$tag
  for _ in $(seq 50); do [ "$($C task ls | awk '$1=="c2-'$tag'"{print $3}')" = STOPPED ] && break; sleep 0.1; done
  expect "ctr kill" "STOPPED" "$($C task ls | awk '$1=="c2-'$tag'"{print $3}')"
  $C task rm c2-$tag >/dev/null
  $C container rm c2-$tag
fi
echo "all engine checks passed"
