package v2

import (
	"fmt"
	"os"
	"path/filepath"
	"unsafe"

	"golang.org/x/sys/unix"

	"rt/libcontainer/cgroups/fscommon"
)

// OOM watches memory.events with inotify and sends a value each time its
// oom_kill count grows. The channel is closed when the cgroup has no
// process left (cgroup.events: populated 0) or is removed, or stop closes.
func (m *Manager) OOM(stop <-chan struct{}) (<-chan struct{}, error) {
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return nil, fmt.Errorf("inotify: %w", err)
	}
	// Non-blocking, the file reads through Go's poller and Close wakes them.
	f := os.NewFile(uintptr(fd), "inotify")
	memWd, err := unix.InotifyAddWatch(fd, filepath.Join(m.Dir, "memory.events"), unix.IN_MODIFY)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("watch %s/memory.events: %w", m.Dir, err)
	}
	if _, err := unix.InotifyAddWatch(fd, filepath.Join(m.Dir, "cgroup.events"), unix.IN_MODIFY); err != nil {
		f.Close()
		return nil, fmt.Errorf("watch %s/cgroup.events: %w", m.Dir, err)
	}
	last, _ := fscommon.ReadKey(m.Dir, "memory.events", "oom_kill")
	ch := make(chan struct{}, 16)
	go func() {
		<-stop
		f.Close()
	}()
	// report sends one value if oom_kill grew; false when stopped.
	report := func() bool {
		cur, err := fscommon.ReadKey(m.Dir, "memory.events", "oom_kill")
		if err != nil || cur <= last {
			return true
		}
		last = cur
		select {
		case ch <- struct{}{}:
			return true
		case <-stop:
			return false
		}
	}
	go func() {
		defer close(ch)
		// The kernel rate-limits memory.events notifications (up to 10 ms)
		// but not cgroup.events: an OOM kill that empties the cgroup can
		// be announced after "populated 0". Read the counter once more on
		// the way out so that kill is not lost.
		defer report()
		buf := make([]byte, 4096)
		for {
			n, err := f.Read(buf)
			if err != nil {
				return
			}
			for off := 0; off+unix.SizeofInotifyEvent <= n; {
				ev := (*unix.InotifyEvent)(unsafe.Pointer(&buf[off]))
				off += unix.SizeofInotifyEvent + int(ev.Len)
				if ev.Mask&unix.IN_IGNORED != 0 {
					return // the cgroup is gone
				}
				if int(ev.Wd) == memWd {
					if !report() {
						return
					}
					continue
				}
				if pop, err := fscommon.ReadKey(m.Dir, "cgroup.events", "populated"); err != nil || pop == 0 {
					return
				}
			}
		}
	}()
	return ch, nil
}
