#!/usr/bin/env bash
# Start-up benchmark: `run` of /bin/true in the demo bundle, rt side by side
# with runc and crun in one hyperfine run, warm (back to back) and cold (an
# idle gap before each start, so the cgroup v1 move pays its RCU wait).
# crun refuses this hybrid host, so every runtime runs alike inside a private
# mount namespace without /sys/fs/cgroup/unified (the host keeps its mounts).
# Prints the medians and the ratios to rt; JSON lands in bench/results/.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
rt=${RT:-$top/rt}
runs=${RUNS:-40}
out=$here/results
mkdir -p "$out"

if [ -z "${RT_BENCH_INNER:-}" ]; then
	exec unshare -m --propagation private env RT_BENCH_INNER=1 "$0" "$@"
fi
if mountpoint -q /sys/fs/cgroup/unified; then umount /sys/fs/cgroup/unified; fi

work=$(mktemp -d /tmp/rt-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
"$top/tests/mkbundle.sh" "$work/bundle" /bin/true >/dev/null
# crun 1.8 knows spec versions up to 1.1: give every runtime the same 1.0.2.
sed -i 's/"ociVersion": "[^"]*"/"ociVersion": "1.0.2"/' "$work/bundle/config.json"

cmds=()
names=()
for r in rt runc crun; do
	case $r in
	rt) bin=$rt ;;
	*) bin=$(command -v "$r" || true) ;;
	esac
	[ -n "$bin" ] || { echo "bench: $r not installed, skipped" >&2; continue; }
	names+=("$r")
	cmds+=("$bin --root $work/root-$r run --bundle $work/bundle bench-$r")
done

summary() { # file kind
	python3 - "$1" "$2" <<'PY'
import json, sys
res = json.load(open(sys.argv[1]))["results"]
med = {r["command"].split()[0].rsplit("/", 1)[-1]: r["median"] * 1000 for r in res}
base = med.get("rt")
for name, m in med.items():
    ratio = f"{m / base:.2f}x rt" if base else ""
    print(f"{sys.argv[2]:5} {name:5} median {m:7.1f} ms  {ratio}")
PY
}

hyperfine -N --warmup 5 --runs "$runs" --export-json "$out/warm.json" "${cmds[@]}" >/dev/null
hyperfine -N --warmup 2 --runs "$((runs / 2))" --prepare 'sleep 0.1' --export-json "$out/cold.json" "${cmds[@]}" >/dev/null
summary "$out/warm.json" warm
summary "$out/cold.json" cold
