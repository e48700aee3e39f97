package container

import (
	"errors"
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/sirupsen/logrus"

	"rt/libcontainer/cgroups"
)

// Update changes the resources of a created, running or paused container.
// The update merges into the current resources (cgroups.Merge: what it
// sets replaces, what it leaves out stays); the changed classes are written
// all or nothing (the manager checks them first and restores what it wrote
// if the kernel refuses a value); then the merged resources are saved in
// the state's spec, so that later commands (exec, another update) see them.
func (c *Container) Update(r *specs.LinuxResources) error {
	switch c.Status() {
	case Stopped:
		return fmt.Errorf("cannot update a stopped container: %w", ErrNotRunning)
	case Creating:
		return fmt.Errorf("cannot update a container that is still being created: %w", ErrNotCreated)
	}
	if c.cg == nil {
		return errors.New("container has no cgroup to update")
	}
	if c.st.Spec.Linux == nil {
		c.st.Spec.Linux = &specs.Linux{}
	}
	merged, changes := cgroups.Merge(c.st.Spec.Linux.Resources, r)
	if err := c.cg.Update(changes); err != nil {
		return err
	}
	c.st.Spec.Linux.Resources = merged
	if err := c.store.Save(c.st); err != nil {
		logrus.Warnf("container %s: the cgroup has the new resources but the state could not be saved", c.st.ID)
		return err
	}
	return nil
}
