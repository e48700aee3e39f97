package container

import (
	"errors"
	"time"

	"golang.org/x/sys/unix"

	"rt/libcontainer/state"
)

// waitExit waits until pid (not necessarily our child) has exited, for at
// most timeout. It watches a pidfd, so a reused pid cannot fool it.
func waitExit(st *state.State, timeout time.Duration) error {
	if !st.InitAlive() {
		return nil
	}
	fd, err := unix.PidfdOpen(st.InitPid, 0)
	if err != nil {
		if errors.Is(err, unix.ESRCH) {
			return nil
		}
		return pollExit(st, timeout)
	}
	defer unix.Close(fd)
	if !st.InitAlive() { // the pid may have been reused before the open
		return nil
	}
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	deadline := time.Now().Add(timeout)
	for {
		left := time.Until(deadline)
		if left <= 0 {
			return errors.New("timed out waiting for the init to exit")
		}
		n, err := unix.Poll(fds, int(left/time.Millisecond)+1)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return pollExit(st, time.Until(deadline))
		}
		if n > 0 {
			return nil
		}
	}
}

func pollExit(st *state.State, timeout time.Duration) error {
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if !st.InitAlive() {
			return nil
		}
	}
	return errors.New("timed out waiting for the init to exit")
}
