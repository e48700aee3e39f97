#!/bin/sh
# rt's cgroup v2 tests, run by busybox sh as root inside the test VM (see
# run.sh and init.sh): cgroup2 is mounted at /sys/fs/cgroup with every
# controller enabled for the root's children, rt is /bin/rt, the bundle's
# rootfs is /bundle/rootfs, brd's /dev/ram* exist.
#
#   tests.sh                run every test (or those named in $CGROUPV2_TESTS),
#                           print TAP on stdout
#   tests.sh one NAME       run test_NAME alone (what the loop below does, in a
#                           fresh process under a timeout, for each test)
#
# A test records failures with `fail MESSAGE` (it goes on), a skip with
# `skip REASON` (and returns); it passes if it recorded nothing. Each test
# deletes its containers; the loop then deletes whatever is left (and says so).
# Containers run a script the test writes to their /shared directory, a
# bind mount of a host directory, through which they also report back. The
# helpers (fail, eq, cgeq, bundle, running, ct_rm, ...) are in lib.sh.

# Word splitting of pid lists and test names is intended:
# shellcheck disable=SC2086,SC2046,SC2016,SC3043

RT=${RT:-/bin/rt}
CG=/sys/fs/cgroup
WORK=/tmp/cgv2
TEST_TIMEOUT=${CGROUPV2_TEST_TIMEOUT:-60}

ALL_TESTS="
placement_default
placement_absolute
placement_relative
create_memory
create_cpu
create_cpuset
create_pids
create_io
io_throttle
create_hugetlb
create_unified
update_flags
update_resources
update_invalid
create_bad_value
create_bad_unified
delete_killed_create
oom_kill
oom_kill_init
fork_limit
device_filter
pause_resume
delete_force_paused
kill_all
ps_json
events_stats
"

. "$(dirname "$0")/lib.sh"

# --- placement ---------------------------------------------------------------

# placement ID CGPATH-or-"-" DIR: the container's view of its cgroup (cgroup
# namespace), the host-side directory while it runs and after delete.
placement() {
	_id=$1
	if [ "$2" = - ]; then unset CGPATH; else CGPATH=$2; fi
	_dir=$3
	SCRIPT='cat /proc/self/cgroup > /shared/cgroup.tmp
cat /sys/fs/cgroup/cgroup.procs > /shared/procs 2>&1
mv /shared/cgroup.tmp /shared/cgroup
exec sleep 1000'
	bundle "$_id" > /dev/null
	ct_run "$_id" || return
	ct_wait_file "$_id" cgroup || { ct_rm "$_id"; return; }
	eq "/proc/self/cgroup in the container" "$(cat "$W/$_id/shared/cgroup")" "0::/"
	# The container's /sys/fs/cgroup is its own cgroup: it holds its pid 1.
	grep -qx 1 "$W/$_id/shared/procs" ||
		fail "the container's /sys/fs/cgroup/cgroup.procs lacks its pid 1: $(head -c 100 "$W/$_id/shared/procs" | tr '\n' ' ')"
	_pid=$(ct_pid "$_id")
	if [ -d "$_dir" ]; then
		grep -qx "$_pid" "$_dir/cgroup.procs" ||
			fail "init pid $_pid not in $_dir/cgroup.procs ($(procs "$_dir"))"
	else
		fail "$_dir does not exist while the container runs (init's cgroup: $(cat /proc/"$_pid"/cgroup 2>/dev/null))"
	fi
	eq "init's cgroup seen from the host" "$(cat /proc/"$_pid"/cgroup 2>/dev/null)" "0::${_dir#"$CG"}"
	rtdo "rt kill" "$RT" kill "$_id" KILL
	waitfor 100 status_is "$_id" stopped || fail "not stopped after kill (status $(ct_status "$_id"))"
	rtdo "rt delete" "$RT" delete "$_id"
	[ -d "$_dir" ] && fail "$_dir still exists after delete"
	"$RT" state "$_id" > /dev/null 2>&1 && fail "rt state still knows $_id after delete"
	ct_rm "$_id"
}

test_placement_default() {
	placement pl-default - "$CG/rt/pl-default"
}

test_placement_absolute() {
	placement pl-abs /cgv2test/abs/pl-abs "$CG/cgv2test/abs/pl-abs"
	rmdir "$CG/cgv2test/abs" "$CG/cgv2test" 2>/dev/null
}

test_placement_relative() {
	placement pl-rel rel/pl-rel "$CG/rt/rel/pl-rel"
	rmdir "$CG/rt/rel" 2>/dev/null
}

# --- resources after create -----------------------------------------------------

test_create_memory() {
	RES=', "memory": { "limit": 67108864, "reservation": 16777216, "swap": 100663296 }'
	created cr-mem || return
	cgeq "$D" memory.max 67108864
	cgeq "$D" memory.low 16777216
	# runc's v2 conversion: memory.swap.max = swap - limit
	cgeq "$D" memory.swap.max 33554432
	ct_rm cr-mem
}

test_create_cpu() {
	RES=', "cpu": { "shares": 2048, "quota": 50000, "period": 100000, "burst": 20000 }'
	created cr-cpu || return
	# runc's conversion of shares to cpu.weight
	cgeq "$D" cpu.weight $((1 + ((2048 - 2) * 9999) / 262142))
	cgeq "$D" cpu.max "50000 100000"
	cgeq "$D" cpu.max.burst 20000
	ct_rm cr-cpu
}

test_create_cpuset() {
	RES=', "cpu": { "cpus": "1", "mems": "0" }'
	created cr-cpuset || return
	cgeq "$D" cpuset.cpus 1
	cgeq "$D" cpuset.mems 0
	_pid=$(ct_pid cr-cpuset)
	eq "init's Cpus_allowed_list" "$(sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' /proc/"$_pid"/status)" 1
	ct_rm cr-cpuset
}

test_create_pids() {
	RES=', "pids": { "limit": 37 }'
	created cr-pids || return
	cgeq "$D" pids.max 37
	ct_rm cr-pids
}

test_create_io() {
	_dev=$(cat /sys/block/ram0/dev 2>/dev/null)
	[ -n "$_dev" ] || { skip "no /dev/ram0 (brd not loaded)"; return; }
	_maj=${_dev%:*}
	_min=${_dev#*:}
	RES=', "blockIO": { "weight": 300,
		"throttleReadBpsDevice": [ { "major": '$_maj', "minor": '$_min', "rate": 1048576 } ],
		"throttleWriteIOPSDevice": [ { "major": '$_maj', "minor": '$_min', "rate": 100 } ] }'
	created cr-io || return
	if [ -f "$D/io.bfq.weight" ]; then
		# BFQ takes the blkio weight as it is
		cgeq "$D" io.bfq.weight "default 300"
	elif [ -f "$D/io.weight" ]; then
		# runc's conversion of blkio weight to io.weight
		cgeq "$D" io.weight "default $((1 + ((300 - 10) * 9999) / 990))"
	else
		fail "$D has neither io.bfq.weight nor io.weight"
	fi
	eq "io.max" "$(grep "^$_dev " "$D/io.max" 2>/dev/null)" "$_dev rbps=1048576 wbps=max riops=max wiops=100"
	ct_rm cr-io
}

test_io_throttle() {
	_dev=$(cat /sys/block/ram1/dev 2>/dev/null)
	[ -n "$_dev" ] || { skip "no /dev/ram1 (brd not loaded)"; return; }
	_maj=${_dev%:*}
	_min=${_dev#*:}
	DEVICES='{ "path": "/dev/ram1", "type": "b", "major": '$_maj', "minor": '$_min', "fileMode": 432, "uid": 0, "gid": 0 }'
	DEVRULES=', { "allow": true, "type": "b", "major": '$_maj', "minor": '$_min', "access": "rw" }'
	RES=', "blockIO": { "throttleReadBpsDevice": [ { "major": '$_maj', "minor": '$_min', "rate": 524288 } ] }'
	# 1 MiB of direct reads at 512 KiB/s: about 2 s.
	SCRIPT='t0=$(cut -d" " -f1 /proc/uptime)
dd if=/dev/ram1 of=/dev/null bs=64k count=16 iflag=direct 2> /shared/dd.err
echo $? > /shared/rc
t1=$(cut -d" " -f1 /proc/uptime)
awk -v a=$t0 -v b=$t1 "BEGIN { print int((b - a) * 10) }" > /shared/tenths.tmp
mv /shared/tenths.tmp /shared/tenths'
	running io-thr || return
	if ct_wait_file io-thr tenths 300; then
		eq "dd status" "$(cat "$W/io-thr/shared/rc")" 0
		_t=$(cat "$W/io-thr/shared/tenths")
		[ "${_t:-0}" -ge 12 ] 2> /dev/null ||
			fail "1 MiB of direct reads took '$_t' tenths of a second, want >= 12 at rbps=512k ($(cgget "$D" io.max); $(head -n 1 "$W/io-thr/shared/dd.err"); $(head -n 3 "$W/io-thr/err"))"
	fi
	ct_rm io-thr
}

test_create_hugetlb() {
	RES=', "hugepageLimits": [ { "pageSize": "2MB", "limit": 4194304 } ]'
	created cr-huge || return
	cgeq "$D" hugetlb.2MB.max 4194304
	ct_rm cr-huge
}

test_create_unified() {
	RES=', "unified": { "memory.high": "41943040", "pids.max": "23" }'
	created cr-unified || return
	cgeq "$D" memory.high 41943040
	cgeq "$D" pids.max 23
	ct_rm cr-unified
}

# --- update -----------------------------------------------------------------

test_update_flags() {
	RES=', "memory": { "limit": 67108864 }, "pids": { "limit": 100 },
		"cpu": { "shares": 1024, "quota": 50000, "period": 100000 }'
	running up-flags || return
	rtdo "rt update --memory --memory-swap --pids-limit --cpu-quota --cpu-share --cpuset-cpus" \
		"$RT" update --memory 134217728 --memory-swap 201326592 --pids-limit 50 \
		--cpu-quota 30000 --cpu-share 512 --cpuset-cpus 0 up-flags
	cgeq "$D" memory.max 134217728
	cgeq "$D" memory.swap.max 67108864
	cgeq "$D" pids.max 50
	cgeq "$D" cpu.max "30000 100000"
	cgeq "$D" cpu.weight $((1 + ((512 - 2) * 9999) / 262142))
	cgeq "$D" cpuset.cpus 0
	eq "status after update" "$(ct_status up-flags)" running
	ct_rm up-flags
}

test_update_resources() {
	RES=', "memory": { "limit": 67108864 }, "pids": { "limit": 100 },
		"cpu": { "quota": 50000, "period": 100000 }'
	running up-res || return
	echo '{ "memory": { "limit": 100663296, "swap": 100663296 }, "pids": { "limit": 42 },
		"cpu": { "quota": 20000, "period": 50000 } }' > "$W/res.json"
	rtdo "rt update --resources -" "$RT" update --resources - up-res < "$W/res.json"
	cgeq "$D" memory.max 100663296
	cgeq "$D" memory.swap.max 0
	cgeq "$D" pids.max 42
	cgeq "$D" cpu.max "20000 50000"
	# a FILE, and a partial update: what it does not name stays.
	echo '{ "pids": { "limit": 43 } }' > "$W/res2.json"
	rtdo "rt update --resources FILE" "$RT" update --resources "$W/res2.json" up-res
	cgeq "$D" pids.max 43
	cgeq "$D" memory.max 100663296
	cgeq "$D" cpu.max "20000 50000"
	ct_rm up-res
}

test_update_invalid() {
	RES=', "memory": { "limit": 67108864 }, "pids": { "limit": 100 }'
	running up-bad || return
	# rt update works at all (else the checks below prove nothing)
	rtdo "rt update --pids-limit 90" "$RT" update --pids-limit 90 up-bad || { ct_rm up-bad; return; }
	cgeq "$D" pids.max 90
	echo '{ "pids": { "limit": ' > "$W/bad.json"
	"$RT" update --resources - up-bad < "$W/bad.json" > /dev/null 2>&1 &&
		fail "rt update with broken JSON succeeded"
	cgeq "$D" pids.max 90
	# cpu 7 does not exist (2 cpus): nothing may change, not even memory.max.
	"$RT" update --memory 134217728 --cpuset-cpus 7 up-bad > /dev/null 2> "$W/err" &&
		fail "rt update --cpuset-cpus 7 (no such cpu) succeeded"
	cgeq "$D" memory.max 67108864
	eq "status after failed updates" "$(ct_status up-bad)" running
	ct_rm up-bad
}

test_create_bad_value() {
	RES=', "pids": { "limit": 10 }, "cpu": { "cpus": "7" }'
	bundle cr-bad > /dev/null
	if "$RT" create --bundle "$W/cr-bad" cr-bad < /dev/null > /dev/null 2> "$W/err"; then
		fail "rt create with cpus \"7\" (2 cpus) succeeded"
	else
		sed 's/time="[^"]*"//' "$W/err" | grep cpuset.cpus | grep -q 7 ||
			fail "error does not name cpuset.cpus and the value: $(head -n 2 "$W/err" | tr '\n' ' ')"
	fi
	for _d in "$CG/rt/cr-bad" "$CG/cr-bad"; do
		[ -d "$_d" ] && fail "$_d left behind"
	done
	"$RT" state cr-bad > /dev/null 2>&1 && fail "container cr-bad exists after a failed create"
	ct_rm cr-bad
}

test_create_bad_unified() {
	RES=', "unified": { "../pids.max": "5" }'
	create_fails cr-badu1 'unified key "../pids.max"'
	RES=', "unified": { "nosuchcontroller.max": "5" }'
	create_fails cr-badu2 'unified key "nosuchcontroller.max"'
}

# rt create killed (SIGKILL) while a createRuntime hook runs: the init waits
# in its cgroup; rt delete --force must clean up all of it.
test_delete_killed_create() {
	HOOKS='"createRuntime": [ { "path": "/bin/sh",
		"args": [ "sh", "-c", "echo $$ > '$W'/hook.pid; exec sleep 1000" ] } ]'
	bundle kcreate > /dev/null
	"$RT" create --bundle "$W/kcreate" kcreate < /dev/null > /dev/null 2> "$W/create.err" &
	_cpid=$!
	if ! waitfor 200 test -s "$W/hook.pid"; then
		fail "the createRuntime hook did not run: $(head -n 2 "$W/create.err" | tr '\n' ' ')"
		kill -9 $_cpid 2> /dev/null
		return
	fi
	cat "$W/hook.pid" >> "$W/bgpids"
	_dir=$CG/rt/kcreate
	[ -d "$_dir" ] || [ ! -d "$CG/kcreate" ] || _dir=$CG/kcreate # runc's place
	[ -d "$_dir" ] || fail "$_dir does not exist while the createRuntime hook runs"
	_procs=$(procs "$_dir")
	[ -n "$_procs" ] || fail "no process in $_dir while the createRuntime hook runs"
	kill -9 $_cpid
	wait $_cpid 2> /dev/null
	kill -9 "$(cat "$W/hook.pid")" 2> /dev/null
	rtdo "rt delete --force after rt create was killed" "$RT" delete --force kcreate
	[ -d "$_dir" ] && fail "$_dir still exists after delete --force (procs: $(procs "$_dir"))"
	for _p in $_procs; do
		[ -d "/proc/$_p" ] && ! grep -q '^State:.*Z' "/proc/$_p/status" 2> /dev/null &&
			fail "process $_p of the container still alive"
	done
	"$RT" state kcreate > /dev/null 2>&1 && fail "rt state still knows kcreate"
}

# --- behaviour ---------------------------------------------------------------

# A child of the container's init allocates past memory.max: the kernel
# kills it, the container goes on, rt events reports the OOM.
test_oom_kill() {
	RES=', "memory": { "limit": 33554432, "swap": 33554432 }'
	SCRIPT='echo > /shared/ready
while [ ! -e /shared/go ]; do usleep 50000; done
dd if=/dev/zero of=/dev/null bs=48M count=1 2> /shared/dd.err
echo $? > /shared/rc.tmp
mv /shared/rc.tmp /shared/rc
exec sleep 1000'
	running oom || return
	ct_wait_file oom ready || { ct_rm oom; return; }
	events_start oom 1s
	touch "$W/oom/shared/go"
	if ct_wait_file oom rc 300; then
		eq "exit status of dd allocating 48M past memory.max 32M" "$(cat "$W/oom/shared/rc")" 137
	fi
	_k=$(sed -n 's/^oom_kill //p' "$D/memory.events" 2>/dev/null)
	[ "${_k:-0}" -ge 1 ] || fail "memory.events oom_kill is '${_k}', want >= 1"
	events_oom
	kill "$_ev" 2> /dev/null
	wait "$_ev" 2> /dev/null
	eq "status after the OOM kill of a child" "$(ct_status oom)" running
	ct_rm oom
}

# The container's only process allocates past memory.max (the usual case):
# the container stops, rt events reports the OOM and then exits.
test_oom_kill_init() {
	RES=', "memory": { "limit": 16777216, "swap": 16777216 }'
	SCRIPT='echo > /shared/ready
while [ ! -e /shared/go ]; do usleep 50000; done
exec dd if=/dev/zero of=/dev/null bs=32M count=1'
	running oomi || return
	ct_wait_file oomi ready || { ct_rm oomi; return; }
	# A short interval: a stats tick after the init died must not end the
	# stream before the OOM event is out.
	events_start oomi 100ms
	touch "$W/oomi/shared/go"
	waitfor 200 status_is oomi stopped || fail "status after the OOM kill of the init: $(ct_status oomi), want stopped"
	events_oom 50
	waitfor 50 sh -c "! kill -0 $_ev 2> /dev/null" || fail "rt events did not exit after the container stopped"
	kill "$_ev" 2> /dev/null
	wait "$_ev" 2> /dev/null
	ct_rm oomi
}

test_fork_limit() {
	RES=', "pids": { "limit": 12 }'
	SCRIPT='sh -c "i=0; while [ \$i -lt 40 ]; do sleep 1000 & i=\$((i+1)); echo \$i > /shared/n; done" 2> /shared/loop.err
echo > /shared/done
exec sleep 1000'
	running forks || return
	if ct_wait_file forks "done" 300; then
		_n=$(cat "$W/forks/shared/n" 2>/dev/null)
		[ "${_n:-0}" -lt 40 ] || fail "the fork loop started all 40 sleeps (pids.max $(cgget "$D" pids.max))"
		[ "${_n:-0}" -ge 5 ] || fail "the fork loop started only '${_n}' sleeps"
		grep -q "fork" "$W/forks/shared/loop.err" ||
			fail "no fork error in the container: $(head -c 200 "$W/forks/shared/loop.err")"
		_c=$(cgget "$D" pids.current)
		[ "$_c" -le 12 ] 2> /dev/null || fail "pids.current is '$_c', want <= 12"
		_m=$(sed -n 's/^max //p' "$D/pids.events" 2>/dev/null)
		[ "${_m:-0}" -ge 1 ] || fail "pids.events max is '${_m}', want >= 1"
	fi
	ct_rm forks
}

test_device_filter() {
	[ -b /dev/ram1 ] || { skip "no /dev/ram0 and /dev/ram1 (brd not loaded)"; return; }
	# ram0 and ram1 are made in the container's /dev; only ram1 is allowed.
	DEVICES='{ "path": "/dev/ram0", "type": "b", "major": 1, "minor": 0, "fileMode": 432, "uid": 0, "gid": 0 },
		{ "path": "/dev/ram1", "type": "b", "major": 1, "minor": 1, "fileMode": 432, "uid": 0, "gid": 0 }'
	DEVRULES=', { "allow": true, "type": "b", "major": 1, "minor": 1, "access": "rw" }'
	SCRIPT='for d in ram0 ram1; do
	[ -b /dev/$d ] && echo yes > /shared/$d.node
	dd if=/dev/$d of=/dev/null bs=512 count=1 2> /shared/$d.err
	echo $? > /shared/$d.rc
done
echo hello > /dev/null; echo $? > /shared/null.rc
dd if=/dev/zero of=/dev/null bs=1 count=1 2> /dev/null; echo $? > /shared/zero.rc
echo > /shared/done'
	bundle devs > /dev/null
	ct_run devs || return
	if ct_wait_file devs "done"; then
		_s=$W/devs/shared
		eq "/dev/ram0 made in the container" "$(cat "$_s/ram0.node" 2>/dev/null)" yes
		eq "/dev/ram1 made in the container" "$(cat "$_s/ram1.node" 2>/dev/null)" yes
		eq "read of the allowed /dev/ram1 (status)" "$(cat "$_s/ram1.rc")" 0
		if [ "$(cat "$_s/ram0.rc")" = 0 ] || ! grep -q "Operation not permitted" "$_s/ram0.err"; then
			fail "open of /dev/ram0 (not allowed): status $(cat "$_s/ram0.rc"), $(head -n 1 "$_s/ram0.err"); want EPERM"
		fi
		eq "write to /dev/null (status)" "$(cat "$_s/null.rc")" 0
		eq "read of /dev/zero (status)" "$(cat "$_s/zero.rc")" 0
	fi
	ct_rm devs
}

test_delete_force_paused() {
	SCRIPT='sleep 1000 &
sleep 1000 &
echo > /shared/ready
wait'
	running delp || return
	ct_wait_file delp ready || { ct_rm delp; return; }
	_pid=$(ct_pid delp)
	_procs=$(procs "$D")
	rtdo "rt pause" "$RT" pause delp
	rtdo "rt delete --force (paused)" "$RT" delete --force delp
	[ -d "$D" ] && fail "$D still exists after delete --force"
	for _p in $_procs; do
		[ -d "/proc/$_p" ] && ! grep -q '^State:.*Z' "/proc/$_p/status" 2> /dev/null &&
			fail "process $_p of the container still alive"
	done
	"$RT" state delp > /dev/null 2>&1 && fail "rt state still knows delp"
	[ -n "$_pid" ] || fail "no init pid"
	ct_rm delp
}

test_kill_all() {
	PIDNS=0
	SCRIPT='sleep 1000 &
sleep 1000 &
echo > /shared/ready
wait'
	running killall || return
	ct_wait_file killall ready || { ct_rm killall; return; }
	_procs=$(procs "$D")
	set -- $_procs
	[ $# -ge 3 ] || fail "want 3 processes in $D, got '$_procs'"
	rtdo "rt kill --all KILL" "$RT" kill --all killall KILL
	waitfor 100 cg_empty "$D" || fail "processes left in the cgroup: $(procs "$D")"
	waitfor 100 status_is killall stopped || fail "status after kill --all: $(ct_status killall)"
	rtdo "rt kill --all of a stopped container" "$RT" kill --all killall KILL
	rtdo "rt delete" "$RT" delete killall
	[ -d "$D" ] && fail "$D still exists after delete"
	ct_rm killall
}

test_ps_json() {
	SCRIPT='sleep 1000 &
sleep 1000 &
echo > /shared/ready
wait'
	running ps || return
	ct_wait_file ps ready || { ct_rm ps; return; }
	if rtdo "rt ps --format json" "$RT" ps --format json ps; then
		_got=$(json_compact < "$W/rtdo.out")
		case $_got in
		\[*\]) ;;
		*) fail "rt ps --format json did not print a JSON array: $_got" ;;
		esac
		_got=$(echo "$_got" | tr -d '[]' | tr ',' '\n' | sort -n | tr '\n' ' ' | sed 's/ $//')
		eq "rt ps --format json (sorted)" "$_got" "$(procs "$D")"
	fi
	ct_rm ps
}

test_events_stats() {
	RES=', "memory": { "limit": 67108864 }, "pids": { "limit": 50 }'
	SCRIPT='sleep 1000 &
echo > /shared/ready
wait'
	running evs || return
	ct_wait_file evs ready || { ct_rm evs; return; }
	if rtdo "rt events --stats" timeout 20 "$RT" events --stats evs; then
		_n=$(grep -c . "$W/rtdo.out")
		eq "lines printed by rt events --stats" "$_n" 1
		_e=$(json_compact < "$W/rtdo.out")
		_bad=""
		for _want in '"type":"stats"' '"id":"evs"' '"pids":{"current":'"$(nprocs "$D")"',"limit":50}' \
			'"memory":{' '"usage":{' '"limit":67108864' '"cpu":{' '"usage":{"total":'; do
			case $_e in
			*"$_want"*) ;;
			*) _bad="$_bad $_want" ;;
			esac
		done
		[ -z "$_bad" ] || fail "rt events --stats lacks$_bad; it printed: $_e"
	fi
	ct_rm evs
}

# --- driver -----------------------------------------------------------------

if [ "$1" = one ]; then
	T=$2
	W=$WORK/$T
	ERRS=$W/errors
	mkdir -p "$W"
	: > "$ERRS"
	case " $(printf '%s ' $ALL_TESTS)" in
	*" $T "*) "test_$T" ;;
	*) fail "no such test: $T" ;;
	esac
	exit 0
fi

TESTS=${CGROUPV2_TESTS:-$ALL_TESTS}
set -- $TESTS
echo "1..$#"
n=0
for t in $TESTS; do
	n=$((n + 1))
	W=$WORK/$t
	rm -rf "$W"
	mkdir -p "$W"
	t0=$(cut -d' ' -f1 /proc/uptime)
	timeout "$TEST_TIMEOUT" sh "$0" one "$t" > "$W/output" 2>&1
	rc=$?
	t1=$(cut -d' ' -f1 /proc/uptime)
	secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
	# Safety net: background processes, containers and cgroups the test
	# left behind (after a timeout, say).
	[ -f "$W/bgpids" ] && kill $(cat "$W/bgpids") 2> /dev/null
	left=""
	for id in $("$RT" list -q 2> /dev/null); do
		left="$left $id"
		"$RT" delete --force "$id" > /dev/null 2>&1
	done
	for d in $(find "$CG/rt" "$CG/cgv2test" -mindepth 1 -type d 2> /dev/null | sort -r); do
		echo 1 > "$d/cgroup.kill" 2> /dev/null
		rmdir "$d" 2> /dev/null || { sleep 0.2; rmdir "$d" 2> /dev/null; }
		left="$left cgroup:${d#"$CG"}"
	done
	[ "$rc" -ne 0 ] &&
		echo "the test process exited with status $rc (killed after the ${TEST_TIMEOUT}s timeout?)" >> "$W/errors"
	if [ -s "$W/errors" ]; then
		echo "not ok $n - $t # $(head -n 1 "$W/errors")"
		sed '1d; s/^/#   /' "$W/errors" | head -n 20
		[ -s "$W/output" ] && sed 's/^/#   output: /' "$W/output" | head -n 10
	elif [ -s "$W/skip" ]; then
		echo "ok $n - $t # SKIP $(head -n 1 "$W/skip")"
	else
		echo "ok $n - $t"
	fi
	echo "#   time ${secs}s${left:+; deleted after the test:$left}"
done
