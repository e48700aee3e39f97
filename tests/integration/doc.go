// Package integration is rt's end-to-end test suite: it runs real containers
// with the rt binary (env RT_BINARY, default the repository's ./rt) as root and
// asserts on what the container saw — its output and the files it wrote — never
// on what the runtime claims about itself.
//
// Every test builds its own busybox bundle and uses its own --root, so tests
// are independent; TestMain checks at the end that nothing leaked (state dirs,
// mounts, processes, cgroups). The package holds no production code.
//
// Run: make && go test ./tests/integration/...
// Against runc: RT_BINARY=/usr/sbin/runc go test ./tests/integration/...
package integration
