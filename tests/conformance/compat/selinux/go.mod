// Stand-in for github.com/opencontainers/selinux, used through a replace
// directive in ../../go.mod.
//
// runtime-tools v0.9.0 was built against selinux v1.1 without the `selinux`
// build tag, i.e. against the stub label package. The releases of selinux on
// the module proxy no longer have label.FileLabel, which cmd/runtimetest calls.
// This module provides the v1.1 stubs of the two functions runtime-tools uses.
module github.com/opencontainers/selinux

go 1.19
