// Package nsexec is the C stage of the container's init: a constructor that
// runs in `rt init` before the Go runtime starts, joins and creates the
// namespaces and forks the init into them (see nsexec.c, and initproto for
// the protocol). Importing it links the constructor in; it must stay small:
// only what cannot be done once Go runs belongs here.
package nsexec

/*
#cgo CFLAGS: -Wall -Wextra -O2
#include "nsexec.h"
*/
import "C"

import "golang.org/x/sys/unix"

// OrigNofile returns the RLIMIT_NOFILE the process had before the Go
// runtime raised it, or nil outside the init.
func OrigNofile() *unix.Rlimit {
	if C.rt_orig_nofile_set == 0 {
		return nil
	}
	return &unix.Rlimit{Cur: uint64(C.rt_orig_nofile_cur), Max: uint64(C.rt_orig_nofile_max)}
}

// cNumbers exposes the C stage's protocol numbers to the test that checks
// them against initproto (cgo is not available in _test files).
func cNumbers() map[string]uint32 {
	return map[string]uint32{
		"bootstrap": C.RT_MSG_BOOTSTRAP, "usermap-request": C.RT_MSG_USERMAP_REQ,
		"usermap-ack": C.RT_MSG_USERMAP_ACK, "init-pid": C.RT_MSG_INIT_PID, "error": C.RT_MSG_ERROR,
		"attr-clone-flags": C.RT_ATTR_CLONE_FLAGS, "attr-ns-path": C.RT_ATTR_NS_PATH,
		"attr-time-offsets": C.RT_ATTR_TIME_OFFSETS, "attr-oom-score-adj": C.RT_ATTR_OOM_SCORE_ADJ,
	}
}

func cEnvNames() (syncFd, logFd string) { return C.RT_ENV_SYNC_FD, C.RT_ENV_LOG_FD }
