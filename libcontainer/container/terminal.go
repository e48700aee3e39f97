package container

import (
	"errors"
	"os"
	"time"

	"golang.org/x/sys/unix"

	"rt/libcontainer/console"
)

// consoleSocket returns the socket end the init sends the pty master on:
// the caller's --console-socket, or for a foreground run our own pair
// (whose other end c.console keeps). nil when there is no terminal.
func (c *Container) consoleSocket(path string, foreground bool) (*os.File, error) {
	p := c.st.Spec.Process
	if p == nil || !p.Terminal {
		return nil, nil
	}
	if path != "" {
		return console.Dial(path)
	}
	if !foreground {
		return nil, errors.New("process.terminal is true: --console-socket is required (or use run in the foreground)")
	}
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	c.console = os.NewFile(uintptr(fds[0]), "console")
	return os.NewFile(uintptr(fds[1]), "console-child"), nil
}

// proxyTerminal receives the master from the init and copies between it
// and rt's stdio; the returned func waits for the output and restores the
// terminal.
func (c *Container) proxyTerminal() (func(), error) {
	if c.console == nil {
		return func() {}, nil
	}
	defer c.console.Close()
	master, err := console.RecvMaster(c.console)
	if err != nil {
		return nil, err
	}
	restore, done := console.Proxy(master)
	return func() {
		// Processes left behind (run --keep) may hold the pty open.
		select {
		case <-done:
		case <-time.After(2 * time.Second):
		}
		restore()
		master.Close()
	}, nil
}
