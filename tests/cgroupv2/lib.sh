#!/bin/sh
# Helpers of tests.sh (sourced): assertions, waiting, the bundle of a test
# container, and rt calls that record their failures. They use the globals
# RT, CG, W (the test's work directory) and ERRS (its failure file) that
# tests.sh sets.
# shellcheck disable=SC2086,SC2046,SC2016,SC3043

fail() { echo "$*" >> "$ERRS"; }
skip() { echo "$*" > "$W/skip"; }

# eq WHAT GOT WANT
eq() {
	[ "$2" = "$3" ] || fail "$1: got '$2', want '$3'"
}

# cgget DIR FILE: the file's first line, or <no FILE>.
cgget() {
	if [ -f "$1/$2" ]; then
		head -n 1 "$1/$2"
	else
		echo "<no $2>"
	fi
}

# cgeq DIR FILE WANT
cgeq() {
	eq "$2" "$(cgget "$1" "$2")" "$3"
}

# waitfor TENTHS CMD...: runs CMD every 0.1 s until it succeeds.
waitfor() {
	_n=$1
	shift
	while [ "$_n" -gt 0 ]; do
		"$@" && return 0
		sleep 0.1
		_n=$((_n - 1))
	done
	return 1
}

# json_compact: stdin without blanks and newlines (for matching rt's JSON).
json_compact() { tr -d ' \t\n\r'; }

ct_state() { "$RT" state "$1" 2>/dev/null | json_compact; }
ct_status() { ct_state "$1" | sed -n 's/.*"status":"\([a-z]*\)".*/\1/p'; }
ct_pid() { ct_state "$1" | sed -n 's/.*"pid":\([0-9]*\).*/\1/p'; }
status_is() { [ "$(ct_status "$1")" = "$2" ]; }

# cgdir ID: the cgroup directory of the container's init, as the host sees it.
cgdir() {
	_p=$(ct_pid "$1")
	echo "$CG$(sed -n 's/^0:://p' "/proc/${_p:-0}/cgroup" 2>/dev/null)"
}

# procs DIR: the pids in DIR/cgroup.procs, sorted, on one line.
procs() { sort -n "$1/cgroup.procs" 2>/dev/null | tr '\n' ' ' | sed 's/ $//'; }
nprocs() { wc -l < "$1/cgroup.procs" 2>/dev/null || echo 0; }
cg_empty() { [ ! -s "$1/cgroup.procs" ]; }

# bundle ID: writes the bundle $W/ID (config.json, shared/) from
#   SCRIPT    what the container runs (as sh /shared/run.sh; default: sleep)
#   CGPATH    linux.cgroupsPath; unset: none in the config
#   RES       more members of linux.resources (JSON, each with a leading comma)
#   DEVRULES  more device cgroup rules (JSON objects, each with a leading comma)
#   DEVICES   linux.devices members (JSON)
#   PIDNS     0: no pid namespace
#   HOOKS     members of "hooks" (JSON)
# and prints the bundle's path.
bundle() {
	_b=$W/$1
	mkdir -p "$_b/shared"
	printf '%s\n' "${SCRIPT:-exec sleep 1000}" > "$_b/shared/run.sh"
	_cg=""
	[ "${CGPATH+set}" = set ] && _cg="\"cgroupsPath\": \"$CGPATH\","
	_pidns='{ "type": "pid" },'
	_hooks=""
	[ -n "${HOOKS:-}" ] && _hooks="\"hooks\": { $HOOKS },"
	[ "${PIDNS:-1}" = 0 ] && _pidns=""
	_caps='"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"'
	cat > "$_b/config.json" <<EOF
{
	"ociVersion": "1.0.2",
	"process": {
		"terminal": false,
		"user": { "uid": 0, "gid": 0 },
		"args": [ "sh", "/shared/run.sh" ],
		"env": [ "PATH=/bin", "TERM=xterm" ],
		"cwd": "/",
		"capabilities": {
			"bounding": [ $_caps ],
			"effective": [ $_caps ],
			"permitted": [ $_caps ],
			"ambient": [ $_caps ]
		},
		"noNewPrivileges": true
	},
	"root": { "path": "/bundle/rootfs", "readonly": true },
	"hostname": "ct",
	"mounts": [
		{ "destination": "/proc", "type": "proc", "source": "proc" },
		{ "destination": "/dev", "type": "tmpfs", "source": "tmpfs",
		  "options": [ "nosuid", "strictatime", "mode=755", "size=65536k" ] },
		{ "destination": "/dev/pts", "type": "devpts", "source": "devpts",
		  "options": [ "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5" ] },
		{ "destination": "/dev/shm", "type": "tmpfs", "source": "shm",
		  "options": [ "nosuid", "noexec", "nodev", "mode=1777", "size=65536k" ] },
		{ "destination": "/sys", "type": "sysfs", "source": "sysfs",
		  "options": [ "nosuid", "noexec", "nodev", "ro" ] },
		{ "destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
		  "options": [ "nosuid", "noexec", "nodev", "relatime", "ro" ] },
		{ "destination": "/shared", "type": "bind", "source": "$_b/shared",
		  "options": [ "rbind", "rw" ] }
	],
	$_hooks
	"linux": {
		$_cg
		"resources": {
			"devices": [ { "allow": false, "access": "rwm" } ${DEVRULES:-} ]
			${RES:-}
		},
		"devices": [ ${DEVICES:-} ],
		"namespaces": [
			$_pidns
			{ "type": "network" },
			{ "type": "ipc" },
			{ "type": "uts" },
			{ "type": "mount" },
			{ "type": "cgroup" }
		],
		"maskedPaths": [ "/proc/kcore", "/proc/keys", "/proc/timer_list", "/sys/firmware" ],
		"readonlyPaths": [ "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger" ]
	}
}
EOF
	echo "$_b"
}

# ct_create ID / ct_run ID: `rt create` / `rt run -d` the bundle $W/ID (made
# by bundle); the container's stdio goes to $W/ID/out and $W/ID/err. On
# failure, records it and returns 1.
ct_create() {
	"$RT" create --bundle "$W/$1" "$1" < /dev/null > "$W/$1/out" 2> "$W/$1/err" && return 0
	fail "rt create $1 failed: $(tail -n 3 "$W/$1/err" | tr '\n' ' ')"
	return 1
}
ct_run() {
	"$RT" run -d --bundle "$W/$1" "$1" < /dev/null > "$W/$1/out" 2> "$W/$1/err" && return 0
	fail "rt run -d $1 failed: $(tail -n 3 "$W/$1/err" | tr '\n' ' ')"
	return 1
}

# ct_wait_file ID FILE [TENTHS]: waits for the container to create
# /shared/FILE (its readiness signal).
ct_wait_file() {
	waitfor "${3:-200}" test -e "$W/$1/shared/$2" && return 0
	fail "container $1 did not write /shared/$2 (stderr: $(tail -n 3 "$W/$1/err" 2>/dev/null | tr '\n' ' '))"
	return 1
}

# ct_rm ID: deletes the container with --force, and checks that the
# container and its cgroup are gone.
ct_rm() {
	_rmdir=""
	_rmpid=$(ct_pid "$1")
	[ -n "$_rmpid" ] && [ "$_rmpid" != 0 ] && _rmdir=$(cgdir "$1")
	"$RT" delete --force "$1" > "$W/rm.err" 2>&1
	_rmrc=$?
	if "$RT" state "$1" > /dev/null 2>&1; then
		fail "rt delete --force $1 (exit $_rmrc) left the container: $(head -n 2 "$W/rm.err" | tr '\n' ' ')"
	fi
	case $_rmdir in
	"" | "$CG" | "$CG/") ;;
	*) waitfor 20 test ! -d "$_rmdir" || fail "rt delete --force $1 left its cgroup $_rmdir behind" ;;
	esac
}

# rtdo DESC CMD...: runs an rt command; records a failure with its stderr.
rtdo() {
	_d=$1
	shift
	"$@" > "$W/rtdo.out" 2> "$W/rtdo.err" && return 0
	fail "$_d failed (exit $?): $(tail -n 3 "$W/rtdo.err" | tr '\n' ' ')"
	return 1
}

# created ID / running ID: creates / runs the bundle $W/ID (from RES...) and
# sets D to its cgroup directory.
created() {
	D=""
	bundle "$1" > /dev/null
	ct_create "$1" || return
	D=$(cgdir "$1")
}

running() {
	D=""
	bundle "$1" > /dev/null
	ct_run "$1" || return
	D=$(cgdir "$1")
}

# create_fails ID WHAT: `rt create` of the bundle must fail, leaving no
# container and no cgroup; the error goes to $W/err.
create_fails() {
	bundle "$1" > /dev/null
	if "$RT" create --bundle "$W/$1" "$1" < /dev/null > /dev/null 2> "$W/err"; then
		fail "rt create with $2 succeeded"
	fi
	for _d in "$CG/rt/$1" "$CG/$1"; do
		[ -d "$_d" ] && fail "$2: $_d left behind"
	done
	"$RT" state "$1" > /dev/null 2>&1 && fail "$2: container $1 exists after a failed create"
	"$RT" delete --force "$1" > /dev/null 2>&1
}

# events_start ID INTERVAL: starts `rt events --interval INTERVAL ID` in the
# background (pid in _ev, output in $W/events) and waits for its first stats
# line, by which time it watches for OOM events.
events_start() {
	"$RT" events --interval "$2" "$1" > "$W/events" 2> "$W/events.err" &
	_ev=$!
	echo $_ev >> "$W/bgpids"
	waitfor 100 grep -q '"type": *"stats"' "$W/events" && return 0
	fail "rt events --interval $2 printed no stats line (output: $(head -c 200 "$W/events") $(head -n 2 "$W/events.err" | tr '\n' ' '))"
	return 1
}

# events_oom [TENTHS]: waits for an oom line from the events_start stream.
events_oom() {
	waitfor "${1:-100}" grep -q '"type": *"oom"' "$W/events" && return 0
	fail "rt events reported no oom event (memory.events: $(tr '\n' ' ' < "$D/memory.events" 2>&1); rt events printed $(grep -c . "$W/events") lines, ending $(tail -c 100 "$W/events") $(head -n 2 "$W/events.err" | tr '\n' ' '))"
	return 1
}

# counter ID: what the container's counter loop last wrote.
counter() { cat "$W/$1/shared/c" 2>/dev/null; }

test_pause_resume() {
	SCRIPT='( i=0; while :; do i=$((i+1)); echo $i > /shared/c; usleep 50000; done ) &
sleep 1000 &
echo > /shared/ready
wait'
	running pause || return
	ct_wait_file pause ready || { ct_rm pause; return; }
	waitfor 50 test -s "$W/pause/shared/c"
	rtdo "rt pause" "$RT" pause pause || { ct_rm pause; return; }
	cgeq "$D" cgroup.freeze 1
	grep -qx "frozen 1" "$D/cgroup.events" 2> /dev/null || fail "cgroup.events does not say frozen 1"
	eq "status after pause" "$(ct_status pause)" paused
	_n=$(nprocs "$D")
	[ "$_n" -ge 3 ] || fail "only $_n processes in the cgroup: $(procs "$D")"
	# A task frozen by cgroup v2 stays 'S' in /proc; it waits in the freezer
	# trap, do_freezer_trap(), which 6.1 inlines into get_signal().
	for _p in $(procs "$D"); do
		_wc=$(cat "/proc/$_p/wchan" 2> /dev/null)
		case $_wc in
		get_signal | do_freezer_trap) ;;
		*) fail "process $_p is not in the freezer (wchan '$_wc', $(grep State: "/proc/$_p/status" 2>/dev/null))" ;;
		esac
	done
	_c1=$(counter pause)
	sleep 1
	_c2=$(counter pause)
	eq "the counter loop while paused (advanced from $_c1)" "$_c2" "$_c1"
	rtdo "rt resume" "$RT" resume pause
	cgeq "$D" cgroup.freeze 0
	grep -qx "frozen 0" "$D/cgroup.events" 2> /dev/null || fail "cgroup.events does not say frozen 0"
	eq "status after resume" "$(ct_status pause)" running
	waitfor 50 sh -c '[ "$(cat '"$W/pause/shared/c"')" != "'"$_c2"'" ]' ||
		fail "the counter loop did not go on after resume (still $(counter pause))"
	ct_rm pause
}
