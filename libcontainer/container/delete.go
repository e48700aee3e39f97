package container

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"rt/libcontainer/hooks"
	"rt/libcontainer/rootfs"
	"rt/libcontainer/state"
)

// Delete removes a stopped container: poststop hooks, cgroups, state. With
// force it kills a container in any other status first.
func (c *Container) Delete(force bool) error {
	status := c.Status()
	if status != Stopped {
		if !force {
			return fmt.Errorf("cannot delete container %s that is not stopped: %w", c.st.ID, ErrRunning)
		}
		c.killAll()
	}
	// A create that never finished ran no hook: it gets no poststop either.
	if h := c.st.Spec.Hooks; h != nil && len(h.Poststop) > 0 && !c.st.Creating {
		st, err := json.Marshal(c.ociState(Stopped))
		if err != nil {
			return err
		}
		hooks.RunWarn("poststop", h.Poststop, st)
	}
	if c.cg != nil {
		c.killAll() // leftovers of a container without its own pid namespace
		if err := c.cg.Destroy(); err != nil {
			return err
		}
	}
	if !c.hasNamespace(specs.MountNamespace) {
		// Its mounts were made in our namespace, under the rootfs.
		if err := rootfs.Release(c.st.Rootfs); err != nil {
			return err
		}
	}
	return c.store.Remove(c.st.ID)
}

// DeleteID deletes container id under root. A directory left without a
// state file (an `rt create` killed before its first save) is removed too;
// with force, an unknown container is not an error (runc's behaviour).
func DeleteID(root, id string, force bool) error {
	c, err := Load(root, id)
	if errors.Is(err, state.ErrNotExist) {
		s := &state.Store{Root: root}
		if state.ValidateID(id) == nil {
			if _, serr := os.Stat(s.Dir(id)); serr == nil {
				_ = s.Remove(id)
			}
		}
		if force {
			return nil
		}
	}
	if err != nil {
		return err
	}
	defer c.Close()
	return c.Delete(force)
}
