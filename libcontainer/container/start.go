package container

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"rt/libcontainer/hooks"
)

// Start releases a created container's init through the exec fifo and runs
// the poststart hooks once the user's process runs.
func (c *Container) Start() error {
	switch s := c.Status(); s {
	case Created:
	case Stopped:
		return fmt.Errorf("cannot start a container that has stopped: %w", ErrNotRunning)
	case Creating:
		return fmt.Errorf("cannot start a container that is still being created: %w", ErrNotCreated)
	default:
		return fmt.Errorf("cannot start an already %s container: %w", s, ErrNotCreated)
	}
	out, err := c.readFifo()
	if err != nil {
		return err
	}
	_ = os.Remove(c.fifoPath())
	switch {
	case out == "0":
	case out == "":
		return errors.New("container init exited before it was started")
	default:
		return fmt.Errorf("start container: %s", strings.TrimPrefix(out, "0"))
	}
	if h := c.st.Spec.Hooks; h != nil && len(h.Poststart) > 0 {
		st, err := json.Marshal(c.ociState(Running))
		if err != nil {
			return err
		}
		hooks.RunWarn("poststart", h.Poststart, st)
	}
	return nil
}

// readFifo opens the exec fifo for reading (which lets the init's open for
// writing return) and reads until the init closes it by exec'ing or exiting.
// An init that dies before opening its end cannot block us: its exit is
// watched too.
func (c *Container) readFifo() (string, error) {
	type result struct {
		data []byte
		err  error
	}
	done := make(chan result, 1)
	go func() {
		f, err := os.OpenFile(c.fifoPath(), os.O_RDONLY, 0)
		if err != nil {
			done <- result{err: fmt.Errorf("open exec fifo: %w", err)}
			return
		}
		defer f.Close()
		data, err := io.ReadAll(f)
		done <- result{data, err}
	}()
	exited := make(chan struct{})
	go func() {
		_ = waitExit(c.st, 365*24*time.Hour)
		close(exited)
	}()
	select {
	case r := <-done:
		return string(r.data), r.err
	case <-exited:
		// It may have written and exec'd-then-exited quickly: prefer data.
		select {
		case r := <-done:
			return string(r.data), r.err
		case <-time.After(100 * time.Millisecond):
			return "", errors.New("container init exited before it was started")
		}
	}
}
