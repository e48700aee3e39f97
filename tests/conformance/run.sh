#!/usr/bin/env bash
# OCI runtime-tools v0.9.0 conformance run.
#
#   tests/conformance/run.sh [RUNTIME] [PROGRAM...]
#
# RUNTIME   the runtime binary (default: the repo's ./rt); a bare name is
#           looked up in PATH. The suite calls it with its default state root.
# PROGRAM   run only these validation programs (default: all of them).
#
# Environment:
#   CONFORMANCE_TIMEOUT   seconds per program (default 120)
#   CONFORMANCE_BUDGET    seconds for the whole run (default 1200); programs
#                         not started by then count one failure each
#                         ("[not run]"), so a hanging runtime cannot stall CI
#   CONFORMANCE_RESULTS   directory for the TAP output and stderr of each
#                         program and summary.txt (default
#                         tests/conformance/results/<runtime file name>)
#
# Each program runs alone, in a fresh working directory holding
# rootfs-amd64.tar.gz and runtimetest (the suite takes both from its working
# directory), with TMPDIR pointing inside it (bundles are made there) and
# RUNTIME=<absolute path>.
#
# Counting (as in shared/baselines.md): each TAP `ok` line (skips included)
# passes, each `not ok` line fails; a program that exits non-zero, crashes or
# times out counts one more failure, and so does a program that prints no
# assertion but an error diagnostic (the hook programs report that way); a
# program that prints no assertion and no error (a hook program that found
# nothing wrong, a *_fail program whose container was rightly refused) counts
# one pass.
#
# Failures are matched against expected-failures.txt. The run fails (exit 1)
# when a program listed in required.txt has a failure that is not expected
# there. Unexpected failures of other programs, and expected failures that now
# pass, are reported but do not fail the run.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
BUILD="$HERE/.build"
TIMEOUT="${CONFORMANCE_TIMEOUT:-120}"
BUDGET="${CONFORMANCE_BUDGET:-1200}"

runtime_given="${1:-$REPO/rt}"
[[ $# -gt 0 ]] && shift
runtime_arg=$runtime_given
if [[ "$runtime_arg" != */* ]]; then
	runtime_arg=$(command -v "$runtime_arg" || true)
fi
if [[ -z "$runtime_arg" || ! -x "$runtime_arg" || -d "$runtime_arg" ]]; then
	echo "conformance: runtime '$runtime_given' is not an executable file" >&2
	exit 2
fi
RUNTIME=$(cd "$(dirname "$runtime_arg")" && pwd)/$(basename "$runtime_arg")

RESULTS="${CONFORMANCE_RESULTS:-$HERE/results/$(basename "$RUNTIME")}"

"$HERE/build.sh"

# --- programs --------------------------------------------------------------
all_programs=()
for f in "$BUILD"/bin/*; do all_programs+=("$(basename "$f")"); done
if [[ $# -gt 0 ]]; then
	programs=()
	for p in "$@"; do
		if [[ ! -x "$BUILD/bin/$p" ]]; then
			echo "conformance: no such validation program: $p" >&2
			exit 2
		fi
		programs+=("$p")
	done
else
	programs=("${all_programs[@]}")
fi

# required.txt / expected-failures.txt: '#' starts a comment.
required=" $(sed -e 's/#.*//' "$HERE/required.txt" | tr -s ' \t\n' ' ') "
for p in $required; do
	if [[ ! -x "$BUILD/bin/$p" ]]; then
		echo "conformance: required.txt names an unknown program: $p" >&2
		exit 2
	fi
done

# --- cleanup ---------------------------------------------------------------
WORK=$(mktemp -d /tmp/rt-conformance.XXXXXX)
# Bundles are made below WORK; a container whose root is mapped to another uid
# (user namespace) must be able to reach them, as it could below /tmp.
chmod 0755 "$WORK"
declare -A preexisting=()
while read -r id; do
	[[ -n "$id" ]] && preexisting[$id]=1
done < <(timeout -k 5 20 "$RUNTIME" list -q 2>/dev/null || true)

# Delete (forcefully) the containers of the runtime's default root that this
# run created: new since the start, with their bundle below WORK (others, e.g.
# of a test running at the same time, are left alone).
cleanup_containers() {
	local id st
	while read -r id; do
		[[ -z "$id" || -n "${preexisting[$id]:-}" ]] && continue
		st=$(timeout -k 5 10 "$RUNTIME" state "$id" 2>/dev/null) || continue
		grep -Fq "$WORK/" <<< "$st" || continue
		timeout -k 5 20 "$RUNTIME" delete --force "$id" >/dev/null 2>&1 || true
		# A runtime without --force: kill, then delete.
		if timeout -k 5 10 "$RUNTIME" state "$id" >/dev/null 2>&1; then
			timeout -k 5 10 "$RUNTIME" kill "$id" KILL >/dev/null 2>&1 || true
			sleep 0.2
			timeout -k 5 10 "$RUNTIME" delete "$id" >/dev/null 2>&1 || true
		fi
		echo "$id" >> "$WORK/leftover-containers"
	done < <(timeout -k 5 20 "$RUNTIME" list -q 2>/dev/null || true)
}

# Unmount whatever is mounted at or below a directory of this run: a container
# without a mount namespace (linux_ns_itype) gets its /proc, /dev, /sys...
# mounted in the host's namespace, and a runtime may leave them there.
unmount_below() {
	local m
	awk -v d="$1" '{ p = $5; gsub(/\\040/, " ", p); if (p == d || index(p, d "/") == 1) print length(p) "\t" p }' \
		/proc/self/mountinfo | sort -rn | cut -f2- | while IFS= read -r m; do
		umount -l "$m" 2>/dev/null || true
		echo "$m" >> "$WORK/leftover-mounts"
	done
}

# Remove a directory tree without crossing into anything mounted below it.
remove_tree() {
	[[ -e "$1" ]] || return 0
	unmount_below "$1"
	rm -rf --one-file-system "$1" 2>/dev/null || {
		echo "conformance: could not remove all of $1 (something still mounted there?)" >&2
		return 0
	}
}

# The suite's cgroups: "/cgrouptest" (absolute) and "testdir/cgrouptest/container"
# (relative: runtimes such as runc put it below their own cgroup, which is the
# root of every hierarchy here but memory's). A runtime removes the leaf on
# delete, not the parents. Empty ones at the root of a hierarchy that did not
# exist before the run are removed at the end; nothing below a hierarchy's
# root (in particular nothing in memory/process_api) is touched.
suite_cgroup_dirs() {
	awk '$0 ~ / - cgroup2? / { print $5 }' /proc/self/mountinfo | sort -u | while read -r mp; do
		for d in testdir/cgrouptest/container testdir/cgrouptest testdir cgrouptest; do
			echo "$mp/$d"
		done
	done
}
declare -A cgroup_preexisting=()
while read -r d; do
	[[ -d "$d" ]] && cgroup_preexisting[$d]=1
done < <(suite_cgroup_dirs)
cleanup_cgroups() {
	local d
	while read -r d; do
		[[ -d "$d" && -z "${cgroup_preexisting[$d]:-}" ]] || continue
		rmdir "$d" 2>/dev/null || echo "conformance: cgroup $d left behind (not empty)" >&2
	done < <(suite_cgroup_dirs)
}

current_pid=""
on_exit() {
	local rc=$?
	trap - EXIT INT TERM HUP
	if [[ -n "$current_pid" ]]; then
		kill -TERM "$current_pid" 2>/dev/null || true
		wait "$current_pid" 2>/dev/null || true
	fi
	cleanup_containers
	cleanup_cgroups
	remove_tree "$WORK"
	exit "$rc"
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# --- run -------------------------------------------------------------------
# A full run replaces the results directory; a run of a few programs only
# replaces their files (and summary.txt).
if [[ $# -eq 0 ]]; then
	rm -rf "$RESULTS"
fi
mkdir -p "$RESULTS"
printf '%s\n' "$RUNTIME" > "$RESULTS/runtime"
"$RUNTIME" --version > "$RESULTS/runtime-version" 2>&1 || true

# parse_tap FILE RC -> "passed failed error" on the first line, then one line
# per failure holding its keys separated by tabs: the description of a
# `not ok` line, or for a program-level failure one of "[timeout]",
# "[exit N]", "[error] <first line of the error diagnostic>". When a `not ok`
# line reports a runtimetest run inside the container (the YAML block before
# it carries that run's TAP as "stdout"), its keys are instead
# "<description> :: <inner failure>" for each failing inner assertion.
# A program that prints no assertion and reports no error counts one pass.
parse_tap() {
	awk -v rc="$2" '
		function unjson(s) {
			gsub(/\\u003c/, "<", s); gsub(/\\u003e/, ">", s); gsub(/\\u0026/, "\\&", s)
			gsub(/\\"/, "\"", s); gsub(/\\t/, " ", s); gsub(/\\\\/, "\\", s)
			return s
		}
		function jsonval(line, key,    s) {
			s = line; sub("^ *\"" key "\": \"", "", s); sub(/",?$/, "", s)
			return s
		}
		/^  ---$/ { in_yaml = 1; yaml_err = ""; yaml_out = ""; next }
		/^  \.\.\.$/ {
			in_yaml = 0
			if (!ntests && yaml_err != "" && perr == "") perr = "[error] " yaml_err
			inner = yaml_out
			next
		}
		in_yaml {
			if (yaml_err == "" && $0 ~ /^ *"error": "/) {
				yaml_err = jsonval($0, "error"); sub(/\\n.*/, "", yaml_err); yaml_err = unjson(yaml_err)
			}
			if ($0 ~ /^ *"stdout": "/) yaml_out = jsonval($0, "stdout")
			next
		}
		/^ok([ \t]|$)/ { ntests++; pass++; inner = ""; next }
		/^not ok([ \t]|$)/ {
			ntests++; fail++
			d = $0; sub(/^not ok[ \t]*[0-9]*[ \t]*(- )?/, "", d); gsub(/\t/, " ", d)
			keys = ""
			if (inner != "") {
				n = split(inner, lines, /\\n/)
				for (i = 1; i <= n; i++) {
					if (lines[i] !~ /^not ok/) continue
					l = lines[i]; sub(/^not ok[ \t]*[0-9]*[ \t]*(- )?/, "", l)
					keys = keys (keys == "" ? "" : "\t") d " :: " unjson(l)
				}
			}
			fails[fail] = (keys == "") ? d : keys
			inner = ""
			next
		}
		END {
			if (rc == 124 || rc == 137) perr = "[timeout]"
			else if (rc == 999) perr = "[not run]"
			else if (rc != 0) perr = "[exit " rc "]"
			err = (perr != "") ? 1 : 0
			if (!ntests && !err) pass = 1
			print pass + 0, fail + 0, err
			for (i = 1; i <= fail; i++) print fails[i]
			if (err) print perr
		}
	' "$1"
}

# expected-failures.txt: "program | pattern | reason". A failure of program is
# expected when its description contains pattern (case-sensitive substring);
# pattern "*" matches any failure of the program, including program-level ones.
EXPECTED="$HERE/expected-failures.txt"
expected_entries() {
	sed -e 's/^[ \t]*#.*//' "$EXPECTED" | awk -F'|' -v prog="$1" '
		NF >= 2 {
			p = $1; gsub(/^[ \t]+|[ \t]+$/, "", p)
			pat = $2; gsub(/^[ \t]+|[ \t]+$/, "", pat)
			if (p == prog && pat != "") print pat
		}'
}

total_pass=0
total_fail=0
clean_programs=0
unexpected_required=()
total_unexp=0
total_expected=0
unexpected_other=()
now_passing=()
declare -A prog_pass prog_fail prog_status

# run_program NAME: run one validation program in a fresh working directory;
# sets rc and secs.
run_program() {
	local p=$1 dir t0 t1
	dir="$WORK/$p"
	mkdir -p -m 0755 "$dir" "$dir/tmp"
	ln -s "$BUILD/rootfs-amd64.tar.gz" "$dir/rootfs-amd64.tar.gz"
	cp "$BUILD/runtimetest" "$dir/runtimetest"
	t0=$(date +%s.%N)
	set +e
	(
		cd "$dir"
		exec env RUNTIME="$RUNTIME" TMPDIR="$dir/tmp" \
			timeout -k 10 "$TIMEOUT" "$BUILD/bin/$p"
	) > "$RESULTS/$p.tap" 2> "$RESULTS/$p.stderr" < /dev/null &
	current_pid=$!
	wait "$current_pid"
	rc=$?
	current_pid=""
	set -e
	t1=$(date +%s.%N)
	secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')

	cleanup_containers
	remove_tree "$dir"
}

start_all=$(date +%s)
printf '%-34s %7s %7s  %-10s %s\n' "program" "passed" "failed" "status" "time" > "$RESULTS/summary.txt"
for p in "${programs[@]}"; do
	if (( $(date +%s) - start_all >= BUDGET )); then
		echo "[not run] time budget of ${BUDGET}s exhausted" > "$RESULTS/$p.stderr"
		: > "$RESULTS/$p.tap"
		rc=999
		secs=0.0
	else
		run_program "$p"
	fi

	mapfile -t parsed < <(parse_tap "$RESULTS/$p.tap" "$rc")
	read -r np nf ne <<< "${parsed[0]}"
	failures=("${parsed[@]:1}")
	nf=$((nf + ne))
	total_pass=$((total_pass + np))
	total_fail=$((total_fail + nf))
	prog_pass[$p]=$np
	prog_fail[$p]=$nf
	if [[ $nf -eq 0 ]]; then
		status=ok
		clean_programs=$((clean_programs + 1))
	else
		status=FAIL
	fi

	# Match failures against the expected list.
	mapfile -t pats < <(expected_entries "$p")
	declare -A pat_used=()
	n_unexp=0
	for f in "${failures[@]}"; do
		IFS=$'\t' read -r -a keys <<< "$f"
		all_matched=1
		for k in "${keys[@]}"; do
			matched=""
			for pat in "${pats[@]}"; do
				if [[ "$pat" == "*" || "$k" == *"$pat"* ]]; then
					matched=$pat
					break
				fi
			done
			if [[ -n "$matched" ]]; then
				pat_used[$matched]=1
			else
				all_matched=0
			fi
		done
		if [[ $all_matched -eq 0 ]]; then
			n_unexp=$((n_unexp + 1))
			shown=${f//$'\t'/ ; }
			if [[ "$required" == *" $p "* ]]; then
				unexpected_required+=("$p: $shown")
			else
				unexpected_other+=("$p: $shown")
			fi
		fi
	done
	for pat in "${pats[@]}"; do
		[[ -z "${pat_used[$pat]:-}" ]] && now_passing+=("$p | $pat")
	done
	unset pat_used
	total_unexp=$((total_unexp + n_unexp))
	total_expected=$((total_expected + nf - n_unexp))
	if [[ $nf -gt 0 && $n_unexp -eq 0 ]]; then
		status="expected"
	elif [[ $n_unexp -gt 0 ]]; then
		status="FAIL"
	fi
	[[ "$required" == *" $p "* ]] || status="$status*"
	prog_status[$p]=$status
	printf '%-34s %7d %7d  %-10s %ss\n' "$p" "$np" "$nf" "$status" "$secs" | tee -a "$RESULTS/summary.txt"
done
end_all=$(date +%s)

{
	echo
	echo "status: ok = all passed; expected = every failure is in expected-failures.txt;"
	echo "        FAIL = unexpected failures; * = not in required.txt (does not fail the run)"
	echo "results (TAP and stderr of each program): $RESULTS"
	if [[ -s "$WORK/leftover-containers" ]]; then
		echo "containers left behind by the suite and deleted by the harness: $(sort -u "$WORK/leftover-containers" | wc -l)"
	fi
	if [[ -s "$WORK/leftover-mounts" ]]; then
		echo "host mounts left behind below the bundles and unmounted by the harness: $(sort -u "$WORK/leftover-mounts" | wc -l)"
	fi
	if [[ ${#now_passing[@]} -gt 0 ]]; then
		echo
		echo "expected failures that now pass (informational; consider removing them from expected-failures.txt):"
		printf '  %s\n' "${now_passing[@]}"
	fi
	if [[ ${#unexpected_other[@]} -gt 0 ]]; then
		echo
		echo "unexpected failures in programs that are not required (do not fail the run):"
		printf '  %s\n' "${unexpected_other[@]}"
	fi
	if [[ ${#unexpected_required[@]} -gt 0 ]]; then
		echo
		echo "UNEXPECTED FAILURES in required programs (these fail the run):"
		printf '  %s\n' "${unexpected_required[@]}"
	fi
	echo
	echo "runtime: $RUNTIME"
	echo "time: $((end_all - start_all)) s"
	echo "programs passing entirely: $clean_programs of ${#programs[@]}"
	echo "TAP totals: $total_pass ok, $total_fail not ok; of those, $total_expected are expected failures"
	echo "  (this VM's limits and the suite's own bugs, each with its reason in expected-failures.txt),"
	echo "  counted as skipped in the closing line"
	echo "conformance: $total_pass passed, $total_unexp failed, $total_expected skipped"
} | tee -a "$RESULTS/summary.txt"

if [[ ${#unexpected_required[@]} -gt 0 ]]; then
	exit 1
fi
exit 0
