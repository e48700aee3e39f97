#!/usr/bin/env bash
# Real clients drive rt exactly as they drive runc: Podman (through conmon)
# and containerd (through containerd-shim-runc-v2, with rt as its runc
# binary). Each check runs a real container and looks at what it printed.
# Everything lives under one temp dir (private storage, state and sockets);
# nothing is pulled: the image is a busybox rootfs imported locally.
# Prints TAP and a closing line `clients: N passed, M failed`.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
rt=$(readlink -f "${1:-$top/rt}")

missing=""
for p in podman conmon containerd; do
	command -v "$p" >/dev/null || missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "clients: installing$missing"
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman containerd >/dev/null
fi

work=$(mktemp -d /tmp/rt-clients.XXXXXX)
ctd_pid=""
cleanup() {
	[ -n "$ctd_pid" ] && kill "$ctd_pid" 2>/dev/null && wait "$ctd_pid" 2>/dev/null
	grep -o " $work[^ ]*" /proc/self/mounts | sort -r | while read -r m; do umount -l "$m"; done
	for d in /sys/fs/cgroup/*/libpod_parent /sys/fs/cgroup/*/clients-ns; do
		[ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
	done
	# The shim keeps rt's state root under /run/containerd/runc/<namespace>.
	rmdir /run/containerd/runc/clients-ns 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

n=0 pass=0 fail=0
check() { # name expected-substring output [rc want-rc]
	n=$((n + 1))
	if [[ "$3" == *"$2"* && "${4:-0}" == "${5:-0}" ]]; then
		echo "ok $n - $1"
		pass=$((pass + 1))
	else
		echo "not ok $n - $1"
		printf '#   want %q (exit %s), got exit %s:\n' "$2" "${5:-0}" "${4:-0}"
		printf '%s\n' "$3" | sed 's/^/#   /' | head -20
		fail=$((fail + 1))
	fi
}

"$top/tests/mkbundle.sh" "$work/bundle" true >/dev/null

# --- Podman -------------------------------------------------------------
P=(podman --runtime "$rt" --cgroup-manager=cgroupfs --events-backend=file
	--root "$work/podman/root" --runroot "$work/podman/run" --storage-driver vfs)
# This VM lacks CAP_SYS_RESOURCE: podman's default nofile and nproc
# (1048576) are above the hard limits here and cannot be raised (runc fails
# the same way), so ask for low limits, which can always be set.
U=(--ulimit nofile=1024:1024 --ulimit nproc=1024:1024 --network none)
tar -C "$work/bundle/rootfs" -c . | "${P[@]}" import -q - localhost/rt-busybox >/dev/null

out=$(timeout 60 "${P[@]}" run --rm "${U[@]}" localhost/rt-busybox sh -c 'echo hello; read -r c </proc/1/comm; echo $c' 2>&1)
check "podman run" $'hello\nsh' "$out" $?
out=$(timeout 60 "${P[@]}" run --rm "${U[@]}" localhost/rt-busybox sh -c 'exit 7' 2>&1)
check "podman run exit status" "" "$out" $? 7
out=$(timeout 60 "${P[@]}" run --rm -t "${U[@]}" localhost/rt-busybox tty 2>&1)
check "podman run -t (console socket)" "/dev/pts/0" "$out" $?
out=$(timeout 60 "${P[@]}" run --rm "${U[@]}" --memory 64m --pids-limit 50 localhost/rt-busybox \
	sh -c 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max' 2>&1)
check "podman resource limits" $'67108864\n50' "$out" $?
timeout 60 "${P[@]}" run -d --name c1 "${U[@]}" localhost/rt-busybox sleep 1000 >/dev/null 2>&1
out=$(timeout 30 "${P[@]}" exec c1 sh -c 'echo in-exec; read -r c </proc/1/comm; echo $c' 2>&1)
check "podman exec" $'in-exec\nsleep' "$out" $?
out=$(timeout 30 "${P[@]}" exec -t c1 tty 2>&1)
check "podman exec -t" "/dev/pts/" "$out" $?
timeout 30 "${P[@]}" pause c1 >/dev/null 2>&1
out=$(timeout 30 "${P[@]}" inspect --format '{{.State.Status}}' c1 2>&1)
check "podman pause" "paused" "$out" $?
timeout 30 "${P[@]}" unpause c1 >/dev/null 2>&1
out=$(timeout 30 "${P[@]}" top c1 2>&1)
check "podman top after unpause" "sleep 1000" "$out" $?
out=$(timeout 60 "${P[@]}" rm -f -t 1 c1 2>&1)
check "podman rm -f" "c1" "$out" $?

# --- containerd -----------------------------------------------------------
mkdir -p "$work/ctd"
cat > "$work/ctd/config.toml" <<EOT
version = 2
root = "$work/ctd/root"
state = "$work/ctd/state"
[grpc]
  address = "$work/ctd/sock"
[plugins."io.containerd.grpc.v1.cri"]
  disable = true
EOT
containerd --config "$work/ctd/config.toml" >"$work/ctd/log" 2>&1 &
ctd_pid=$!
C=(ctr -a "$work/ctd/sock" -n clients-ns)
for _ in $(seq 100); do "${C[@]}" version >/dev/null 2>&1 && break; sleep 0.1; done
"${P[@]}" save -q --format oci-archive -o "$work/image.tar" localhost/rt-busybox
"${C[@]}" images import --base-name localhost/rt-busybox "$work/image.tar" >/dev/null 2>&1
img=localhost/rt-busybox:latest

out=$(timeout 60 "${C[@]}" run --runc-binary "$rt" --rm "$img" t1 sh -c 'echo hello; read -r c </proc/1/comm; echo $c' 2>&1)
check "containerd run" $'hello\nsh' "$out" $?
out=$(timeout 60 "${C[@]}" run --runc-binary "$rt" --rm "$img" t2 sh -c 'exit 5' 2>&1)
check "containerd exit status" "" "$out" $? 5
timeout 60 "${C[@]}" run --runc-binary "$rt" -d "$img" t3 sleep 1000 >/dev/null 2>&1
out=$(timeout 30 "${C[@]}" task exec --exec-id e1 t3 sh -c 'echo in-exec; read -r c </proc/1/comm; echo $c' 2>&1)
check "containerd exec" $'in-exec\nsleep' "$out" $?
timeout 30 "${C[@]}" task pause t3 >/dev/null 2>&1
out=$(timeout 30 "${C[@]}" task ls 2>&1)
check "containerd pause" "PAUSED" "$out" $?
timeout 30 "${C[@]}" task resume t3 >/dev/null 2>&1
out=$(timeout 30 "${C[@]}" task metrics t3 2>&1)
check "containerd metrics (events --stats)" "memory.usage_in_bytes" "$out" $?
out=$(timeout 30 "${C[@]}" task ps t3 2>&1)
check "containerd task ps" "PID" "$out" $?
timeout 30 "${C[@]}" task kill -s KILL t3 >/dev/null 2>&1
for _ in $(seq 50); do "${C[@]}" task ls 2>/dev/null | grep -q STOPPED && break; sleep 0.1; done
out=$(timeout 30 "${C[@]}" task rm t3 2>&1 && timeout 30 "${C[@]}" containers rm t3 2>&1; echo "rc=$?")
check "containerd kill and delete" "rc=0" "$out"

echo "1..$n"
echo "clients: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
