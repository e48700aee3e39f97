package container

import (
	"errors"
	"fmt"
	"time"

	"github.com/sirupsen/logrus"
)

// Event is one line of `rt events` (runc's types.Event): type "stats"
// with the cgroup statistics (*cgroups.Stats) as data, or "oom" without.
type Event struct {
	Type string `json:"type"`
	ID   string `json:"id"`
	Data any    `json:"data,omitempty"`
}

// Processes lists the pids in the container's cgroup (none once it is
// gone), for `rt ps`.
func (c *Container) Processes() ([]int, error) {
	if c.cg == nil {
		return nil, nil
	}
	return c.cg.Pids()
}

// Stats returns a stats event of a container that is not stopped.
func (c *Container) Stats() (*Event, error) {
	if c.Status() == Stopped {
		return nil, fmt.Errorf("container %s is not running: %w", c.st.ID, ErrNotRunning)
	}
	if c.cg == nil {
		return nil, errors.New("container has no cgroup")
	}
	s, err := c.cg.Stats()
	if err != nil {
		return nil, err
	}
	return &Event{Type: "stats", ID: c.st.ID, Data: s}, nil
}

// drainOOM emits the OOM events still on their way once the container has
// stopped: the watcher reports a last kill as the cgroup empties.
func drainOOM(id string, oom <-chan struct{}, emit func(*Event) error) error {
	timeout := time.After(time.Second)
	for {
		select {
		case _, ok := <-oom:
			if !ok {
				return nil
			}
			if err := emit(&Event{Type: "oom", ID: id}); err != nil {
				return err
			}
		case <-timeout:
			return nil
		}
	}
}

// Events calls emit with a stats event every interval and an oom event for
// each out-of-memory event, until the container stops or its cgroup goes
// away, or emit fails. Read the container with Get: Events holds no lock
// while it runs.
func (c *Container) Events(interval time.Duration, emit func(*Event) error) error {
	if c.Status() == Stopped {
		return fmt.Errorf("container %s is not running: %w", c.st.ID, ErrNotRunning)
	}
	if c.cg == nil {
		return errors.New("container has no cgroup")
	}
	if interval <= 0 {
		return fmt.Errorf("invalid interval %s", interval)
	}
	stop := make(chan struct{})
	defer close(stop)
	oom, err := c.cg.OOM(stop)
	if err != nil {
		logrus.Debugf("no OOM events: %v", err) // still stream the stats
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case _, ok := <-oom:
			if !ok {
				return nil // the cgroup is gone
			}
			if err := emit(&Event{Type: "oom", ID: c.st.ID}); err != nil {
				return err
			}
		case <-tick.C:
			if !c.st.InitAlive() {
				return drainOOM(c.st.ID, oom, emit)
			}
			s, err := c.cg.Stats()
			if err != nil {
				logrus.Errorf("stats of %s: %v", c.st.ID, err) // runc goes on too
				continue
			}
			if err := emit(&Event{Type: "stats", ID: c.st.ID, Data: s}); err != nil {
				return err
			}
		}
	}
}
