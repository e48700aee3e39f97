package process

import (
	"errors"
	"fmt"
	"math"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// CloseExecFrom marks every descriptor >= minFd close-on-exec, so that
// nothing but stdio and the preserved descriptors (minFd = 3 +
// preserveFds) reaches the container's process. It uses
// close_range(CLOSE_RANGE_CLOEXEC) (Linux 5.11) and, where that is
// missing or refused (ENOSYS, EINVAL, or EPERM from a seccomp filter),
// walks /proc/self/fd.
//
// Descriptors the init still needs (its sync pipe, a log pipe) keep working
// until the exec, so it can be called early; call it before loading a
// seccomp filter.
func CloseExecFrom(minFd int) error {
	if minFd < 0 {
		return fmt.Errorf("close-on-exec from fd %d: negative fd", minFd)
	}
	err := unix.CloseRange(uint(minFd), math.MaxUint32, unix.CLOSE_RANGE_CLOEXEC)
	if err == nil {
		return nil
	}
	if !errors.Is(err, unix.ENOSYS) && !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.EPERM) {
		return fmt.Errorf("close_range(%d, ~0, CLOSE_RANGE_CLOEXEC): %w", minFd, err)
	}
	return closeExecFromProc(minFd)
}

// closeExecFromProc is CloseExecFrom by walking /proc/self/fd. The
// directory's own descriptor appears in the listing: it is skipped (it is
// opened close-on-exec anyway, and closed on return). A descriptor closed
// between the listing and the fcntl (EBADF) is no error.
func closeExecFromProc(minFd int) error {
	d, err := os.Open("/proc/self/fd")
	if err != nil {
		return err
	}
	defer d.Close()
	names, err := d.Readdirnames(-1)
	if err != nil {
		return fmt.Errorf("read /proc/self/fd: %w", err)
	}
	self := int(d.Fd())
	for _, name := range names {
		fd, err := strconv.Atoi(name)
		if err != nil || fd < minFd || fd == self {
			continue
		}
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETFD, unix.FD_CLOEXEC); err != nil && !errors.Is(err, unix.EBADF) {
			return fmt.Errorf("set close-on-exec on fd %d: %w", fd, err)
		}
	}
	return nil
}

// ListenFDsEnv returns env with LISTEN_FDS=<preserveFds> and
// LISTEN_PID=<this process's pid> (replacing any earlier values) when
// preserveFds > 0, as runc does for socket activation, and env unchanged
// otherwise. Called in the init, the pid is the one the container's process
// has after the exec (1 in a new pid namespace; runc always writes 1).
func ListenFDsEnv(env []string, preserveFds int) []string {
	if preserveFds <= 0 {
		return env
	}
	out := make([]string, 0, len(env)+2)
	for _, kv := range env {
		if envName(kv) != "LISTEN_FDS" && envName(kv) != "LISTEN_PID" {
			out = append(out, kv)
		}
	}
	return append(out,
		"LISTEN_FDS="+strconv.Itoa(preserveFds),
		"LISTEN_PID="+strconv.Itoa(os.Getpid()))
}
