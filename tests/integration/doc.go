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
// Tests assert the correct behaviour even where runc 1.1.5 is wrong; each
// such test says so in its comment ("known failure").
//
// Bundles and roots live in one scratch dir per run (not t.TempDir, which is
// gone before TestMain's leak check, and whose RemoveAll would follow a
// leaked bind mount into host files). Each container's cgroup is placed at
// the absolute path /<id> so that nothing is created below the caller's own
// cgroups (this VM's memory/process_api belongs to the machine).
package integration
