package cgroups

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// writeFile writes one value to a cgroup file; the error names both.
func writeFile(dir, file, val string) error {
	p := filepath.Join(dir, file)
	if err := os.WriteFile(p, []byte(val), 0); err != nil {
		return fmt.Errorf("write %q to %s: %w", val, p, err)
	}
	return nil
}

func readFile(dir, file string) (string, error) {
	data, err := os.ReadFile(filepath.Join(dir, file))
	return strings.TrimSpace(string(data)), err
}

// readPids parses a cgroup.procs file.
func readPids(dir string) ([]int, error) {
	data, err := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
	if err != nil {
		return nil, err
	}
	var pids []int
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		if n, err := strconv.Atoi(sc.Text()); err == nil {
			pids = append(pids, n)
		}
	}
	return pids, nil
}

// removeDir removes a cgroup directory (rmdir only: cgroup files cannot be
// unlinked), retrying while the kernel still counts exiting tasks.
func removeDir(dir string) error {
	var err error
	for i := 0; i < 50; i++ {
		err = unix.Rmdir(dir)
		if err == nil || errors.Is(err, unix.ENOENT) {
			return nil
		}
		if !errors.Is(err, unix.EBUSY) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	return fmt.Errorf("remove cgroup %s: %w", dir, err)
}

// removeParents removes now-empty parents of dir up to (not including) the
// hierarchy root stop, so that rt's DefaultParent does not linger. A parent
// still in use by another container stays.
func removeParents(dir, stop string) {
	for p := filepath.Dir(dir); len(p) > len(stop) && strings.HasPrefix(p, stop+"/"); p = filepath.Dir(p) {
		if unix.Rmdir(p) != nil {
			return
		}
	}
}

// pidsLimit renders pids.max: a missing or non-positive limit is "max".
func pidsLimit(p *specs.LinuxPids) string {
	if p.Limit == nil || *p.Limit <= 0 {
		return "max"
	}
	return strconv.FormatInt(*p.Limit, 10)
}
