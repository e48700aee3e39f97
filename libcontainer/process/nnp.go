package process

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// SetNoNewPrivileges sets PR_SET_NO_NEW_PRIVS: from the exec on, setuid
// bits and file capabilities grant nothing. The flag is per-thread: call
// it on the thread that will exec, after the user switch and the
// capabilities, before loading a seccomp filter (which then needs no
// CAP_SYS_ADMIN).
func SetNoNewPrivileges() error {
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("prctl(PR_SET_NO_NEW_PRIVS): %w", err)
	}
	return nil
}
