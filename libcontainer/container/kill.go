package container

import (
	"errors"
	"fmt"
	"rt/libcontainer/bundle"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"golang.org/x/sys/unix"
)

// Signal sends sig to the init, or with all to every process of the
// container's cgroup.
func (c *Container) Signal(sig unix.Signal, all bool) error {
	status := c.Status()
	if status == Stopped {
		if all {
			return nil // runc: kill --all of a stopped container succeeds
		}
		return ErrNotRunning
	}
	if all || (sig == unix.SIGKILL && !c.hasPrivatePidNS()) {
		if err := c.signalCgroup(sig); err != nil {
			return err
		}
		if all {
			return nil
		}
	}
	if err := c.signalInit(sig); err != nil && !(errors.Is(err, ErrNotRunning) && sig == unix.SIGKILL) {
		return err // a SIGKILL of the whole cgroup may have taken the init already
	}
	if status == Paused && sig == unix.SIGKILL && c.cg != nil {
		return c.cg.Freeze(false) // a frozen process cannot die
	}
	return nil
}

// signalInit signals the init through a pidfd, so a reused pid is never hit.
func (c *Container) signalInit(sig unix.Signal) error {
	fd, err := unix.PidfdOpen(c.st.InitPid, 0)
	if err != nil {
		if errors.Is(err, unix.ESRCH) {
			return ErrNotRunning
		}
		return fmt.Errorf("pidfd of init %d: %w", c.st.InitPid, err)
	}
	defer unix.Close(fd)
	if !c.st.InitAlive() {
		return ErrNotRunning
	}
	if err := unix.PidfdSendSignal(fd, sig, nil, 0); err != nil {
		if errors.Is(err, unix.ESRCH) {
			return ErrNotRunning
		}
		return fmt.Errorf("signal init %d: %w", c.st.InitPid, err)
	}
	return nil
}

func (c *Container) signalCgroup(sig unix.Signal) error {
	if c.cg == nil {
		return nil
	}
	// cgroup.kill SIGKILLs every process at once, also ones forking meanwhile.
	killed := false
	if sig == unix.SIGKILL {
		switch err := c.cg.Kill(); {
		case err == nil:
			killed = true
		case !errors.Is(err, errors.ErrUnsupported):
			return err
		}
	}
	if !killed {
		pids, err := c.cg.Pids()
		if err != nil {
			return fmt.Errorf("list container processes: %w", err)
		}
		for _, pid := range pids {
			if err := unix.Kill(pid, sig); err != nil && !errors.Is(err, unix.ESRCH) {
				return fmt.Errorf("signal %d: %w", pid, err)
			}
		}
	}
	if frozen, _ := c.cg.Frozen(); frozen && (sig == unix.SIGKILL || sig == unix.SIGTERM) {
		return c.cg.Freeze(false)
	}
	return nil
}

func (c *Container) hasPrivatePidNS() bool { return c.hasNamespace(specs.PIDNamespace) }

func (c *Container) hasNamespace(t specs.LinuxNamespaceType) bool {
	_, ok := bundle.Namespace(c.st.Spec, t)
	return ok
}

// killAll kills every process of the container and waits for the init.
func (c *Container) killAll() {
	if c.cg != nil {
		_ = c.signalCgroup(unix.SIGKILL)
	}
	if c.st.InitAlive() {
		_ = c.signalInit(unix.SIGKILL)
	}
	_ = waitExit(c.st, 10*time.Second)
	// Processes outside a private pid namespace outlive the init: wait for
	// the cgroup to empty so it can be removed.
	for i := 0; c.cg != nil && i < 200; i++ {
		pids, err := c.cg.Pids()
		if err != nil || len(pids) == 0 {
			return
		}
		_ = c.signalCgroup(unix.SIGKILL)
		time.Sleep(5 * time.Millisecond)
	}
}

// killPid kills a process we started but could not hand over.
func killPid(pid int) {
	_ = unix.Kill(pid, unix.SIGKILL)
}
