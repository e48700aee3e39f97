#!/usr/bin/env bash
# Build the OCI runtime-tools v0.9.0 validation suite from the module cache.
#
#   tests/conformance/build.sh [--force]
#
# Output (cache, reused while up to date): tests/conformance/.build/
#   bin/<name>        every validation/<name> program
#   runtimetest       cmd/runtimetest, static, with Go's RLIMIT_NOFILE raise disabled
#   rootfs-amd64.tar.gz  copied from the module
#   stamp             hash of everything the build depends on
#
# runtimetest is built with `go build -overlay` replacing GOROOT's
# src/syscall/rlimit.go by a copy without its init(): Go >= 1.19 raises the soft
# RLIMIT_NOFILE to the hard limit at start-up, and runtimetest runs inside the
# container to check the RLIMIT_NOFILE the runtime set. Nothing in GOROOT or the
# module cache is modified.
# github.com/opencontainers/selinux is replaced (go.mod) by ./compat/selinux,
# the stub label package runtime-tools v0.9.0 was built with (see there).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT="$HERE/.build"
FORCE=0
[[ "${1:-}" == "--force" ]] && FORCE=1

cd "$HERE"
export GOFLAGS="-mod=readonly -buildvcs=false"
export CGO_ENABLED=0

RT_DIR=$(go list -m -f '{{.Dir}}' github.com/opencontainers/runtime-tools)
if [[ -z "$RT_DIR" || ! -d "$RT_DIR" ]]; then
	go mod download github.com/opencontainers/runtime-tools
	RT_DIR=$(go list -m -f '{{.Dir}}' github.com/opencontainers/runtime-tools)
fi
GOROOT_DIR=$(go env GOROOT)
GOVER=$(go env GOVERSION)

STAMP=$( {
	echo "$GOVER"
	cat go.mod go.sum build.sh compat/selinux/go.mod compat/selinux/go-selinux/label/*.go
	cat "$GOROOT_DIR/src/syscall/rlimit.go"
} | sha256sum | cut -d' ' -f1)

if [[ $FORCE == 0 && -f "$OUT/stamp" && "$(cat "$OUT/stamp")" == "$STAMP" ]]; then
	exit 0
fi

echo "conformance: building runtime-tools v0.9.0 validation suite ($GOVER) into $OUT" >&2
rm -rf "$OUT"
mkdir -p "$OUT/bin" "$OUT/overlay"

# --- syscall overlay: rlimit.go without its init() -------------------------
awk '
	/^func init\(\) \{/ { skip = 1; next }
	skip && /^\}/       { skip = 0; next }
	!skip               { print }
' "$GOROOT_DIR/src/syscall/rlimit.go" > "$OUT/overlay/rlimit.go"
if grep -q '^func init' "$OUT/overlay/rlimit.go" || ! grep -q 'origRlimitNofile' "$OUT/overlay/rlimit.go"; then
	echo "conformance: could not stub the RLIMIT_NOFILE init in $GOROOT_DIR/src/syscall/rlimit.go" >&2
	exit 1
fi

cat > "$OUT/overlay-runtimetest.json" <<EOF
{ "Replace": {
    "$GOROOT_DIR/src/syscall/rlimit.go": "$OUT/overlay/rlimit.go"
} }
EOF

PKG=github.com/opencontainers/runtime-tools
go build -trimpath -overlay "$OUT/overlay-runtimetest.json" -ldflags "-s -w" \
	-o "$OUT/runtimetest" "$PKG/cmd/runtimetest"

progs=()
for d in "$RT_DIR"/validation/*/; do
	name=$(basename "$d")
	[[ "$name" == util ]] && continue
	progs+=("$PKG/validation/$name")
done
# One go build with several main packages and -o DIR writes one binary each.
go build -trimpath -ldflags "-s -w" -o "$OUT/bin/" "${progs[@]}"

cp "$RT_DIR/rootfs-amd64.tar.gz" "$OUT/rootfs-amd64.tar.gz"
chmod 0644 "$OUT/rootfs-amd64.tar.gz"

echo "$STAMP" > "$OUT/stamp"
echo "conformance: built runtimetest and ${#progs[@]} validation programs" >&2
