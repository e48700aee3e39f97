#!/bin/sh
# In the test VM (CGROUPV2_CONFORMANCE=1, see run.sh): runs the OCI
# runtime-tools validation programs copied to /conformance/bin (the
# linux_cgroups_* ones) with RUNTIME=/bin/rt, each alone in a fresh working
# directory holding runtimetest and rootfs-amd64.tar.gz, as
# tests/conformance/run.sh does on the host. Every line a program prints is
# echoed as "conformance: <program>: <line>", then
# "conformance: <program>: exit <status>".
C=/conformance
T=${CGROUPV2_CONFORMANCE_TIMEOUT:-120}
for prog in "$C"/bin/*; do
	p=${prog##*/}
	d=/tmp/conformance/$p
	mkdir -p "$d/tmp"
	cp "$C/runtimetest" "$d/runtimetest"
	ln -s "$C/rootfs-amd64.tar.gz" "$d/rootfs-amd64.tar.gz"
	t0=$(cut -d' ' -f1 /proc/uptime)
	(cd "$d" && RUNTIME=/bin/rt TMPDIR=$d/tmp timeout "$T" "$prog" < /dev/null > "$d/out" 2> "$d/err")
	rc=$?
	t1=$(cut -d' ' -f1 /proc/uptime)
	sed "s|^|conformance: $p: |" "$d/out"
	sed "s|^|conformance: $p: stderr: |" "$d/err" | head -n 5
	echo "conformance: $p: exit $rc, $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')s"
	for id in $(/bin/rt list -q 2> /dev/null); do
		/bin/rt delete --force "$id" > /dev/null 2>&1
	done
	rm -rf "$d"
done
