package container

import (
	"errors"
	"fmt"
	"os"
	"os/signal"

	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"
)

// Run creates and starts a container; unless detach, it waits for the init,
// forwards signals to it, deletes the container (unless keep) and returns
// the exit code: the init's status, or 128+signal.
func Run(o *CreateOpts, detach, keep bool) (int, error) {
	var sigs chan os.Signal
	if !detach {
		s, stop, err := foreground()
		if err != nil {
			return 1, err
		}
		defer stop()
		sigs = s
	}
	o.foreground = !detach
	c, err := Create(o)
	if err != nil {
		return 1, err
	}
	finishTerminal, err := c.proxyTerminal()
	if err != nil {
		_ = c.Delete(true)
		c.Close()
		return 1, err
	}
	defer finishTerminal()
	if err := c.Start(); err != nil {
		_ = c.Delete(true)
		c.Close()
		return 1, err
	}
	if detach {
		c.Close()
		return 0, nil
	}
	// Other commands (state, kill) must be able to lock the container.
	c.lock.Unlock()
	code := waitProcess(c.st.InitPid, sigs)
	if keep {
		return code, nil
	}
	c2, err := Load(o.Root, o.ID)
	if err != nil {
		return code, err
	}
	defer c2.Close()
	return code, c2.Delete(true)
}

// foreground prepares the caller to wait for a process the C stage forks
// (not our child): as a subreaper we inherit it when stage 0 exits, and
// every signal is caught from now on, to be forwarded (nothing sent before
// the process runs is lost). stop ends the catching.
func foreground() (sigs chan os.Signal, stop func(), err error) {
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		return nil, nil, fmt.Errorf("become subreaper: %w", err)
	}
	sigs = make(chan os.Signal, 64)
	signal.Notify(sigs)
	return sigs, func() { signal.Stop(sigs) }, nil
}

// waitProcess reaps children until pid exits, forwarding signals to it,
// and returns its exit code.
func waitProcess(pid int, sigs chan os.Signal) int {
	for {
		if code, done := reap(pid); done {
			return code
		}
		sig := <-sigs
		switch sig {
		case unix.SIGCHLD, unix.SIGURG: // SIGURG is the Go runtime's own
			continue
		}
		if err := unix.Kill(pid, sig.(unix.Signal)); err != nil && !errors.Is(err, unix.ESRCH) {
			logrus.Warnf("forward %v to %d: %v", sig, pid, err)
		}
	}
}

// reap collects every exited child without blocking; done reports whether
// one of them was the init, with its exit code.
func reap(initPid int) (int, bool) {
	for {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
		if err == unix.EINTR {
			continue
		}
		if err != nil || pid <= 0 {
			return 0, false
		}
		if pid != initPid {
			continue
		}
		if ws.Signaled() {
			return 128 + int(ws.Signal()), true
		}
		return ws.ExitStatus(), true
	}
}
