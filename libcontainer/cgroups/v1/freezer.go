package v1

import (
	"errors"
	"fmt"
	"os"
	"time"

	"rt/libcontainer/cgroups/fscommon"
)

const freezerState = "freezer.state"

// Freeze freezes (or thaws) every process of the container and returns
// once the kernel reports FROZEN (THAWED).
//
// A v1 freeze can stay in FREEZING while processes keep forking or
// joining; the kernel asks userspace to retry. As runc found by trial, an
// occasional thaw-and-wait and short sleeps raise the odds on busy or slow
// machines. If it still does not freeze, the cgroup is thawed again rather
// than left half frozen, and Freeze fails.
func (m *Manager) Freeze(frozen bool) error {
	dir := m.Paths["freezer"]
	if dir == "" {
		return errors.New("cannot freeze: the freezer cgroup controller is not mounted")
	}
	if !frozen {
		return fscommon.Write(dir, freezerState, "THAWED")
	}
	for i := 0; i < 1000; i++ {
		if i%50 == 49 {
			_ = fscommon.Write(dir, freezerState, "THAWED")
			time.Sleep(10 * time.Millisecond)
		}
		if err := fscommon.Write(dir, freezerState, "FROZEN"); err != nil {
			return err
		}
		if i%25 == 24 {
			time.Sleep(10 * time.Microsecond)
		}
		s, err := fscommon.Read(dir, freezerState)
		if err != nil {
			return err
		}
		switch s {
		case "FROZEN":
			return nil
		case "FREEZING":
			continue
		default:
			return fmt.Errorf("freezer %s: unexpected state %q while freezing", dir, s)
		}
	}
	_ = fscommon.Write(dir, freezerState, "THAWED")
	return fmt.Errorf("freezer %s: processes did not freeze (stuck in FREEZING)", dir)
}

// Frozen tells whether the container's freezer cgroup is FROZEN.
func (m *Manager) Frozen() (bool, error) {
	dir := m.Paths["freezer"]
	if dir == "" {
		return false, nil
	}
	s, err := fscommon.Read(dir, freezerState)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	return s == "FROZEN", err
}
