package container

import (
	"errors"
	"fmt"
)

// Pause freezes every process of a running or created container (runc
// allows both). Pausing a paused container fails with ErrPaused.
func (c *Container) Pause() error {
	switch c.Status() {
	case Stopped, Creating:
		return fmt.Errorf("cannot pause: %w", ErrNotRunning)
	}
	if c.cg == nil {
		return errors.New("container has no cgroup to freeze")
	}
	// The freezer itself says whether it is paused: Status reports a paused
	// created container as created.
	if frozen, err := c.cg.Frozen(); err != nil {
		return err
	} else if frozen {
		return ErrPaused
	}
	return c.cg.Freeze(true)
}

// Resume thaws a paused container; any other fails with ErrNotPaused.
func (c *Container) Resume() error {
	if c.cg == nil || c.Status() == Stopped {
		return ErrNotPaused
	}
	frozen, err := c.cg.Frozen()
	if err != nil {
		return err
	}
	if !frozen {
		return ErrNotPaused
	}
	return c.cg.Freeze(false)
}
