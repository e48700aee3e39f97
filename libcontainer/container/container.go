// Package container is the lifecycle, parent side: create, start, run,
// kill, delete and the status of a container, on top of the state store,
// the cgroup manager and the init protocol. It never runs inside the
// container; containerinit does.
package container

import (
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"rt/libcontainer/cgroups"
	"rt/libcontainer/state"
)

// Status is a container's OCI status.
type Status string

// The statuses, as `state` prints them.
const (
	Creating Status = "creating"
	Created  Status = "created"
	Running  Status = "running"
	Paused   Status = "paused"
	Stopped  Status = "stopped"
)

// Errors callers match, with runc's texts.
var (
	ErrNotRunning = errors.New("container not running")
	ErrRunning    = errors.New("container still running")
	ErrPaused     = errors.New("container paused")
	ErrNotPaused  = errors.New("container not paused")
	ErrNotCreated = errors.New("container not created")
)

// Container is one loaded container. Commands that change it hold its lock
// from Load to Close.
type Container struct {
	store *state.Store
	lock  *state.Lock
	st    *state.State
	cg    cgroups.Manager
	// console is our end of the socket the init sends the pty master on,
	// when a foreground run holds the terminal itself.
	console *os.File
}

// Load locks and reads container id under root.
func Load(root, id string) (*Container, error) {
	s := &state.Store{Root: root}
	l, err := s.Lock(id)
	if err != nil {
		return nil, err
	}
	c, err := read(s, id)
	if err != nil {
		l.Unlock()
		return nil, err
	}
	c.lock = l
	return c, nil
}

// Get reads container id without locking it, for commands that only look
// (state, list, ps): saves are atomic renames, so a reader never sees half
// a state, and a hook calling `rt state` during create does not deadlock.
func Get(root, id string) (*Container, error) {
	if err := state.ValidateID(id); err != nil {
		return nil, err
	}
	return read(&state.Store{Root: root}, id)
}

func read(s *state.Store, id string) (*Container, error) {
	st, err := s.Load(id)
	if err != nil {
		return nil, err
	}
	cg, err := cgroups.Load(st.Cgroups)
	if err != nil {
		return nil, err
	}
	return &Container{store: s, st: st, cg: cg}, nil
}

// Close releases the lock, if any.
func (c *Container) Close() { c.lock.Unlock() }

// ID is the container's id.
func (c *Container) ID() string { return c.st.ID }

// Pid is the init's pid, 0 once stopped.
func (c *Container) Pid() int {
	if c.st.InitAlive() {
		return c.st.InitPid
	}
	return 0
}

// Spec is the config the container was created with.
func (c *Container) Spec() *specs.Spec { return c.st.Spec }

// Cgroup is the container's cgroup manager (nil if it has none).
func (c *Container) Cgroup() cgroups.Manager { return c.cg }

func (c *Container) fifoPath() string {
	return filepath.Join(c.store.Dir(c.st.ID), state.FifoName)
}

// Status derives the status from the init process and the exec fifo.
func (c *Container) Status() Status {
	alive := c.st.InitAlive()
	switch {
	case c.st.Creating && (alive || c.st.InitPid == 0):
		return Creating
	case !alive:
		return Stopped
	}
	if c.cg != nil {
		if frozen, _ := c.cg.Frozen(); frozen {
			return Paused // a paused created container is paused (runc)
		}
	}
	if _, err := os.Lstat(c.fifoPath()); err == nil {
		return Created
	}
	return Running
}

// State returns the OCI state now.
func (c *Container) State() *state.OCI {
	return c.ociState(c.Status())
}

func (c *Container) ociState(status Status) *state.OCI {
	pid := 0
	if status != Stopped {
		pid = c.st.InitPid
	}
	return &state.OCI{
		Version:     specs.Version,
		ID:          c.st.ID,
		Pid:         pid,
		Status:      string(status),
		Bundle:      c.st.Bundle,
		Rootfs:      c.st.Rootfs,
		Created:     c.st.Created.UTC(),
		Owner:       c.owner(),
		Annotations: c.st.Spec.Annotations,
	}
}

// owner is the user owning the state directory.
func (c *Container) owner() string {
	fi, err := os.Stat(c.store.Dir(c.st.ID))
	if err != nil {
		return ""
	}
	uid := fi.Sys().(*syscall.Stat_t).Uid
	if u, err := user.LookupId(strconv.Itoa(int(uid))); err == nil {
		return u.Username
	}
	return fmt.Sprintf("#%d", uid)
}

// List reads every container under root, for `list`.
func List(root string) ([]*state.OCI, error) {
	s := &state.Store{Root: root}
	ids, err := s.List()
	if err != nil {
		return nil, err
	}
	var out []*state.OCI
	for _, id := range ids {
		c, err := Get(root, id)
		if err != nil {
			continue // deleted meanwhile, or half-made: list what is readable
		}
		out = append(out, c.State())
	}
	return out, nil
}
