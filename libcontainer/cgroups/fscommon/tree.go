package fscommon

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// MkdirAll creates dir and its missing parents. Another container's delete
// may remove an empty shared parent (/rt) between our mkdirs: ENOENT is
// retried.
func MkdirAll(dir string) error {
	var err error
	for i := 0; i < 10; i++ {
		if err = os.MkdirAll(dir, 0o755); err == nil || !errors.Is(err, os.ErrNotExist) {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("create cgroup %s: %w", dir, err)
	}
	return nil
}

// Pids lists the processes of dir and of every cgroup below it (a
// container may make sub-cgroups). A missing dir has none.
func Pids(dir string) ([]int, error) {
	var pids []int
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return nil // removed meanwhile
			}
			return err
		}
		if !d.IsDir() {
			return nil
		}
		data, err := os.ReadFile(filepath.Join(p, "cgroup.procs"))
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		sc := bufio.NewScanner(bytes.NewReader(data))
		for sc.Scan() {
			if n, err := strconv.Atoi(strings.TrimSpace(sc.Text())); err == nil {
				pids = append(pids, n)
			}
		}
		return nil
	})
	sort.Ints(pids)
	return pids, err
}

// RemoveTree removes dir and the cgroups below it, deepest first, with rmdir
// (cgroup files cannot be unlinked). It retries while the kernel still
// counts exiting tasks (EBUSY); a missing dir is not an error.
func RemoveTree(dir string) error {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	for _, e := range ents {
		if e.IsDir() {
			if err := RemoveTree(filepath.Join(dir, e.Name())); err != nil {
				return err
			}
		}
	}
	delay := time.Millisecond
	for i := 0; ; i++ {
		err = unix.Rmdir(dir)
		if err == nil || errors.Is(err, unix.ENOENT) {
			return nil
		}
		if !errors.Is(err, unix.EBUSY) || i == 30 {
			return fmt.Errorf("remove cgroup %s: %w", dir, err)
		}
		time.Sleep(delay)
		if delay < 100*time.Millisecond {
			delay *= 2
		}
	}
}

// RemoveEmptyParents removes the now-empty parents of dir up to (not
// including) the hierarchy's mount point, so that rt's default parent does
// not linger; a parent another container still uses stays.
func RemoveEmptyParents(dir, mount string) {
	for p := filepath.Dir(dir); strings.HasPrefix(p, mount+"/"); p = filepath.Dir(p) {
		if unix.Rmdir(p) != nil {
			return
		}
	}
}
