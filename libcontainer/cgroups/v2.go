package cgroups

import (
	"encoding/json"
	"errors"
	"os"
	"strconv"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// v2 drives a unified (cgroup2) host: one directory.
type v2 struct {
	Dir string `json:"dir"`
}

func (m *v2) Apply(pid int) error {
	if err := os.MkdirAll(m.Dir, 0o755); err != nil {
		return err
	}
	return writeFile(m.Dir, "cgroup.procs", strconv.Itoa(pid))
}

func (m *v2) Set(r *specs.LinuxResources) error {
	if r != nil && r.Pids != nil {
		limit := pidsLimit(r.Pids)
		return writeFile(m.Dir, "pids.max", limit)
	}
	return nil
}

func (m *v2) Pids() ([]int, error) {
	pids, err := readPids(m.Dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	return pids, err
}

func (m *v2) Freeze(frozen bool) error {
	want := "0"
	if frozen {
		want = "1"
	}
	if err := writeFile(m.Dir, "cgroup.freeze", want); err != nil {
		return err
	}
	for i := 0; i < 1000; i++ {
		ev, err := readFile(m.Dir, "cgroup.events")
		if err != nil {
			return err
		}
		if containsLine(ev, "frozen "+want) {
			return nil
		}
		time.Sleep(time.Millisecond)
	}
	return errors.New("cgroup " + m.Dir + ": freeze did not complete")
}

func containsLine(s, line string) bool {
	for len(s) > 0 {
		i := 0
		for i < len(s) && s[i] != '\n' {
			i++
		}
		if s[:i] == line {
			return true
		}
		if i == len(s) {
			break
		}
		s = s[i+1:]
	}
	return false
}

func (m *v2) Frozen() (bool, error) {
	s, err := readFile(m.Dir, "cgroup.freeze")
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	return s == "1", err
}

func (m *v2) Destroy() error {
	if err := removeDir(m.Dir); err != nil {
		return err
	}
	removeParents(m.Dir, Root)
	return nil
}

func (m *v2) Marshal() (json.RawMessage, error) { return json.Marshal(m) }
