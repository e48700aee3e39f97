package fscommon

import (
	"fmt"
	"path/filepath"
	"strings"
)

// Tx writes cgroup files and remembers what each held before its first
// write, so that a Set failing halfway (`rt update` with a value the kernel
// rejects) can put every file back as it was: an update changes all or
// nothing. runc instead re-applies the old config, which cannot restore a
// file the old config did not name.
//
// Rollback writes the saved contents in reverse order; going back through
// the same states the writes went through keeps pairs of dependent files
// (memory.limit_in_bytes and memory.memsw.limit_in_bytes) valid at each
// step. Files that cannot be read (devices.allow) are not restored; files
// holding one line per device are restored line by line, which re-sets the
// devices they had but cannot remove a device a failed write added.
type Tx struct {
	saved []saved
}

type saved struct {
	dir, file, old string
}

// Write writes val to dir/file, first saving the file's content.
func (t *Tx) Write(dir, file, val string) error {
	t.save(dir, file)
	return Write(dir, file, val)
}

func (t *Tx) save(dir, file string) {
	for _, s := range t.saved {
		if s.dir == dir && s.file == file {
			return
		}
	}
	if old, err := Read(dir, file); err == nil {
		t.saved = append(t.saved, saved{dir, file, old})
	}
}

// Rollback restores every saved file, newest first, and forgets them.
func (t *Tx) Rollback() error {
	var errs []error
	for i := len(t.saved) - 1; i >= 0; i-- {
		s := t.saved[i]
		for _, v := range restoreValues(s.file, s.old) {
			if err := Write(s.dir, s.file, v); err != nil {
				errs = append(errs, err)
			}
		}
	}
	t.saved = nil
	if err := Join(errs...); err != nil {
		return fmt.Errorf("restore cgroup files: %w", err)
	}
	return nil
}

// restoreValues turns what a file read into what to write back to it.
func restoreValues(file, old string) []string {
	switch filepath.Base(file) {
	case "memory.oom_control": // reads "oom_kill_disable 0\nunder_oom 0...", takes "0"
		for _, l := range strings.Split(old, "\n") {
			if v, ok := strings.CutPrefix(l, "oom_kill_disable "); ok {
				return []string{v}
			}
		}
		return nil
	}
	if !strings.Contains(old, "\n") {
		return []string{old}
	}
	return strings.Split(old, "\n")
}
