package v1

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// OOM registers an eventfd for the memory cgroup's OOM notifications
// (cgroup.event_control with memory.oom_control) and sends a value for
// each. The kernel also signals the eventfd when the cgroup is removed:
// then, or when stop closes, the channel is closed.
func (m *Manager) OOM(stop <-chan struct{}) (<-chan struct{}, error) {
	dir := m.Paths["memory"]
	if dir == "" {
		return nil, errors.New("cannot watch for OOM: the memory cgroup controller is not mounted")
	}
	ctl, err := os.Open(filepath.Join(dir, "memory.oom_control"))
	if err != nil {
		return nil, err
	}
	defer ctl.Close() // the registration holds its own reference
	efd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		return nil, fmt.Errorf("eventfd: %w", err)
	}
	// Non-blocking, the file reads through Go's poller and Close wakes them.
	ev := os.NewFile(uintptr(efd), "oom-eventfd")
	line := fmt.Sprintf("%d %d", efd, ctl.Fd())
	if err := os.WriteFile(filepath.Join(dir, "cgroup.event_control"), []byte(line), 0); err != nil {
		ev.Close()
		return nil, fmt.Errorf("register OOM notification in %s: %w", dir, err)
	}
	ch := make(chan struct{}, 16)
	go func() {
		<-stop
		ev.Close()
	}()
	go func() {
		defer close(ch)
		buf := make([]byte, 8)
		for {
			if _, err := ev.Read(buf); err != nil || binary.NativeEndian.Uint64(buf) == 0 {
				return
			}
			if _, err := os.Stat(filepath.Join(dir, "memory.oom_control")); err != nil {
				return // the cgroup was removed
			}
			select {
			case ch <- struct{}{}:
			case <-stop:
				return
			}
		}
	}()
	return ch, nil
}
