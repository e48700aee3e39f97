// Package process owns the per-process settings the container's init makes
// just before it execs the user's program: hostname and domainname, sysctl,
// the switch to the container's user (groups, gid, uid, umask), rlimits,
// no_new_privs, oom_score_adj, the working directory, the descriptors that
// must not leak, the executable lookup and the environment (HOME,
// LISTEN_FDS).
//
// Each unit is a validated spec field turned into a syscall, one file each.
// Validate* functions do no syscall that changes anything, so `rt create`
// can call them early and fail fast; the others act on the calling process
// or thread and are for the init only.
//
// Several settings are per-thread (PR_SET_KEEPCAPS, PR_SET_NO_NEW_PRIVS):
// the init must call them from the thread locked with runtime.LockOSThread
// that finally calls syscall.Exec. Uid and gid changes go through package
// syscall (glibc's setxid with cgo, AllThreadsSyscall without), which
// changes every thread; this package must never use the raw x/sys/unix
// variants for them, which change the calling thread only. It sets no
// capabilities (package security/caps does) and keeps no state.
//
// # Order
//
// At `rt create`, before any namespace is entered (fail fast):
//
//	caps.Parse, PrivateNamespaces + ValidateSysctl, ValidateRlimits
//
// In the init, on its locked thread, after mounts and pivot_root:
//
//	SetHostname                   needs the UTS namespace
//	WriteSysctl                   needs the container's /proc; as root
//	SetRlimits                    while CAP_SYS_RESOURCE is still effective
//	CloseExecFrom(3+preserveFds)  any time before the exec (the init's own
//	                              descriptors keep working until then)
//	caps.Set.ApplyBounding        needs CAP_SETPCAP
//	SwitchUser                    keeps the permitted set (PR_SET_KEEPCAPS)
//	caps.Set.Apply                sets the effective set back, then ambient
//	Chdir                         as the container's user; checks the cwd is in the root
//	Env, ListenFDsEnv, LookPath   LookPath after Chdir (relative PATH entries)
//	SetNoNewPrivileges
//	(seccomp filter)              last: a profile may block getcwd, faccessat,
//	                              close_range, which the steps above use
//	syscall.Exec                  from the same thread
//
// TestInitOrder runs exactly this sequence in a child and checks the result
// from the exec'd program.
package process
