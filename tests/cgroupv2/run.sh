#!/usr/bin/env bash
# rt's cgroup v2 tests, in a qemu VM (this host mounts cgroup v1 controllers;
# the VM boots Debian's kernel with a pure cgroup2 hierarchy).
#
#   tests/cgroupv2/run.sh [RT_BINARY]      (default: the repo's ./rt)
#
# RT_BINARY is copied into the VM as /bin/rt (with its shared libraries if it
# is dynamic: `run.sh /usr/sbin/runc` runs the same tests against runc).
#
# Installs what is missing (qemu-system-x86, cpio, busybox-static), fetches
# Debian's linux-image-6.1.0-<N>-amd64 with apt-get download once (the newest
# apt-cache lists) and keeps its vmlinuz and the brd, bfq and dummy modules in
# tests/cgroupv2/.cache/ (git-ignored), builds an initramfs holding busybox,
# rt, a busybox bundle, init.sh as /init and tests.sh (with lib.sh), boots it with
# `qemu-system-x86_64 -accel tcg`, and reads the tests' TAP from the serial
# console. Prints the TAP lines (with diagnostics), the time taken, and last
# the line "cgroupv2: N passed, M failed". Exits non-zero if a test failed, if
# the VM did not get to the end, or on timeout.
#
# Environment:
#   CGROUPV2_TESTS        run only these tests (names of tests.sh, space-separated)
#   CGROUPV2_TIMEOUT      seconds for the whole VM run (default 420)
#   CGROUPV2_KERNEL       kernel package version, e.g. 6.1.0-56-amd64 (default:
#                         the newest in the cache, else the newest apt lists)
#   CGROUPV2_CONFORMANCE  1: also run the OCI validation programs
#                         linux_cgroups_* in the VM (built by
#                         tests/conformance/build.sh; needs Go and the module
#                         proxy). Their TAP is printed under "conformance:" and
#                         summed up on a separate line; it does not change the
#                         exit status (runtime-tools v0.9.0 cannot read
#                         cgroup v2: every program fails "cgroupv2 is not
#                         supported yet").
#   CGROUPV2_QEMU_ARGS    more qemu arguments
# The console log of the last run is kept in .cache/console.log.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
CACHE=$HERE/.cache
TIMEOUT=${CGROUPV2_TIMEOUT:-420}
T_START=$(date +%s.%N)

say() { echo "cgroupv2: $*"; }
die() {
	say "$*"
	echo "cgroupv2: 0 passed, 1 failed"
	exit 1
}
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
dl=""
RUNDIR=""
cleanup() { rm -rf ${dl:+"$dl"} ${RUNDIR:+"$RUNDIR"}; }
trap cleanup EXIT

rt_arg=${1:-$REPO/rt}
[[ -f "$rt_arg" && -x "$rt_arg" ]] || die "rt binary '$rt_arg' not found (make rt)"
RT=$(cd "$(dirname "$rt_arg")" && pwd)/$(basename "$rt_arg")

# --- packages ----------------------------------------------------------------
APT_UPDATED=0
apt_update() {
	if [[ $APT_UPDATED == 0 ]]; then
		apt-get update -qq > /dev/null || say "apt-get update failed"
		APT_UPDATED=1
	fi
}
missing=()
for p in qemu-system-x86 cpio busybox-static; do
	dpkg -s "$p" > /dev/null 2>&1 || missing+=("$p")
done
if [[ ${#missing[@]} -gt 0 ]]; then
	say "installing ${missing[*]}"
	apt_update
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" > /dev/null ||
		die "apt-get install ${missing[*]} failed"
fi
BUSYBOX=/bin/busybox
ldd "$BUSYBOX" > /dev/null 2>&1 && die "$BUSYBOX is not static (apt-get install busybox-static)"

# --- kernel ------------------------------------------------------------------
mkdir -p "$CACHE"
kver=${CGROUPV2_KERNEL:-}
if [[ -z "$kver" ]]; then
	kver=$(cd "$CACHE" && ls -d kernel-*/ 2> /dev/null | sed 's|^kernel-||; s|/$||' | sort -V | tail -n 1 || true)
	[[ -n "$kver" && -f "$CACHE/kernel-$kver/vmlinuz" ]] || kver=""
fi
newest_apt_kernel() {
	apt-cache search --names-only '^linux-image-6\.1\.0-[0-9]+-amd64$' 2> /dev/null |
		awk '{ print $1 }' | sed 's/^linux-image-//' | sort -V | tail -n 1
}
if [[ -z "$kver" ]]; then
	kver=$(newest_apt_kernel)
	if [[ -z "$kver" ]]; then
		apt_update
		kver=$(newest_apt_kernel)
	fi
	[[ -n "$kver" ]] || die "apt-cache lists no linux-image-6.1.0-<N>-amd64"
fi
# brd: ramdisks (block devices for io.max and the device filter); bfq:
# io.bfq.weight; dummy: a second network interface, which the conformance
# program linux_cgroups_network needs.
MODULES="drivers/block/brd block/bfq drivers/net/dummy"
KDIR=$CACHE/kernel-$kver
have_kernel() {
	[[ -f "$KDIR/vmlinuz" ]] || return 1
	for m in $MODULES; do [[ -f "$KDIR/modules/$(basename "$m").ko" ]] || return 1; done
}
if ! have_kernel; then
	say "fetching linux-image-$kver (once; cached in $KDIR)"
	dl=$(mktemp -d "$CACHE/download.XXXXXX")
	chmod 0755 "$dl"
	(cd "$dl" && apt-get download "linux-image-$kver" > /dev/null 2> "$dl/apt.err") || {
		apt_update
		(cd "$dl" && apt-get download "linux-image-$kver" > /dev/null 2> "$dl/apt.err")
	} || die "apt-get download linux-image-$kver failed: $(grep -v '^W:' "$dl/apt.err" | tail -n 3)"
	dpkg-deb -x "$dl"/linux-image-*.deb "$dl/x"
	mkdir -p "$KDIR.tmp/modules"
	cp "$dl/x/boot/vmlinuz-$kver" "$KDIR.tmp/vmlinuz"
	for m in $MODULES; do
		f=$(ls "$dl/x/lib/modules/$kver/kernel/$m".ko* 2> /dev/null | head -n 1)
		[[ -n "$f" ]] || die "module $m not in linux-image-$kver"
		case $f in
		*.ko) cp "$f" "$KDIR.tmp/modules/" ;;
		*.ko.xz) xz -dc "$f" > "$KDIR.tmp/modules/$(basename "$f" .xz)" ;;
		*.ko.zst) zstd -qdc "$f" > "$KDIR.tmp/modules/$(basename "$f" .zst)" ;;
		*) die "cannot unpack module $f" ;;
		esac
	done
	rm -rf "$KDIR"
	mv "$KDIR.tmp" "$KDIR"
	rm -rf "$dl"
	dl=""
fi

# --- conformance programs (optional) ----------------------------------------
CONF=${CGROUPV2_CONFORMANCE:-0}
CBUILD=$REPO/tests/conformance/.build
if [[ $CONF == 1 ]]; then
	[[ -x "$REPO/tests/conformance/build.sh" ]] || die "tests/conformance/build.sh not found"
	"$REPO/tests/conformance/build.sh" || die "tests/conformance/build.sh failed"
	ls "$CBUILD"/bin/linux_cgroups_* > /dev/null 2>&1 || die "no linux_cgroups_* programs in $CBUILD/bin"
fi

# --- initramfs ---------------------------------------------------------------
# Per run (two runs may go at once): the initramfs and the console log.
RUNDIR=$(mktemp -d "$CACHE/run.XXXXXX")
STAGE=$RUNDIR/initramfs
mkdir -p "$STAGE"/{bin,dev,proc,sys,tmp,run,tests,lib/modules}
cp "$BUSYBOX" "$STAGE/bin/busybox"
ln -s busybox "$STAGE/bin/sh"
cp "$RT" "$STAGE/bin/rt"
# A dynamic runtime (e.g. Debian's runc, to compare) gets its libraries.
if ldd "$RT" > /dev/null 2>&1; then
	for lib in $(ldd "$RT" | grep -o '/[^ ]*'); do
		mkdir -p "$STAGE$(dirname "$lib")"
		cp -L "$lib" "$STAGE$lib"
	done
fi
cp "$HERE/init.sh" "$STAGE/init"
cp "$HERE/tests.sh" "$HERE/lib.sh" "$HERE/conformance.sh" "$STAGE/tests/"
chmod 0755 "$STAGE/init" "$STAGE/bin/rt"
cp "$KDIR"/modules/*.ko "$STAGE/lib/modules/"
mknod "$STAGE/dev/console" c 5 1 2> /dev/null || true # (the kernel brings one too)
mknod "$STAGE/dev/null" c 1 3 2> /dev/null || true
BUSYBOX=$BUSYBOX "$REPO/tests/mkbundle.sh" "$STAGE/bundle" sh > /dev/null
mkdir -p "$STAGE/bundle/rootfs/shared"
{
	[[ -n "${CGROUPV2_TESTS:-}" ]] && printf 'export CGROUPV2_TESTS=%q\n' "$CGROUPV2_TESTS"
	[[ -n "${CGROUPV2_TEST_TIMEOUT:-}" ]] && printf 'export CGROUPV2_TEST_TIMEOUT=%q\n' "$CGROUPV2_TEST_TIMEOUT"
	true
} > "$STAGE/tests/params"
if [[ $CONF == 1 ]]; then
	mkdir -p "$STAGE/conformance/bin"
	cp "$CBUILD"/bin/linux_cgroups_* "$STAGE/conformance/bin/"
	cp "$CBUILD/runtimetest" "$STAGE/conformance/"
	# The suite runs `tar -xf rootfs-amd64.tar.gz`; busybox tar does not
	# detect gzip by itself, so the VM gets the tar uncompressed (same name).
	gzip -dc "$CBUILD/rootfs-amd64.tar.gz" > "$STAGE/conformance/rootfs-amd64.tar.gz"
fi
(cd "$STAGE" && find . -print0 | cpio --null -o -H newc --quiet) | gzip -1 > "$RUNDIR/initrd.gz"
rm -rf "$STAGE"

# --- boot ----------------------------------------------------------------------
LOG=$RUNDIR/console.log
say "booting linux $kver under qemu (tcg), initramfs $(du -k "$RUNDIR/initrd.gz" | cut -f1) kB, timeout ${TIMEOUT}s"
T_BOOT=$(date +%s.%N)
set +e
# shellcheck disable=SC2086
timeout -k 10 "$TIMEOUT" qemu-system-x86_64 -accel tcg -m 1024 -smp 2 -nographic -no-reboot \
	-nic none -kernel "$KDIR/vmlinuz" -initrd "$RUNDIR/initrd.gz" \
	-append "console=ttyS0 panic=-1 quiet" ${CGROUPV2_QEMU_ARGS:-} < /dev/null 2>&1 |
	tr -d '\r' | tee "$LOG" |
	awk '/^(not )?ok [0-9]+/ || /^#/ || /^init: / || /^conformance: / || /^[0-9]+\.\.[0-9]+$/ { print; fflush() }'
qrc=${PIPESTATUS[0]}
set -e
T_VM=$(elapsed "$T_BOOT")
cp "$LOG" "$CACHE/console.log"
LOG=$CACHE/console.log

# --- results -----------------------------------------------------------------
pass=$(grep -cE '^ok [0-9]+' "$LOG" || true)
fail=$(grep -cE '^not ok [0-9]+' "$LOG" || true)
plan=$(sed -n 's/^1\.\.\([0-9][0-9]*\)$/\1/p' "$LOG" | head -n 1)
reached_end=0
grep -q '^CGROUPV2-END' "$LOG" && reached_end=1
problems=()
if [[ $qrc == 124 || $qrc == 137 ]]; then
	problems+=("the VM timed out after ${TIMEOUT}s")
elif [[ $qrc != 0 ]]; then
	problems+=("qemu exited with status $qrc")
fi
[[ $reached_end == 1 ]] || problems+=("the VM did not reach the end of the tests (console log: $LOG)")
if [[ -z "$plan" ]]; then
	problems+=("no TAP plan on the console")
elif [[ $((pass + fail)) != "$plan" ]]; then
	problems+=("$((pass + fail)) results for a plan of $plan")
	# tests that never reported count as failed
	[[ $((pass + fail)) -lt $plan ]] && fail=$((plan - pass))
fi

if [[ $CONF == 1 ]]; then
	cpass=$(grep -cE '^conformance: [a-z_]+: ok( |$)' "$LOG" || true)
	cfail=$(grep -cE '^conformance: [a-z_]+: not ok( |$)' "$LOG" || true)
	cerr=$(grep -cE '^conformance: [a-z_]+: exit [1-9]' "$LOG" || true)
	cprogs=$(grep -cE '^conformance: [a-z_]+: exit ' "$LOG" || true)
	say "conformance (informational, runtime-tools v0.9.0 linux_cgroups_*): $cpass passed, $((cfail + cerr)) failed ($cerr programs exited non-zero) in $cprogs programs"
fi

boot=$(sed -n 's/^init: tests start at \([0-9.]*\) s uptime$/\1/p' "$LOG" | head -n 1)
for p in "${problems[@]}"; do say "$p"; done
say "time: ${boot:-?} s from kernel start to the first test (guest uptime), VM ${T_VM} s, total $(elapsed "$T_START") s"
[[ ${#problems[@]} -gt 0 && $fail == 0 ]] && fail=1
echo "cgroupv2: $pass passed, $fail failed"
[[ $fail == 0 && ${#problems[@]} == 0 ]]
